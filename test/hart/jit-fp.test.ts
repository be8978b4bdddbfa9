// Translated F/D code (src/hart/jit-fp.ts) against the exact rational reference and against the interpreter.
// The fast paths are taken only in operand ranges the random oracle cases rarely hit, so the first test aims at
// them: moderate exponents, short significands (exact results and ties), cancellation, the edges of the ranges
// the fast paths accept, near-ties of fused multiply-adds; every result and fflags must equal the BigInt
// reference, translated and interpreted, with dynamic and static rounding modes. The second runs random FP
// programs (special values, NaN-boxing, all rounding modes incl. reserved ones and frm changes, FS off / initial /
// clean, loads and stores incl. compressed and misaligned, traps) both ways and compares the whole state.
import { test } from 'node:test';
import { modeTest, modeOptions, translated } from './jit-modes.js';
import assert from 'node:assert/strict';
import { GuestMemory, Hart } from '../../src/hart/index.js';
import { encodings } from '../../src/hart/ext/fd.js';
import { RAM, I, S, B, J, encode, isaSet, addi, csrrw, csrrs, type Insn, CSR_MTVEC, CSR_MSTATUS } from './asm.js';
import {
  F32, F64, Rng, ALL_RM, type Fmt, type Result, refAdd, refMul, refDiv, refSqrt, refFma, refConvert, refToInt,
  refFromInt, type IntKind,
} from './fp/reference.js';
import { runOnHart, type Shape, type HartCase } from './fp/on-hart.js';

// ---------------------------------------------------------------- fast-path ranges vs the reference

const fracBits = (f: Fmt): number => f.p - 1;
const bias = (f: Fmt): number => f.emax;
function enc(f: Fmt, neg: boolean, exp: number, frac: bigint): bigint {
  const fb = BigInt(fracBits(f));
  return (neg ? 1n << BigInt(f.width - 1) : 0n) | (BigInt(exp) << fb) | (frac & ((1n << fb) - 1n));
}
/** operands of the fast paths and their edges */
function fastFloat(rng: Rng, f: Fmt): bigint {
  const fb = fracBits(f);
  const frac = (): bigint => {
    const k = rng.int(4);
    if (k === 0) { const n = rng.int(10); return n === 0 ? 0n : rng.bits(n) << BigInt(fb - n); } // short: exact / ties
    if (k === 1) return (1n << BigInt(fb)) - 1n - rng.bits(rng.int(3));
    return rng.bits(fb);
  };
  const neg = rng.int(2) === 1;
  const b = bias(f);
  switch (rng.int(12)) {
    case 0: return enc(f, neg, 0, 0n);
    case 1: // the edges of the binary64 ranges (480 and 0x7fd) and of binary32's normal range
      return f.width === 64 ? enc(f, neg, rng.pick([b - 480, b - 481, b + 480, b + 481, 0x7fd, 0x7fe, b - 969, b - 970]), frac())
        : enc(f, neg, rng.pick([1, 2, 3, 0xfd, 0xfe]), frac());
    case 2: return enc(f, neg, b + rng.int(2 * 30) - 30, frac());
    case 3: return enc(f, neg, 0, rng.bits(fb) || 1n); // subnormal
    default: return enc(f, neg, b + rng.int(16) - 8, frac());
  }
}
const mask = (f: Fmt): bigint => (1n << BigInt(f.width)) - 1n;
const asDouble = (bits: bigint): number => new Float64Array(new BigUint64Array([bits]).buffer)[0]!;
const fromDouble = (x: number): bigint => new BigUint64Array(new Float64Array([x]).buffer)[0]!;
const asFloat = (bits: bigint): number => new Float32Array(new Uint32Array([Number(bits)]).buffer)[0]!;
const fromFloat = (x: number): bigint => BigInt(new Uint32Array(new Float32Array([x]).buffer)[0]!);
/** a value near x (a few ulps away, or exactly it), in f's encoding */
function near(rng: Rng, f: Fmt, x: number): bigint {
  const bits = f.width === 64 ? fromDouble(x) : fromFloat(x);
  return (bits + BigInt(rng.int(5) - 2)) & mask(f);
}
function related(rng: Rng, f: Fmt, a: bigint): bigint {
  const m = mask(f);
  switch (rng.int(3)) {
    case 0: return a ^ (1n << BigInt(f.width - 1)); // cancellation to zero (x + -x)
    case 1: return (a + BigInt(rng.int(9) - 4)) & m; // near cancellation
    default: return (a & ~((1n << BigInt(rng.int(fracBits(f)))) - 1n)) ^ (rng.int(2) ? 1n << BigInt(f.width - 1) : 0n);
  }
}

