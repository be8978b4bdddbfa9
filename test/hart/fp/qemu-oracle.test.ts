// A second, fully independent oracle: QEMU's RISC-V FPU (softfloat, configured for RISC-V: canonical
// NaNs, tininess after rounding, RISC-V fcvt saturation). A bare-metal program (test/hart/fp/qemu/) runs
// every case with frm = rm, and its results and fflags must equal the library's bit for bit.
// Skipped when the RISC-V cross compiler or qemu-system-riscv64 is not installed. QEMU 7.2 has no Zfa,
// so this covers F, D and Zfh (-cpu rv64,Zfh=true: QEMU 7.2 spells the property with a capital; Zfa and its .h forms are checked against the BigInt reference).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as fp from '../../../src/hart/fp/index.js';
import { F16, F32, F64, Rng, halves, randomFloat } from './reference.js';
import { pair } from './harness.js';
import { runOnHart, type Shape } from './on-hart.js';
import { QEMU_7, missingTools, runBareMetal } from '../qemu/bare-metal.js';

const SOURCES = fileURLToPath(new URL('../../../../test/hart/fp/qemu/', import.meta.url));
const PER_OP = 1000;

/** register value (64 bits) written by the instruction, as the library produced it */
function result(): bigint {
  return (BigInt(fp.fpOut[1] >>> 0) << 32n) | BigInt(fp.fpOut[0] >>> 0);
}
const lo32 = (v: bigint) => Number(BigInt.asIntN(32, v & 0xffffffffn));

type Operands = 'f64' | 'f32' | 'f16' | 'int';
interface OracleOp {
  insn: string;
  shape: Shape;
  operands: Operands;
  /** run the library on (a, b, c) with rm; returns [register value, flags] */
  run(a: bigint, b: bigint, c: bigint, rm: number): [bigint, number];
}

const d = (insn: string, shape: Shape, fn: (a: [number, number], b: [number, number], c: [number, number], rm: number) => number, operands: Operands = 'f64'): OracleOp =>
  ({ insn, shape, operands, run: (a, b, c, rm) => { const flags = fn(halves(a), halves(b), halves(c), rm); return [result(), flags]; } });
const s = (insn: string, shape: Shape, fn: (a: number, b: number, c: number, rm: number) => number, operands: Operands = 'f32'): OracleOp =>
  ({ insn, shape, operands, run: (a, b, c, rm) => { const flags = fn(lo32(a), lo32(b), lo32(c), rm); return [result(), flags]; } });

const h = (insn: string, shape: Shape, fn: (a: number, b: number, c: number, rm: number) => number, operands: Operands = 'f16'): OracleOp =>
  ({ insn, shape, operands, run: (a, b, c, rm) => { const flags = fn(lo32(a), lo32(b), lo32(c), rm); return [result(), flags]; } });

