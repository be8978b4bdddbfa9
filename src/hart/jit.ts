// Translation of hot code pages to WebAssembly. One module per 4 KiB host page holds every instruction the
// interpreter has decoded there (plus what Hart.discoverCode found), laid out in address order: a br_table on the
// page offset enters at any instruction, straight-line code falls through, and branches and jumps inside the page
// go back to the br_table. RV64I, M, Zba/Zbb/Zbs/Zicond, Zimop/Zcmop and the loads and stores (TLB lookup inline)
// are WebAssembly, and so are F and D (jit-fp.ts: exact fast paths, the hart's semantics otherwise); every other op
// calls the hart's own semantics (import `ex`). Registers, TLBs, the code-page map
// and guest RAM are all in the one WebAssembly.Memory, so translated code and the interpreter share every piece of
// state; TLB misses, MMIO and traps go through the hart's slow paths (imports `ld`, `st`, `ex`), and a trap unwinds
// to the run loop with the exact pc and retired count. Back to the interpreter: an instruction not translated, a
// store to a page holding code, an op that ends the run slice, the instruction budget.
//
// Leaving its page, translated code looks the target up in the fetch TLB: an entry that names a translated page
// (its index in the hart's function table, set by the interpreter when it entered that page through this entry)
// is tail-called directly, so hot code runs from page to page without returning to JavaScript.
//
// The module's function: f(xb, tlb, pageLo, pageHi, so, lim, n) -> skip
//   xb: the hart's state block (x registers at xb + 8 * i, i64 little endian), tlb: the selected TLB set,
//   pageLo/pageHi: the virtual address of the page, so: the page offset to start at, lim: instructions that may
//   retire before a budget check stops the run (the caller keeps RUN_BOUND in reserve: no straight run between two
//   checks is longer), n: instructions retired so far. On return the pc is at xb + JIT_PC and the retired count
//   at xb + JIT_RETIRED; skip = 1 when the interpreter must execute the instruction at pc before entering
//   translated code again (it was not translated, or it stores to a page holding code).
import { Op } from './ops.js';
import { CODE_PAGE_BASE, TLB_ACCESS_BYTES, TLB_ENTRIES, TLB_FN_OFFSET } from './memory.js';
import { emitFp, fpBeginModule, fpModuleParts } from './jit-fp.js';

/** byte offsets in the hart's state block (see Hart.stateOff) */
export const JIT_PC = 1024;
export const JIT_RETIRED = 1032;
/** host page + 1 of a baseline translation whose heat ran out (see `cool`), for the run loop to optimize; 0: none */
export const JIT_WANT_OPT = 1036;
export { JIT_CSR } from './jit-fp.js';
/** at most this many instructions retire between two budget checks */
export const RUN_BOUND = 32;
/**
 * The entries of a translation: where the run loop (and translated code of other pages) may enter it. Every entry
 * is a merge point, across which the host compiler keeps no value in a host register: with every instruction an
 * entry, the registers-in-locals code ran the bench's SHA-256/AES 3.4x slower than with memory, and the Debian
 * userland bench took 197-215 s against 186-189 s with the entries below. So the entries are only where control
 * arrives other than by falling through (the page's first instruction, branch and jump targets in the page,
 * after a jump, a call or an instruction with no inline translation), where the interpreter was seen to arrive
 * (ARRIVED, Hart.jitArrival: entries from other pages, returns from traps), and at least one in every ENTRY_GAP
 * instructions: code resumed elsewhere is interpreted up to the next one. 32 cost nothing measurable on
 * SHA-256/AES; 12 made it 1.9x slower.
 */
const ENTRY_GAP = 32;
/** Hart.jitArrival's count for a slot that is to be an entry: the interpreter arrived there twice */
export const ARRIVED = 2;

/** info word of the slow-path imports: size | signed << 4 | compressed << 5 | register index (pre-doubled) << 8 */
export const infoSize = (info: number): number => info & 15;
export const infoSigned = (info: number): boolean => (info & 16) !== 0;
export const infoIlen = (info: number): number => (info & 32) !== 0 ? 2 : 4;
export const infoReg = (info: number): number => (info >>> 8) & 127;

export type JitFn = (xb: number, tlb: number, pageLo: number, pageHi: number, so: number, lim: number, n: number) => number;

export interface JitPage {
  /** index of the translated function (see the file comment) in the hart's function table */
  readonly tableIndex: number;
  /** per half-word slot: 1 where translated code starts */
  readonly entry: Uint8Array<ArrayBuffer>;
  /** decoded slots the interpreter found after translation (hart.ts retranslates once there are enough) */
  fresh: number;
  /** byte offset of its count block (profiling), or -1 */
  readonly countBlock: number;
  /** instructions that may still retire in this page before its optimizing compile (a baseline translation that
   *  counts them: jit.ts `cool`), else null */
  readonly heat: WebAssembly.Global | null;
  /** compiled by the optimizing compiler (see setOptimizingCompiler) */
  readonly optimized: boolean;
  /** arrivals of the interpreter at slots that are no entry yet but will be (Hart.jitArrival) */
  missed: number;
}