interface FastOp { insn: string; shape: Shape; f: Fmt; ref: (a: bigint, b: bigint, c: bigint, rm: number) => Result; gen?: 'int' | 'd2s' }
const arith = (s: 'd' | 's'): FastOp[] => {
  const f = s === 'd' ? F64 : F32, x = s === 'd' ? 'D' : 'S';
  return [
    { insn: `fadd.${s}`, shape: `${x}2` as Shape, f, ref: (a, b, _c, rm) => refAdd(f, a, b, rm) },
    { insn: `fsub.${s}`, shape: `${x}2` as Shape, f, ref: (a, b, _c, rm) => refAdd(f, a, b, rm, true) },
    { insn: `fmul.${s}`, shape: `${x}2` as Shape, f, ref: (a, b, _c, rm) => refMul(f, a, b, rm) },
    { insn: `fdiv.${s}`, shape: `${x}2` as Shape, f, ref: (a, b, _c, rm) => refDiv(f, a, b, rm) },
    { insn: `fsqrt.${s}`, shape: `${x}1` as Shape, f, ref: (a, _b, _c, rm) => refSqrt(f, a, rm) },
    { insn: `fmadd.${s}`, shape: `${x}3` as Shape, f, ref: (a, b, c, rm) => refFma(f, a, b, c, rm) },
    { insn: `fmsub.${s}`, shape: `${x}3` as Shape, f, ref: (a, b, c, rm) => refFma(f, a, b, c, rm, false, true) },
    { insn: `fnmsub.${s}`, shape: `${x}3` as Shape, f, ref: (a, b, c, rm) => refFma(f, a, b, c, rm, true, false) },
    { insn: `fnmadd.${s}`, shape: `${x}3` as Shape, f, ref: (a, b, c, rm) => refFma(f, a, b, c, rm, true, true) },
    ...(['w', 'wu', 'l', 'lu'] as IntKind[]).map((k): FastOp => ({ insn: `fcvt.${k}.${s}`, shape: `X${x}` as Shape, f, ref: (a, _b, _c, rm) => refToInt(f, a, k, rm) })),
    ...(['w', 'wu', 'l', 'lu'] as IntKind[]).map((k): FastOp => ({
      insn: `fcvt.${s}.${k}`, shape: `${x}X` as Shape, f, gen: 'int',
      ref: (a, _b, _c, rm) => refFromInt(f, k === 'w' ? BigInt.asIntN(32, a) : k === 'wu' ? BigInt.asUintN(32, a) : k === 'l' ? BigInt.asIntN(64, a) : BigInt.asUintN(64, a), rm),
    })),
  ];
};
const FAST_OPS: FastOp[] = [
  ...arith('d'), ...arith('s'),
  { insn: 'fcvt.s.d', shape: 'D1', f: F64, gen: 'd2s', ref: (a, _b, _c, rm) => refConvert(F64, F32, a, rm) },
  { insn: 'fcvt.d.s', shape: 'S1', f: F32, ref: (a, _b, _c, rm) => refConvert(F32, F64, a, rm) },
];

/**
 * a * b + c within a tiny amount of a midpoint of c's precision: a * b = (1 + 2^-j)(1 - 2^-j + 2^-2j) = 1 + 2^-3j
 * (or (1 - 2^-j)(1 + 2^-j + 2^-2j) = 1 - 2^-3j) times half an ulp of c. Adding the product's error term to the sum's
 * rounded naively rounds twice (to the midpoint, then to even); rounding to odd does not.
 */
