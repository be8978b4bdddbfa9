// virtio-9p through the virtio-mmio transport, as Linux's 9pnet_virtio drives it: the mount tag in config space,
// T-messages spread over several readable descriptors and replies scattered over writable ones (the zero-copy
// layout: an 11-byte header buffer, then pages), and a message larger than the negotiated msize refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtioMmio } from '../../src/vmm/devices/virtio-mmio.js';
import { Virtio9p } from '../../src/vmm/devices/virtio-9p.js';
import { NinepServer, T, NOFID } from '../../src/vmm/ninep/server.js';
import { HostDirBackend } from '../../src/cli/ninep-host.js';
import { Driver, FakeRam, R, F_VERSION_1 } from '../vmm/devices/virtio-driver.js';

const RAM_BASE = 0x80000000;

function tmsg(type: number, body: number[]): Uint8Array {
  const m = new Uint8Array(7 + body.length);
  new DataView(m.buffer).setUint32(0, m.length, true);
  m[4] = type;
  m[5] = 1;
  m.set(body, 7);
  return m;
}
const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const u64 = (v: number): number[] => [...u32(v), 0, 0, 0, 0];
const str = (s: string): number[] => { const b = [...new TextEncoder().encode(s)]; return [b.length & 0xff, b.length >> 8, ...b]; };

test('virtio-9p: mount tag in config space; requests over split descriptors, replies scattered, msize enforced', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-9pdev-'));
  const backend = new HostDirBackend(dir, false);
  try {
    writeFileSync(join(dir, 'f'), Buffer.alloc(5000, 0x5a));
    const ram = new FakeRam(RAM_BASE, 1 << 20);
    const dev = new VirtioMmio({ base: 0x10001000, ram, device: new Virtio9p('host0', new NinepServer(backend)) });
    const drv = new Driver(dev, ram);
    assert.equal(drv.r(R.DeviceID), 9);
    assert.equal(drv.deviceFeatures() & 1n, 1n, 'VIRTIO_9P_MOUNT_TAG');
    assert.equal(dev.read(0x100, 2), 5);
    assert.equal(String.fromCharCode(...[0, 1, 2, 3, 4].map((i) => dev.read(0x102 + i, 1))), 'host0');
    drv.negotiate((1n << BigInt(F_VERSION_1)) | 1n);
    const q = drv.setupQueue(0, 16);
    drv.driverOk();
    const send = (msg: Uint8Array, split: number, replyParts: number[]): Uint8Array => {
      const a = drv.alloc(split), b = drv.alloc(Math.max(1, msg.length - split));
      ram.ram(a, split).set(msg.subarray(0, split));
      ram.ram(b, msg.length - split).set(msg.subarray(split));
      const outs = replyParts.map((len) => ({ addr: drv.alloc(len), len, write: true }));
      const head = q.add([{ addr: a, len: split, write: false }, { addr: b, len: msg.length - split, write: false }, ...outs]);
      drv.w(R.QueueNotify, 0);
      const used = q.takeUsed();
      assert.equal(used.length, 1);
      assert.equal(used[0]![0], head);
      const n = used[0]![1];
      const reply = new Uint8Array(n);
      let off = 0;
      for (const o of outs) { const k = Math.min(o.len, n - off); reply.set(ram.ram(o.addr, k), off); off += k; if (off === n) break; }
      return reply;
    };
    let r = send(tmsg(T.version, [...u32(8192), ...str('9P2000.L')]), 5, [64]);
    assert.equal(r[4], T.version + 1);
    assert.equal(new DataView(r.buffer).getUint32(7, true), 8192);
    r = send(tmsg(T.attach, [...u32(0), ...u32(NOFID), ...str(''), ...str(''), ...u32(0)]), 9, [64]);
    assert.equal(r[4], T.attach + 1);
    r = send(tmsg(T.walk, [...u32(0), ...u32(1), 1, 0, ...str('f')]), 7, [64]);
    assert.equal(r[4], T.walk + 1);
    r = send(tmsg(T.lopen, [...u32(1), ...u32(0)]), 11, [64]);
    assert.equal(r[4], T.lopen + 1);
    // a read with the reply in an 11-byte header buffer and two data pages, as Linux's zero-copy reads are laid out
    r = send(tmsg(T.read, [...u32(1), ...u64(0), ...u32(8000)]), 8, [11, 4096, 4096]);
    assert.equal(r[4], T.read + 1);
    const count = new DataView(r.buffer).getUint32(7, true);
    assert.equal(count, 5000);
    assert.ok(r.subarray(11).every((b) => b === 0x5a));
    // larger than the negotiated msize: refused as malformed, the device keeps serving
    const big = tmsg(T.write, [...u32(1), ...u64(0), ...u32(9000), ...new Array(9000).fill(1)]);
    r = send(big, 4096, [64]);
    assert.equal(r[4], T.lerror + 1);
    assert.equal(new DataView(r.buffer).getUint32(7, true), 22);
    r = send(tmsg(T.clunk, [...u32(1)]), 7, [64]);
    assert.equal(r[4], T.clunk + 1);
  } finally {
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