/** A host's compile of the optimizing translations (see setOptimizingCompiler): synchronous and in the background. */
export interface OptimizingCompiler {
  compile(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module;
  compileAsync(bytes: Uint8Array<ArrayBuffer>): Promise<WebAssembly.Module>;
}

/** The engine's own compile: each translation names its tier in a compilationHints section (see `assemble`). */
export const ENGINE_COMPILE: OptimizingCompiler = {
  compile: (bytes) => new WebAssembly.Module(bytes),
  compileAsync: (bytes) => WebAssembly.compile(bytes),
};

/**
 * The host's optimizing compile, or null. A host that keeps the engine on its baseline compiler and honours the
 * compilation hints (the CLI: src/cli/wasm-tiering.ts) registers one, and the hart then compiles again with it
 * the translated pages in which translated code keeps running (hart.ts, JIT_OPT_PER_BYTE); the rest never pay
 * for optimization. A browser leaves the choice to the engine's own tiering.
 */
export let optimizingCompiler: OptimizingCompiler | null = null;
export function setOptimizingCompiler(c: OptimizingCompiler | null): void { optimizingCompiler = c; }

// ---------------------------------------------------------------- WebAssembly encoding

export const I32 = 0x7f, I64 = 0x7e, F64 = 0x7c, VOID = 0x40;
export const enum W {
  unreachable = 0x00, block = 0x02, loop = 0x03, if_ = 0x04, else_ = 0x05, end = 0x0b, br = 0x0c, br_if = 0x0d,
  br_table = 0x0e, return_ = 0x0f, call = 0x10, select = 0x1b,
  local_get = 0x20, local_set = 0x21, local_tee = 0x22, global_get = 0x23, global_set = 0x24,
  return_call = 0x12, return_call_indirect = 0x13,
  i32_load = 0x28, i64_load = 0x29, i32_load8_u = 0x2d,
  i64_load8_s = 0x30, i64_load8_u = 0x31, i64_load16_s = 0x32, i64_load16_u = 0x33, i64_load32_s = 0x34, i64_load32_u = 0x35,
  i64_store = 0x37, i64_store8 = 0x3c, i64_store16 = 0x3d, i64_store32 = 0x3e, i32_store = 0x36,
  i32_const = 0x41, i64_const = 0x42,
  i32_eqz = 0x45, i32_eq = 0x46, i32_gt_s = 0x4a, i32_le_s = 0x4c,
  i64_eqz = 0x50, i64_eq = 0x51, i64_ne = 0x52, i64_lt_s = 0x53, i64_lt_u = 0x54, i64_gt_s = 0x55, i64_gt_u = 0x56,
  i64_ge_s = 0x59, i64_ge_u = 0x5a,
  i32_clz = 0x67, i32_ctz = 0x68, i32_popcnt = 0x69, i32_add = 0x6a, i32_sub = 0x6b, i32_mul = 0x6c,
  i32_div_s = 0x6d, i32_div_u = 0x6e, i32_rem_s = 0x6f, i32_rem_u = 0x70, i32_and = 0x71, i32_or = 0x72,
  i32_shl = 0x74, i32_shr_s = 0x75, i32_shr_u = 0x76, i32_rotl = 0x77, i32_rotr = 0x78,
  i64_clz = 0x79, i64_ctz = 0x7a, i64_popcnt = 0x7b, i64_add = 0x7c, i64_sub = 0x7d, i64_mul = 0x7e,
  i64_div_s = 0x7f, i64_div_u = 0x80, i64_rem_s = 0x81, i64_rem_u = 0x82, i64_and = 0x83, i64_or = 0x84,
  i64_xor = 0x85, i64_shl = 0x86, i64_shr_s = 0x87, i64_shr_u = 0x88, i64_rotl = 0x89, i64_rotr = 0x8a,
  i32_wrap_i64 = 0xa7, i64_extend_i32_s = 0xac, i64_extend_i32_u = 0xad,
  i64_extend8_s = 0xc2, i64_extend16_s = 0xc3, i64_extend32_s = 0xc4,
}

// parameters and locals of f
export const L_XB = 0, L_TLB = 1, L_PLO = 2, L_PHI = 3, L_SO = 4, L_LIM = 5, L_N = 6;
export const L_I = 7, L_H = 8; // i32 locals
export const L_PB = 9, L_A = 10, L_B = 11, L_C = 12, L_D = 13, L_E = 14; // i64 locals
export const L_F0 = 15, L_F1 = 16, L_F2 = 17, L_F3 = 18; // f64 locals (jit-fp.ts)
export const L_S = 19; // i32 local (jit-fp.ts)
const I32_LOCALS = 2, I64_LOCALS = 6, F64_LOCALS = 4;
const F_LD = 0, F_ST = 1, F_EX = 2, F_MAIN = 3, F_LEAVE = 4, F_FLUSH = 5, F_COOL = 6; // function indices (the three imports come first)
/** index of the first of the module's shared FP helpers (jit-fp.ts), after them; type index of their first type */
export const F_FP_BASE = 7, T_FP_BASE = 6;
/** global indices (imports) of a baseline translation that counts its heat */
const G_HEAT = 0, G_ID = 1;
/** heat after the run loop was asked to optimize (it asks again only after this many more instructions) */
export const HEAT_ASKED = 0x3fffffff;
const ACC_FETCH = 0;

export const ACC_LOAD = 1, ACC_STORE = 2;

export class Bytes {
  buf = new Uint8Array(4096);
  len = 0;
  private grow(): void {
    const n = new Uint8Array(this.buf.length * 2);
    n.set(this.buf);
    this.buf = n;
  }
  u8(v: number, w = -1): this {
    if (this.len + 2 > this.buf.length) this.grow();
    this.buf[this.len++] = v;
    if (w >= 0) this.buf[this.len++] = w;
    return this;
  }
  uleb(v: number): this {
    do { let byte = v & 0x7f; v >>>= 7; if (v !== 0) byte |= 0x80; this.u8(byte); } while (v !== 0);
    return this;
  }
  /** signed LEB128 of a 32-bit integer (also a valid i64.const of the sign-extended value) */
  sleb(v: number): this {
    v |= 0;
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      if ((v === 0 && !(byte & 0x40)) || (v === -1 && (byte & 0x40))) return this.u8(byte);
      this.u8(byte | 0x80);
    }
  }
  bytes(v: ArrayLike<number>, n = v.length): this {
    while (this.len + n > this.buf.length) this.grow();
    if (v instanceof Uint8Array) { // module assembly copies whole function bodies: one block copy
      this.buf.set(n === v.length ? v : v.subarray(0, n), this.len);
      this.len += n;
    } else for (let k = 0; k < n; k++) this.buf[this.len++] = v[k]!;
    return this;
  }
  append(o: Bytes): this { return this.bytes(o.buf, o.len); }
  name(s: string): this { this.uleb(s.length); for (let k = 0; k < s.length; k++) this.u8(s.charCodeAt(k)); return this; }
}

/** one function body under construction */
export class Code extends Bytes {
  /** byte address of the count of the instruction being emitted (-1: not profiling) */
  countAt = -1;
  op(o: W): this { return this.u8(o); }
  get(l: number): this { return this.u8(W.local_get).uleb(l); }
  set(l: number): this { return this.u8(W.local_set).uleb(l); }
  tee(l: number): this { return this.u8(W.local_tee).uleb(l); }
  i32(v: number): this { return this.u8(W.i32_const).sleb(v); }
  i64(v: number): this { return this.u8(W.i64_const).sleb(v); }
  mem(o: W, align: number, offset: number): this { return this.u8(o).uleb(align).uleb(offset); }
}

// ---------------------------------------------------------------- guest x registers in locals
//
// The optimizing translation keeps the x registers a page uses in WebAssembly locals, so the host compiler can
// hold them in host registers across the page's instructions instead of loading and storing the state block at
// every one. translatePage emits such a page twice: the first pass notes the registers it reads and writes (xr.noting),
// the second has them in locals (xr.on). The state block stays the one truth outside translated code: the locals
// are loaded when the function is entered, the written ones stored back before every way out (exitAt,
// exitDynamic, exitPcFromStack) and before every slow-path call (ld, st, ex), which may read the registers or
// trap; after a slow path the registers it may have written are loaded again (ld: rd; ex: all of them).
// The scratch pair (x0 as a destination, index 32) stays in memory.

/** the x registers' locals: index (1..31) -> local, -1 when in memory */
const xr = {
  /** second pass: the registers of `list` are in locals */
  on: false,
  /** first pass: note every register read or written */
  noting: false,
  local: new Int32Array(33).fill(-1),
  used: new Uint8Array(33),
  written: new Uint8Array(33),
  /** the registers in locals, and those of them the page writes */
  list: [] as number[],
  writtenList: [] as number[],
};
/** the first local of the x registers (after the fixed ones, L_S last) */
const L_X = 20;

function xLocal(r2: number): number {
  const i = r2 >>> 1;
  if (xr.noting && i < 32) xr.used[i] = 1;
  return xr.on ? xr.local[i]! : -1;
}

/** x register (pre-doubled index r2) as i64 on the stack; x0 reads as 0 */
export function getX(c: Code, r2: number): void {
  if (r2 === 0) { c.i64(0); return; }
  const l = xLocal(r2);
  if (l >= 0) c.get(l); else c.get(L_XB).mem(W.i64_load, 3, r2 * 4);
}
/** before the value written to x register r2 (xStore after it) */
export function xDest(c: Code, r2: number): void {
  if (xLocal(r2) < 0) c.get(L_XB);
}
/** the i64 on the stack (after xDest) to x register r2 */
export function xStore(c: Code, r2: number): void {
  const l = xLocal(r2);
  if (xr.noting && (r2 >>> 1) < 32) xr.written[r2 >>> 1] = 1;
  if (l >= 0) c.set(l); else c.mem(W.i64_store, 3, r2 * 4);
}
/** the written registers' locals to the state block (before leaving or calling a slow path): one call of the
 *  module's flush(xb, written registers...) (flushBody), smaller than the stores at each of the many places */