const OPS: OracleOp[] = [
  d('fadd.d', 'D2', (a, b, _c, rm) => fp.f64Add(...a, ...b, rm)),
  d('fsub.d', 'D2', (a, b, _c, rm) => fp.f64Sub(...a, ...b, rm)),
  d('fmul.d', 'D2', (a, b, _c, rm) => fp.f64Mul(...a, ...b, rm)),
  d('fdiv.d', 'D2', (a, b, _c, rm) => fp.f64Div(...a, ...b, rm)),
  d('fsqrt.d', 'D1', (a, _b, _c, rm) => fp.f64Sqrt(...a, rm)),
  d('fmadd.d', 'D3', (a, b, c, rm) => fp.f64MulAdd(...a, ...b, ...c, rm)),
  d('fmsub.d', 'D3', (a, b, c, rm) => fp.f64MulSub(...a, ...b, ...c, rm)),
  d('fnmsub.d', 'D3', (a, b, c, rm) => fp.f64NegMulSub(...a, ...b, ...c, rm)),
  d('fnmadd.d', 'D3', (a, b, c, rm) => fp.f64NegMulAdd(...a, ...b, ...c, rm)),
  d('fmin.d', 'D2', (a, b) => fp.f64MinMax(...a, ...b, false)),
  d('fmax.d', 'D2', (a, b) => fp.f64MinMax(...a, ...b, true)),
  d('feq.d', 'XDD', (a, b) => fp.f64Eq(...a, ...b)),
  d('flt.d', 'XDD', (a, b) => fp.f64Lt(...a, ...b)),
  d('fle.d', 'XDD', (a, b) => fp.f64Le(...a, ...b)),
  d('fcvt.w.d', 'XD', (a, _b, _c, rm) => fp.f64ToI32(...a, rm)),
  d('fcvt.wu.d', 'XD', (a, _b, _c, rm) => fp.f64ToU32(...a, rm)),
  d('fcvt.l.d', 'XD', (a, _b, _c, rm) => fp.f64ToI64(...a, rm)),
  d('fcvt.lu.d', 'XD', (a, _b, _c, rm) => fp.f64ToU64(...a, rm)),
  d('fcvt.d.l', 'DX', (a, _b, _c, rm) => fp.f64FromI64(...a, rm), 'int'),
  d('fcvt.d.lu', 'DX', (a, _b, _c, rm) => fp.f64FromU64(...a, rm), 'int'),
  d('fcvt.d.w', 'DX', (a, _b, _c, rm) => fp.f64FromI32(a[0], rm), 'int'),
  d('fcvt.d.wu', 'DX', (a, _b, _c, rm) => fp.f64FromU32(a[0], rm), 'int'),
  d('fcvt.s.d', 'D1', (a, _b, _c, rm) => fp.f64ToF32(...a, rm)),
  { insn: 'fclass.d', shape: 'XD', operands: 'f64', run: (a) => [BigInt(fp.f64Class(...halves(a))), 0] },
  s('fcvt.d.s', 'S1', (a) => fp.f32ToF64(a)),
  s('fadd.s', 'S2', (a, b, _c, rm) => fp.f32Add(a, b, rm)),
  s('fsub.s', 'S2', (a, b, _c, rm) => fp.f32Sub(a, b, rm)),
  s('fmul.s', 'S2', (a, b, _c, rm) => fp.f32Mul(a, b, rm)),
  s('fdiv.s', 'S2', (a, b, _c, rm) => fp.f32Div(a, b, rm)),
  s('fsqrt.s', 'S1', (a, _b, _c, rm) => fp.f32Sqrt(a, rm)),
  s('fmadd.s', 'S3', (a, b, c, rm) => fp.f32MulAdd(a, b, c, rm)),
  s('fmsub.s', 'S3', (a, b, c, rm) => fp.f32MulSub(a, b, c, rm)),
  s('fnmsub.s', 'S3', (a, b, c, rm) => fp.f32NegMulSub(a, b, c, rm)),
  s('fnmadd.s', 'S3', (a, b, c, rm) => fp.f32NegMulAdd(a, b, c, rm)),
  s('fmin.s', 'S2', (a, b) => fp.f32MinMax(a, b, false)),
  s('fmax.s', 'S2', (a, b) => fp.f32MinMax(a, b, true)),
  s('feq.s', 'XSS', (a, b) => fp.f32Eq(a, b)),
  s('flt.s', 'XSS', (a, b) => fp.f32Lt(a, b)),
  s('fle.s', 'XSS', (a, b) => fp.f32Le(a, b)),
  s('fcvt.w.s', 'XS', (a, _b, _c, rm) => fp.f32ToI32(a, rm)),
  s('fcvt.wu.s', 'XS', (a, _b, _c, rm) => fp.f32ToU32(a, rm)),
  s('fcvt.l.s', 'XS', (a, _b, _c, rm) => fp.f32ToI64(a, rm)),
  s('fcvt.lu.s', 'XS', (a, _b, _c, rm) => fp.f32ToU64(a, rm)),
  d('fcvt.s.l', 'SX', (a, _b, _c, rm) => fp.f32FromI64(...a, rm), 'int'),
  d('fcvt.s.lu', 'SX', (a, _b, _c, rm) => fp.f32FromU64(...a, rm), 'int'),
  s('fcvt.s.w', 'SX', (a, _b, _c, rm) => fp.f32FromI32(a, rm), 'int'),
  s('fcvt.s.wu', 'SX', (a, _b, _c, rm) => fp.f32FromU32(a, rm), 'int'),
  { insn: 'fclass.s', shape: 'XS', operands: 'f32', run: (a) => [BigInt(fp.f32Class(lo32(a))), 0] },
  h('fadd.h', 'H2', (a, b, _c, rm) => fp.f16Add(a, b, rm)),
  h('fsub.h', 'H2', (a, b, _c, rm) => fp.f16Sub(a, b, rm)),
  h('fmul.h', 'H2', (a, b, _c, rm) => fp.f16Mul(a, b, rm)),
  h('fdiv.h', 'H2', (a, b, _c, rm) => fp.f16Div(a, b, rm)),
  h('fsqrt.h', 'H1', (a, _b, _c, rm) => fp.f16Sqrt(a, rm)),
  h('fmadd.h', 'H3', (a, b, c, rm) => fp.f16MulAdd(a, b, c, rm)),
  h('fmsub.h', 'H3', (a, b, c, rm) => fp.f16MulSub(a, b, c, rm)),
  h('fnmsub.h', 'H3', (a, b, c, rm) => fp.f16NegMulSub(a, b, c, rm)),
  h('fnmadd.h', 'H3', (a, b, c, rm) => fp.f16NegMulAdd(a, b, c, rm)),
  h('fmin.h', 'H2', (a, b) => fp.f16MinMax(a, b, false)),
  h('fmax.h', 'H2', (a, b) => fp.f16MinMax(a, b, true)),
  h('feq.h', 'XHH', (a, b) => fp.f16Eq(a, b)),
  h('flt.h', 'XHH', (a, b) => fp.f16Lt(a, b)),
  h('fle.h', 'XHH', (a, b) => fp.f16Le(a, b)),
  h('fcvt.w.h', 'XH', (a, _b, _c, rm) => fp.f16ToInt(a, rm, 0)),
  h('fcvt.wu.h', 'XH', (a, _b, _c, rm) => fp.f16ToInt(a, rm, 1)),
  h('fcvt.l.h', 'XH', (a, _b, _c, rm) => fp.f16ToInt(a, rm, 2)),
  h('fcvt.lu.h', 'XH', (a, _b, _c, rm) => fp.f16ToInt(a, rm, 3)),
  d('fcvt.h.l', 'HX', (a, _b, _c, rm) => fp.f16FromInt(...a, true, rm), 'int'),
  d('fcvt.h.lu', 'HX', (a, _b, _c, rm) => fp.f16FromInt(...a, false, rm), 'int'),
  d('fcvt.h.w', 'HX', (a, _b, _c, rm) => fp.f16FromInt(a[0], a[0] >> 31, true, rm), 'int'),
  d('fcvt.h.wu', 'HX', (a, _b, _c, rm) => fp.f16FromInt(a[0], 0, false, rm), 'int'),
  h('fcvt.s.h', 'H1', (a) => fp.f16ToF32(a)),
  h('fcvt.d.h', 'H1', (a) => fp.f16ToF64(a)),
  s('fcvt.h.s', 'S1', (a, _b, _c, rm) => fp.f32ToF16(a, rm)),
  d('fcvt.h.d', 'D1', (a, _b, _c, rm) => fp.f64ToF16(...a, rm)),
  { insn: 'fclass.h', shape: 'XH', operands: 'f16', run: (a) => [BigInt(fp.f16Class(lo32(a))), 0] },
];

