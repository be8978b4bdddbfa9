// Whole-VM snapshots: what a Machine is (a fingerprint of its configuration), its guest RAM (sparse: pages of
// zeros, which RAM never touched always is, are absent) and the state of the VM, every vCPU and every device,
// in a checked container (format.ts). Restoring goes into a Machine built from the same configuration that has
// not run yet: the file is checked as a whole, its sections decoded and compared with the machine (vCPUs, RAM,
// ISA, devices, their configuration spaces) before the machine is changed at all; caches (decoded and translated
// code, TLBs) are rebuilt. What a host keeps beside the machine (disk files, its command line) travels in an
// opaque 'host' section the host writes and checks itself.
import { MEMORY_MAP, type Machine } from '../machine.js';
import { VmmError } from '../errors.js';
import { SnapshotFile, writeSnapshotFile, type SnapshotCodec, type SectionInput } from './format.js';
import { decodeState, encodeState, SnapshotError, StateReader, type StateObject } from './value.js';

const PAGE = 4096;

export interface CaptureOptions {
  codec?: SnapshotCodec;
  /** the host's own record (src/cli: the run's options and its disk files), returned by readSnapshot */
  host?: StateObject;
}

/** What identifies a machine's configuration: a snapshot resumes only on a machine equal in all of these. */
function fingerprint(m: Machine): StateObject {
  return {
    memBytes: m.memBytes, vcpus: m.vcpus.length, isa: m.isaString, clock: m.vm.clock, abi: m.vm.abi, console: m.consoleDevice,
    devices: m.bus.list().map((d) => `${d.name}@0x${d.base.toString(16)}`),
  };
}

/** Takes a snapshot of a machine between run slices (never while Machine.step runs). */
export function captureSnapshot(m: Machine, opts: CaptureOptions = {}): Uint8Array {
  const state: StateObject = {
    fingerprint: fingerprint(m), machine: m.saveState(), vm: m.vm.saveState(),
    plic: m.plic.saveState(), uart: m.uart.saveState(), rtc: m.rtc.saveState(), virtio: m.virtio.map((v) => v.saveState()),
  };
  const sections: SectionInput[] = [
    { name: 'machine', data: encodeState(state), compress: true },
    { name: 'ram', data: encodeRam(m.vm.ram(MEMORY_MAP.ram.base, m.memBytes), MEMORY_MAP.ram.base), compress: true },
  ];
  if (opts.host) sections.push({ name: 'host', data: encodeState(opts.host), compress: true });
  return writeSnapshotFile(sections, opts.codec);
}

/**
 * RAM section: f64 guest physical base, f64 bytes, u32 pages present, a bitmap (bit per 4 KiB page, set = present),
 * then the present pages in address order. A page of zeros is absent.
 */
export function encodeRam(ram: Uint8Array, gpa: number): Uint8Array {
  const pages = ram.length / PAGE;
  const words = new Int32Array(ram.buffer, ram.byteOffset, ram.length >>> 2);
  const bitmap = new Uint8Array(Math.ceil(pages / 8));
  let present = 0;
  for (let p = 0; p < pages; p++) {
    const w0 = p * 1024;
    for (let k = w0; k < w0 + 1024; k++) {
      if (words[k] !== 0) { bitmap[p >>> 3]! |= 1 << (p & 7); present++; break; }
    }
  }
  const head = 20 + bitmap.length;
  const out = new Uint8Array(head + present * PAGE);
  const dv = new DataView(out.buffer);
  dv.setFloat64(0, gpa, true); dv.setFloat64(8, ram.length, true); dv.setUint32(16, present, true);
  out.set(bitmap, 20);
  let at = head;
  for (let p = 0; p < pages; p++) {
    if (bitmap[p >>> 3]! & (1 << (p & 7))) { out.set(ram.subarray(p * PAGE, p * PAGE + PAGE), at); at += PAGE; }
  }
  return out;
}

interface RamImage { gpa: number; bytes: number; bitmap: Uint8Array; data: Uint8Array; present: number }

function decodeRam(b: Uint8Array, what: string): RamImage {
  const fail = (): never => { throw new SnapshotError(`${what}: the RAM section is damaged`); };
  if (b.length < 20) fail();
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const gpa = dv.getFloat64(0, true), bytes = dv.getFloat64(8, true), present = dv.getUint32(16, true);
  if (!Number.isSafeInteger(gpa) || !Number.isSafeInteger(bytes) || bytes <= 0 || bytes % PAGE !== 0) fail();
  const pages = bytes / PAGE, blen = Math.ceil(pages / 8);
  if (b.length !== 20 + blen + present * PAGE) fail();
  const bitmap = b.subarray(20, 20 + blen);
  let count = 0;
  for (let i = 0; i < blen; i++) { let v = bitmap[i]!; while (v) { count += v & 1; v >>>= 1; } }
  if (count !== present) fail();
  return { gpa, bytes, bitmap, data: b.subarray(20 + blen), present };
}

