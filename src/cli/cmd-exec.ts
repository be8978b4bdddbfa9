// rvkvm exec FILE.elf: run a bare-metal RISC-V program on one M-mode hart (no KVM layer), riscv-tests/HTIF style.
// HTIF: the ELF's `tohost`/`fromhost` symbols. tohost is polled between bounded run slices (EXEC_SLICE
// instructions): 1 = pass (exit 0); other odd v = fail "test v>>1 failed"; even non-zero = pointer to a
// syscall block [which, a0, a1, a2] (64-bit words): SYS_write (64) prints, SYS_exit (93) exits; the request is
// acknowledged by writing 1 to fromhost and clearing tohost.
// --signature FILE writes the memory between the ELF's begin_signature and end_signature symbols when the program
// stops through HTIF, in Spike's +signature format (formatSignature), so RISCOF can use rvkvm as its DUT.
// Every run is bounded: by --max-insns (retired instructions), by --timeout (host seconds, checked between slices,
// which are short because traps count against a slice's budget too), and a hart that keeps re-entering a trap
// handler that faults itself is reported as the trap loop it is.
import { parseMemSize } from './sizes.js';
import { writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import type { Command } from './main.js';
import { readBoundedInput } from './read-input.js';
import { GuestMemory, Hart, Exit, Clint, type JitStats } from '../hart/index.js';
import { CLINT_SIZE } from '../hart/clint.js';
import { parseElf, EM_RISCV } from '../vmm/elf.js';
// the exits module alone: exec needs none of the vCPU (and loading it is start-up time)
import { describeTrapLoop, TRAP_LOOP_REPEATS } from '../kvm/exits.js';
import { extensionByName, parseIsaString } from '../isa/index.js';
import { formatProfileReport, type ProfileReport } from '../hart/profile.js';
import {
  InstructionTracer, TraceError, parseTraceExtensions, parseTraceModes, parseTraceRange, type TraceFilter,
} from '../hart/trace.js';

export const RAM_BASE = 0x80000000;
export const CLINT_BASE = 0x2000000;
const EXEC_SLICE = 20000;
const JIT_HOT_SLICE_MIN = 1000;
/** a bare-metal program is often a short test: the interpreter's warm-up (HartOptions.warmupAfter) waits until it
 *  has run this long (about 0.1 s interpreted), so a short one does not pay for it (measured: 0.6 s of a 1 s run) */
const EXEC_WARMUP_AFTER = 5_000_000;
const DEFAULT_EXEC_RAM = 128 * 1024 * 1024;
/** rvkvm exec's --timeout default, in seconds: far beyond the longest test program or benchmark (about 30 s
 *  interpreted), short enough that a program that never reports through HTIF does not run on unnoticed */
export const EXEC_DEFAULT_TIMEOUT_S = 600;
const SYS_WRITE = 64, SYS_EXIT = 93;

export class ExecError extends Error {
  override name = 'ExecError';
}

export interface ExecOptions {
  isa?: string;
  maxInstructions?: number;
  /** wall-clock bound in milliseconds (default: none) */
  timeoutMs?: number;
  ramBytes?: number;
  clock?: 'wall' | 'icount';
  /** console output (SYS_write to fd 1 or 2) */
  write?: (fd: number, bytes: Uint8Array) => void;
  /** count retired instructions per extension / mode and illegal traps (ExecResult.profile) */
  profile?: boolean;
  /** trace retired instructions (Spike commit-log lines); the caller flushes it */
  tracer?: InstructionTracer;
  /** translate hot code to WebAssembly (default true), and after how many instructions in a page */
  jit?: boolean;
  jitHot?: number;
  /** HartOptions.jitOptHot (0: every translation optimizing, for tests) */
  jitOptHot?: number;
  /** instructions per hart.run() call between HTIF polls (default EXEC_SLICE) */
  pollInstructions?: number;
  /** VLEN of the vector unit with V / Zve* (default 128) */
  vlen?: number;
  /** where RAM starts (default RAM_BASE); ramBytes is its size */
  ramBase?: number;
  /** misaligned loads/stores: done by the hart (default) or address-misaligned exceptions */
  misaligned?: 'emulate' | 'trap';
  /** read the signature region (begin_signature .. end_signature) when the program stops: ExecResult.signature */
  signature?: boolean;
}

export interface ExecResult {
  exitCode: number;
  /** the failure message, if the program reported one */
  message?: string;
  instret: number;
  seconds: number;
  profile?: ProfileReport;
  /** what the translator to WebAssembly did */
  jit: JitStats;
  /** the bytes between begin_signature and end_signature when the program stopped (with opts.signature) */
  signature?: Uint8Array;
}

/**
 * Spike's +signature text: `granularity` bytes a line, each line the hex of those bytes read as one
 * little-endian number (the highest address first), lower-case, zero-padded; a last partial line is padded
 * with zero bytes at its high end.
 */
export function formatSignature(bytes: Uint8Array, granularity: number): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += granularity) {
    let line = '';
    for (let j = granularity - 1; j >= 0; j--) line += (i + j < bytes.length ? bytes[i + j]! : 0).toString(16).padStart(2, '0');
    lines.push(line);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** `--ram BASE,SIZE`: BASE a page-aligned address (0x.. or decimal), SIZE as --mem spells it */
export function parseRamOption(text: string | undefined): { base: number; bytes: number } {
  const m = /^\s*(0x[0-9a-f_]+|\d[\d_]*)\s*,\s*(\S+)\s*$/i.exec(text ?? '');
  if (!m) throw new ExecError(`--ram '${text ?? ''}': expected BASE,SIZE (e.g. 0x80000000,128M)`);
  const base = Number(m[1]!.replace(/_/g, ''));
  const bytes = parseMemSize(m[2], '--ram SIZE');
  const hex = (v: number) => `0x${v.toString(16)}`;
  if (!Number.isSafeInteger(base) || base % 4096 !== 0) throw new ExecError(`--ram base ${m[1]} is not a multiple of 4096 (a page)`);
  if (bytes <= 0 || bytes % 4096 !== 0) throw new ExecError(`--ram size ${m[2]} is not a positive multiple of 4096 bytes`);
  if (bytes > 4 * 1024 * 1024 * 1024 - (64 << 20)) throw new ExecError(`--ram size ${m[2]} exceeds the 4 GiB WebAssembly memory (less the hart's state)`);
  if (base + bytes > 2 ** 53) throw new ExecError(`--ram ${hex(base)}+${hex(bytes)} ends above 2^53, the highest physical address`);
  if (base < CLINT_BASE + CLINT_SIZE && CLINT_BASE < base + bytes) {
    throw new ExecError(`--ram ${hex(base)}..${hex(base + bytes)} overlaps the CLINT at ${hex(CLINT_BASE)}..${hex(CLINT_BASE + CLINT_SIZE)}`);
  }
  return { base, bytes };
}

/** Run an ELF image to completion (the exec code path, usable from tests). */
export function execElf(bytes: Uint8Array, opts: ExecOptions = {}): ExecResult {
  const elf = parseElf(bytes);
  if (elf.machine !== EM_RISCV) throw new ExecError(`not a RISC-V ELF (e_machine ${elf.machine})`);
  const isa = parseIsaString(opts.isa ?? 'rv64gc');
  if (isa.xlen !== 64) throw new ExecError(`ISA '${opts.isa}' is not RV64; the hart is RV64 only`);
  const ramBytes = opts.ramBytes ?? DEFAULT_EXEC_RAM;
  const ramBase = opts.ramBase ?? RAM_BASE;
  const mem = new GuestMemory({ maxRamBytes: ramBytes });
  mem.addRam(ramBase, ramBytes);
  for (const seg of elf.segments) {
    if (seg.memSize === 0n) continue;
    const base = Number(seg.paddr), end = base + Number(seg.memSize);
    if (base < ramBase || end > ramBase + ramBytes) {
      throw new ExecError(`segment at 0x${seg.paddr.toString(16)} (+0x${seg.memSize.toString(16)}) is outside RAM 0x${ramBase.toString(16)}..0x${(ramBase + ramBytes).toString(16)}${opts.ramBase === undefined ? ' (--ram BASE,SIZE puts RAM elsewhere)' : ''}`);
    }
    const view = mem.ram(base, end - base);
    view.fill(0);
    view.set(seg.data);
  }
  const hart = new Hart({
    memory: mem, isa: isa.extensions, hartId: 0, clock: opts.clock ?? 'icount', warmupAfter: EXEC_WARMUP_AFTER,
    ...(opts.jit !== undefined ? { jit: opts.jit } : {}), ...(opts.jitHot !== undefined ? { jitHot: opts.jitHot } : {}),
    ...(opts.jitOptHot !== undefined ? { jitOptHot: opts.jitOptHot } : {}),
    ...(opts.vlen !== undefined ? { vlen: opts.vlen } : {}), ...(opts.misaligned ? { misaligned: opts.misaligned } : {}),
  });
  mem.addMmio(CLINT_BASE, CLINT_SIZE, new Clint([hart]));
  hart.setPc(elf.entry);
  if (opts.profile) hart.setProfiling(true);
  if (opts.tracer) hart.setTracer(opts.tracer);

  const tohostSym = elf.symbols.get('tohost');
  const fromhostSym = elf.symbols.get('fromhost');
  if (!tohostSym) throw new ExecError("the ELF has no 'tohost' symbol (HTIF is how the program reports its result)");
  if (mem.hostOffset(Number(tohostSym.value), 8) < 0) {
    throw new ExecError(`the ELF's 'tohost' symbol (0x${tohostSym.value.toString(16)}) is not inside RAM`);
  }
  if (fromhostSym && mem.hostOffset(Number(fromhostSym.value), 8) < 0) {
    throw new ExecError(`the ELF's 'fromhost' symbol (0x${fromhostSym.value.toString(16)}) is not inside RAM`);
  }
  const sigRange = opts.signature ? signatureRange(elf.symbols, mem) : undefined;
  const tohost = mem.ram(Number(tohostSym.value), 8);
  const tohostView = new DataView(tohost.buffer, tohost.byteOffset, 8);
  const fromhostAddr = fromhostSym ? Number(fromhostSym.value) : -1;
  const write = opts.write ?? (() => {});

  const max = opts.maxInstructions ?? 1e10;
  const t0 = performance.now();
  const done = (exitCode: number, message?: string): ExecResult => {
    const seconds = (performance.now() - t0) / 1000;
    const profile = hart.profileReport();
    const signature = sigRange ? mem.ram(sigRange.begin, sigRange.bytes).slice() : undefined;
    return { exitCode, message, instret: hart.instret, seconds, jit: { ...hart.jitStats }, ...(profile ? { profile } : {}), ...(signature ? { signature } : {}) };
  };
  // work = instructions retired + traps taken (hart.run(n) returns Exit.Budget after n of them): the budget
  // also ends a program that only traps (a trap vector that faults again retires nothing)
  const timeoutMs = opts.timeoutMs ?? Infinity;
  // the hart decides on translating a page when it enters one, and a run() slice enters the current page anew:
  // with --jit-hot, slices no longer than N (at least JIT_HOT_SLICE_MIN, for speed) let a small program that
  // never leaves its page be translated too
  const pollEvery = opts.pollInstructions ?? (opts.jitHot !== undefined ? Math.min(EXEC_SLICE, Math.max(JIT_HOT_SLICE_MIN, opts.jitHot)) : EXEC_SLICE);
  let work = 0;
  for (;;) {
    const left = max - work;
    if (left <= 0) {
      const traps = work - hart.instret;
      throw new ExecError(`the program did not finish within --max-insns ${max} instructions (pc 0x${hart.getPc().toString(16)}${traps > 0 ? `; ${traps} of them were traps taken` : ''})`);
    }
    if (performance.now() - t0 > timeoutMs) {
      throw new ExecError(`the program did not finish within --timeout ${timeoutMs / 1000} s (${hart.instret} instructions retired, pc 0x${hart.getPc().toString(16)})`);
    }
    const slice = Math.min(left, pollEvery);
    const exit = hart.run(slice);
    work += slice;
    const loop = hart.trapLoop(TRAP_LOOP_REPEATS);
    if (loop !== null) throw new ExecError(`hart 0: ${describeTrapLoop(loop)}`);
    if (exit === Exit.Wfi) throw new ExecError(`the hart waits (WFI) for an interrupt that can never arrive (pc 0x${hart.getPc().toString(16)})`);
    if (exit === Exit.Mmio) throw new ExecError(`access to an unhandled device at 0x${hart.mmio.addr.toString(16)}`);
    if (exit === Exit.MachineTrap) throw new ExecError('unexpected machine trap exit from an M-mode hart');
    // re-take the view: RAM may have been re-mapped if the memory grew
    const tv = tohostView.buffer === mem.memory.buffer ? tohostView : new DataView(mem.ram(Number(tohostSym.value), 8).buffer, mem.ram(Number(tohostSym.value), 8).byteOffset, 8);
    const v = tv.getBigUint64(0, true);
    if (v === 0n) continue;
    if (v & 1n) {
      if (v === 1n) return done(0);
      const code = Number((v >> 1n) & 0xffn) || 1;
      return done(code, `test ${v >> 1n} failed`);
    }
    // syscall block
    const blockAddr = Number(v);
    let words: DataView;
    try {
      const b = mem.ram(blockAddr, 32);
      words = new DataView(b.buffer, b.byteOffset, 32);
    } catch {
      throw new ExecError(`tohost holds 0x${v.toString(16)}, which is neither a result nor a pointer into RAM`);
    }
    const which = Number(words.getBigUint64(0, true));
    const a0 = words.getBigUint64(8, true), a1 = words.getBigUint64(16, true), a2 = words.getBigUint64(24, true);
    if (which === SYS_EXIT) return done(Number(a0 & 0xffn), a0 === 0n ? undefined : `exit code ${a0}`);
    if (which !== SYS_WRITE) throw new ExecError(`unsupported HTIF syscall ${which} (only write 64 and exit 93)`);
    if (a2 > 0x10000000n || mem.hostOffset(Number(a1), Math.max(Number(a2), 1)) < 0) {
      throw new ExecError(`HTIF write of ${a2} bytes at 0x${a1.toString(16)}: the buffer is not inside RAM`);
    }
    const data = mem.ram(Number(a1), Number(a2)).slice();
    write(Number(a0), data);
    words.setBigUint64(0, a2, true); // return value: bytes written (pk convention: written back to magic_mem[0])
    tv.setBigUint64(0, 0n, true);
    if (fromhostAddr >= 0) {
      const f = mem.ram(fromhostAddr, 8);
      new DataView(f.buffer, f.byteOffset, 8).setBigUint64(0, 1n, true);
    }
  }
}

/** begin_signature .. end_signature, checked against RAM */
function signatureRange(symbols: ReadonlyMap<string, { value: bigint }>, mem: GuestMemory): { begin: number; bytes: number } {
  const b = symbols.get('begin_signature'), e = symbols.get('end_signature');
  if (!b || !e) throw new ExecError(`--signature: the ELF has no '${!b ? 'begin_signature' : 'end_signature'}' symbol`);
  if (e.value < b.value) throw new ExecError(`--signature: end_signature 0x${e.value.toString(16)} is below begin_signature 0x${b.value.toString(16)}`);
  const begin = Number(b.value), bytes = Number(e.value - b.value);
  if (mem.hostOffset(begin, Math.max(bytes, 1)) < 0) {
    throw new ExecError(`--signature: 0x${b.value.toString(16)}..0x${e.value.toString(16)} (begin_signature..end_signature) is not inside RAM`);
  }
  return { begin, bytes };
}

const USAGE = `usage: rvkvm exec FILE.elf [--isa ISA] [--vlen BITS] [--max-insns N] [--timeout S] [--mem SIZE (512M, 1G; a bare number is MiB)] [--clock wall|icount] [--stats] [--no-jit]
                  [--jit-hot N] [--ram BASE,SIZE] [--misaligned emulate|trap] [--signature FILE [--signature-granularity 4|8|16]]
                  [--profile[=FILE.json]] [--trace=FILE [--trace-ext E,..] [--trace-range LO-HI]
                  [--trace-mode m|s|u] [--trace-first N | --trace-last N]]
  Runs a bare-metal RV64 ELF on one M-mode hart (RAM at 0x80000000, CLINT at 0x2000000) until it reports
  through HTIF (tohost): 1 = pass, other odd values = failure. Hot code is translated to WebAssembly unless
  --no-jit is given (then every instruction is interpreted). It stops with an error after --max-insns N retired
  instructions (default 10000000000), after --timeout S seconds (default ${EXEC_DEFAULT_TIMEOUT_S}), or when the hart is in a
  trap loop (its trap handler faults, so it retires nothing).
  --profile prints instructions retired per extension and mode, and illegal traps by extension, to stderr
  (or writes them as JSON to FILE.json); --trace writes one Spike-style commit line per retired instruction.
  --jit-hot N translates a page after N instructions ran in it (default 200000; 1 = nearly everything).
  --ram BASE,SIZE puts RAM at BASE (page-aligned) instead of 0x80000000. --misaligned trap makes every
  misaligned load/store (scalar, FP, vector element) raise address-misaligned, as Sail's references expect.
  --signature FILE writes begin_signature..end_signature when the program stops, as Spike's +signature:
  --signature-granularity bytes a line (default 4, RISCOF's), each line one little-endian value in hex.
Exit status: 0 when the program passes; the program's own code when it exits through HTIF; 1 on a failure it
reports, bad input or a bound reached; 70 on an internal error (a bug in rvkvm: the message says so).`;

/** --profile / --trace* as `rvkvm exec` and `rvkvm run` both take them */
export interface ProfileTraceArgs {
  /** '' = print the table to stderr; a path = write JSON there */
  profile?: string;
  trace?: string;
  filter: TraceFilter;
}

/** Parse the profile/trace flag at args[k], if it is one: returns how many arguments it used (0 = not ours). */
export function parseProfileTraceFlag(args: readonly string[], k: number, out: ProfileTraceArgs): number {
  const a = args[k]!;
  const eq = a.indexOf('=');
  const flag = eq < 0 ? a : a.slice(0, eq);
  const flags = ['--profile', '--trace', '--trace-ext', '--trace-range', '--trace-mode', '--trace-first', '--trace-last'];
  if (!flags.includes(flag)) return 0;
  if (flag === '--profile') {
    out.profile = eq < 0 ? '' : a.slice(eq + 1);
    if (eq >= 0 && out.profile === '') throw new TraceError('--profile= needs a file name');
    return 1;
  }
  const value = eq >= 0 ? a.slice(eq + 1) : args[k + 1];
  if (value === undefined || value === '') throw new TraceError(`${flag} needs a value`);
  const used = eq >= 0 ? 1 : 2;
  switch (flag) {
    case '--trace': out.trace = value; break;
    case '--trace-ext': {
      const names = parseTraceExtensions(value);
      for (const n of names) if (!extensionByName(n)) throw new TraceError(`--trace-ext: unknown extension '${n}' (see 'rvkvm isa --list')`);
      out.filter.extensions = names;
      break;
    }
    case '--trace-range': out.filter.pcRange = parseTraceRange(value); break;
    case '--trace-mode': out.filter.modes = parseTraceModes(value); break;
    default: {
      const n = Number(value.replace(/_/g, ''));
      if (!Number.isSafeInteger(n) || n <= 0) throw new TraceError(`${flag} '${value}' is not a positive integer`);
      if (flag === '--trace-first') out.filter.first = n; else out.filter.last = n;
    }
  }
  return used;
}

/** the tracer for --trace=FILE, writing through a buffered file descriptor; close() flushes --trace-last and the file */
export function openTraceFile(args: ProfileTraceArgs): { tracer: InstructionTracer; close(): void } | null {
  if (args.trace === undefined) {
    const f = args.filter;
    if (f.extensions || f.pcRange || f.modes || f.first || f.last) throw new TraceError('--trace-ext/-range/-mode/-first/-last need --trace=FILE');
    return null;
  }
  const tracer = new InstructionTracer(args.filter, (line) => { buf.push(line); if (buf.length >= 4096) drain(); });
  let fd: number;
  try {
    fd = openSync(args.trace, 'w');
  } catch (e) {
    throw new TraceError(`cannot write trace file '${args.trace}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const buf: string[] = [];
  const drain = (): void => { if (buf.length) { writeSync(fd, buf.join('\n') + '\n'); buf.length = 0; } };
  return { tracer, close: () => { tracer.flush(); drain(); closeSync(fd); } };
}

function parseCount(s: string | undefined, flag: string): number {
  if (s === undefined) throw new ExecError(`${flag} needs a value`);
  const n = Number(s.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new ExecError(`${flag} '${s}' is not a positive integer`);
  return n;
}

export const command: Command = {
  summary: 'run a bare-metal ELF on one M-mode hart (HTIF tohost/fromhost)',
  async run(args: string[]): Promise<number> {
    let file: string | undefined;
    const opts: ExecOptions = {};
    let stats = false;
    let sigFile: string | undefined, granularity: number | undefined;
    let ramBytes: number | undefined, memBytes: number | undefined;
    const pt: ProfileTraceArgs = { filter: {} };
    for (let k = 0; k < args.length; k++) {
      const a = args[k]!;
      const used = parseProfileTraceFlag(args, k, pt);
      if (used > 0) { k += used - 1; continue; }
      if (a === '--help' || a === '-h') { process.stdout.write(USAGE + '\n'); return 0; }
      else if (a === '--isa') { opts.isa = args[++k]; if (!opts.isa) throw new ExecError('--isa needs a value'); }
      else if (a === '--vlen') {
        const n = Number(args[++k]);
        if (![128, 256, 512, 1024].includes(n)) throw new ExecError(`--vlen '${args[k] ?? ''}' must be 128, 256, 512 or 1024`);
        opts.vlen = n;
      }
      else if (a === '--max-insns') opts.maxInstructions = parseCount(args[++k], '--max-insns');
      else if (a === '--timeout') {
        const s = args[++k];
        const t = Number(s);
        if (s === undefined || s === '' || !(t > 0) || !Number.isFinite(t)) throw new ExecError(`--timeout '${s ?? ''}': expected seconds > 0`);
        opts.timeoutMs = t * 1000;
      }
      else if (a === '--mem' || a === '-m') memBytes = parseMemSize(args[++k], a);
      else if (a === '--clock') {
        const c = args[++k];
        if (c !== 'wall' && c !== 'icount') throw new ExecError(`--clock '${c ?? ''}' must be wall or icount`);
        opts.clock = c;
      } else if (a === '--stats') stats = true;
      else if (a === '--no-jit') opts.jit = false;
      else if (a === '--jit-hot') opts.jitHot = parseCount(args[++k], '--jit-hot');
      else if (a === '--ram') { const r = parseRamOption(args[++k]); opts.ramBase = r.base; ramBytes = r.bytes; }
      else if (a === '--misaligned') {
        const m = args[++k];
        if (m !== 'emulate' && m !== 'trap') throw new ExecError(`--misaligned '${m ?? ''}' must be emulate or trap`);
        opts.misaligned = m;
      } else if (a === '--signature') { sigFile = args[++k]; if (!sigFile) throw new ExecError('--signature needs a file name'); }
      else if (a === '--signature-granularity') {
        const g = Number(args[++k]);
        if (![4, 8, 16].includes(g)) throw new ExecError(`--signature-granularity '${args[k] ?? ''}' must be 4, 8 or 16`);
        granularity = g;
      }
      else if (a.startsWith('-')) throw new ExecError(`unknown option '${a}'\n${USAGE}`);
      else if (file === undefined) file = a;
      else throw new ExecError(`unexpected argument '${a}'`);
    }
    if (file === undefined) throw new ExecError(`no ELF file given\n${USAGE}`);
    if (ramBytes !== undefined && memBytes !== undefined) throw new ExecError('--ram BASE,SIZE and --mem both give the RAM size: use one');
    if (ramBytes ?? memBytes) opts.ramBytes = ramBytes ?? memBytes;
    if (granularity !== undefined && sigFile === undefined) throw new ExecError('--signature-granularity needs --signature FILE');
    opts.signature = sigFile !== undefined;
    // the ELF cannot load more than the program's RAM holds: an endless input is refused, not read forever
    const ram = opts.ramBytes ?? DEFAULT_EXEC_RAM;
    const bytes = readBoundedInput(file, 'ELF', Math.min(ram, 4 * 1024 * 1024 * 1024), `the program's RAM (--mem ${Math.floor(ram / (1 << 20))}M)`);
    opts.timeoutMs ??= EXEC_DEFAULT_TIMEOUT_S * 1000;
    opts.write = (fd, data) => (fd === 2 ? process.stderr : process.stdout).write(data);
    opts.profile = pt.profile !== undefined;
    const trace = openTraceFile(pt);
    if (trace) opts.tracer = trace.tracer;
    let r: ExecResult;
    try {
      r = execElf(bytes, opts);
    } finally {
      trace?.close();
    }
    if (sigFile !== undefined && r.signature) {
      try {
        writeFileSync(sigFile, formatSignature(r.signature, granularity ?? 4));
      } catch (e) {
        throw new ExecError(`cannot write signature file '${sigFile}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    if (r.profile) {
      if (pt.profile) writeFileSync(pt.profile, JSON.stringify(r.profile, null, 2) + '\n');
      else process.stderr.write(formatProfileReport(r.profile));
    }
    if (r.message) process.stderr.write(`rvkvm: ${r.message}\n`);
    if (stats) {
      process.stderr.write(`rvkvm: ${r.instret} instructions in ${r.seconds.toFixed(3)} s = ${(r.instret / r.seconds / 1e6).toFixed(1)} MIPS\n`);
    }
    return r.exitCode;
  },
};
