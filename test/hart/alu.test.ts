// Register-register and register-immediate integer operations (RV64I, M, Zba, Zbb, Zbs, Zbc, Zicond) checked
// against BigInt reference semantics written from the ISA manual, over a grid of edge-case operands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, step, R, I, RAM, u64, s64 } from './asm.js';

const M64 = (1n << 64n) - 1n;
const sx32 = (v: bigint): bigint => u64(BigInt.asIntN(32, v));
const lo32 = (v: bigint): bigint => v & 0xffffffffn;
const sgn = s64;
const clmul = (a: bigint, b: bigint): bigint => { let r = 0n; for (let i = 0n; i < 64n; i++) if ((b >> i) & 1n) r ^= a << i; return r; };
const popc = (v: bigint): bigint => { let c = 0n; for (; v; v >>= 1n) c += v & 1n; return c; };
const clz = (v: bigint, w: bigint): bigint => { let n = 0n; for (let i = w - 1n; i >= 0n && !((v >> i) & 1n); i--) n++; return n; };
const ctz = (v: bigint, w: bigint): bigint => { let n = 0n; for (let i = 0n; i < w && !((v >> i) & 1n); i++) n++; return n; };
const rotr = (v: bigint, s: bigint, w: bigint): bigint => { s %= w; const m = (1n << w) - 1n; return ((v >> s) | (v << (w - s))) & m; };

type Ref = (a: bigint, b: bigint) => bigint;
const OP = 0x33, OP32 = 0x3b;