function fmaNearTie(rng: Rng, f: Fmt, rm: number): HartCase {
  const p = f.p, j = 2 + rng.int(Math.floor((p - 1) / 2) - 1);
  const k = rng.int(40) - 20;
  const up = rng.int(2) === 0;
  const one = (x: number): bigint => (f.width === 64 ? fromDouble(x) : fromFloat(x));
  const a = (1 + (up ? 1 : -1) * 2 ** -j) * 2 ** (k - p);
  const b = 1 + (up ? -1 : 1) * 2 ** -j + 2 ** (-2 * j);
  const m = 1 + rng.int(1 << Math.min(20, p - 1)) * 2 ** -(p - 1) * (rng.int(2) ? 1 : 2 ** (p - 1 - Math.min(20, p - 1)));
  const c = m * 2 ** k * (rng.int(2) ? 1 : -1);
  const sa = rng.int(2) ? -1 : 1;
  return { a: one(a * sa), b: one(b), c: one(c), rm };
}

function fastCases(rng: Rng, op: FastOp, n: number): HartCase[] {
  const f = op.f, out: HartCase[] = [];
  for (let k = 0; k < n; k++) {
    const rm = rng.int(3) === 0 ? rng.pick(ALL_RM) : 0;
    if (op.gen === 'int') {
      const bitsN = rng.pick([8, 20, 24, 25, 31, 32, 53, 54, 63, 64]);
      let v = rng.bits(bitsN);
      if (rng.int(2)) v <<= BigInt(rng.int(12));
      if (rng.int(3) === 0) v = -v;
      out.push({ a: BigInt.asUintN(64, v), b: 0n, c: 0n, rm });
      continue;
    }
    if (op.gen === 'd2s') {
      // binary64 values around binary32's range and precision
      const e = rng.pick([1023 - 126, 1023 - 127, 1023 - 125, 1023 + 127, 1023 + 128, 1023 + rng.int(60) - 30]);
      const fr = rng.int(2) ? rng.bits(52) : rng.bits(23) << 29n | BigInt(rng.int(2)) << BigInt(28 - rng.int(3));
      out.push({ a: enc(F64, rng.int(2) === 1, e, fr), b: 0n, c: 0n, rm });
      continue;
    }
    const a = fastFloat(rng, f);
    const b = rng.int(3) === 0 ? related(rng, f, a) : fastFloat(rng, f);
    let c = fastFloat(rng, f);
    if (op.shape.endsWith('3') && rng.int(3) === 0) { out.push(fmaNearTie(rng, f, rm)); continue; }
    if (op.shape.endsWith('3') && rng.int(2) === 0) {
      // near-ties and cancellation of a * b + c: c close to -(a * b) rounded, or half an ulp of it away
      const x = f.width === 64 ? asDouble(a) : asFloat(a), y = f.width === 64 ? asDouble(b) : asFloat(b);
      const p = f.width === 64 ? x * y : Math.fround(x * y);
      if (Number.isFinite(p)) c = near(rng, f, rng.int(2) ? -p : p / (1 << rng.int(30)) * (rng.int(2) ? 1 : -1) || 0);
    }
    out.push({ a, b, c, rm });
  }
  return out;
}

test('translated F/D fast paths and their edges equal the exact rational reference (dynamic and static rounding modes, both modes)', () => {
  const rng = new Rng(1414);
  const bad: string[] = [];
  let wrong = 0, total = 0;
  for (const op of FAST_OPS) {
    const cases = fastCases(rng, op, 700);
    const want = cases.map((c) => op.ref(c.a, c.b, c.c, c.rm));
    const narrow = op.insn === 'fcvt.s.d' || (op.f === F32 && !op.shape.startsWith('X') && op.insn !== 'fcvt.d.s');
    // fflags = NX before each instruction too (as it stays in FP code): the translated + - * / sqrt then skip
    // their exactness tests, and every result and flag must still be the reference's (flags ORed with NX)
    for (const [jit, staticRm, nx] of [[true, false, 0], [true, true, 0], [false, false, 0], [true, false, 1], [true, true, 1], [false, false, 1]] as const) {
      const r = runOnHart(op.insn, op.shape, cases, jit, staticRm, nx);
      if (jit) assert.ok(r.translated > 0, `${op.insn}: nothing was translated`);
      cases.forEach((c, k) => {
        total++;
        const w = want[k]!;
        const wantBits = narrow ? w.bits | 0xffffffff00000000n : w.bits;
        if (r.results[k] !== wantBits || r.flags[k] !== (w.flags | nx)) {
          wrong++;
          if (bad.length < 10) bad.push(`${op.insn} ${jit ? 'jit' : 'interp'}${staticRm ? ' static' : ''}${nx ? ' nx-set' : ''} rm=${c.rm} a=${c.a.toString(16)} b=${c.b.toString(16)} c=${c.c.toString(16)}: ${r.results[k]!.toString(16)}/${r.flags[k]}, reference ${wantBits.toString(16)}/${w.flags | nx}`);
        }
      });
    }
  }
  assert.equal(wrong, 0, `${wrong} of ${total} differ from the reference:\n${bad.join('\n')}`);
});