export function flushX(c: Code): void {
  if (!xr.on || xr.writtenList.length === 0) return;
  c.get(L_XB);
  for (const i of xr.writtenList) c.get(xr.local[i]!);
  c.u8(W.call).uleb(F_FLUSH);
}
/** flush(xb, v...): v[j] to x register writtenList[j] (no parameters but xb when the page has no locals) */
function flushBody(): Code {
  const c = new Code();
  xr.writtenList.forEach((i, j) => c.get(0).get(1 + j).mem(W.i64_store, 3, i * 8));
  return c.op(W.end);
}
/** the locals from the state block again: every register, or only r2 (after a slow path that wrote it) */
export function reloadX(c: Code, r2 = -1): void {
  if (!xr.on) return;
  if (r2 >= 0) {
    const l = r2 >>> 1 < 32 ? xr.local[r2 >>> 1]! : -1;
    if (l >= 0) c.get(L_XB).mem(W.i64_load, 3, r2 * 4).set(l);
    return;
  }
  for (const i of xr.list) c.get(L_XB).mem(W.i64_load, 3, i * 8).set(xr.local[i]!);
}
/** start noting (pass 1), registers in locals (pass 2: those of `only` the page uses), or neither */
function xrBegin(mode: 'off' | 'note' | 'cache', only?: Uint8Array): void {
  xr.noting = mode === 'note';
  xr.on = mode === 'cache';
  if (mode !== 'cache') { xr.local.fill(-1); xr.list = []; xr.writtenList = []; }
  if (mode === 'note') { xr.used.fill(0); xr.written.fill(0); }
  if (mode === 'cache') {
    xr.list = []; xr.writtenList = [];
    for (let i = 1; i < 32; i++) {
      if ((xr.used[i] === 0 && xr.written[i] === 0) || only?.[i] !== 1) continue;
      xr.local[i] = L_X + xr.list.length;
      xr.list.push(i);
      if (xr.written[i] !== 0) xr.writtenList.push(i);
    }
  }
}

/** pc of the instruction at page offset so, plus delta, as i64 */
function pcPlus(c: Code, so: number, delta: number): void {
  c.get(L_PB).i64(so + delta).op(W.i64_add);
}

/**
 * One more instruction retired (and, when profiling, counted at its slot in the page's count block). Instructions
 * completed by the hart's slow paths `st` / `ex` are counted before the call instead (profiled = false; see
 * countBefore): the call may drop this page's translation and count block, whose counts are harvested then.
 */
export function countOne(c: Code, profiled = true): void {
  c.get(L_N).i32(1).op(W.i32_add).set(L_N);
  if (profiled) countBefore(c);
}
/** the profile count alone (a slow path that traps takes it back: Hart.jitUncount) */
export function countBefore(c: Code): void {
  if (c.countAt >= 0) c.i32(0).i32(0).mem(W.i32_load, 2, c.countAt).i32(1).op(W.i32_add).mem(W.i32_store, 2, c.countAt);
}

/** back to the interpreter, which executes the instruction at page offset `so` (a constant) */
export function exitAt(c: Code, so: number): void {
  flushX(c);
  cool(c);
  c.get(L_XB); pcPlus(c, so, 0); c.mem(W.i64_store, 3, JIT_PC);
  c.get(L_XB).get(L_N).mem(W.i32_store, 2, JIT_RETIRED).i32(1).op(W.return_);
}

/** the i64 on top of the stack is the new pc outside this page: continue there (function `leave`) */
function exitPcFromStack(c: Code): void {
  c.set(L_E);
  flushX(c);
  c.get(L_XB).get(L_TLB).get(L_LIM).get(L_N).get(L_E).u8(W.return_call).uleb(F_LEAVE);
}

/**
 * leave(xb, tlb, lim, n, pc): tail-call the translated page the fetch TLB names for pc, if any and the budget
 * allows; else store pc and n for the interpreter and return 0.
 */
function leaveBody(): Code {
  const c = new Code();
  const XB = 0, TLB = 1, LIM = 2, N = 3, PC = 4, IDX = 5, FN = 6;
  if (heat.on) c.get(XB).get(N).u8(W.call).uleb(F_COOL);
  c.get(N).get(LIM).op(W.i32_le_s).u8(W.if_, VOID);
  c.get(PC).op(W.i32_wrap_i64).i32(12).op(W.i32_shr_u).i32(TLB_ENTRIES - 1).op(W.i32_and).set(IDX);
  c.get(TLB).get(IDX).i32(3).op(W.i32_shl).op(W.i32_add).mem(W.i64_load, 3, ACC_FETCH * TLB_ACCESS_BYTES);
  c.get(PC).i64(~0xfff).op(W.i64_and).op(W.i64_eq).u8(W.if_, VOID);
  c.get(TLB).get(IDX).i32(2).op(W.i32_shl).op(W.i32_add).mem(W.i32_load, 2, ACC_FETCH * TLB_ACCESS_BYTES + TLB_FN_OFFSET).tee(FN);
  c.u8(W.if_, VOID);
  c.get(XB).get(TLB);
  c.get(PC).op(W.i32_wrap_i64).i32(~0xfff).op(W.i32_and);
  c.get(PC).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64);
  c.get(PC).op(W.i32_wrap_i64).i32(0xfff).op(W.i32_and);
  c.get(LIM).get(N).get(FN).u8(W.return_call_indirect).uleb(0).uleb(0);
  c.op(W.end).op(W.end).op(W.end);
  c.get(XB).get(PC).mem(W.i64_store, 3, JIT_PC).get(XB).get(N).mem(W.i32_store, 2, JIT_RETIRED).i32(0).op(W.end);
  return c;
}

// ---------------------------------------------------------------- heat
//
// Which pages get the optimizing compile: a baseline translation (made while the host has an optimizing compiler,
// and not profiling) counts the instructions retired in it, in its module's `heat` global (imported, one per
// instance): its function adds n when it is entered, `cool` subtracts n at every way out (leave, exitAt,
// exitDynamic, an ex that ends the run), so heat falls by what ran in this page, whichever page or run loop entry
// control came from. When it reaches 0, `cool` stores the instance's `id` global (host page + 1) at JIT_WANT_OPT,
// where the run loop finds it after translated code returns (Hart.jitOptimize). Counting only at the run loop's
// entries credited a page with all the pages it tail-called and never the pages reached from translated code
// (measured: the bench's int workload, 2.4 G instructions, 1.64 s before, 1.20-1.47 s with pages counting their
// own). A trap unwinding through translated code skips the subtraction (that page looks a little colder: code
// that traps is not a hot loop).

const heat = { on: false };

/** function entry: heat += n */
function heatEnter(c: Code): void {
  if (heat.on) c.u8(W.global_get).uleb(G_HEAT).get(L_N).op(W.i32_add).u8(W.global_set).uleb(G_HEAT);
}
/** a way out of the function: heat -= n (cool(xb, n)) */
function cool(c: Code): void {
  if (heat.on) c.get(L_XB).get(L_N).u8(W.call).uleb(F_COOL);
}
/** cool(xb, n): heat -= n; at 0 or below, ask the run loop to optimize this page (and wait HEAT_ASKED again),
 *  unless another page asked first since the run loop last looked (then this one asks at a later way out) */
function coolBody(): Code {
  const c = new Code();
  if (!heat.on) return c.op(W.end);
  const XB = 0, N = 1, H = 2;
  c.u8(W.global_get).uleb(G_HEAT).get(N).op(W.i32_sub).tee(H).u8(W.global_set).uleb(G_HEAT);
  c.get(H).i32(0).op(W.i32_le_s).u8(W.if_, VOID);
  c.get(XB).mem(W.i32_load, 2, JIT_WANT_OPT).op(W.i32_eqz).u8(W.if_, VOID);
  c.get(XB).u8(W.global_get).uleb(G_ID).mem(W.i32_store, 2, JIT_WANT_OPT);
  c.i32(HEAT_ASKED).u8(W.global_set).uleb(G_HEAT);
  return c.op(W.end).op(W.end).op(W.end);
}

// ---------------------------------------------------------------- translation of one instruction

type Unary = (c: Code) => void;