const binOps: [string, number, Ref, string?][] = [
  ['add', R(0, 2, 1, 0, 3, OP), (a, b) => a + b],
  ['sub', R(0x20, 2, 1, 0, 3, OP), (a, b) => a - b],
  ['sll', R(0, 2, 1, 1, 3, OP), (a, b) => a << (b & 63n)],
  ['slt', R(0, 2, 1, 2, 3, OP), (a, b) => (sgn(a) < sgn(b) ? 1n : 0n)],
  ['sltu', R(0, 2, 1, 3, 3, OP), (a, b) => (a < b ? 1n : 0n)],
  ['xor', R(0, 2, 1, 4, 3, OP), (a, b) => a ^ b],
  ['srl', R(0, 2, 1, 5, 3, OP), (a, b) => a >> (b & 63n)],
  ['sra', R(0x20, 2, 1, 5, 3, OP), (a, b) => sgn(a) >> (b & 63n)],
  ['or', R(0, 2, 1, 6, 3, OP), (a, b) => a | b],
  ['and', R(0, 2, 1, 7, 3, OP), (a, b) => a & b],
  ['addw', R(0, 2, 1, 0, 3, OP32), (a, b) => sx32(a + b)],
  ['subw', R(0x20, 2, 1, 0, 3, OP32), (a, b) => sx32(a - b)],
  ['sllw', R(0, 2, 1, 1, 3, OP32), (a, b) => sx32(a << (b & 31n))],
  ['srlw', R(0, 2, 1, 5, 3, OP32), (a, b) => sx32(lo32(a) >> (b & 31n))],
  ['sraw', R(0x20, 2, 1, 5, 3, OP32), (a, b) => u64(BigInt.asIntN(32, a) >> (b & 31n))],
  ['mul', R(1, 2, 1, 0, 3, OP), (a, b) => a * b, 'm'],
  ['mulh', R(1, 2, 1, 1, 3, OP), (a, b) => (sgn(a) * sgn(b)) >> 64n, 'm'],
  ['mulhsu', R(1, 2, 1, 2, 3, OP), (a, b) => (sgn(a) * b) >> 64n, 'm'],
  ['mulhu', R(1, 2, 1, 3, 3, OP), (a, b) => (a * b) >> 64n, 'm'],
  ['div', R(1, 2, 1, 4, 3, OP), (a, b) => (b === 0n ? M64 : sgn(a) === -(1n << 63n) && sgn(b) === -1n ? a : sgn(a) / sgn(b)), 'm'],
  ['divu', R(1, 2, 1, 5, 3, OP), (a, b) => (b === 0n ? M64 : a / b), 'm'],
  ['rem', R(1, 2, 1, 6, 3, OP), (a, b) => (b === 0n ? a : sgn(a) === -(1n << 63n) && sgn(b) === -1n ? 0n : sgn(a) % sgn(b)), 'm'],
  ['remu', R(1, 2, 1, 7, 3, OP), (a, b) => (b === 0n ? a : a % b), 'm'],
  ['mulw', R(1, 2, 1, 0, 3, OP32), (a, b) => sx32(a * b), 'm'],
  ['divw', R(1, 2, 1, 4, 3, OP32), (a, b) => {
    const x = BigInt.asIntN(32, a), y = BigInt.asIntN(32, b);
    return y === 0n ? M64 : x === -(1n << 31n) && y === -1n ? sx32(x) : sx32(x / y);
  }, 'm'],
  ['divuw', R(1, 2, 1, 5, 3, OP32), (a, b) => (lo32(b) === 0n ? M64 : sx32(lo32(a) / lo32(b))), 'm'],
  ['remw', R(1, 2, 1, 6, 3, OP32), (a, b) => {
    const x = BigInt.asIntN(32, a), y = BigInt.asIntN(32, b);
    return y === 0n ? sx32(x) : x === -(1n << 31n) && y === -1n ? 0n : sx32(x % y);
  }, 'm'],
  ['remuw', R(1, 2, 1, 7, 3, OP32), (a, b) => (lo32(b) === 0n ? sx32(a) : sx32(lo32(a) % lo32(b))), 'm'],
  ['sh1add', R(0x10, 2, 1, 2, 3, OP), (a, b) => (a << 1n) + b, 'zba'],
  ['sh2add', R(0x10, 2, 1, 4, 3, OP), (a, b) => (a << 2n) + b, 'zba'],
  ['sh3add', R(0x10, 2, 1, 6, 3, OP), (a, b) => (a << 3n) + b, 'zba'],
  ['add.uw', R(0x04, 2, 1, 0, 3, OP32), (a, b) => lo32(a) + b, 'zba'],
  ['sh1add.uw', R(0x10, 2, 1, 2, 3, OP32), (a, b) => (lo32(a) << 1n) + b, 'zba'],
  ['sh2add.uw', R(0x10, 2, 1, 4, 3, OP32), (a, b) => (lo32(a) << 2n) + b, 'zba'],
  ['sh3add.uw', R(0x10, 2, 1, 6, 3, OP32), (a, b) => (lo32(a) << 3n) + b, 'zba'],
  ['andn', R(0x20, 2, 1, 7, 3, OP), (a, b) => a & ~b, 'zbb'],
  ['orn', R(0x20, 2, 1, 6, 3, OP), (a, b) => a | (~b & M64), 'zbb'],
  ['xnor', R(0x20, 2, 1, 4, 3, OP), (a, b) => ~(a ^ b), 'zbb'],
  ['max', R(0x05, 2, 1, 6, 3, OP), (a, b) => (sgn(a) > sgn(b) ? a : b), 'zbb'],
  ['maxu', R(0x05, 2, 1, 7, 3, OP), (a, b) => (a > b ? a : b), 'zbb'],
  ['min', R(0x05, 2, 1, 4, 3, OP), (a, b) => (sgn(a) < sgn(b) ? a : b), 'zbb'],
  ['minu', R(0x05, 2, 1, 5, 3, OP), (a, b) => (a < b ? a : b), 'zbb'],
  ['rol', R(0x30, 2, 1, 1, 3, OP), (a, b) => rotr(a, 64n - (b & 63n), 64n), 'zbb'],
  ['ror', R(0x30, 2, 1, 5, 3, OP), (a, b) => rotr(a, b & 63n, 64n), 'zbb'],
  ['rolw', R(0x30, 2, 1, 1, 3, OP32), (a, b) => sx32(rotr(lo32(a), 32n - (b & 31n), 32n)), 'zbb'],
  ['rorw', R(0x30, 2, 1, 5, 3, OP32), (a, b) => sx32(rotr(lo32(a), b & 31n, 32n)), 'zbb'],
  ['bclr', R(0x24, 2, 1, 1, 3, OP), (a, b) => a & ~(1n << (b & 63n)), 'zbs'],
  ['bext', R(0x24, 2, 1, 5, 3, OP), (a, b) => (a >> (b & 63n)) & 1n, 'zbs'],
  ['binv', R(0x34, 2, 1, 1, 3, OP), (a, b) => a ^ (1n << (b & 63n)), 'zbs'],
  ['bset', R(0x14, 2, 1, 1, 3, OP), (a, b) => a | (1n << (b & 63n)), 'zbs'],
  ['clmul', R(0x05, 2, 1, 1, 3, OP), (a, b) => clmul(a, b), 'zbc'],
  ['clmulh', R(0x05, 2, 1, 3, 3, OP), (a, b) => clmul(a, b) >> 64n, 'zbc'],
  ['clmulr', R(0x05, 2, 1, 2, 3, OP), (a, b) => clmul(a, b) >> 63n, 'zbc'],
  ['czero.eqz', R(0x07, 2, 1, 5, 3, OP), (a, b) => (b === 0n ? 0n : a), 'zicond'],
  ['czero.nez', R(0x07, 2, 1, 7, 3, OP), (a, b) => (b !== 0n ? 0n : a), 'zicond'],
];

