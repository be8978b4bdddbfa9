// GDB remote serial protocol stub for rvkvm guests, on src/kvm's API only (ONE_REG for registers,
// KVM_TRANSLATE-like vcpu.translate() for the guest's MMU view, KVM_SET_GUEST_DEBUG-like setGuestDebug() for
// breakpoints and single-step). Browser-safe: bytes come and go through a GdbTransport, never `net`.
// It plugs into Machine.runUntilDone as its MachineDebugger: while GDB holds the guest stopped, the loop waits.
import { KvmError, RegType, regId, RegSize, type Vcpu, type Vm } from '../kvm/index.js';
import type { MachineDebugger, MachineState } from './machine.js';

/** A byte stream to one GDB (a TCP socket in Node, a WebSocket in a browser, a pair of queues in tests). */
export interface GdbTransport {
  send(bytes: Uint8Array): void;
  onData(cb: (bytes: Uint8Array) => void): void;
  onClose(cb: () => void): void;
  close(): void;
}

// ------------------------------------------------------------------ packet layer

/** Modulo-256 sum of the payload bytes (the two hex digits after '#'). */
export function checksum(payload: Uint8Array): number {
  let sum = 0;
  for (const b of payload) sum = (sum + b) & 0xff;
  return sum;
}

const ESCAPE = 0x7d; // '}'
const NEEDS_ESCAPE = new Set([0x23, 0x24, 0x7d, 0x2a]); // '#', '$', '}', '*'

/** Frames a payload as `$data#cc`, escaping '#', '$', '}' and '*' as '}' followed by the byte XOR 0x20. */
export function encodePacket(payload: Uint8Array | string): Uint8Array {
  const raw = typeof payload === 'string' ? latin1(payload) : payload;
  const body: number[] = [];
  for (const b of raw) {
    if (NEEDS_ESCAPE.has(b)) body.push(ESCAPE, b ^ 0x20);
    else body.push(b);
  }
  const bytes = new Uint8Array(body);
  return latin1(`$${fromLatin1(bytes)}#${hex2(checksum(bytes))}`);
}

export type GdbInput =
  | { kind: 'packet'; payload: Uint8Array }
  | { kind: 'bad-checksum'; expected: number; got: number }
  | { kind: 'too-long'; limit: number }
  | { kind: 'ack' }
  | { kind: 'nack' }
  | { kind: 'interrupt' };

/** Largest packet body (the bytes between '$' and '#', as sent) the stub takes; qSupported says so (PacketSize). */
export const GDB_PACKET_SIZE = 0x4000;
/** Largest body after run-length expansion: GDB compresses only runs in replies; a request this long is garbage. */
export const GDB_DECODED_SIZE = 4 * GDB_PACKET_SIZE;

/**
 * Splits the incoming byte stream into packets (unescaped, run-length expanded), acks, nacks and Ctrl-C.
 * Bytes outside a packet other than '+', '-' and 0x03 are ignored, as GDB's own stubs do. A body longer than
 * GDB_PACKET_SIZE (a peer that never sends '#', or ignores PacketSize) is dropped, once reported, up to its
 * checksum or the next '$': the reader never holds more than one packet's worth of bytes.
 */
export class PacketReader {
  private state: 'idle' | 'body' | 'sum1' | 'sum2' | 'drop' | 'dropSum1' | 'dropSum2' = 'idle';
  private readonly body = new Uint8Array(GDB_PACKET_SIZE);
  private len = 0;
  private sumHex = '';

