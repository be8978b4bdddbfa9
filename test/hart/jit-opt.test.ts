// Selective optimization of translated pages (Hart.jitOptimize, src/cli/wasm-tiering.ts): with the CLI's
// optimizing compiler registered, a page whose translated code keeps running is compiled again with TurboFan and
// takes over the first translation's table slot. The optimized code must end in the same state as the
// interpreter, and the test fails if no page was optimized or one was not really compiled by TurboFan.
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import assert from 'node:assert/strict';
import { GuestMemory, Hart } from '../../src/hart/index.js';
import { ENGINE_COMPILE, setOptimizingCompiler } from '../../src/hart/jit.js';
import { keepBaselineWasmCode } from '../../src/cli/wasm-tiering.js';
import { RAM, I, R, S, B, J, addi, add, ld, sd, encode, isaSet, type Insn } from './asm.js';

const ISA = 'i m a f d c zca zcd zicsr zifencei zicntr zba zbb zbs';
const DATA = RAM + 0x10000;

keepBaselineWasmCode();
setFlagsFromString('--allow-natives-syntax');
/** [compiled by Liftoff, compiled by TurboFan] for an exported WebAssembly function */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const tierOf = new Function('f', 'return [%IsLiftoffFunction(f), %IsTurboFanFunction(f)]') as (f: unknown) => [boolean, boolean];

function makeHart(prog: Insn[], jit: boolean, jitOptHot: number, jitAsync = false): Hart {
  const mem = new GuestMemory({ maxRamBytes: 4 << 20 });
  mem.addRam(RAM, 4 << 20);
  const bytes = encode(prog);
  mem.ram(RAM, bytes.length).set(bytes);
  const words = new DataView(mem.ram(DATA, 8 * 64).buffer, mem.ram(DATA, 8).byteOffset, 8 * 64);
  for (let k = 0; k < 64; k++) words.setBigUint64(8 * k, BigInt(k) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn, true);
  const hart = new Hart({ memory: mem, isa: isaSet(ISA), hartId: 0, clock: 'icount', jit, jitHot: 0, jitOptHot, jitAsync });
  hart.setPc(BigInt(RAM));
  hart.setX(10, BigInt(DATA));
  hart.setCsr(0x300, 1n << 13n); // mstatus.FS = Initial
  return hart;
}

// a loop over 64 doublewords: integer mix, a data-dependent branch, a store back, FP accumulate
const LOOP: Insn[] = [
  addi(5, 0, 0), // x5 = index
  addi(6, 0, 64 * 8),
  // loop:
  add(7, 10, 5), ld(8, 7, 0), R(0x20, 8, 9, 0, 9, 0x33) /* sub x9, x9, x8 */, R(1, 8, 9, 0, 9, 0x33) /* mul */,
  I(13, 9, 5, 11, 0x13) /* srli x11, x9, 13 */, R(0, 11, 9, 4, 9, 0x33) /* xor */,
  B(8, 0, 11, 0) /* beq x11, x0, +8 */, addi(12, 12, 1),
  sd(9, 7, 0),
  R(0x79, 0, 8, 0, 1, 0x53) /* fmv.d.x f1, x8 */, R(0x01, 1, 2, 7, 2, 0x53) /* fadd.d f2, f2, f1 */,
  I(8, 7, 3, 3, 0x07) /* fld f3, 8(x7) */, R(0x09, 3, 2, 7, 2, 0x53) /* fmul.d f2, f2, f3 */,
  S(0, 2, 10, 3, 0x27) /* fsd f2, 0(x10) */,
  addi(5, 5, 8), B(-60, 6, 5, 4) /* blt x5, x6, loop */,
  addi(5, 0, 0), addi(13, 13, 1),
  J(-72, 0), // again
];

test('a hot translated page is optimized and matches the interpreter', () => {
  setOptimizingCompiler(ENGINE_COMPILE);
  try {
    const interp = makeHart(LOOP, false, 0), jit = makeHart(LOOP, true, 5000);
    for (const h of [interp, jit]) for (let k = 0; k < 40; k++) h.run(10_007);
    for (let r = 0; r < 32; r++) assert.equal(jit.getX(r), interp.getX(r), `x${r}`);
    for (let r = 0; r < 4; r++) assert.equal(jit.getF(r), interp.getF(r), `f${r}`);
    assert.equal(jit.getPc(), interp.getPc(), 'pc');
    assert.equal(jit.instret, interp.instret, 'instret');
    assert.equal(jit.jitStats.failed, 0, jit.jitStats.firstFailure);
    assert.equal(jit.jitStats.optimized, 1, JSON.stringify(jit.jitStats));
  } finally {
    setOptimizingCompiler(null);
  }
});