// ---------------------------------------------------------------- random programs: translated vs interpreted

const ISA = 'i m a f d c zca zcd zicsr zifencei zicntr';
const DATA = RAM + 0x20000;
const FD = encodings.filter((e) => e.ext === 'f' || e.ext === 'd');
const X_DEST = [1, 2, 3, 4, 6, 7, 9, 10, 11, 12, 13, 14, 15]; // x5 = t0 scratch of the CSR snippets, x8 = data
const HANDLER = 0xe00; // trap handler: skip the instruction (2 or 4 bytes), count in x27

function specialF(rng: Rng): bigint {
  const boxed = (v: bigint): bigint => 0xffffffff00000000n | v;
  switch (rng.int(14)) {
    case 0: return 0x7ff8000000000000n; // canonical qNaN
    case 1: return 0x7ff0000000000001n | rng.bits(20); // sNaN
    case 2: return rng.pick([0x7ff0000000000000n, 0xfff0000000000000n, 0n, 0x8000000000000000n]);
    case 3: return rng.bits(52) || 1n; // subnormal
    case 4: return rng.pick([0x7fefffffffffffffn, 0x0010000000000000n, 0x8010000000000000n, 0x3ff0000000000000n]);
    case 5: return boxed(rng.pick([0x7fc00000n, 0x7f800001n, 0x7f800000n, 0xff800000n, 0n, 0x80000000n, 0x00000001n, 0x00800000n, 0x7f7fffffn]));
    case 6: return boxed(rng.bits(32));
    case 7: return rng.bits(64); // an f32 improperly NaN-boxed, most likely
    case 8: return boxed(BigInt(0x3f800000 + rng.int(1 << 24) - (1 << 23)));
    default: return enc(F64, rng.int(2) === 1, 1023 + rng.int(40) - 20, rng.bits(52));
  }
}

function randomFpProgram(rng: Rng, n: number): Insn[] {
  const prog: Insn[] = [];
  const reg = (): number => rng.int(32);
  for (let k = 0; k < n; k++) {
    const r = rng.int(40);
    if (r === 0) prog.push(addi(5, 0, rng.int(8)), csrrw(0, 2, 5)); // frm (5..7 reserved: dynamic ops trap)
    else if (r === 1) prog.push(I(1, rng.int(32), 5, 0, 0x73)); // csrwi fflags, random
    else if (r === 2) prog.push(csrrs(rng.pick(X_DEST), 3, 0)); // csrr fcsr
    else if (r === 3) prog.push(0x000022b7 + (rng.pick([0, 2, 4]) << 12), csrrs(0, CSR_MSTATUS, 5)); // FS |= initial / clean / dirty
    else if (r === 4 && rng.int(3) === 0) prog.push(0x000062b7, I(CSR_MSTATUS, 5, 3, 0, 0x73)); // FS = off (csrc)
    else if (r < 10) {
      // loads and stores through x8: mostly aligned, some misaligned
      const size = rng.int(2) ? 8 : 4, off = rng.int(3) ? rng.int(250) * 8 : rng.int(2000);
      if (rng.int(2)) prog.push(I(off, 8, size === 8 ? 3 : 2, reg(), 0x07));
      else prog.push(S(off, reg(), 8, size === 8 ? 3 : 2, 0x27));
    } else if (r === 10) {
      // c.fld / c.fsd f8..f15, 0..248(x8)
      const off = rng.int(32) * 8, fr = rng.int(8);
      const w = (rng.int(2) ? 0x2000 : 0xa000) | (((off >> 3) & 7) << 10) | (((off >> 6) & 3) << 5) | (fr << 2);
      prog.push({ c: w });
    } else {
      const e = FD[rng.int(FD.length)]!;
      if (e.name.startsWith('fl') && e.name.length === 3 || e.name === 'fsw' || e.name === 'fsd') { k--; continue; }
      let w = e.match;
      const rd = e.frd ? reg() : rng.pick(X_DEST);
      w |= rd << 7 | reg() << 15;
      if ((e.mask & 0x01f00000) === 0) w |= reg() << 20;
      if ((e.mask & 0xf8000000) === 0) w |= reg() << 27;
      if ((e.mask & 0x7000) === 0) w |= (rng.int(4) === 0 ? rng.int(8) : rng.int(3) === 0 ? 0 : 7) << 12;
      prog.push(w >>> 0);
    }
  }
  return prog;
}