  push(bytes: Uint8Array): GdbInput[] {
    const out: GdbInput[] = [];
    for (const b of bytes) {
      switch (this.state) {
        case 'idle':
          if (b === 0x24) { this.state = 'body'; this.len = 0; }
          else if (b === 0x2b) out.push({ kind: 'ack' });
          else if (b === 0x2d) out.push({ kind: 'nack' });
          else if (b === 0x03) out.push({ kind: 'interrupt' });
          break;
        case 'body':
          if (b === 0x23) { this.state = 'sum1'; this.sumHex = ''; }
          else if (this.len < GDB_PACKET_SIZE) this.body[this.len++] = b;
          else { this.state = 'drop'; out.push({ kind: 'too-long', limit: GDB_PACKET_SIZE }); }
          break;
        case 'sum1':
          this.sumHex = String.fromCharCode(b); this.state = 'sum2';
          break;
        case 'sum2': {
          this.sumHex += String.fromCharCode(b);
          this.state = 'idle';
          const raw = this.body.subarray(0, this.len);
          const got = /^[0-9a-fA-F]{2}$/.test(this.sumHex) ? parseInt(this.sumHex, 16) : -1;
          const expected = checksum(raw);
          if (got !== expected) { out.push({ kind: 'bad-checksum', expected, got }); break; }
          const payload = decodeBody(raw);
          out.push(payload === null ? { kind: 'too-long', limit: GDB_DECODED_SIZE } : { kind: 'packet', payload });
          break;
        }
        case 'drop': // a raw '$' cannot be inside a packet: the next one starts there
          if (b === 0x24) { this.state = 'body'; this.len = 0; }
          else if (b === 0x23) this.state = 'dropSum1';
          break;
        case 'dropSum1': this.state = 'dropSum2'; break;
        case 'dropSum2': this.state = 'idle'; break;
      }
    }
    return out;
  }
}

/**
 * Undoes '}' escapes and expands run-length encoding ('*' + count char: repeat the previous byte count-29 times).
 * null when the result would be longer than `limit` bytes.
 */
export function decodeBody(raw: Uint8Array, limit = GDB_DECODED_SIZE): Uint8Array | null {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === ESCAPE && i + 1 < raw.length) out.push(raw[++i]! ^ 0x20);
    else if (b === 0x2a && out.length > 0 && i + 1 < raw.length) {
      const n = raw[++i]! - 29;
      if (out.length + Math.max(n, 0) > limit) return null;
      const prev = out[out.length - 1]!;
      for (let k = 0; k < n; k++) out.push(prev);
    } else out.push(b);
    if (out.length > limit) return null;
  }
  return new Uint8Array(out);
}

// ------------------------------------------------------------------ registers

/** GDB's RISC-V register numbers: x0-x31 0..31, pc 32, f0-f31 33..64, CSR n at 65+n, priv 4161. */
const PC_REGNUM = 32;
const FPR_BASE = 33;
const CSR_BASE = 65;
const PRIV_REGNUM = 4161;
const ABI_NAMES = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 'fp', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];
const FPR_NAMES = ['ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4',
  'fa5', 'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11'];
/** S-level CSRs KVM exposes as ONE_REG CSR GENERAL registers: name, CSR number, ONE_REG index. */
const KVM_CSRS: readonly { name: string; csr: number; index: number }[] = [
  { name: 'sstatus', csr: 0x100, index: 0 }, { name: 'sie', csr: 0x104, index: 1 }, { name: 'stvec', csr: 0x105, index: 2 },
  { name: 'sscratch', csr: 0x140, index: 3 }, { name: 'sepc', csr: 0x141, index: 4 }, { name: 'scause', csr: 0x142, index: 5 },
  { name: 'stval', csr: 0x143, index: 6 }, { name: 'sip', csr: 0x144, index: 7 }, { name: 'satp', csr: 0x180, index: 8 },
  { name: 'scounteren', csr: 0x106, index: 9 }, { name: 'senvcfg', csr: 0x10a, index: 10 },
];
const FCSR_INDEX = 32;

interface GdbReg {
  name: string;
  regnum: number;
  bytes: 4 | 8;
  feature: 'cpu' | 'fpu' | 'csr' | 'virtual';
  type: string;
  get(v: Vcpu): bigint;
  set(v: Vcpu, value: bigint): void;
}