test('without an optimizing compiler nothing is compiled again', () => {
  const jit = makeHart(LOOP, true, 0);
  for (let k = 0; k < 10; k++) jit.run(10_007);
  assert.equal(jit.jitStats.optimized, 0);
  assert.equal(jit.jitStats.pages, 1);
});

test('the optimizing translation is compiled by TurboFan and the baseline one by Liftoff, with --liftoff-only', () => {
  setOptimizingCompiler(ENGINE_COMPILE);
  try {
    const interp = makeHart(LOOP, false, 0), jit = makeHart(LOOP, true, 1e9);
    for (let k = 0; k < 2; k++) { jit.run(10_007); interp.run(10_007); } // translated at the second slice's start
    const jp = pageOf(jit, RAM);
    assert.equal(jp?.optimized, false);
    assert.deepEqual(tierOf(jit.jitTable.get(jp.tableIndex)), [true, false], 'baseline');
    const made = jit.jitOptimize(jit.mem.hostOffset(RAM, 4) >>> 12);
    assert.equal(made?.optimized, true);
    assert.equal(made.tableIndex, jp.tableIndex);
    // eagerly: before its first call
    assert.deepEqual(tierOf(jit.jitTable.get(made.tableIndex)), [false, true], 'optimized');
    jit.run(10_007); interp.run(10_007);
    for (let r = 0; r < 32; r++) assert.equal(jit.getX(r), interp.getX(r), `x${r}`);
    assert.equal(jit.instret, interp.instret, 'instret');
  } finally {
    setOptimizingCompiler(null);
  }
});

test('jitAsync: both compiles run in the background while the page runs on, and the optimized one matches the interpreter', async () => {
  setOptimizingCompiler(ENGINE_COMPILE);
  try {
    const prog = [addi(14, 0, 7), ...LOOP]; // bytes no other test translates: not found in the translation cache
    const interp = makeHart(prog, false, 0), jit = makeHart(prog, true, 5000, true);
    const hostPage = jit.mem.hostOffset(RAM, 4) >>> 12;
    const settled = async (): Promise<void> => { while (jit.jitCompiling > 0) await new Promise((r) => setTimeout(r, 1)); };
    let slices = 0;
    const slice = (): void => { jit.run(10_007); slices++; };
    slice(); slice(); // hot at once (jitHot 0): its compile starts at the second slice's start, which is interpreted
    const baseline = jit.jitPending.get(hostPage);
    assert.equal(baseline?.optimizing, false);
    assert.equal(jit.jitStats.retiredTranslated, 0);
    await settled();
    assert.ok(baseline.module !== null);
    // compiled eagerly, by Liftoff, before its first call
    const heat = new WebAssembly.Global({ value: 'i32', mutable: true }, 1e9), id = new WebAssembly.Global({ value: 'i32' }, 1);
    const f = new WebAssembly.Instance(baseline.module, { e: { ...jit.jitImports['e'], heat, id } }).exports['f'];
    assert.deepEqual(tierOf(f), [true, false], 'baseline');
    // its heat (5000) runs out in the next slice: the optimizing compile starts, and the baseline code runs on
    while (jit.jitPending.get(hostPage)?.optimizing !== true && slices < 4) slice();
    assert.equal(jit.jitPending.get(hostPage)?.optimizing, true, `the optimizing compile is pending after ${slices} slices`);
    const before = jit.jitStats.retiredTranslated;
    slice();
    assert.ok(jit.jitStats.retiredTranslated - before > 9000, `translated ${jit.jitStats.retiredTranslated - before} of 10007`);
    await settled();
    const jp = pageOf(jit, RAM);
    assert.equal(jp?.optimized, true);
    assert.deepEqual(tierOf(jit.jitTable.get(jp.tableIndex)), [false, true], 'optimized');
    while (slices < 40) slice();
    for (let k = 0; k < 40; k++) interp.run(10_007);
    for (let r = 0; r < 32; r++) assert.equal(jit.getX(r), interp.getX(r), `x${r}`);
    for (let r = 0; r < 4; r++) assert.equal(jit.getF(r), interp.getF(r), `f${r}`);
    assert.equal(jit.instret, interp.instret, 'instret');
    assert.equal(jit.jitStats.optimized, 1, JSON.stringify(jit.jitStats));
    assert.equal(jit.jitStats.failed, 0, jit.jitStats.firstFailure);
  } finally {
    setOptimizingCompiler(null);
  }
});

