// The vector unit's rules that random programs do not reach: VS off / dirty tracking, vsetvli's choices and
// vill, VLEN and ELEN, vstart restarts after a trap, fault-only-first loads, vstart-resumed arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vectorHart, vectorTrapped, VECTOR_RAM_BYTES } from './run.js';
import { RAM, step, I, CSR_MSTATUS, CSR_MTVAL } from '../asm.js';
import { opv, vsetvli, vmem } from './gen.js';

const VSTART = 0x008, VL = 0xc20, VTYPE = 0xc21, VLENB = 0xc22, VXSAT = 0x009, VXRM = 0x00a, VCSR = 0x00f;
const csrr = (rd: number, csr: number) => I(csr, 0, 2, rd, 0x73);
const vle8 = (vd: number, rs1: number, ff = false) => vmem(false, 1, 0, 1, ff ? 0x10 : 0, rs1, 0, vd);
const vaddvv = (vd: number, vs2: number, vs1: number) => opv(0, 1, vs2, vs1, 0, vd);

const hart = vectorHart;
const trapped = vectorTrapped;

test('VS = Off: vector instructions and vector CSRs are illegal; an instruction makes VS dirty and sets SD', () => {
  for (const insn of [vsetvli(5, 0, 0), csrr(5, VL), csrr(5, VLENB), vaddvv(1, 2, 3)]) {
    const { h } = hart([insn], ['v'], 128, false);
    step(h, 1);
    assert.ok(trapped(h, 2n), `0x${insn.toString(16)} traps with VS off`);
  }
  const { h } = hart([vsetvli(5, 0, 0)]);
  step(h, 1);
  assert.equal(h.getPc(), BigInt(RAM + 4));
  const mstatus = h.getCsr(CSR_MSTATUS);
  assert.equal((mstatus >> 9n) & 3n, 3n, 'VS dirty');
  assert.equal(mstatus >> 63n, 1n, 'SD');
  // without V, VS is read-only zero
  const { h: plain } = hart([csrr(5, VL)], [], 128, false);
  plain.setCsr(CSR_MSTATUS, 3n << 9n);
  assert.equal((plain.getCsr(CSR_MSTATUS) >> 9n) & 3n, 0n);
  step(plain, 1);
  assert.ok(trapped(plain, 2n));
});

test('vsetvli: vl = min(AVL, VLMAX), x0 forms, vill for reserved vtypes; vlenb follows VLEN; Zve32x has ELEN 32', () => {
  const e8m1 = 0, e32m2 = (2 << 3) | 1, e64mf8 = (3 << 3) | 5, e128 = 4 << 3, e64m1 = 3 << 3;
  const { h } = hart([vsetvli(5, 6, e8m1), vsetvli(7, 0, e32m2), vsetvli(0, 0, e8m1), vsetvli(28, 6, e64mf8), vsetvli(29, 6, e128), csrr(30, VLENB)]);
  h.setX(6, 100n);
  step(h, 1); assert.equal(h.getX(5), 16n, 'e8 m1 at VLEN 128: VLMAX 16');
  step(h, 1); assert.equal(h.getX(7), 8n, 'rs1 = x0, rd != x0: VLMAX (e32 m2 = 8)');
  step(h, 1); assert.equal(h.getCsr(VL), 8n, 'rs1 = rd = x0 keeps vl');
  step(h, 1); assert.equal(h.getX(28), 0n, 'e64 mf8 is reserved at ELEN 64'); assert.equal(h.getCsr(VTYPE), 1n << 63n, 'vill');
  step(h, 1); assert.equal(h.getCsr(VTYPE), 1n << 63n, 'SEW 128 reserved');
  step(h, 1); assert.equal(h.getX(30), 16n);
  for (const vlen of [256, 512, 1024]) {
    const { h: w } = hart([csrr(5, VLENB), vsetvli(6, 0, (3 << 3) | 3)], ['v'], vlen);
    step(w, 2);
    assert.equal(w.getX(5), BigInt(vlen / 8));
    assert.equal(w.getX(6), BigInt(vlen / 8), `e64 m8 VLMAX at VLEN ${vlen}`);
  }
  const { h: z } = hart([vsetvli(5, 0, e64m1), vsetvli(6, 0, 2 << 3)], ['zve32x']);
  step(z, 2);
  assert.equal(z.getX(5), 0n, 'SEW 64 needs Zve64x');
  assert.equal(z.getX(6), 4n);
  assert.throws(() => hart([], ['v'], 192), /VLEN 192/);
});