/** The register set this vCPU has: probed through ONE_REG, so only enabled extensions' registers appear. */
export function registerTable(vcpu: Vcpu): GdbReg[] {
  const core = (i: number): bigint => regId(RegType.CORE, 0, i);
  const regs: GdbReg[] = [];
  for (let i = 0; i < 32; i++) {
    regs.push({
      name: ABI_NAMES[i]!, regnum: i, bytes: 8, feature: 'cpu', type: i === 1 ? 'code_ptr' : i === 2 || i === 8 ? 'data_ptr' : 'int',
      get: (v) => (i === 0 ? 0n : v.getOneReg(core(i))),
      set: (v, x) => { if (i !== 0) v.setOneReg(core(i), x); },
    });
  }
  regs.push({ name: 'pc', regnum: PC_REGNUM, bytes: 8, feature: 'cpu', type: 'code_ptr', get: (v) => v.getOneReg(core(0)), set: (v, x) => v.setOneReg(core(0), x) });
  const exts = new Set(vcpu.enabledExtensions());
  const fpType = exts.has('d') ? RegType.FP_D : exts.has('f') ? RegType.FP_F : null;
  if (fpType !== null) {
    const wide = fpType === RegType.FP_D;
    const size = wide ? RegSize.U64 : RegSize.U32;
    for (let i = 0; i < 32; i++) {
      const id = regId(fpType, 0, i, size);
      regs.push({ name: FPR_NAMES[i]!, regnum: FPR_BASE + i, bytes: wide ? 8 : 4, feature: 'fpu', type: wide ? 'ieee_double' : 'ieee_single',
        get: (v) => v.getOneReg(id), set: (v, x) => v.setOneReg(id, x) });
    }
    const fcsr = regId(fpType, 0, FCSR_INDEX, RegSize.U32);
    const field = (name: string, csr: number, shift: bigint, mask: bigint): GdbReg => ({
      name, regnum: CSR_BASE + csr, bytes: 4, feature: 'fpu', type: 'int',
      get: (v) => (v.getOneReg(fcsr) >> shift) & mask,
      set: (v, x) => v.setOneReg(fcsr, (v.getOneReg(fcsr) & ~(mask << shift)) | ((x & mask) << shift)),
    });
    regs.push(field('fflags', 0x001, 0n, 0x1fn), field('frm', 0x002, 5n, 0x7n), field('fcsr', 0x003, 0n, 0xffn));
  }
  for (const c of KVM_CSRS) {
    const id = regId(RegType.CSR, 0, c.index);
    try { vcpu.getOneReg(id); } catch (e) { if (e instanceof KvmError) continue; throw e; }
    regs.push({ name: c.name, regnum: CSR_BASE + c.csr, bytes: 8, feature: 'csr', type: 'int', get: (v) => v.getOneReg(id), set: (v, x) => v.setOneReg(id, x) });
  }
  const mode = core(32);
  regs.push({ name: 'priv', regnum: PRIV_REGNUM, bytes: 8, feature: 'virtual', type: 'int', get: (v) => v.getOneReg(mode), set: (v, x) => v.setOneReg(mode, x) });
  return regs;
}

const FEATURE_NAMES = { cpu: 'org.gnu.gdb.riscv.cpu', fpu: 'org.gnu.gdb.riscv.fpu', csr: 'org.gnu.gdb.riscv.csr', virtual: 'org.gnu.gdb.riscv.virtual' } as const;

/** qXfer:features:read:target.xml: one <feature> per register group present. */
export function targetXml(regs: readonly GdbReg[]): string {
  const lines = ['<?xml version="1.0"?>', '<!DOCTYPE target SYSTEM "gdb-target.dtd">', '<target version="1.0">', '<architecture>riscv:rv64</architecture>'];
  for (const feature of ['cpu', 'fpu', 'csr', 'virtual'] as const) {
    const members = regs.filter((r) => r.feature === feature);
    if (members.length === 0) continue;
    lines.push(`<feature name="${FEATURE_NAMES[feature]}">`);
    for (const r of members) {
      const group = feature === 'csr' ? ' group="system"' : feature === 'virtual' ? ' group="system"' : '';
      lines.push(`  <reg name="${r.name}" bitsize="${r.bytes * 8}" type="${r.type}" regnum="${r.regnum}"${group}/>`);
    }
    lines.push('</feature>');
  }
  lines.push('</target>');
  return lines.join('\n') + '\n';
}

// ------------------------------------------------------------------ the stub

export interface GdbStubOptions {
  /** Hold the guest before its first instruction until GDB continues it (QEMU's -S). */
  waitForAttach?: boolean;
  /** GDB sent 'k': end the guest. */
  onKill?: () => void;
  /** Diagnostics (connects, protocol errors). */
  log?: (msg: string) => void;
}