function fpHart(prog: Insn[], jit: boolean, seedState: { f: bigint[]; x: bigint[]; data: Uint8Array; fs: number; frm: number }): { hart: Hart; mem: GuestMemory } {
  const mem = new GuestMemory({ maxRamBytes: 4 << 20 });
  mem.addRam(RAM, 4 << 20);
  const code = encode(prog);
  assert.ok(code.length <= HANDLER, 'program fits before the handler');
  mem.ram(RAM, code.length).set(code);
  // handler: t6 = mepc; t5 = its low half-word & 3; mepc += 2, +2 more when 32-bit; x27++; mret
  const handler = encode([
    csrrs(31, 0x341, 0), I(0, 31, 5, 30, 0x03), I(3, 30, 7, 30, 0x13), addi(31, 31, 2), addi(29, 0, 3),
    B(8, 29, 30, 1), // bne t5, t4, +8
    addi(31, 31, 2), csrrw(0, 0x341, 31), addi(27, 27, 1), 0x30200073,
  ]);
  mem.ram(RAM + HANDLER, handler.length).set(handler);
  mem.ram(DATA, seedState.data.length).set(seedState.data);
  const hart = new Hart({ memory: mem, isa: isaSet(ISA), hartId: 0, clock: 'icount', jit, jitHot: 0, ...modeOptions() });
  hart.setPc(BigInt(RAM));
  hart.setCsr(CSR_MTVEC, BigInt(RAM + HANDLER));
  hart.setCsr(2, BigInt(seedState.frm)); // (writing frm makes FS dirty: mstatus after it)
  hart.setCsr(CSR_MSTATUS, BigInt(seedState.fs << 13));
  seedState.f.forEach((v, k) => hart.setF(k, v));
  seedState.x.forEach((v, k) => { if (k !== 0) hart.setX(k, v); });
  hart.setX(8, BigInt(DATA));
  return { hart, mem };
}

modeTest('random F/D programs: translated code ends in the same state as the interpreter (registers, fcsr, mstatus, memory, traps)', () => {
  for (let seed = 1; seed <= 24; seed++) {
    const rng = new Rng(seed * 7919);
    const prog = randomFpProgram(rng, 300);
    prog.push(J(0, 0));
    const data = new Uint8Array(2048 + 16);
    for (let k = 0; k < data.length; k += 8) new DataView(data.buffer).setBigUint64(k, specialF(rng), true);
    const xs = Array.from({ length: 32 }, () => rng.pick([0n, 1n, -1n, 0x7fffffffn, -0x80000000n, 0xffffffffn, 0x7fffffffffffffffn, -0x8000000000000000n, 1n << 53n, (1n << 53n) + 1n, 123456789n, rng.bits(64), rng.bits(24), rng.bits(60)]));
    const st = { f: Array.from({ length: 32 }, () => specialF(rng)), x: xs, data, fs: seed % 4 === 0 ? 0 : 1 + (seed % 3), frm: seed % 8 === 7 ? 0 : seed % 5 };
    const a = fpHart(prog, false, st), b = fpHart(prog, true, st);
    for (const h of [a.hart, b.hart]) { h.run(1); h.run(2000); }
    const what = `seed ${seed}`;
    for (let r = 0; r < 32; r++) assert.equal(b.hart.getX(r), a.hart.getX(r), `${what}: x${r}`);
    for (let r = 0; r < 32; r++) assert.equal(b.hart.getF(r), a.hart.getF(r), `${what}: f${r}`);
    assert.equal(b.hart.getCsr(3), a.hart.getCsr(3), `${what}: fcsr`);
    assert.equal(b.hart.getCsr(CSR_MSTATUS), a.hart.getCsr(CSR_MSTATUS), `${what}: mstatus`);
    assert.equal(b.hart.getPc(), a.hart.getPc(), `${what}: pc`);
    assert.equal(b.hart.instret, a.hart.instret, `${what}: instret`);
    assert.deepEqual(b.mem.ram(DATA, 2064), a.mem.ram(DATA, 2064), `${what}: data memory`);
    translated(b.hart.jitStats, what, 200);
  }
});