const unOps: [string, number, (a: bigint) => bigint][] = [
  ['clz', R(0x30, 0, 1, 1, 3, 0x13), (a) => clz(a, 64n)],
  ['ctz', R(0x30, 1, 1, 1, 3, 0x13), (a) => ctz(a, 64n)],
  ['cpop', R(0x30, 2, 1, 1, 3, 0x13), (a) => popc(a)],
  ['clzw', R(0x30, 0, 1, 1, 3, 0x1b), (a) => clz(lo32(a), 32n)],
  ['ctzw', R(0x30, 1, 1, 1, 3, 0x1b), (a) => ctz(lo32(a), 32n)],
  ['cpopw', R(0x30, 2, 1, 1, 3, 0x1b), (a) => popc(lo32(a))],
  ['sext.b', R(0x30, 4, 1, 1, 3, 0x13), (a) => u64(BigInt.asIntN(8, a))],
  ['sext.h', R(0x30, 5, 1, 1, 3, 0x13), (a) => u64(BigInt.asIntN(16, a))],
  ['zext.h', R(0x04, 0, 1, 4, 3, 0x3b), (a) => a & 0xffffn],
  ['orc.b', I(0x287, 1, 5, 3, 0x13), (a) => { let r = 0n; for (let k = 0n; k < 64n; k += 8n) if ((a >> k) & 0xffn) r |= 0xffn << k; return r; }],
  ['rev8', I(0x6b8, 1, 5, 3, 0x13), (a) => { let r = 0n; for (let k = 0n; k < 8n; k++) r |= ((a >> (8n * k)) & 0xffn) << (8n * (7n - k)); return r; }],
];

const VALUES = [0n, 1n, 2n, 3n, 7n, 31n, 32n, 33n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  0x123456789abcdef0n, 0x8000000000000000n, 0x7fffffffffffffffn, M64, u64(-2n), u64(-7n), 0xfedcba9876543210n, 0x00000000fffffffen];

const ISA = 'i m zicsr zba zbb zbs zbc zicond';

for (const [name, insn, ref] of binOps) {
  test(`${name}: all ${VALUES.length}x${VALUES.length} operand pairs match the reference`, () => {
    const { hart } = fixture([insn], ISA);
    for (const a of VALUES) for (const b of VALUES) {
      hart.setPc(BigInt(RAM)); hart.setX(1, a); hart.setX(2, b); hart.setX(3, 0x5555n);
      step(hart, 1);
      assert.equal(hart.getX(3), u64(ref(a, b)), `${name} 0x${a.toString(16)}, 0x${b.toString(16)}`);
    }
  });
}

for (const [name, insn, ref] of unOps) {
  test(`${name}: every operand matches the reference`, () => {
    const { hart } = fixture([insn], ISA);
    for (const a of VALUES) {
      hart.setPc(BigInt(RAM)); hart.setX(1, a);
      step(hart, 1);
      assert.equal(hart.getX(3), u64(ref(a)), `${name} 0x${a.toString(16)}`);
    }
  });
}