/** GDB thread ids are vCPU index + 1 (0 and -1 mean "any" / "all"). */
type ThreadId = number;

export class GdbStub implements MachineDebugger {
  private transport: GdbTransport | null = null;
  private readonly reader = new PacketReader();
  private noAck = false;
  private lastSent: Uint8Array | null = null;
  private halted: boolean;
  private release: (() => void) | null = null;
  private holding: Promise<void> | null = null;
  /** GDB sent c/s and waits for a stop reply */
  private awaitingStop = false;
  private lastStop = { signal: 5, thread: 1 };
  private generalThread: ThreadId = 1;
  private readonly breakpoints = new Set<bigint>();
  private regs: GdbReg[] | null = null;
  private exited = false;

  constructor(private readonly target: { readonly vm: Vm; readonly vcpus: readonly Vcpu[] }, private readonly opts: GdbStubOptions = {}) {
    if (target.vcpus.length === 0) throw new Error('gdb stub: the machine has no vCPUs');
    this.halted = opts.waitForAttach === true;
  }

  get attached(): boolean {
    return this.transport !== null;
  }

  /** Accepts one GDB connection (a second one is refused while the first is open). Returns false if refused. */
  attach(transport: GdbTransport): boolean {
    if (this.transport) return false;
    this.transport = transport;
    this.noAck = false;
    this.lastSent = null;
    // GDB expects a stopped target when it connects (as QEMU stops the VM)
    if (!this.halted) this.stop(2, this.generalThread);
    transport.onData((bytes) => this.receive(bytes));
    transport.onClose(() => this.detached());
    this.opts.log?.('gdb attached');
    return true;
  }

  // ---- MachineDebugger
  hold(): Promise<void> | null {
    if (!this.halted) return null;
    this.holding ??= new Promise<void>((resolve) => { this.release = resolve; });
    return this.holding;
  }

  debugStop(state: Extract<MachineState, { kind: 'debug' }>): void {
    this.stop(5, state.vcpu + 1);
  }

  /** The guest powered off / reset / failed: tell GDB the process exited. */
  guestExited(code: number): void {
    this.exited = true;
    if (this.transport) this.send(`W${hex2(code & 0xff)}`);
  }

  // ---- run control
  private stop(signal: number, thread: number): void {
    this.halted = true;
    this.lastStop = { signal, thread };
    this.generalThread = thread;
    for (const v of this.target.vcpus) v.setGuestDebug({ breakpoints: [] });
    if (this.awaitingStop) {
      this.awaitingStop = false;
      this.send(this.stopReply());
    }
  }

  private resume(step: ThreadId | null): void {
    const bps = [...this.breakpoints];
    this.target.vcpus.forEach((v, i) => v.setGuestDebug({ breakpoints: bps, singleStep: step === i + 1 }));
    this.halted = false;
    this.awaitingStop = true;
    const release = this.release;
    this.release = null;
    this.holding = null;
    release?.();
  }

  private detached(): void {
    if (!this.transport) return;
    this.transport = null;
    this.breakpoints.clear();
    this.awaitingStop = false;
    this.opts.log?.('gdb detached');
    if (this.halted && !this.exited) this.resume(null);
    this.awaitingStop = false;
  }

  private stopReply(): string {
    if (this.exited) return 'W00';
    return `T${hex2(this.lastStop.signal)}thread:${this.lastStop.thread.toString(16)};`;
  }

  // ---- bytes in / out
  private receive(bytes: Uint8Array): void {
    for (const input of this.reader.push(bytes)) {
      switch (input.kind) {
        case 'ack': break;
        case 'nack': if (this.lastSent && !this.noAck) this.transport?.send(this.lastSent); break;
        case 'interrupt': if (!this.halted) this.stop(2, this.generalThread); break;
        case 'bad-checksum':
          this.opts.log?.(`gdb packet with checksum ${input.got.toString(16)}, expected ${input.expected.toString(16)}`);
          if (!this.noAck) this.transport?.send(latin1('-'));
          break;
        case 'too-long':
          // not acknowledged: a GDB that honours PacketSize never sends one, so this peer is not speaking the protocol
          this.opts.log?.(`gdb: dropped a packet longer than ${input.limit} bytes (the stub's PacketSize is ${GDB_PACKET_SIZE})`);
          break;
        case 'packet':
          if (!this.noAck) this.transport?.send(latin1('+'));
          this.handle(fromLatin1(input.payload), input.payload);
          break;
      }
    }
  }