/** ops of the form x[rd] = f(x[rs1], x[rs2]) on i64 values */
const BINARY: Partial<Record<Op, Unary>> = {
  [Op.ADD]: (c) => c.op(W.i64_add), [Op.SUB]: (c) => c.op(W.i64_sub), [Op.XOR]: (c) => c.op(W.i64_xor),
  [Op.OR]: (c) => c.op(W.i64_or), [Op.AND]: (c) => c.op(W.i64_and), [Op.SLL]: (c) => c.op(W.i64_shl),
  [Op.SRL]: (c) => c.op(W.i64_shr_u), [Op.SRA]: (c) => c.op(W.i64_shr_s),
  [Op.SLT]: (c) => c.op(W.i64_lt_s).op(W.i64_extend_i32_u), [Op.SLTU]: (c) => c.op(W.i64_lt_u).op(W.i64_extend_i32_u),
  [Op.MUL]: (c) => c.op(W.i64_mul),
  [Op.ADDW]: (c) => c.op(W.i64_add).op(W.i64_extend32_s), [Op.SUBW]: (c) => c.op(W.i64_sub).op(W.i64_extend32_s),
  [Op.MULW]: (c) => c.op(W.i64_mul).op(W.i64_extend32_s),
  [Op.SLLW]: (c) => word2(c, W.i32_shl), [Op.SRLW]: (c) => word2(c, W.i32_shr_u), [Op.SRAW]: (c) => word2(c, W.i32_shr_s),
  // Zba
  [Op.SH1ADD]: (c) => shadd(c, 1, false), [Op.SH2ADD]: (c) => shadd(c, 2, false), [Op.SH3ADD]: (c) => shadd(c, 3, false),
  [Op.ADD_UW]: (c) => shadd(c, 0, true), [Op.SH1ADD_UW]: (c) => shadd(c, 1, true),
  [Op.SH2ADD_UW]: (c) => shadd(c, 2, true), [Op.SH3ADD_UW]: (c) => shadd(c, 3, true),
  // Zbb
  [Op.ANDN]: (c) => c.i64(-1).op(W.i64_xor).op(W.i64_and), [Op.ORN]: (c) => c.i64(-1).op(W.i64_xor).op(W.i64_or),
  [Op.XNOR]: (c) => c.op(W.i64_xor).i64(-1).op(W.i64_xor),
  [Op.MAX]: (c) => minmax(c, W.i64_gt_s), [Op.MAXU]: (c) => minmax(c, W.i64_gt_u),
  [Op.MIN]: (c) => minmax(c, W.i64_lt_s), [Op.MINU]: (c) => minmax(c, W.i64_lt_u),
  [Op.ROL]: (c) => c.op(W.i64_rotl), [Op.ROR]: (c) => c.op(W.i64_rotr),
  [Op.ROLW]: (c) => word2(c, W.i32_rotl), [Op.RORW]: (c) => word2(c, W.i32_rotr),
  // Zbs
  [Op.BSET]: (c) => bitop(c, W.i64_or), [Op.BINV]: (c) => bitop(c, W.i64_xor),
  [Op.BCLR]: (c) => { c.set(L_B).i64(1).get(L_B).op(W.i64_shl).i64(-1).op(W.i64_xor).op(W.i64_and); },
  [Op.BEXT]: (c) => c.op(W.i64_shr_u).i64(1).op(W.i64_and),
  // Zicond
  [Op.CZERO_EQZ]: (c) => { c.set(L_B).set(L_A).i64(0).get(L_A).get(L_B).op(W.i64_eqz).op(W.select); },
  [Op.CZERO_NEZ]: (c) => { c.set(L_B).set(L_A).get(L_A).i64(0).get(L_B).op(W.i64_eqz).op(W.select); },
  // M
  [Op.DIV]: (c) => divide(c, false, true), [Op.DIVU]: (c) => divide(c, false, false),
  [Op.REM]: (c) => divide(c, true, true), [Op.REMU]: (c) => divide(c, true, false),
  [Op.DIVW]: (c) => divideW(c, false, true), [Op.DIVUW]: (c) => divideW(c, false, false),
  [Op.REMW]: (c) => divideW(c, true, true), [Op.REMUW]: (c) => divideW(c, true, false),
  [Op.MULHU]: (c) => mulh(c, 0), [Op.MULH]: (c) => mulh(c, 2), [Op.MULHSU]: (c) => mulh(c, 1),
};

/** ops of the form x[rd] = f(x[rs1], imm); the immediate is pushed by the entry itself */
const WITH_IMM: Partial<Record<Op, (c: Code, imm: number) => void>> = {
  [Op.ADDI]: (c, i) => c.i64(i).op(W.i64_add), [Op.XORI]: (c, i) => c.i64(i).op(W.i64_xor),
  [Op.ORI]: (c, i) => c.i64(i).op(W.i64_or), [Op.ANDI]: (c, i) => c.i64(i).op(W.i64_and),
  [Op.SLTI]: (c, i) => c.i64(i).op(W.i64_lt_s).op(W.i64_extend_i32_u),
  [Op.SLTIU]: (c, i) => c.i64(i).op(W.i64_lt_u).op(W.i64_extend_i32_u),
  [Op.SLLI]: (c, i) => c.i64(i & 63).op(W.i64_shl), [Op.SRLI]: (c, i) => c.i64(i & 63).op(W.i64_shr_u),
  [Op.SRAI]: (c, i) => c.i64(i & 63).op(W.i64_shr_s),
  [Op.ADDIW]: (c, i) => c.i64(i).op(W.i64_add).op(W.i64_extend32_s),
  [Op.SLLIW]: (c, i) => c.op(W.i32_wrap_i64).i32(i & 31).op(W.i32_shl).op(W.i64_extend_i32_s),
  [Op.SRLIW]: (c, i) => c.op(W.i32_wrap_i64).i32(i & 31).op(W.i32_shr_u).op(W.i64_extend_i32_s),
  [Op.SRAIW]: (c, i) => c.op(W.i32_wrap_i64).i32(i & 31).op(W.i32_shr_s).op(W.i64_extend_i32_s),
  [Op.SLLI_UW]: (c, i) => c.op(W.i32_wrap_i64).op(W.i64_extend_i32_u).i64(i & 63).op(W.i64_shl),
  [Op.RORI]: (c, i) => c.i64(i & 63).op(W.i64_rotr),
  [Op.RORIW]: (c, i) => c.op(W.i32_wrap_i64).i32(i & 31).op(W.i32_rotr).op(W.i64_extend_i32_s),
  [Op.BSETI]: (c, i) => c.i64(1).i64(i & 63).op(W.i64_shl).op(W.i64_or),
  [Op.BINVI]: (c, i) => c.i64(1).i64(i & 63).op(W.i64_shl).op(W.i64_xor),
  [Op.BCLRI]: (c, i) => c.i64(1).i64(i & 63).op(W.i64_shl).i64(-1).op(W.i64_xor).op(W.i64_and),
  [Op.BEXTI]: (c, i) => c.i64(i & 63).op(W.i64_shr_u).i64(1).op(W.i64_and),
  // unary ones (the immediate is unused)
  [Op.CLZ]: (c) => c.op(W.i64_clz), [Op.CTZ]: (c) => c.op(W.i64_ctz), [Op.CPOP]: (c) => c.op(W.i64_popcnt),
  [Op.CLZW]: (c) => c.op(W.i32_wrap_i64).op(W.i32_clz).op(W.i64_extend_i32_u),
  [Op.CTZW]: (c) => c.op(W.i32_wrap_i64).op(W.i32_ctz).op(W.i64_extend_i32_u),
  [Op.CPOPW]: (c) => c.op(W.i32_wrap_i64).op(W.i32_popcnt).op(W.i64_extend_i32_u),
  [Op.SEXT_B]: (c) => c.op(W.i64_extend8_s), [Op.SEXT_H]: (c) => c.op(W.i64_extend16_s),
  [Op.ZEXT_H]: (c) => c.i64(0xffff).op(W.i64_and),
  [Op.ORC_B]: (c) => orcB(c),
};

