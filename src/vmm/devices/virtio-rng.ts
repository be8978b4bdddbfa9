// virtio-rng (device id 4, virtio 1.x section 5.4): one queue of device-writable buffers that the
// device fills with entropy.
import type { VirtioDeviceModel, VirtioQueues } from './virtio-mmio.js';
import { Virtqueue } from './virtqueue.js';
import { VmmError } from '../errors.js';
import type { StateObject } from '../../kvm/index.js';
import type { StateReader } from '../snapshot/value.js';

export const VIRTIO_ID_RNG = 4;
const QUEUE_SIZE = 64;
const GET_RANDOM_MAX = 65536; // crypto.getRandomValues fills at most this many bytes per call
/** Bytes handed out per request at most, so a guest cannot make the VMM spend long in one call. */
const MAX_PER_REQUEST = 4096;

export type EntropySource = (dst: Uint8Array) => void;

const webCrypto: EntropySource = (dst) => {
  for (let off = 0; off < dst.length; off += GET_RANDOM_MAX) crypto.getRandomValues(dst.subarray(off, off + GET_RANDOM_MAX));
};

/**
 * The guest's entropy under --clock icount: a fixed pseudo-random stream (xoshiro128**), so that a run, and a run
 * resumed from a snapshot, is reproducible to the instruction: the kernel's random pool steers its code paths. It
 * is not for secrets, which is what the wall clock's default (the host's crypto) is for. Its state is saved.
 */
export class ReproducibleEntropy {
  private readonly s = Uint32Array.of(0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x6a09e667);
  readonly source: EntropySource = (dst) => {
    const s = this.s;
    for (let i = 0; i < dst.length; i++) {
      const r = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
      const t = s[1]! << 9;
      s[2]! ^= s[0]!; s[3]! ^= s[1]!; s[1]! ^= s[2]!; s[0]! ^= s[3]!; s[2]! ^= t; s[3] = rotl(s[3]!, 11);
      dst[i] = r >>> 24;
    }
  };
  get state(): Uint8Array { return new Uint8Array(this.s.buffer).slice(); }
  set state(b: Uint8Array) {
    if (b.length !== 16) throw new VmmError('virtio-rng state: the generator state is not 16 bytes');
    new Uint8Array(this.s.buffer).set(b);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class VirtioRng implements VirtioDeviceModel {
  readonly deviceId = VIRTIO_ID_RNG;
  readonly features = 0n;
  readonly queueMaxSizes = [QUEUE_SIZE];
  readonly config = new Uint8Array(0);
  private queues!: VirtioQueues;

  private readonly entropy: EntropySource;
  /** `entropy`: the host's crypto by default; a ReproducibleEntropy is saved with the device. */
  constructor(entropy: EntropySource | ReproducibleEntropy = webCrypto) {
    this.entropy = entropy instanceof ReproducibleEntropy ? entropy.source : entropy;
    this.generator = entropy instanceof ReproducibleEntropy ? entropy : null;
  }
  private readonly generator: ReproducibleEntropy | null;

  saveState(): StateObject {
    return { generator: this.generator?.state ?? null };
  }

  loadState(r: StateReader): void {
    const g = r.value('generator');
    if ((g === null) !== (this.generator === null)) throw new VmmError('virtio-rng state: saved with another entropy source (--clock differs?)');
    if (this.generator && g instanceof Uint8Array) this.generator.state = g;
  }

  attach(queues: VirtioQueues): void {
    this.queues = queues;
  }

  reset(): void {}

  queueNotify(index: number): void {
    const vq = this.queues.queue(index);
    if (!vq) return;
    for (let chain = vq.pop(); chain; chain = vq.pop()) {
      const bytes = new Uint8Array(Math.min(Virtqueue.writableLength(chain), MAX_PER_REQUEST));
      this.entropy(bytes);
      vq.push(chain, vq.write(chain, bytes));
    }
    this.queues.notifyUsed(index);
  }
}