  private send(payload: string | Uint8Array): void {
    if (!this.transport) return;
    const bytes = encodePacket(payload);
    this.lastSent = bytes;
    this.transport.send(bytes);
  }

  // ---- commands
  private handle(cmd: string, raw: Uint8Array): void {
    let reply: string | Uint8Array | null;
    try {
      reply = this.command(cmd, raw);
    } catch (e) {
      if (!(e instanceof GdbError || e instanceof KvmError)) throw e;
      this.opts.log?.(`gdb '${cmd.slice(0, 40)}': ${e.message}`);
      reply = e instanceof GdbError ? `E${hex2(e.code)}` : 'E0e';
    }
    if (reply !== null) this.send(reply);
  }

  /** Handles one packet; returns the reply, or null when the reply comes later (a stop) or never (k). */
  private command(cmd: string, raw: Uint8Array): string | Uint8Array | null {
    const vcpu = (): Vcpu => this.vcpuFor(this.generalThread);
    switch (cmd[0]) {
      case '?': return this.stopReply();
      case 'g': return this.table().filter((r) => r.regnum <= PC_REGNUM).map((r) => leHex(r.get(vcpu()), r.bytes)).join('');
      case 'G': {
        const data = cmd.slice(1);
        let off = 0;
        for (const r of this.table().filter((x) => x.regnum <= PC_REGNUM)) {
          if (off + r.bytes * 2 > data.length) break;
          r.set(vcpu(), parseLeHex(data.slice(off, off + r.bytes * 2)));
          off += r.bytes * 2;
        }
        return 'OK';
      }
      case 'p': {
        const r = this.reg(parseHex(cmd.slice(1), 'register number'));
        return leHex(r.get(vcpu()), r.bytes);
      }
      case 'P': {
        const [n, v] = splitOnce(cmd.slice(1), '=');
        const r = this.reg(parseHex(n, 'register number'));
        if (v.length !== r.bytes * 2) throw new GdbError(0x16, `register ${r.name} takes ${r.bytes} bytes, got ${v.length / 2}`);
        r.set(vcpu(), parseLeHex(v));
        return 'OK';
      }
      case 'm': {
        const [a, l] = splitOnce(cmd.slice(1), ',');
        const bytes = this.readMemory(vcpu(), parseHex(a, 'address'), Number(parseHex(l, 'length')));
        return [...bytes].map(hex2).join('');
      }
      case 'M': {
        const [spec, data] = splitOnce(cmd.slice(1), ':');
        const [a, l] = splitOnce(spec, ',');
        const len = Number(parseHex(l, 'length'));
        if (data.length !== len * 2 || !/^[0-9a-fA-F]*$/.test(data)) throw new GdbError(0x16, `M: ${len} bytes announced, ${data.length / 2} hex bytes given`);
        const bytes = new Uint8Array(len);
        for (let i = 0; i < len; i++) bytes[i] = parseInt(data.slice(2 * i, 2 * i + 2), 16);
        this.writeMemory(vcpu(), parseHex(a, 'address'), bytes);
        return 'OK';
      }
      case 'X': {
        const colon = raw.indexOf(0x3a);
        if (colon < 0) throw new GdbError(0x16, 'X: missing ":"');
        const [a, l] = splitOnce(fromLatin1(raw.subarray(1, colon)), ',');
        const data = raw.subarray(colon + 1);
        const len = Number(parseHex(l, 'length'));
        if (data.length !== len) throw new GdbError(0x16, `X: ${len} bytes announced, ${data.length} given`);
        this.writeMemory(vcpu(), parseHex(a, 'address'), data);
        return 'OK';
      }
      case 'Z': case 'z': {
        const [type, addr, kind] = cmd.slice(1).split(',');
        if (type !== '0' && type !== '1') return ''; // watchpoints: not supported (empty reply)
        const pc = parseHex(addr ?? '', 'breakpoint address');
        if (kind !== '2' && kind !== '4') throw new GdbError(0x16, `breakpoint kind '${kind}': expected 2 or 4 bytes`);
        if (pc & 1n) throw new GdbError(0x16, `breakpoint 0x${pc.toString(16)} is not 2-byte aligned`);
        if (cmd[0] === 'Z') this.breakpoints.add(pc); else this.breakpoints.delete(pc);
        return 'OK';
      }
      case 'c': case 's': case 'C': case 'S': {
        const step = cmd[0] === 's' || cmd[0] === 'S';
        const arg = cmd[0] === 'C' || cmd[0] === 'S' ? cmd.slice(1).split(';')[1] : cmd.slice(1);
        if (arg) vcpu().setOneReg(regId(RegType.CORE, 0, 0), parseHex(arg, 'resume address'));
        return this.resumeOrExit(step ? this.generalThread : null);
      }
      case 'v': return this.vPacket(cmd);
      case 'H': {
        const t = parseThread(cmd.slice(2));
        if (t > 0) this.vcpuFor(t);
        if (t > 0) this.generalThread = t;
        return 'OK';
      }
      case 'T': this.vcpuFor(parseThread(cmd.slice(1))); return 'OK';
      case 'D': {
        this.send('OK');
        const t = this.transport;
        this.detached();
        t?.close();
        return null;
      }
      case 'k': {
        const t = this.transport;
        this.detached();
        t?.close();
        this.opts.onKill?.();
        return null;
      }
      case 'q': case 'Q': return this.query(cmd);
      default: return '';
    }
  }