/** i64 constant with the 32-bit pattern p in both halves */
function i64Twice(c: Code, p: number): void {
  c.i64(p).i64(32).op(W.i64_shl).i32(p).op(W.i64_extend_i32_u).op(W.i64_or);
}
/** Zbb orc.b: each byte of the value on the stack becomes 0xff if it is non-zero, else 0 */
function orcB(c: Code): void {
  c.set(L_B);
  // per byte: bit 7 set iff the byte is non-zero ((b & 0x7f) + 0x7f carries into bit 7 unless the low bits are 0)
  c.get(L_B); i64Twice(c, 0x7f7f7f7f); c.op(W.i64_and); i64Twice(c, 0x7f7f7f7f); c.op(W.i64_add);
  c.get(L_B).op(W.i64_or); i64Twice(c, 0x80808080 | 0); c.op(W.i64_and);
  c.i64(7).op(W.i64_shr_u).i64(0xff).op(W.i64_mul);
}

/** two i64 operands (a, b) on the stack -> f applied to their low words, sign-extended */
function word2(c: Code, f: W): void {
  c.set(L_B).op(W.i32_wrap_i64).get(L_B).op(W.i32_wrap_i64).op(f).op(W.i64_extend_i32_s);
}
/** (a, b) -> (a, zero-extended from 32 bits when uw) << k + b */
function shadd(c: Code, k: number, uw: boolean): void {
  c.set(L_B);
  if (uw) c.op(W.i32_wrap_i64).op(W.i64_extend_i32_u);
  if (k) c.i64(k).op(W.i64_shl);
  c.get(L_B).op(W.i64_add);
}
/** (a, b) -> cmp(a, b) ? a : b */
function minmax(c: Code, cmp: W): void {
  c.set(L_B).set(L_A).get(L_A).get(L_B).get(L_A).get(L_B).op(cmp).op(W.select);
}
/** (a, b) -> a op (1 << b) */
function bitop(c: Code, f: W): void {
  c.set(L_B).i64(1).get(L_B).op(W.i64_shl).op(f);
}
/** RISC-V division (no traps): x / 0 = -1 (remainder x), signed overflow MIN / -1 = MIN (remainder 0) */
function divide(c: Code, rem: boolean, signed: boolean): void {
  c.set(L_B).set(L_A);
  c.get(L_B).op(W.i64_eqz).u8(W.if_, I64);
  if (rem) c.get(L_A); else c.i64(-1);
  c.op(W.else_);
  if (signed) {
    c.get(L_B).i64(-1).op(W.i64_eq).u8(W.if_, I64);
    if (rem) c.i64(0); else c.i64(0).get(L_A).op(W.i64_sub);
    c.op(W.else_).get(L_A).get(L_B).op(rem ? W.i64_rem_s : W.i64_div_s).op(W.end);
  } else c.get(L_A).get(L_B).op(rem ? W.i64_rem_u : W.i64_div_u);
  c.op(W.end);
}
function divideW(c: Code, rem: boolean, signed: boolean): void {
  c.set(L_B).set(L_A);
  c.get(L_B).op(W.i32_wrap_i64).op(W.i32_eqz).u8(W.if_, I64);
  if (rem) c.get(L_A).op(W.i64_extend32_s); else c.i64(-1);
  c.op(W.else_);
  if (signed) {
    c.get(L_B).op(W.i32_wrap_i64).i32(-1).op(W.i32_eq).u8(W.if_, I64);
    if (rem) c.i64(0); else c.i32(0).get(L_A).op(W.i32_wrap_i64).op(W.i32_sub).op(W.i64_extend_i32_s);
    c.op(W.else_).get(L_A).op(W.i32_wrap_i64).get(L_B).op(W.i32_wrap_i64).op(rem ? W.i32_rem_s : W.i32_div_s)
      .op(W.i64_extend_i32_s).op(W.end);
  } else c.get(L_A).op(W.i32_wrap_i64).get(L_B).op(W.i32_wrap_i64).op(rem ? W.i32_rem_u : W.i32_div_u).op(W.i64_extend_i32_s);
  c.op(W.end);
}
const lo32 = (c: Code, l: number): void => { c.get(l).op(W.i32_wrap_i64).op(W.i64_extend_i32_u); };
const hi32 = (c: Code, l: number): void => { c.get(l).i64(32).op(W.i64_shr_u); };
/** high 64 bits of the 128-bit product: kind 0 unsigned x unsigned, 1 signed x unsigned, 2 signed x signed */
function mulh(c: Code, kind: 0 | 1 | 2): void {
  c.set(L_B).set(L_A);
  lo32(c, L_A); lo32(c, L_B); c.op(W.i64_mul).set(L_C); // t = al * bl
  hi32(c, L_A); lo32(c, L_B); c.op(W.i64_mul).get(L_C).i64(32).op(W.i64_shr_u).op(W.i64_add).set(L_D); // w = ah * bl + t >> 32
  c.get(L_D).op(W.i32_wrap_i64).op(W.i64_extend_i32_u); lo32(c, L_A); hi32(c, L_B); c.op(W.i64_mul).op(W.i64_add).set(L_C); // w1
  hi32(c, L_A); hi32(c, L_B); c.op(W.i64_mul).get(L_D).i64(32).op(W.i64_shr_u).op(W.i64_add).get(L_C).i64(32).op(W.i64_shr_u).op(W.i64_add);
  if (kind >= 1) c.get(L_A).i64(63).op(W.i64_shr_s).get(L_B).op(W.i64_and).op(W.i64_sub);
  if (kind === 2) c.get(L_B).i64(63).op(W.i64_shr_s).get(L_A).op(W.i64_and).op(W.i64_sub);
}

const BRANCH: Partial<Record<Op, W>> = {
  [Op.BEQ]: W.i64_eq, [Op.BNE]: W.i64_ne, [Op.BLT]: W.i64_lt_s, [Op.BGE]: W.i64_ge_s,
  [Op.BLTU]: W.i64_lt_u, [Op.BGEU]: W.i64_ge_u,
};
/** loads: (size, wasm load op) */
const LOAD: Partial<Record<Op, [number, W, boolean]>> = {
  [Op.LB]: [1, W.i64_load8_s, true], [Op.LBU]: [1, W.i64_load8_u, false], [Op.LH]: [2, W.i64_load16_s, true],
  [Op.LHU]: [2, W.i64_load16_u, false], [Op.LW]: [4, W.i64_load32_s, true], [Op.LWU]: [4, W.i64_load32_u, false],
  [Op.LD]: [8, W.i64_load, true],
};
const STORE: Partial<Record<Op, [number, W]>> = {
  [Op.SB]: [1, W.i64_store8], [Op.SH]: [2, W.i64_store16], [Op.SW]: [4, W.i64_store32], [Op.SD]: [8, W.i64_store],
};
const NOTHING = new Set<Op>([Op.FENCE, Op.NOP, Op.C_MOP]);
/** not translated at all: they always trap (the interpreter raises them) */
const NEVER = new Set<Op>([Op.UNDECODED, Op.ILLEGAL, Op.ECALL, Op.EBREAK]);
const WRITES_ZERO = new Set<Op>([Op.MOP_R, Op.MOP_RR]);

/** ops translated inline that go on to the next instruction (JAL/JALR do not: after them comes a new entry) */
const INLINE = new Set<Op>([...Object.keys(BINARY), ...Object.keys(WITH_IMM), ...Object.keys(BRANCH), ...Object.keys(LOAD),
  ...Object.keys(STORE)].map((k) => Number(k) as Op).concat([Op.LUI, Op.AUIPC, ...WRITES_ZERO, ...NOTHING]));

/** whether this file translates the decoded instruction (w, imm) at page offset so */
export function translatable(w: number, imm: number, so: number, misalignMask: number): boolean {
  const op = (w & 0x3ff) as Op;
  if (op === Op.JAL || BRANCH[op] !== undefined) return ((so + imm) & misalignMask) === 0; // else: the interpreter traps
  return !NEVER.has(op); // what has no WebAssembly form here calls the hart's semantics (import `ex`)
}