test('vector CSRs: vxrm/vxsat/vcsr alias, vl/vtype/vlenb read-only to instructions', () => {
  const { h } = hart([I(VCSR, 0, 5, 0, 0x73) | (7 << 15), csrr(5, VXRM), csrr(6, VXSAT), I(VL, 1, 1, 0, 0x73)]);
  step(h, 3);
  assert.equal(h.getX(5), 3n); assert.equal(h.getX(6), 1n);
  step(h, 1);
  assert.ok(trapped(h, 2n), 'csrw vl is illegal');
});

test('a trap in the middle of a load leaves vstart at the faulting element; vle8ff shortens vl instead', () => {
  const end = RAM + VECTOR_RAM_BYTES;
  const { h, mem } = hart([vsetvli(5, 0, 0), vle8(1, 6)]);
  mem.ram(end - 10, 10).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  h.setX(6, BigInt(end - 10));
  step(h, 2);
  assert.ok(trapped(h, 5n), 'load access fault');
  assert.equal(h.getCsr(CSR_MTVAL), BigInt(end));
  assert.equal(h.getCsr(VSTART), 10n, 'vstart names element 10');
  const v1 = h.vec!.readReg(1);
  assert.deepEqual([...v1.subarray(0, 10)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // fault-only-first: same access, no trap, vl = 10
  const ff = hart([vsetvli(5, 0, 0), vle8(1, 6, true), vle8(2, 7, true)]);
  ff.mem.ram(end - 10, 10).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  ff.h.setX(6, BigInt(end - 10)); ff.h.setX(7, BigInt(end));
  step(ff.h, 2);
  assert.equal(ff.h.getPc(), BigInt(RAM + 8));
  assert.equal(ff.h.getCsr(VL), 10n);
  assert.deepEqual([...ff.h.vec!.readReg(1).subarray(0, 10)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  step(ff.h, 1);
  assert.ok(trapped(ff.h, 5n), 'a fault on element 0 still traps');
});

test('arithmetic resumes at vstart and resets it', () => {
  const { h } = hart([vsetvli(5, 0, 0), I(VSTART, 0, 5, 0, 0x73) | (4 << 15), vaddvv(3, 1, 2), csrr(6, VSTART)]);
  const v = () => h.vec!;
  step(h, 1);
  v().writeReg(1, Uint8Array.from({ length: 16 }, (_, i) => i));
  v().writeReg(2, Uint8Array.from({ length: 16 }, () => 100));
  v().writeReg(3, new Uint8Array(16).fill(0xee));
  step(h, 3);
  const r = v().readReg(3);
  assert.deepEqual([...r.subarray(0, 4)], [0xee, 0xee, 0xee, 0xee]);
  assert.deepEqual([...r.subarray(4)], Array.from({ length: 12 }, (_, i) => 104 + i));
  assert.equal(h.getX(6), 0n);
});

test('the .rtz conversions equal the frm = RTZ forms (QEMU 7.2 aborts on them, so this is their oracle)', () => {
  // vs1 selector pairs (rtz, dynamic): vfcvt 6/0 7/1, vfwcvt 14/8 15/9, vfncvt 22/16 23/17
  for (const [rtz, dyn, sewLog, lmul] of [[6, 0, 2, 0], [7, 1, 3, 1], [14, 8, 2, 0], [15, 9, 2, 7], [22, 16, 1, 0], [23, 17, 2, 0]] as const) {
    const vt = (sewLog << 3) | lmul;
    const run = (sel: number, frm: number) => {
      const { h } = hart([vsetvli(5, 0, vt), I(0x002, frm, 5, 0, 0x73), opv(0x12, 1, 8, sel, 1, 16), I(0x001, 0, 2, 6, 0x73)]);
      h.setCsr(CSR_MSTATUS, (1n << 9n) | (1n << 13n));
      for (let r = 8; r < 16; r++) h.vec!.writeReg(r, Uint8Array.from({ length: 16 }, (_, i) => (r * 37 + i * 101) & 0xff));
      step(h, 4);
      assert.equal(h.getPc(), BigInt(RAM + 16), `sel ${sel} executes`);
      return { regs: [16, 17, 18, 19].map((r) => [...h.vec!.readReg(r)]), fflags: h.getX(6) };
    };
    const a = run(rtz, 0), b = run(dyn, 1);
    assert.deepEqual(a, b, `vs1=${rtz} with frm RNE equals vs1=${dyn} with frm RTZ`);
  }
});