  private resumeOrExit(step: ThreadId | null): string | null {
    if (this.exited) return 'W00';
    this.resume(step);
    return null;
  }

  private vPacket(cmd: string): string | null {
    if (cmd === 'vCont?') return 'vCont;c;C;s;S';
    if (cmd === 'vMustReplyEmpty') return '';
    if (!cmd.startsWith('vCont;')) return '';
    // vCont;action[:thread];... : the first action naming a thread (or the default) wins, as in all-stop GDB stubs
    let step: ThreadId | null = null;
    for (const part of cmd.slice(6).split(';')) {
      const [action, thread] = part.split(':');
      const kind = action?.[0];
      if (kind === 's' || kind === 'S') {
        const t = thread === undefined ? this.generalThread : parseThread(thread);
        step = t > 0 ? t : this.generalThread;
        this.vcpuFor(step);
        break;
      }
      if (kind !== 'c' && kind !== 'C') throw new GdbError(0x16, `vCont action '${part}' is not supported`);
    }
    if (step !== null) this.generalThread = step;
    return this.resumeOrExit(step);
  }

  private query(cmd: string): string | null {
    if (cmd.startsWith('qSupported')) return `PacketSize=${GDB_PACKET_SIZE.toString(16)};qXfer:features:read+;QStartNoAckMode+;vContSupported+`;
    if (cmd === 'QStartNoAckMode') { this.send('OK'); this.noAck = true; return null; } // acked in ack mode, then none
    if (cmd === 'qAttached') return '1';
    if (cmd === 'qC') return `QC${this.generalThread.toString(16)}`;
    if (cmd === 'qfThreadInfo') return 'm' + this.target.vcpus.map((_, i) => (i + 1).toString(16)).join(',');
    if (cmd === 'qsThreadInfo') return 'l';
    if (cmd.startsWith('qThreadExtraInfo,')) {
      const t = parseThread(cmd.slice(17));
      const v = this.vcpuFor(t);
      return [...latin1(`vCPU ${v.id} (${v.powerState})`)].map(hex2).join('');
    }
    if (cmd === 'qSymbol::') return 'OK';
    if (cmd === 'qOffsets') return 'Text=0;Data=0;Bss=0';
    const xfer = /^qXfer:features:read:([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(cmd);
    if (xfer) {
      if (xfer[1] !== 'target.xml') throw new GdbError(0x00, `qXfer: no annex '${xfer[1]}'`);
      const doc = targetXml(this.table());
      const off = parseInt(xfer[2]!, 16), len = parseInt(xfer[3]!, 16);
      const chunk = doc.slice(off, off + len);
      return (off + len >= doc.length ? 'l' : 'm') + chunk;
    }
    return '';
  }

  // ---- helpers
  private table(): GdbReg[] {
    this.regs ??= registerTable(this.target.vcpus[0]!);
    return this.regs;
  }

  private reg(n: bigint): GdbReg {
    const r = this.table().find((x) => BigInt(x.regnum) === n);
    if (!r) throw new GdbError(0x0e, `register ${n} does not exist on this vCPU`);
    return r;
  }

  private vcpuFor(thread: ThreadId): Vcpu {
    const v = this.target.vcpus[(thread > 0 ? thread : 1) - 1];
    if (!v) throw new GdbError(0x16, `thread ${thread} does not exist (threads 1..${this.target.vcpus.length} are the vCPUs)`);
    return v;
  }

  /** Guest virtual memory through the vCPU's MMU view, page by page; stops at the first unmapped/non-RAM page. */
  private readMemory(vcpu: Vcpu, addr: bigint, len: number): Uint8Array {
    if (len > 0x10000) throw new GdbError(0x16, `memory read of ${len} bytes is too large`);
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const chunk = this.ramAt(vcpu, addr + BigInt(done), len - done);
      if (!chunk) break;
      out.set(chunk, done);
      done += chunk.length;
    }
    if (done === 0 && len > 0) throw new GdbError(0x0e, `0x${addr.toString(16)} is not mapped to guest RAM`);
    return out.subarray(0, done);
  }

  private writeMemory(vcpu: Vcpu, addr: bigint, data: Uint8Array): void {
    // translate every page first so a fault leaves memory untouched
    const pieces: { ram: Uint8Array; gpa: number; from: number }[] = [];
    let done = 0;
    while (done < data.length) {
      const at = addr + BigInt(done);
      const chunk = this.ramAt(vcpu, at, data.length - done);
      if (!chunk) throw new GdbError(0x0e, `0x${at.toString(16)} is not mapped to guest RAM`);
      pieces.push({ ram: chunk, gpa: vcpu.translate(at)!, from: done });
      done += chunk.length;
    }
    for (const p of pieces) {
      p.ram.set(data.subarray(p.from, p.from + p.ram.length));
      this.target.vm.memory.invalidate(p.gpa, p.ram.length); // drop code the hart decoded there
    }
  }

  /** RAM bytes for [va, va+len) up to the end of va's page, or null when unmapped or not RAM. */
  private ramAt(vcpu: Vcpu, va: bigint, len: number): Uint8Array | null {
    const va64 = BigInt.asUintN(64, va);
    const gpa = vcpu.translate(va64);
    if (gpa === null) return null;
    const n = Math.min(len, 4096 - Number(va64 & 0xfffn));
    try {
      return this.target.vm.ram(gpa, n);
    } catch (e) {
      if (e instanceof KvmError) return null;
      throw e;
    }
  }
}

/** A protocol-level refusal: replied as `Enn`. */
class GdbError extends Error {
  constructor(readonly code: number, message: string) { super(message); }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function fromLatin1(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

/** Register values travel as target-endian (little) hex bytes. */
function leHex(v: bigint, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += hex2(Number((v >> BigInt(8 * i)) & 0xffn));
  return s;
}

function parseLeHex(s: string): bigint {
  if (!/^([0-9a-fA-F]{2})+$/.test(s)) throw new GdbError(0x16, `'${s}' is not hex bytes`);
  let v = 0n;
  for (let i = s.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(parseInt(s.slice(i, i + 2), 16));
  return v;
}

function parseHex(s: string, what: string): bigint {
  if (!/^[0-9a-fA-F]{1,16}$/.test(s)) throw new GdbError(0x16, `${what} '${s}' is not a hex number`);
  return BigInt('0x' + s);
}

function parseThread(s: string): ThreadId {
  if (s === '-1') return -1;
  return Number(parseHex(s, 'thread id'));
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  if (i < 0) throw new GdbError(0x16, `'${s}': missing '${sep}'`);
  return [s.slice(0, i), s.slice(i + 1)];
}