/** i32 index of the TLB entry of the address in L_A, into L_I */
export function tlbIndex(c: Code): void {
  c.get(L_A).op(W.i32_wrap_i64).i32(12).op(W.i32_shr_u).i32(TLB_ENTRIES - 1).op(W.i32_and).set(L_I);
}
/** i32: 1 when the TLB entry L_I of access `acc` maps the address in L_A for a naturally aligned access of `size` */
export function tlbHit(c: Code, acc: number, size: number): void {
  c.get(L_TLB).get(L_I).i32(3).op(W.i32_shl).op(W.i32_add).mem(W.i64_load, 3, acc * TLB_ACCESS_BYTES);
  // a misaligned address keeps low bits in the mask and never equals a tag: the slow path handles it
  c.get(L_A).i64(~0xfff | (size - 1)).op(W.i64_and).op(W.i64_eq);
}
/** i32 host offset of the address in L_A through TLB entry L_I of `acc` */
export function tlbHost(c: Code, acc: number): void {
  c.get(L_TLB).get(L_I).i32(2).op(W.i32_shl).op(W.i32_add).mem(W.i32_load, 2, acc * TLB_ACCESS_BYTES + 8 * TLB_ENTRIES);
  c.get(L_A).op(W.i32_wrap_i64).i32(0xfff).op(W.i32_and).op(W.i32_add);
}
/** the slow-path import's arguments: address lo, hi, info, pc lo, hi, retired */
function slowArgs(c: Code, info: number, so: number): void {
  c.get(L_A).op(W.i32_wrap_i64).get(L_A).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64).i32(info);
  c.get(L_PLO).i32(so).op(W.i32_or).get(L_PHI).get(L_N);
}

/**
 * Translate the decoded instructions of one page (hart.ts's decoded page: [so] = op word, [so + 1] = immediate).
 * Returns null when nothing there is translatable. `optimized`: the translation for the host's optimizing compiler
 * (Hart.jitOptimize); on a page with a long loop of its own (loopRegisters; with everyRegister on every page) it
 * has x registers in locals (xr above). `arrivals`: the page's Hart.jitArrival counts, or null (see ENTRY_GAP).
 * A baseline translation made while the host has an optimizing compiler, not profiling, counts its heat (imports
 * `heat` and `id`, see `cool`).
 */
export function translatePage(page: Int32Array, rawBase: number, misalignMask: number, countBlock = -1, optimized = false, everyRegister = false, arrivals: Uint8Array | null = null): { bytes: Uint8Array<ArrayBuffer>; entry: Uint8Array<ArrayBuffer>; count: number; countsHeat: boolean } | null {
  try {
    heat.on = !optimized && countBlock < 0 && optimizingCompiler !== null;
    // the optimizing translation of a page with a loop of its own has that loop's x registers in locals (with
    // everyRegister: every page, all its registers); a first pass finds which of them the page writes
    const loops = !optimized ? null : everyRegister ? new Uint8Array(33).fill(1) : loopRegisters(page, misalignMask);
    if (loops !== null) {
      xrBegin('note');
      if (emitPage(page, rawBase, misalignMask, countBlock, arrivals) === null) return null;
      xrBegin('cache', loops);
    } else xrBegin('off');
    const t = emitPage(page, rawBase, misalignMask, countBlock, arrivals);
    if (t === null) return null;
    return { bytes: assemble(t.c, optimized), entry: t.entry, count: t.count, countsHeat: heat.on };
  } finally {
    xrBegin('off');
    heat.on = false;
  }
}

/**
 * The x registers (mask by index) of the page's long loops that stay in it: a backward branch or jump to an
 * earlier instruction of the page at least LOOP_BODY_MIN instructions before it, every instruction from there to
 * it translated inline and none a call, a return or an indirect jump. null when there is none. Only such pages get
 * registers in locals: the locals are loaded at every entry and stored at every exit, and a back edge goes through
 * the dispatcher (moving every local to where its entry has it), which a long loop repays and short loops and code
 * calling from page to page do not. Measured in the Debian guest (rva23s64): with every optimized page's registers
 * in locals xz -9 took 31-33 s against 22-29 s and openssl sha256 fell from 10 to 6 MB/s; with loops of 48 and more
 * instructions only, openssl aes-128-cbc went from 15.6 to 18.8-21.8 MB/s and aes-128-gcm from 3.6 to 4.2-5.7,
 * xz -9 and perl stayed within this host's noise, and the bench's SHA-256/AES ran 1.3-1.5x faster.
 */
const LOOP_BODY_MIN = 48;
/** a decoded jal x0 (rd x0 is the scratch pair 32: pre-doubled 64): a jump that is no call */
const isPlainJump = (w: number): boolean => (w & 0x3ff) === Op.JAL && ((w >>> 10) & 127) === 64;
export function loopRegisters(page: Int32Array, misalignMask: number): Uint8Array | null {
  let regs: Uint8Array | null = null;
  for (let b = 0; b < 4096; b += 2) {
    const w = page[b]!, op = (w & 0x3ff) as Op;
    if (w === 0 || (BRANCH[op] === undefined && !isPlainJump(w))) continue;
    const t = b + page[b + 1]!;
    if (t < 0 || t >= b || (t & misalignMask) !== 0) continue;
    let so = t, ok = true, body = 0;
    while (ok && so < b) {
      const v = page[so]!, o = (v & 0x3ff) as Op;
      ok = v !== 0 && (INLINE.has(o) || isPlainJump(v));
      so += v < 0 ? 2 : 4;
      body++;
    }
    if (!ok || so !== b || body < LOOP_BODY_MIN) continue;
    regs ??= new Uint8Array(33);
    for (so = t; so <= b; so += page[so]! < 0 ? 2 : 4) {
      const v = page[so]!;
      regs[((v >>> 10) & 127) >>> 1] = 1; regs[((v >>> 17) & 127) >>> 1] = 1; regs[((v >>> 24) & 127) >>> 1] = 1;
    }
  }
  return regs;
}

