// virtio-9p (device id 9, the transport of Linux's 9pnet_virtio): one request queue; each request is a 9P
// T-message in the device-readable buffers and room for the R-message in the device-writable ones. The config
// space holds the mount tag (u16 length, then the bytes) the guest names in `mount -t 9p TAG`. Requests are
// answered synchronously by a NinepServer; the T-message is copied into a buffer of the negotiated msize at most,
// so a guest's descriptor lengths never size a host allocation.
import type { StateObject } from '../../kvm/index.js';
import type { StateReader } from '../snapshot/value.js';
import type { VirtioDeviceModel, VirtioQueues } from './virtio-mmio.js';
import { Virtqueue } from './virtqueue.js';
import { MAX_MSIZE, NinepServer } from '../ninep/server.js';
import { VmmError } from '../errors.js';

export const VIRTIO_ID_9P = 9;
export const VIRTIO_9P_F_MOUNT_TAG = 0n;
const QUEUE_SIZE = 128;
/** A mount tag: what mount(8) takes as the device name, so plain characters only. */
export const MOUNT_TAG_RE = /^[A-Za-z0-9_.-]{1,31}$/;

export class Virtio9p implements VirtioDeviceModel {
  readonly deviceId = VIRTIO_ID_9P;
  readonly features = 1n << VIRTIO_9P_F_MOUNT_TAG;
  readonly queueMaxSizes = [QUEUE_SIZE];
  readonly config: Uint8Array;
  private queues!: VirtioQueues;
  private readonly request = new Uint8Array(MAX_MSIZE);
  private readonly reply = new Uint8Array(MAX_MSIZE);

  constructor(readonly tag: string, readonly server: NinepServer) {
    if (!MOUNT_TAG_RE.test(tag)) throw new VmmError(`virtio-9p: mount tag '${tag}' must be 1..31 of A-Z a-z 0-9 _ . -`);
    const bytes = new TextEncoder().encode(tag);
    this.config = new Uint8Array(2 + bytes.length);
    new DataView(this.config.buffer).setUint16(0, bytes.length, true);
    this.config.set(bytes, 2);
  }

  attach(queues: VirtioQueues): void {
    this.queues = queues;
  }

  /** The 9P session (fids by path, locks): NinepServer.saveState. */
  saveState(): StateObject {
    return this.server.saveState();
  }

  loadState(r: StateReader): void {
    this.server.loadState(r);
  }

  /** A driver reset ends the 9P session: fids and host files are closed. */
  reset(): void {
    this.server.resetSession();
  }

  queueNotify(index: number): void {
    const vq = this.queues.queue(index);
    if (!vq) return;
    for (let chain = vq.pop(); chain; chain = vq.pop()) {
      const msize = this.server.negotiatedMsize || MAX_MSIZE;
      const have = Math.min(Virtqueue.readableLength(chain), msize);
      const got = vq.readInto(chain, this.request.subarray(0, have));
      // The size field decides the message; one longer than msize or than the buffers is answered as malformed.
      let len = got;
      if (got >= 4) {
        const size = this.request[0]! | (this.request[1]! << 8) | (this.request[2]! << 16) | (this.request[3]! * 2 ** 24);
        if (size <= got) len = size;
      }
      const room = Math.min(Virtqueue.writableLength(chain), MAX_MSIZE);
      const n = this.server.handle(this.request.subarray(0, len), this.reply.subarray(0, room));
      vq.push(chain, n > 0 ? vq.write(chain, this.reply.subarray(0, n)) : 0);
    }
    this.queues.notifyUsed(index);
  }
}