/** page A's instructions (padded to the page), then page B's */
function twoPages(a: Insn[], b: Insn[]): Insn[] {
  return [...a, ...new Array<Insn>(1024 - a.length).fill(addi(0, 0, 0)), ...b];
}
/** the translation of the page holding guest address gpa */
const pageOf = (h: Hart, gpa: number) => h.jitPages[h.mem.hostOffset(gpa, 4) >>> 12];

// page A calls a function in page B (the next page) in a loop; B runs a 50-iteration loop of 4 instructions
function callerAndCallee(): Insn[] {
  return twoPages([
    J(0x1000, 1), // loop: jal ra, B
    addi(13, 13, 1),
    J(-8, 0), // j loop
  ], [
    addi(5, 0, 50), // B:
    addi(6, 6, 3), R(0, 6, 7, 0, 7, 0x33) /* add x7, x7, x6 */, addi(5, 5, -1), B(-12, 0, 5, 1) /* bne x5, x0, -12 */,
    I(0, 1, 0, 0, 0x67), // ret
  ]);
}

test('a page counts the instructions that retire in it, also when translated code reached it from another page', () => {
  setOptimizingCompiler(ENGINE_COMPILE);
  try {
    const budget = 1e9;
    const h = makeHart(callerAndCallee(), true, budget);
    for (let k = 0; k < 20; k++) h.run(10_007);
    const heatOf = (gpa: number): number => {
      const jp = pageOf(h, gpa);
      assert.ok(jp?.heat, `page at 0x${gpa.toString(16)} counts its heat`);
      return budget - (jp.heat.value as number);
    };
    const inA = heatOf(RAM), inB = heatOf(RAM + 0x1000);
    // per call: A retires 3, B 2 + 4 * 50; translated code ran nearly all of the 200 k
    assert.ok(inB > 0.9 * 20 * 10_007 * (202 / 205), `B counted ${inB}`);
    assert.ok(inA > 0.5 * inB * (3 / 202) && inA < 2 * inB * (3 / 202), `A counted ${inA}, B ${inB}`);
  } finally {
    setOptimizingCompiler(null);
  }
});

test('a page reached only from translated code is optimized once its own heat runs out', () => {
  setOptimizingCompiler(ENGINE_COMPILE);
  try {
    const interp = makeHart(callerAndCallee(), false, 0), jit = makeHart(callerAndCallee(), true, 50_000);
    for (const h of [interp, jit]) for (let k = 0; k < 20; k++) h.run(10_007);
    for (let r = 0; r < 32; r++) assert.equal(jit.getX(r), interp.getX(r), `x${r}`);
    assert.equal(jit.instret, interp.instret, 'instret');
    // B ran some 195 k instructions, A some 3 k: only B was compiled again
    assert.equal(pageOf(jit, RAM + 0x1000)?.optimized, true);
    assert.equal(pageOf(jit, RAM)?.optimized, false);
    assert.equal(jit.jitStats.optimized, 1, JSON.stringify(jit.jitStats));
  } finally {
    setOptimizingCompiler(null);
  }
});

// pages A and B (the next one) jump to each other, each after the same 50-iteration loop: their heat runs out
// in the same run of translated code
function pingPong(): Insn[] {
  const half = (back: number): Insn[] => [
    addi(5, 0, 50), addi(6, 6, 3), addi(5, 5, -1), B(-8, 0, 5, 1) /* bne x5, x0, -8 */, J(back, 0),
  ];
  return twoPages(half(0x1000 - 16), half(-0x1000 - 16));
}

test('two pages whose heat runs out in one run of translated code are both optimized', () => {
  setOptimizingCompiler(ENGINE_COMPILE);
  try {
    const interp = makeHart(pingPong(), false, 0), jit = makeHart(pingPong(), true, 3000);
    for (const h of [interp, jit]) for (let k = 0; k < 20; k++) h.run(10_007);
    assert.equal(jit.getX(6), interp.getX(6));
    assert.equal(jit.jitStats.optimized, 2, JSON.stringify(jit.jitStats));
  } finally {
    setOptimizingCompiler(null);
  }
});