function operand(rng: Rng, kind: Operands): bigint {
  if (kind === 'int') {
    const v = rng.bits(64);
    return rng.int(2) ? v >> BigInt(rng.int(64)) : v;
  }
  return randomFloat(rng, kind === 'f64' ? F64 : kind === 'f16' ? F16 : F32);
}

const missing = missingTools(QEMU_7);
test(`QEMU oracle: ${OPS.length} F/D/Zfh instructions x ${PER_OP} cases (all rounding modes) match bit for bit, in the library and on the hart interpreted and translated`, { skip: missing }, () => {
  const rng = new Rng(4242);
  const cases: [number, number, bigint, bigint, bigint][] = [];
  for (const [k, op] of OPS.entries()) {
    for (let i = 0; i < PER_OP; i++) {
      let a: bigint, b: bigint;
      if (op.operands === 'int') [a, b] = [operand(rng, 'int'), 0n];
      else [a, b] = pair(rng, op.operands === 'f64' ? F64 : op.operands === 'f16' ? F16 : F32);
      cases.push([k, i % 5, a, b, operand(rng, op.operands)]);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-fp-oracle-'));
  try {
    const hexLit = (v: bigint) => `0x${v.toString(16)}ULL`;
    writeFileSync(join(dir, 'cases.h'), `static const unsigned long long CASES[][5] = {\n${
      cases.map((c) => `{${c.map((v) => hexLit(BigInt(v))).join(',')}}`).join(',\n')}\n};\n#define NCASES ${cases.length}\n`);
    writeFileSync(join(dir, 'dispatch.h'), OPS.map((op, k) => `case ${k}: ${op.shape}("${op.insn}"); break;`).join('\n') + '\n');
    // the UART output: one "<result> <flags>" line per case (QEMU 7.2 spells the Zfh property with a capital)
    const lines = runBareMetal(dir, join(SOURCES, 'oracle.c'), QEMU_7, 'rv64,Zfh=true', 60_000, 'rv64imafd_zfh').trim().split('\n');
    assert.equal(lines.length, cases.length, `qemu printed ${lines.length} result lines for ${cases.length} cases`);
    const bad: string[] = [];
    let count = 0;
    for (const [i, [k, rm, a, b, c]] of cases.entries()) {
      const [want, wantFlags] = lines[i].split(' ');
      const [got, flags] = OPS[k].run(a, b, c, rm);
      if (got !== BigInt('0x' + want) || flags !== parseInt(wantFlags, 16)) {
        count++;
        if (bad.length < 8) bad.push(`${OPS[k].insn} rm=${rm} a=${a.toString(16)} b=${b.toString(16)} c=${c.toString(16)}: library ${got.toString(16)}/${flags}, qemu ${want}/${wantFlags}`);
      }
    }
    assert.equal(count, 0, `${count} of ${cases.length} differ from QEMU:\n${bad.join('\n')}`);
    // the same cases as instructions on the hart, interpreted and translated to WebAssembly
    for (const jit of [false, true]) {
      const badHart: string[] = [];
      let wrong = 0;
      for (const [k, op] of OPS.entries()) {
        const mine = cases.map((c, i) => [c, i] as const).filter(([c]) => c[0] === k);
        const r = runOnHart(op.insn, op.shape, mine.map(([[, rm, a, b, c]]) => ({ a, b, c, rm })), jit);
        if (jit) assert.ok(r.translated > 0, `${op.insn}: nothing was translated`);
        mine.forEach(([[, rm, a, b, c], i], j) => {
          const [want, wantFlags] = lines[i]!.split(' ');
          if (r.results[j] !== BigInt('0x' + want) || r.flags[j] !== parseInt(wantFlags!, 16)) {
            wrong++;
            if (badHart.length < 8) badHart.push(`${op.insn} rm=${rm} a=${a.toString(16)} b=${b.toString(16)} c=${c.toString(16)}: hart ${r.results[j]!.toString(16)}/${r.flags[j]}, qemu ${want}/${wantFlags}`);
          }
        });
      }
      assert.equal(wrong, 0, `${jit ? 'translated' : 'interpreted'}: ${wrong} of ${cases.length} differ from QEMU:\n${badHart.join('\n')}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
