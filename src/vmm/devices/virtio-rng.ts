// virtio-rng (device id 4, virtio 1.x section 5.4): one queue of device-writable buffers that the
// device fills with entropy.
import type { VirtioDeviceModel, VirtioQueues } from './virtio-mmio.js';
import { Virtqueue } from './virtqueue.js';

export const VIRTIO_ID_RNG = 4;
const QUEUE_SIZE = 64;
const GET_RANDOM_MAX = 65536; // crypto.getRandomValues fills at most this many bytes per call
/** Bytes handed out per request at most, so a guest cannot make the VMM spend long in one call. */
const MAX_PER_REQUEST = 4096;

export type EntropySource = (dst: Uint8Array) => void;

const webCrypto: EntropySource = (dst) => {
  for (let off = 0; off < dst.length; off += GET_RANDOM_MAX) crypto.getRandomValues(dst.subarray(off, off + GET_RANDOM_MAX));
};

export class VirtioRng implements VirtioDeviceModel {
  readonly deviceId = VIRTIO_ID_RNG;
  readonly features = 0n;
  readonly queueMaxSizes = [QUEUE_SIZE];
  readonly config = new Uint8Array(0);
  private queues!: VirtioQueues;

  constructor(private readonly entropy: EntropySource = webCrypto) {}

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