modeTest('single F/D instructions from FS = Clean: translated code marks FS dirty, raises flags and traps exactly as interpreted', () => {
  const rng = new Rng(99);
  let n = 0;
  for (const e of FD) {
    const memOp = e.name === 'flw' || e.name === 'fld' || e.name === 'fsw' || e.name === 'fsd';
    for (let k = 0; k < 6; k++) {
      let w = e.match | (e.frd ? 4 : 6) << 7 | 1 << 15;
      // loads and stores: f4 <- 8(x8), f1 -> 0(x8)
      if (memOp) w = e.name[1] === 'l' ? (e.match | 4 << 7 | 8 << 15 | 8 << 20) : (e.match | 8 << 15 | 1 << 20);
      if (!memOp && (e.mask & 0x01f00000) === 0) w |= 2 << 20;
      if (!memOp && (e.mask & 0xf8000000) === 0) w |= 3 << 27;
      if (!memOp && (e.mask & 0x7000) === 0) w |= (k < 3 ? 7 : rng.pick([0, 0, 1, 2, 3, 4, 5])) << 12;
      const prog: Insn[] = [w >>> 0, J(0, 0)];
      const f = Array.from({ length: 32 }, () => (rng.int(2) ? specialF(rng) : enc(F64, rng.int(2) === 1, 1023 + rng.int(20) - 10, rng.bits(52))));
      // moderate binary32 operands too, so the fast paths run
      if (rng.int(2)) for (const r of [1, 2, 3]) f[r] = 0xffffffff00000000n | BigInt(0x3f000000 + rng.int(1 << 25));
      const st = { f, x: Array.from({ length: 32 }, () => rng.pick([0n, 3n, -7n, rng.bits(64), rng.bits(20)])), data: new Uint8Array(Array.from({ length: 16 }, () => rng.int(256))), fs: k === 5 ? 0 : 2, frm: k === 2 ? 5 : k % 2 ? 0 : rng.int(5) };
      const a = fpHart(prog, false, st), b = fpHart(prog, true, st);
      // two runs: the page is translated at the second entry; a trap returns through the handler and retries
      // (mstatus and fcsr back to their start so the translated execution starts from FS = Clean, fflags = 0)
      for (const h of [a.hart, b.hart]) {
        h.run(1);
        h.setPc(BigInt(RAM)); h.setCsr(3, BigInt(st.frm << 5)); h.setCsr(CSR_MSTATUS, BigInt(st.fs << 13));
        h.run(100); // (a short budget is interpreted)
      }
      const what = `${e.name} (${k})`;
      translated(b.hart.jitStats, what);
      for (let r = 0; r < 32; r++) assert.equal(b.hart.getX(r), a.hart.getX(r), `${what}: x${r}`);
      for (let r = 0; r < 32; r++) assert.equal(b.hart.getF(r), a.hart.getF(r), `${what}: f${r}`);
      assert.equal(b.hart.getCsr(3), a.hart.getCsr(3), `${what}: fcsr`);
      assert.equal(b.hart.getCsr(CSR_MSTATUS), a.hart.getCsr(CSR_MSTATUS), `${what}: mstatus`);
      assert.equal(b.hart.getPc(), a.hart.getPc(), `${what}: pc`);
      assert.deepEqual(b.mem.ram(DATA, 16), a.mem.ram(DATA, 16), `${what}: memory`);
      n++;
    }
  }
  assert.ok(n > 300);
});