/** A snapshot file checked and decoded, ready to restore (nothing of a machine touched yet). */
export interface LoadedSnapshot {
  readonly what: string;
  readonly state: StateReader;
  readonly ram: RamImage;
  /** the host's record, if the host wrote one */
  readonly host: StateObject | null;
  /** bytes of RAM present in the file (the rest is zeros) */
  readonly ramPresentBytes: number;
}

/** Checks and decodes a whole snapshot file; throws SnapshotError ("`what`: ...") on the first problem. */
export function readSnapshot(bytes: Uint8Array, what = 'snapshot', codec: SnapshotCodec = {}): LoadedSnapshot {
  const file = new SnapshotFile(bytes, what, codec);
  const state = StateReader.of(decodeState(file.section('machine'), 'machine'), 'machine');
  const ram = decodeRam(file.section('ram'), what);
  const host = file.has('host') ? StateReader.of(decodeState(file.section('host'), 'host'), 'host').obj : null;
  return { what, state, ram, host, ramPresentBytes: ram.present * PAGE };
}

/** Whether `m` is the machine the snapshot was taken of; the first difference as a sentence, or null. */
export function snapshotMismatch(m: Machine, snap: LoadedSnapshot): string | null {
  const saved = snap.state.sub('fingerprint'), now = fingerprint(m);
  const label: Record<string, string> = { memBytes: 'guest RAM (bytes)', vcpus: 'vCPUs', isa: 'ISA', clock: 'clock', abi: 'KVM ABI', console: 'console', devices: 'devices' };
  for (const key of Object.keys(now)) {
    const a = JSON.stringify(saved.value(key)), b = JSON.stringify(now[key]);
    if (a !== b) return `the snapshot's machine has ${label[key] ?? key} ${a}, this one ${b}`;
  }
  if (snap.ram.gpa !== MEMORY_MAP.ram.base || snap.ram.bytes !== m.memBytes) return `the snapshot's RAM is 0x${snap.ram.bytes.toString(16)} bytes at 0x${snap.ram.gpa.toString(16)}`;
  return null;
}

/**
 * Restores a checked snapshot into a machine built from the same configuration that has not run. Every check
 * (configuration, vCPU records, device types and configuration spaces) comes before the first change; should a
 * record still fail part way (an internal error: the file passed its checksum), the machine is marked broken
 * and never runs half restored.
 */
export function restoreSnapshot(m: Machine, snap: LoadedSnapshot): void {
  if (m.vcpus.some((v) => v.hasRun)) throw new VmmError('internal error: a snapshot is restored only into a machine that has not run');
  const mismatch = snapshotMismatch(m, snap);
  if (mismatch !== null) throw new SnapshotError(`${snap.what}: ${mismatch}; give the options it was saved with`);
  const s = snap.state;
  const virtio = s.records('virtio');
  if (virtio.length !== m.virtio.length) throw new SnapshotError(`${snap.what}: ${virtio.length} virtio devices saved, this machine has ${m.virtio.length}`);
  virtio.forEach((r, i) => {
    try { m.virtio[i]!.checkState(r); } catch (e) { throw new SnapshotError(`${snap.what}: ${(e as Error).message}`); }
  });
  const vmState = s.sub('vm').obj, plic = s.sub('plic'), uart = s.sub('uart'), rtc = s.sub('rtc'), own = s.sub('machine');
  try {
    const ram = m.vm.ram(snap.ram.gpa, snap.ram.bytes);
    ram.fill(0);
    const { bitmap, data } = snap.ram;
    let at = 0;
    for (let p = 0; p < snap.ram.bytes / PAGE; p++) {
      if (bitmap[p >>> 3]! & (1 << (p & 7))) { ram.set(data.subarray(at, at + PAGE), p * PAGE); at += PAGE; }
    }
    m.vm.memory.invalidate(snap.ram.gpa, snap.ram.bytes);
    m.vm.loadState(vmState);
    m.plic.loadState(plic);
    m.uart.loadState(uart);
    m.rtc.loadState(rtc);
    virtio.forEach((r, i) => m.virtio[i]!.loadState(r));
    m.loadState(own);
  } catch (e) {
    m.markBroken(`restoring ${snap.what} failed part way: ${(e as Error).message}`);
    throw new VmmError(`internal error: restoring ${snap.what} failed part way (the file passed its checks): ${(e as Error).message}`);
  }
}