function emitPage(page: Int32Array, rawBase: number, misalignMask: number, countBlock: number, arrivals: Uint8Array | null): { c: Code; entry: Uint8Array<ArrayBuffer>; count: number } | null {
  const slots: number[] = [];
  for (let so = 0; so < 4096; so += 2) {
    const w = page[so]!;
    if (w !== 0 && translatable(w, page[so + 1]!, so, misalignMask)) slots.push(so);
  }
  if (slots.length === 0) return null;
  fpBeginModule();
  const isLeader = new Uint8Array(2048);
  for (let k = 0; k < slots.length; k++) {
    const so = slots[k]!, w = page[so]!, op = (w & 0x3ff) as Op;
    if (k === 0 || !fallsThrough(page, slots[k - 1]!, so) || !INLINE.has((page[slots[k - 1]!]! & 0x3ff) as Op) || (arrivals !== null && arrivals[so >>> 1]! >= ARRIVED)) isLeader[so >>> 1] = 1;
    if (op === Op.JAL || BRANCH[op] !== undefined) {
      const t = so + page[so + 1]!;
      if (t >= 0 && t < 4096) isLeader[t >>> 1] = 1;
    }
  }
  for (let k = 0, since = 0; k < slots.length; k++) {
    const at = slots[k]! >>> 1;
    if (isLeader[at] === 1 || ++since >= ENTRY_GAP) { isLeader[at] = 1; since = 0; }
  }
  const leaders = slots.filter((so) => isLeader[so >>> 1] === 1);
  const K = leaders.length;
  const entry = new Uint8Array(2048);
  const c = new Code();
  // pb = the page's virtual address
  c.get(L_PLO).op(W.i64_extend_i32_u).get(L_PHI).op(W.i64_extend_i32_u).i64(32).op(W.i64_shl).op(W.i64_or).set(L_PB);
  heatEnter(c);
  reloadX(c);
  c.u8(W.loop, VOID);
  // budget check, then dispatch on the page offset
  c.get(L_N).get(L_LIM).op(W.i32_gt_s).u8(W.if_, VOID);
  exitDynamic(c);
  c.op(W.end);
  for (let k = 0; k <= K; k++) c.u8(W.block, VOID);
  const tableLen = (leaders[K - 1]! >>> 1) + 1;
  const depth = new Int32Array(tableLen);
  for (let k = 0; k < K; k++) { depth[leaders[k]! >>> 1] = k + 1; entry[leaders[k]! >>> 1] = 1; }
  c.get(L_SO).i32(1).op(W.i32_shr_u).u8(W.br_table).uleb(tableLen);
  for (let j = 0; j < tableLen; j++) c.uleb(depth[j]!);
  c.uleb(0).op(W.end);
  // not translated here: back to the interpreter
  exitDynamic(c);
  fw.label = -1; // index of the last label closed
  fw.labelOf.fill(-1);
  for (let k = 0; k < K; k++) fw.labelOf[leaders[k]! >>> 1] = k;
  fw.pending.fill(0);
  let sinceCheck = 0;
  for (let k = 0; k < slots.length; k++) {
    const so = slots[k]!;
    const reachedByFallthrough = k > 0 && fallsThrough(page, slots[k - 1]!, so);
    if (isLeader[so >>> 1] === 1) { c.op(W.end); fw.label++; }
    // the longest run since a budget check on any way here: fall-through, or a forward branch that came straight
    // here (see goTo); entries through the dispatcher have just checked
    sinceCheck = Math.max(reachedByFallthrough ? sinceCheck : 0, fw.pending[so >>> 1]!);
    if (sinceCheck >= RUN_BOUND) {
      c.get(L_N).get(L_LIM).op(W.i32_gt_s).u8(W.if_, VOID); exitAt(c, so); c.op(W.end);
      sinceCheck = 0;
    }
    fw.since = sinceCheck;
    const loopDepth = K - 1 - fw.label;
    c.countAt = countBlock < 0 ? -1 : countBlock + (so >>> 1) * 4;
    emitInstruction(c, page[so]!, page[so + 1]!, page[rawBase + so]!, so, misalignMask, loopDepth);
    sinceCheck++;
    const w = page[so]!;
    const next = so + (w < 0 ? 2 : 4);
    const op = (w & 0x3ff) as Op;
    if (op !== Op.JAL && op !== Op.JALR && !(k + 1 < slots.length && slots[k + 1] === next)) exitAt(c, next);
  }
  c.op(W.end).op(W.unreachable).op(W.end);
  return { c, entry, count: slots.length };
}

/** back to the interpreter at page offset L_SO */
function exitDynamic(c: Code): void {
  flushX(c);
  cool(c);
  c.get(L_XB).get(L_PB).get(L_SO).op(W.i64_extend_i32_u).op(W.i64_add).mem(W.i64_store, 3, JIT_PC);
  c.get(L_XB).get(L_N).mem(W.i32_store, 2, JIT_RETIRED).i32(1).op(W.return_);
}

/** whether execution falls from the instruction at `prev` into the one at `so` */
function fallsThrough(page: Int32Array, prev: number, so: number): boolean {
  const w = page[prev]!;
  const op = (w & 0x3ff) as Op;
  return op !== Op.JAL && op !== Op.JALR && prev + (w < 0 ? 2 : 4) === so;
}

/**
 * Where translatePage is in the page, for branches: the labels are blocks that all open before the first
 * instruction and close in address order, so a translated instruction further down the page is a still-open block
 * and a forward branch reaches it with one `br`; a backward one goes round the loop through the budget check and
 * the dispatcher.
 */
const fw = {
  /** index of the last label closed (the instruction being emitted is under it) */
  label: -1,
  /** per half-word slot: its label index, -1 where there is none */
  labelOf: new Int32Array(2048),
  /** per half-word slot: the longest run since a budget check of the forward branches that come straight here */
  pending: new Int32Array(2048),
  /** that run for the instruction being emitted, before it */
  since: 0,
};

/**
 * control to page offset `t` (a constant): forward inside the page straight to its label, backward through the
 * dispatcher, else out with the pc; `nest`: structured blocks the caller has opened around this
 */
function goTo(c: Code, so: number, t: number, loopDepth: number, nest: number): void {
  const target = t > so && t < 4096 ? fw.labelOf[t >>> 1]! : -1;
  if (target >= 0) {
    fw.pending[t >>> 1] = Math.max(fw.pending[t >>> 1]!, fw.since + 1);
    c.u8(W.br).uleb(target - fw.label - 1 + nest);
  } else if (t >= 0 && t < 4096) c.i32(t).set(L_SO).u8(W.br).uleb(loopDepth + nest);
  else { pcPlus(c, so, t - so); exitPcFromStack(c); }
}

function emitInstruction(c: Code, w: number, imm: number, raw: number, so: number, misalignMask: number, loopDepth: number): void {
  const op = (w & 0x3ff) as Op;
  const rd = (w >>> 10) & 127, rs1 = (w >>> 17) & 127, rs2 = (w >>> 24) & 127;
  const ilen = w < 0 ? 2 : 4;
  const live = rd !== 64; // rd = x0 is redirected to the scratch pair 32 (byte offset 256): pure results are dropped
  const bin = BINARY[op], withImm = WITH_IMM[op], br = BRANCH[op], ld = LOAD[op], st = STORE[op];
  if (bin !== undefined) {
    if (live) { xDest(c, rd); getX(c, rs1); getX(c, rs2); bin(c); xStore(c, rd); }
    countOne(c);
  } else if (withImm !== undefined) {
    if (live) { xDest(c, rd); getX(c, rs1); withImm(c, imm); xStore(c, rd); }
    countOne(c);
  } else if (op === Op.LUI || op === Op.AUIPC || WRITES_ZERO.has(op)) {
    if (live) {
      xDest(c, rd);
      if (op === Op.LUI) c.i64(imm); else if (op === Op.AUIPC) pcPlus(c, so, imm); else c.i64(0);
      xStore(c, rd);
    }
    countOne(c);
  } else if (NOTHING.has(op)) {
    countOne(c);
  } else if (op === Op.JAL) {
    if (live) { xDest(c, rd); pcPlus(c, so, ilen); xStore(c, rd); }
    countOne(c);
    goTo(c, so, so + imm, loopDepth, 0);
  } else if (op === Op.JALR) {
    getX(c, rs1); c.i64(imm).op(W.i64_add).i64(-2).op(W.i64_and).set(L_A);
    if (misalignMask) { c.get(L_A).op(W.i32_wrap_i64).i32(misalignMask).op(W.i32_and).u8(W.if_, VOID); exitAt(c, so); c.op(W.end); }
    if (live) { xDest(c, rd); pcPlus(c, so, ilen); xStore(c, rd); }
    countOne(c);
    c.get(L_A).get(L_PB).op(W.i64_sub).tee(L_B).i64(4096).op(W.i64_lt_u).u8(W.if_, VOID);
    c.get(L_B).op(W.i32_wrap_i64).set(L_SO).u8(W.br).uleb(loopDepth + 1).op(W.end);
    c.get(L_A); exitPcFromStack(c);
  } else if (br !== undefined) {
    getX(c, rs1); getX(c, rs2); c.op(br).u8(W.if_, VOID);
    countOne(c);
    goTo(c, so, so + imm, loopDepth, 1);
    c.op(W.end);
    countOne(c);
  } else if (ld !== undefined) {
    const [size, load, signed] = ld;
    getX(c, rs1); c.i64(imm).op(W.i64_add).set(L_A);
    tlbIndex(c);
    tlbHit(c, ACC_LOAD, size); c.u8(W.if_, VOID);
    xDest(c, rd); tlbHost(c, ACC_LOAD); c.mem(load, 0, 0); xStore(c, rd);
    c.op(W.else_);
    flushX(c);
    slowArgs(c, size | (signed ? 16 : 0) | (ilen === 2 ? 32 : 0) | (rd << 8), so); c.u8(W.call).uleb(F_LD);
    reloadX(c, rd);
    c.op(W.end);
    countOne(c);
  } else if (st !== undefined) {
    const [size, store] = st;
    getX(c, rs1); c.i64(imm).op(W.i64_add).set(L_A);
    tlbIndex(c);
    tlbHit(c, ACC_STORE, size); c.u8(W.if_, VOID);
    tlbHost(c, ACC_STORE); c.set(L_H);
    // a page holding decoded code: the interpreter does the store (it drops that code)
    c.get(L_H).i32(12).op(W.i32_shr_u).mem(W.i32_load8_u, 0, CODE_PAGE_BASE).u8(W.if_, VOID); exitAt(c, so); c.op(W.end);
    c.get(L_H); getX(c, rs2); c.mem(store, 0, 0);
    countOne(c);
    c.op(W.else_);
    countBefore(c);
    flushX(c);
    slowArgs(c, size | (ilen === 2 ? 32 : 0) | (rs2 << 8), so); c.u8(W.call).uleb(F_ST);
    c.u8(W.if_, VOID); countOne(c, false); exitAt(c, so + ilen); c.op(W.end);
    countOne(c, false);
    c.op(W.end);
  } else if (!emitFp(c, op, w, imm, raw, so)) {
    emitEx(c, w, imm, raw, so);
  }
}

