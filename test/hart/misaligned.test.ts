// The hart's misaligned option: 'emulate' (default) performs misaligned loads and stores; 'trap' raises load /
// store address-misaligned with mtval = the address and leaves the destination and memory as they were, in
// the interpreter and in translated code, for every size, inside a page and across one. Aligned accesses are
// done either way. (test/riscof covers FP, vector, AMO and LR accesses on compiled programs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory, Hart } from '../../src/hart/index.js';
import { B, CSR_MCAUSE, CSR_MTVAL, CSR_MTVEC, I, J, RAM, RV64GC, S, encode, isaSet, type Insn } from './asm.js';

const DATA = RAM + 0x20000;
const SIZE: Record<number, number> = { 0: 1, 1: 2, 2: 4, 3: 8, 4: 1, 5: 2, 6: 4 }; // by funct3: lb lh lw ld lbu lhu lwu
// 2000 rounds of a two-instruction loop first: more than one run() slice, so the translator has the page
// (it decides when a slice enters it) before the access runs
const WARM_UP: Insn[] = [I(2000, 0, 0, 6, 0x13), I(-1, 6, 0, 6, 0x13), B(-4, 0, 6, 1)];

function run(prog: Insn[], misaligned: 'emulate' | 'trap' | undefined, jit: boolean, setup: (h: Hart) => void): { hart: Hart; mem: GuestMemory } {
  const mem = new GuestMemory({ maxRamBytes: 4 << 20 });
  mem.addRam(RAM, 4 << 20);
  // a trap handler at RAM + 0x1000 that stops the hart on itself (j .): mcause/mtval/mepc tell what happened
  mem.ram(RAM, prog.length * 4).set(encode(prog));
  mem.ram(RAM + 0x1000, 4).set(encode([J(0, 0)]));
  const data = mem.ram(DATA, 8192);
  for (let k = 0; k < data.length; k++) data[k] = (k * 29 + 7) & 0xff;
  const hart = new Hart({ memory: mem, isa: isaSet(RV64GC), hartId: 0, clock: 'icount', jit, ...(jit ? { jitHot: 1 } : {}), ...(misaligned ? { misaligned } : {}) });
  hart.setPc(BigInt(RAM));
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x1000));
  setup(hart);
  for (let k = 0; k < 50; k++) hart.run(1000);
  return { hart, mem };
}

for (const jit of [false, true]) {
  test(`misaligned loads and stores: emulated by default, address-misaligned with misaligned: 'trap' (${jit ? 'translated' : 'interpreted'})`, () => {
    for (const f3 of [0, 1, 2, 3, 4, 5, 6]) {
      for (const off of [1, 2, 3, 4, 5, 6, 7, 0xff9, 0xffa, 0xffc, 0xffe]) { // the last ones cross into the next page
        const size = SIZE[f3]!;
        const aligned = off % size === 0;
        const prog: Insn[] = [...WARM_UP, I(off & 7, 10, f3, 5, 0x03), J(0, 0)]; // x5 = load(x10 + off)
        for (const mode of ['emulate', 'trap'] as const) {
          const { hart, mem } = run(prog, mode === 'emulate' ? undefined : mode, jit, (h) => { h.setX(10, BigInt(DATA + (off & ~7))); h.setX(5, 0x1234n); });
          const trapped = mode === 'trap' && !aligned;
          const want = new DataView(mem.ram(DATA + off, 8).slice().buffer);
          const v = size === 1 ? BigInt(f3 === 0 ? want.getInt8(0) : want.getUint8(0)) : size === 2 ? BigInt(f3 === 1 ? want.getInt16(0, true) : want.getUint16(0, true))
            : size === 4 ? BigInt(f3 === 2 ? want.getInt32(0, true) : want.getUint32(0, true)) : want.getBigInt64(0, true);
          const what = `f3 ${f3} at +${off}, ${mode}`;
          if (jit) assert.ok(hart.jitStats.pages > 0, `${what}: translated`);
          if (trapped) {
            assert.equal(hart.getCsr(CSR_MCAUSE), 4n, what);
            assert.equal(hart.getCsr(CSR_MTVAL), BigInt(DATA + off), what);
            assert.equal(hart.getX(5), 0x1234n, `${what}: destination untouched`);
          } else {
            assert.equal(hart.getPc(), BigInt(RAM + 16), `${what}: no trap`);
            assert.equal(BigInt.asIntN(64, hart.getX(5)), v, what);
          }
        }
      }
    }
    for (const f3 of [1, 2, 3]) { // sh sw sd
      for (const off of [1, 2, 3, 4, 6, 0xffa, 0xffd]) {
        const size = SIZE[f3]!;
        const prog: Insn[] = [...WARM_UP, S(off & 7, 5, 10, f3, 0x23), J(0, 0)];
        for (const mode of ['emulate', 'trap'] as const) {
          const { hart, mem } = run(prog, mode, jit, (h) => { h.setX(10, BigInt(DATA + (off & ~7))); h.setX(5, -0x0123456789abcdefn); });
          const trapped = mode === 'trap' && off % size !== 0;
          const got = new DataView(mem.ram(DATA + off, 8).slice().buffer);
          const what = `store f3 ${f3} at +${off}, ${mode}`;
          const orig = Array.from({ length: size }, (_, k) => ((off + k) * 29 + 7) & 0xff);
          const written = Array.from({ length: size }, (_, k) => Number((BigInt.asUintN(64, -0x0123456789abcdefn) >> BigInt(8 * k)) & 0xffn));
          assert.deepEqual(Array.from({ length: size }, (_, k) => got.getUint8(k)), trapped ? orig : written, what);
          if (trapped) {
            assert.equal(hart.getCsr(CSR_MCAUSE), 6n, what);
            assert.equal(hart.getCsr(CSR_MTVAL), BigInt(DATA + off), what);
          } else assert.equal(hart.getPc(), BigInt(RAM + 16), `${what}: no trap`);
        }
      }
    }
  });
}

test("misaligned: anything but 'emulate' or 'trap' is refused", () => {
  const mem = new GuestMemory({ maxRamBytes: 1 << 20 });
  assert.throws(() => new Hart({ memory: mem, isa: isaSet(RV64GC), hartId: 0, misaligned: 'fix' as 'trap' }), /misaligned 'fix' is not 'emulate' or 'trap'/);
});