const IMMS = [0, 1, -1, 2047, -2048, 5, 31, 63, 0x7ff, -0x800];
const immOps: [string, (imm: number) => number | undefined, (a: bigint, imm: bigint) => bigint][] = [
  ['addi', (i) => I(i, 1, 0, 3, 0x13), (a, i) => a + i],
  ['slti', (i) => I(i, 1, 2, 3, 0x13), (a, i) => (sgn(a) < i ? 1n : 0n)],
  ['sltiu', (i) => I(i, 1, 3, 3, 0x13), (a, i) => (a < u64(i) ? 1n : 0n)],
  ['xori', (i) => I(i, 1, 4, 3, 0x13), (a, i) => a ^ u64(i)],
  ['ori', (i) => I(i, 1, 6, 3, 0x13), (a, i) => a | u64(i)],
  ['andi', (i) => I(i, 1, 7, 3, 0x13), (a, i) => a & u64(i)],
  ['slli', (i) => (i >= 0 && i < 64 ? I(i, 1, 1, 3, 0x13) : undefined), (a, i) => a << i],
  ['srli', (i) => (i >= 0 && i < 64 ? I(i, 1, 5, 3, 0x13) : undefined), (a, i) => a >> i],
  ['srai', (i) => (i >= 0 && i < 64 ? I(0x400 | i, 1, 5, 3, 0x13) : undefined), (a, i) => sgn(a) >> i],
  ['addiw', (i) => I(i, 1, 0, 3, 0x1b), (a, i) => sx32(a + i)],
  ['slliw', (i) => (i >= 0 && i < 32 ? I(i, 1, 1, 3, 0x1b) : undefined), (a, i) => sx32(a << i)],
  ['srliw', (i) => (i >= 0 && i < 32 ? I(i, 1, 5, 3, 0x1b) : undefined), (a, i) => sx32(lo32(a) >> i)],
  ['sraiw', (i) => (i >= 0 && i < 32 ? I(0x400 | i, 1, 5, 3, 0x1b) : undefined), (a, i) => u64(BigInt.asIntN(32, a) >> i)],
  ['rori', (i) => (i >= 0 && i < 64 ? I(0x600 | i, 1, 5, 3, 0x13) : undefined), (a, i) => rotr(a, i, 64n)],
  ['roriw', (i) => (i >= 0 && i < 32 ? I(0x600 | i, 1, 5, 3, 0x1b) : undefined), (a, i) => sx32(rotr(lo32(a), i, 32n))],
  ['slli.uw', (i) => (i >= 0 && i < 64 ? I(0x080 | i, 1, 1, 3, 0x1b) : undefined), (a, i) => lo32(a) << i],
  ['bseti', (i) => (i >= 0 && i < 64 ? I(0x280 | i, 1, 1, 3, 0x13) : undefined), (a, i) => a | (1n << i)],
  ['bclri', (i) => (i >= 0 && i < 64 ? I(0x480 | i, 1, 1, 3, 0x13) : undefined), (a, i) => a & ~(1n << i)],
  ['binvi', (i) => (i >= 0 && i < 64 ? I(0x680 | i, 1, 1, 3, 0x13) : undefined), (a, i) => a ^ (1n << i)],
  ['bexti', (i) => (i >= 0 && i < 64 ? I(0x480 | i, 1, 5, 3, 0x13) : undefined), (a, i) => (a >> i) & 1n],
];

for (const [name, enc, ref] of immOps) {
  test(`${name}: immediates and operands match the reference`, () => {
    for (const imm of IMMS) {
      const insn = enc(imm);
      if (insn === undefined) continue;
      const { hart } = fixture([insn], ISA);
      for (const a of VALUES) {
        hart.setPc(BigInt(RAM)); hart.setX(1, a);
        step(hart, 1);
        assert.equal(hart.getX(3), u64(ref(a, BigInt(imm))), `${name} 0x${a.toString(16)}, ${imm}`);
      }
    }
  });
}

test('writes to x0 are discarded and x0 reads as zero', () => {
  const { hart } = fixture([I(5, 0, 0, 0, 0x13), R(0, 0, 0, 0, 3, 0x33)], ISA);
  hart.setX(3, 99n);
  step(hart, 2);
  assert.equal(hart.getX(0), 0n);
  assert.equal(hart.getX(3), 0n);
});

test('an extension not in the ISA traps as illegal instruction with the instruction bits in mtval', () => {
  const insn = binOps.find((o) => o[0] === 'sh1add')![1];
  const { hart } = fixture([insn], 'i zicsr');
  hart.setCsr(0x305, BigInt(RAM + 0x100));
  step(hart, 1);
  assert.equal(hart.getCsr(0x342), 2n);
  assert.equal(hart.getCsr(0x343), BigInt(insn));
  assert.equal(hart.getPc(), BigInt(RAM + 0x100));
});