/**
 * The hart's own semantics of the op (ext/*.ts): CSR accesses, atomics, FP slow paths, cache-block ops, system
 * ops. A non-zero result means it redirected the pc, ended the run slice or changed code: back to the run loop.
 */
export function emitEx(c: Code, w: number, imm: number, raw: number, so: number): void {
  countBefore(c);
  flushX(c);
  c.i32(w).i32(imm).i32(raw).get(L_PLO).i32(so).op(W.i32_or).get(L_PHI).get(L_N).u8(W.call).uleb(F_EX);
  c.u8(W.if_, VOID);
  countOne(c, false); cool(c); c.get(L_XB).get(L_N).mem(W.i32_store, 2, JIT_RETIRED).i32(0).op(W.return_);
  c.op(W.end);
  reloadX(c);
  countOne(c, false);
}

/**
 * The hart's entry into translated code: enter(index, xb, tlb, pageLo, pageHi, so, lim, n) calls the function at
 * `index` of the table. One exported function for all pages keeps the run loop's call site monomorphic, so V8
 * inlines the JavaScript-to-WebAssembly transition there.
 */
export function dispatcherModule(): Uint8Array<ArrayBuffer> {
  const m = new Bytes();
  m.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, content: Bytes): void => { m.u8(id).uleb(content.len).append(content); };
  const types = new Bytes().uleb(2);
  types.u8(0x60).uleb(7).bytes(new Array<number>(7).fill(I32)).uleb(1).u8(I32); // 0: f
  types.u8(0x60).uleb(8).bytes(new Array<number>(8).fill(I32)).uleb(1).u8(I32); // 1: enter
  section(1, types);
  section(2, new Bytes().uleb(1).name('e').name('t').u8(0x01, 0x70).u8(0x00).uleb(0));
  section(3, new Bytes().uleb(1).uleb(1));
  section(7, new Bytes().uleb(1).name('enter').u8(0x00).uleb(0));
  const body = new Code();
  for (let k = 1; k <= 7; k++) body.get(k);
  body.get(0).u8(W.return_call_indirect).uleb(0).uleb(0).op(W.end);
  section(10, new Bytes().uleb(1).uleb(body.len + 1).uleb(0).append(body));
  return m.buf.slice(0, m.len);
}

/** compilation hint bytes: strategy (2: eager) | baseline tier << 2 | top tier << 4 (1: baseline, 2: optimized) */
const HINT_EAGER_BASELINE = 2 | 1 << 2 | 1 << 4;
const HINT_EAGER_OPTIMIZED = 2 | 2 << 2 | 2 << 4;

function assemble(body: Code, optimized: boolean): Uint8Array<ArrayBuffer> {
  const xLocals = xr.list.length, flushed = xr.writtenList.length; // the x registers in locals (xr), if any
  const m = new Bytes();
  m.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, content: Bytes): void => { m.u8(id).uleb(content.len).append(content); };
  const i32s = (k: number): number[] => new Array<number>(k).fill(I32);
  const fp = fpModuleParts();
  const types = new Bytes().uleb(6 + fp.typeCount);
  types.u8(0x60).uleb(7).bytes(i32s(7)).uleb(1).u8(I32); // 0: f
  types.u8(0x60).uleb(6).bytes(i32s(6)).uleb(0); // 1: ld
  types.u8(0x60).uleb(6).bytes(i32s(6)).uleb(1).u8(I32); // 2: st, ex
  types.u8(0x60).uleb(5).bytes([I32, I32, I32, I32, I64]).uleb(1).u8(I32); // 3: leave
  types.u8(0x60).uleb(1 + flushed).u8(I32).bytes(new Array<number>(flushed).fill(I64)).uleb(0); // 4: flush
  types.u8(0x60).uleb(2).bytes(i32s(2)).uleb(0); // 5: cool
  types.append(fp.types);
  section(1, types);
  const imports = new Bytes().uleb(heat.on ? 7 : 5);
  imports.name('e').name('m').u8(0x02, 0x00).uleb(0);
  imports.name('e').name('t').u8(0x01, 0x70).u8(0x00).uleb(0);
  imports.name('e').name('ld').u8(0x00).uleb(1);
  imports.name('e').name('st').u8(0x00).uleb(2);
  imports.name('e').name('ex').u8(0x00).uleb(2);
  if (heat.on) imports.name('e').name('heat').u8(0x03, I32).u8(0x01).name('e').name('id').u8(0x03, I32).u8(0x00);
  section(2, imports);
  const funcs = new Bytes().uleb(4 + fp.funcTypes.length).uleb(0).uleb(3).uleb(4).uleb(5);
  for (const t of fp.funcTypes) funcs.uleb(t);
  section(3, funcs);
  section(7, new Bytes().uleb(1).name('f').u8(0x00).uleb(F_MAIN));
  const fLocals = new Bytes().uleb(xLocals > 0 ? 5 : 4).uleb(I32_LOCALS).u8(I32).uleb(I64_LOCALS).u8(I64).uleb(F64_LOCALS).u8(F64).uleb(1).u8(I32);
  if (xLocals > 0) fLocals.uleb(xLocals).u8(I64);
  const leave = leaveBody();
  const leaveLocals = new Bytes().uleb(1).uleb(2).u8(I32);
  const code = new Bytes().uleb(4 + fp.funcTypes.length);
  code.uleb(fLocals.len + body.len).append(fLocals).append(body);
  code.uleb(leaveLocals.len + leave.len).append(leaveLocals).append(leave);
  const flush = flushBody();
  code.uleb(1 + flush.len).uleb(0).append(flush);
  const cooling = coolBody(), coolLocals = new Bytes().uleb(heat.on ? 1 : 0);
  if (heat.on) coolLocals.uleb(1).u8(I32);
  code.uleb(coolLocals.len + cooling.len).append(coolLocals).append(cooling);
  code.append(fp.code);
  // Each function's tier, for an engine that reads compilation hints (V8 with
  // --experimental-wasm-compilation-hints, which it honours even under --liftoff-only): the optimizing
  // translation is compiled by the optimizing compiler, the baseline one by the baseline compiler, both eagerly
  // (a background compile then leaves nothing to compile at the first call). Engines without it skip the section.
  // It also makes the two translations of a page different bytes for engines that cache modules by their bytes.
  const hints = new Bytes().name('compilationHints').uleb(4 + fp.funcTypes.length);
  for (let k = 0; k < 4 + fp.funcTypes.length; k++) hints.u8(optimized ? HINT_EAGER_OPTIMIZED : HINT_EAGER_BASELINE);
  section(0, hints); // before the code section, where V8 reads it
  section(10, code);
  return m.buf.slice(0, m.len);
}
