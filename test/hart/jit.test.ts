// The translator to WebAssembly (src/hart/jit.ts) against the interpreter: the same programs, run once with every
// instruction interpreted and once with hot code translated at the first chance (jitHot 0 / 1), must end in the
// same architectural state: registers, pc, retired count, memory, traps. Each translated run must really have run
// translated code (jitStats), so these tests fail if translation silently stops happening. Every test runs twice:
// with the baseline translation, and with the optimizing one from the start (jitOptHot 0: the page's x registers
// in WebAssembly locals, fewer entries; jit.ts), which must then really have been made (jitStats.optimized).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GuestMemory, Hart, Exit } from '../../src/hart/index.js';
import { execElf } from '../../src/cli/cmd-exec.js';
import { modeTest as test, modeOptions, mode, translated } from './jit-modes.js';
import { RAM, R, I, S, B, J, encode, isaSet, addi, sw, type Insn, CSR_MCAUSE, CSR_MEPC, CSR_MTVAL, CSR_MTVEC } from './asm.js';

const ISA = 'i m a f d c zca zcd zicsr zifencei zicntr zba zbb zbs zicond';

function makeHart(prog: Insn[], jit: boolean, at = RAM): { hart: Hart; mem: GuestMemory } {
  const mem = new GuestMemory({ maxRamBytes: 4 << 20 });
  mem.addRam(RAM, 4 << 20);
  const bytes = encode(prog);
  mem.ram(at, bytes.length).set(bytes);
  const hart = new Hart({ memory: mem, isa: isaSet(ISA), hartId: 0, clock: 'icount', jit, jitHot: 0, ...modeOptions() });
  hart.setPc(BigInt(at));
  return { hart, mem };
}

/** xorshift64* as BigInt (test-side only) */
function rng(seed: bigint): () => bigint {
  let s = seed;
  return () => {
    s ^= s >> 12n; s ^= (s << 25n) & 0xffffffffffffffffn; s ^= s >> 27n;
    return (s * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
  };
}
const EDGE = [0n, 1n, -1n, 2n, -2n, 0x7fffffffffffffffn, -0x8000000000000000n, 0x80000000n, 0xffffffffn, -0x80000000n, 63n, 64n];

// register-register ops: [funct7, funct3, opcode]
const RR: [number, number, number][] = [
  [0, 0, 0x33], [0x20, 0, 0x33], [0, 1, 0x33], [0, 2, 0x33], [0, 3, 0x33], [0, 4, 0x33], [0, 5, 0x33], [0x20, 5, 0x33],
  [0, 6, 0x33], [0, 7, 0x33], [0, 0, 0x3b], [0x20, 0, 0x3b], [0, 1, 0x3b], [0, 5, 0x3b], [0x20, 5, 0x3b],
  // M
  [1, 0, 0x33], [1, 1, 0x33], [1, 2, 0x33], [1, 3, 0x33], [1, 4, 0x33], [1, 5, 0x33], [1, 6, 0x33], [1, 7, 0x33],
  [1, 0, 0x3b], [1, 4, 0x3b], [1, 5, 0x3b], [1, 6, 0x3b], [1, 7, 0x3b],
  // Zba, Zbb, Zbs, Zicond
  [0x10, 2, 0x33], [0x10, 4, 0x33], [0x10, 6, 0x33], [0x04, 0, 0x3b], [0x10, 2, 0x3b], [0x10, 4, 0x3b], [0x10, 6, 0x3b],
  [0x20, 7, 0x33], [0x20, 6, 0x33], [0x20, 4, 0x33], [0x05, 6, 0x33], [0x05, 7, 0x33], [0x05, 4, 0x33], [0x05, 5, 0x33],
  [0x30, 1, 0x33], [0x30, 5, 0x33], [0x30, 1, 0x3b], [0x30, 5, 0x3b],
  [0x24, 1, 0x33], [0x24, 5, 0x33], [0x34, 1, 0x33], [0x14, 1, 0x33], [0x07, 5, 0x33], [0x07, 7, 0x33],
];
// immediate / unary ops: (imm, rs1, rd) -> instruction
const RI: ((imm: number, rs1: number, rd: number) => number)[] = [
  (i, s, d) => I(i, s, 0, d, 0x13), (i, s, d) => I(i, s, 2, d, 0x13), (i, s, d) => I(i, s, 3, d, 0x13),
  (i, s, d) => I(i, s, 4, d, 0x13), (i, s, d) => I(i, s, 6, d, 0x13), (i, s, d) => I(i, s, 7, d, 0x13),
  (i, s, d) => I(i & 63, s, 1, d, 0x13), (i, s, d) => I(i & 63, s, 5, d, 0x13), (i, s, d) => I(0x400 | (i & 63), s, 5, d, 0x13),
  (i, s, d) => I(i, s, 0, d, 0x1b), (i, s, d) => I(i & 31, s, 1, d, 0x1b), (i, s, d) => I(i & 31, s, 5, d, 0x1b),
  (i, s, d) => I(0x400 | (i & 31), s, 5, d, 0x1b),
  (_i, s, d) => R(0x30, 0, s, 1, d, 0x13), (_i, s, d) => R(0x30, 1, s, 1, d, 0x13), (_i, s, d) => R(0x30, 2, s, 1, d, 0x13),
  (_i, s, d) => R(0x30, 0, s, 1, d, 0x1b), (_i, s, d) => R(0x30, 1, s, 1, d, 0x1b), (_i, s, d) => R(0x30, 2, s, 1, d, 0x1b),
  (_i, s, d) => R(0x30, 4, s, 1, d, 0x13), (_i, s, d) => R(0x30, 5, s, 1, d, 0x13), (_i, s, d) => R(0x04, 0, s, 4, d, 0x3b),
  (_i, s, d) => I(0x287, s, 5, d, 0x13), // orc.b
  (i, s, d) => I(0x600 | (i & 63), s, 5, d, 0x13), (i, s, d) => I(0x600 | (i & 31), s, 5, d, 0x1b), // rori, roriw
  (i, s, d) => I(0x280 | (i & 63), s, 1, d, 0x13), (i, s, d) => I(0x480 | (i & 63), s, 1, d, 0x13),
  (i, s, d) => I(0x680 | (i & 63), s, 1, d, 0x13), (i, s, d) => I(0x480 | (i & 63), s, 5, d, 0x13),
  (i, s, d) => I(0x080 | (i & 63), s, 1, d, 0x1b), // slli.uw
  (i, _s, d) => ((i << 12) | (d << 7) | 0x37) >>> 0, (i, _s, d) => ((i << 12) | (d << 7) | 0x17) >>> 0, // lui, auipc
];

function sameState(a: Hart, b: Hart, what: string): void {
  for (let r = 0; r < 32; r++) assert.equal(a.getX(r), b.getX(r), `${what}: x${r}`);
  assert.equal(a.getPc(), b.getPc(), `${what}: pc`);
  assert.equal(a.instret, b.instret, `${what}: instret`);
}

/** run both harts: one instruction (the page gets entered and decoded), then the rest (translated) */
function runBoth(prog: Insn[], total: number, setup: (h: Hart) => void): { interp: Hart; jit: Hart; mi: GuestMemory; mj: GuestMemory } {
  const a = makeHart(prog, false), b = makeHart(prog, true);
  setup(a.hart); setup(b.hart);
  for (const h of [a.hart, b.hart]) {
    h.run(1);
    h.run(total - 1);
  }
  return { interp: a.hart, jit: b.hart, mi: a.mem, mj: b.mem };
}

test('random ALU programs: translated code ends in the same state as the interpreter', () => {
  for (let seed = 1n; seed <= 12n; seed++) {
    const next = rng(seed * 0x9e3779b97f4a7c15n);
    const pick = (n: number): number => Number(next() % BigInt(n));
    const prog: Insn[] = [];
    for (let k = 0; k < 400; k++) {
      const rd = pick(16), rs1 = pick(16), rs2 = pick(16);
      if (pick(2) === 0) { const [f7, f3, op] = RR[pick(RR.length)]!; prog.push(R(f7, rs2, rs1, f3, rd, op)); }
      else prog.push(RI[pick(RI.length)]!(pick(4096) - 2048 & 0xfff, rs1, rd));
    }
    prog.push(J(0, 0)); // spin
    const inputs = Array.from({ length: 16 }, (_, r) => (r < EDGE.length && pick(2) === 0 ? EDGE[r]! : BigInt.asIntN(64, next())));
    const { interp, jit } = runBoth(prog, 400, (h) => inputs.forEach((v, r) => h.setX(r, v)));
    sameState(interp, jit, `seed ${seed}`);
    translated(jit.jitStats, `seed ${seed}`, 400);
  }
});

test('random loads and stores (aligned, misaligned, every size) and branches match the interpreter, memory included', () => {
  const DATA = RAM + 0x10000;
  for (let seed = 1n; seed <= 8n; seed++) {
    const next = rng(seed * 0x51afd7ed558ccd1dn);
    const pick = (n: number): number => Number(next() % BigInt(n));
    const prog: Insn[] = [];
    const N = 300;
    for (let k = 0; k < N; k++) {
      const r = pick(10);
      const rd = 1 + pick(9), rs = 1 + pick(9);
      const off = pick(2000);
      if (r < 4) prog.push(I(off, 10, [0, 1, 2, 3, 4, 5, 6][pick(7)]!, rd, 0x03)); // lb lh lw ld lbu lhu lwu
      else if (r < 7) prog.push(S(off, rs, 10, pick(4), 0x23)); // sb sh sw sd
      else if (r < 8 && k + 2 < N) prog.push(B(8, rs, rd, [0, 1, 4, 5, 6, 7][pick(6)]!)); // skip one instruction
      else prog.push(R(0, rs, rd, 0, rd, 0x33));
    }
    prog.push(J(0, 0));
    const inputs = Array.from({ length: 9 }, () => BigInt.asIntN(64, next()));
    const { interp, jit, mi, mj } = runBoth(prog, N, (h) => {
      inputs.forEach((v, k) => h.setX(k + 1, v));
      h.setX(10, BigInt(DATA));
    });
    sameState(interp, jit, `seed ${seed}`);
    assert.deepEqual(mj.ram(DATA, 4096), mi.ram(DATA, 4096), `seed ${seed}: data memory`);
    translated(jit.jitStats, `seed ${seed}`);
  }
});

test('a translated load that faults traps precisely: mcause, mepc, mtval and instret as interpreted', () => {
  const handler = 0x100; // byte offset of the trap handler
  const prog: Insn[] = [
    addi(5, 5, 1), addi(5, 5, 1),
    I(0, 6, 3, 7, 0x03), // ld x7, 0(x6): x6 points outside RAM
    addi(5, 5, 1),
  ];
  while (prog.length < handler / 4) prog.push(J(0, 0));
  prog.push(addi(8, 0, 42), J(0, 0));
  const { interp, jit } = runBoth(prog, 6, (h) => {
    h.setCsr(CSR_MTVEC, BigInt(RAM + handler));
    h.setX(6, 0x4000_0000n);
  });
  sameState(interp, jit, 'fault');
  for (const h of [interp, jit]) {
    assert.equal(h.getCsr(CSR_MCAUSE), 5n);
    assert.equal(h.getCsr(CSR_MEPC), BigInt(RAM + 8));
    assert.equal(h.getCsr(CSR_MTVAL), 0x4000_0000n);
    assert.equal(h.getX(8), 42n);
  }
  translated(jit.jitStats, 'fault');
});

test('self-modifying code: a translated loop that rewrites its own instruction runs the new one', () => {
  // x5 += 1 at `target`; after the first pass the loop stores `addi x5, x5, 100` over it (x9 = new word)
  const newWord = addi(5, 5, 100);
  const prog: Insn[] = [
    addi(5, 5, 1), // 0: target
    addi(6, 6, -1), // 4
    sw(9, 10, 0), // 8: overwrite target (x10 = RAM)
    B(-12, 0, 6, 1), // 12: bne x6, x0, target
    J(0, 0), // 16
  ];
  const { interp, jit } = runBoth(prog, 1 + 4 * 3 - 0 + 4, (h) => {
    h.setX(6, 4n); h.setX(9, BigInt(newWord)); h.setX(10, BigInt(RAM));
  });
  sameState(interp, jit, 'self-modifying');
  assert.equal(jit.getX(5), 1n + 100n * 3n);
  translated(jit.jitStats, 'self-modifying');
});

test('run(n) retires exactly n instructions in translated code, slice after slice', () => {
  const prog: Insn[] = [addi(5, 5, 1), addi(6, 6, 2), B(-8, 0, 0, 1 /* bne x0,x0 never */), J(-12, 0)];
  const { hart } = makeHart(prog, true);
  hart.run(1);
  let total = 1;
  for (const n of [1, 7, 33, 64, 1000, 12345, 100_000]) {
    assert.equal(hart.run(n), Exit.Budget);
    total += n;
    assert.equal(hart.instret, total, `after run(${n})`);
  }
  translated(hart.jitStats, 'slices');
  // 4 instructions per round, two of them increments: the counts say exactly how far it got
  assert.equal(hart.getX(5), BigInt(Math.ceil(total / 4)));
});

test('forward branches go straight to their target and still stop exactly at the budget', () => {
  // 150 taken forward branches (beq x0, x0, +8), each over a jump that never runs (so no target is reached by
  // falling through), then a back edge: with no budget check on the way a run would pass its budget by far more
  // than RUN_BOUND
  const prog: Insn[] = [];
  for (let k = 0; k < 150; k++) prog.push(B(8, 0, 0, 0), J(4 * 2 * (150 - k) - 4 + 4, 0));
  prog.push(addi(7, 7, 1), addi(5, 5, 1), J(-4 * 2 * 150 - 4, 0));
  for (const n of [1, 31, 32, 33, 40, 77, 150, 151, 200, 1000]) {
    const interp = makeHart(prog, false).hart, jit = makeHart(prog, true).hart;
    for (const h of [interp, jit]) { h.run(1); assert.equal(h.run(n), Exit.Budget); h.run(3); }
    sameState(interp, jit, `run(${n})`);
    translated(jit.jitStats, `run(${n})`);
  }
});

test('an instruction crossing the page end, run again and again, is not new code: its page is not translated again', () => {
  // a loop from 0xff0 of one page into the next: its addi at 0xffe crosses the page end, so the interpreter
  // decodes it afresh every pass (it depends on two pages), and no translation holds it
  const at = RAM + 0xff0;
  const prog: Insn[] = [addi(5, 5, 1), addi(6, 6, 1), addi(7, 7, 1), { c: 0x0001 } /* c.nop */, addi(8, 8, 1), J(-0x12, 0)];
  const interp = makeHart(prog, false, at).hart, jit = makeHart(prog, true, at).hart;
  for (const h of [interp, jit]) for (let k = 0; k < 200; k++) h.run(613);
  sameState(interp, jit, 'crossing loop');
  assert.equal(jit.getX(8), interp.getX(8));
  translated(jit.jitStats, 'crossing loop');
  assert.equal(jit.jitStats.retranslated, 0, JSON.stringify(jit.jitStats));
});

test('sd/sw into a page of translated code from another page drops the translation (dropped stat)', () => {
  const prog: Insn[] = [addi(5, 5, 1), J(-4, 0)];
  const { hart, mem } = makeHart(prog, true);
  hart.run(1); hart.run(1000);
  translated(hart.jitStats, 'loop');
  // overwrite the loop body (as DMA or another hart would): the translation must go and the new code run
  mem.ram(RAM, 4).set(encode([addi(5, 5, 10)]));
  mem.invalidate(RAM, 4);
  const before = hart.getX(5);
  hart.run(2);
  assert.equal(hart.getX(5) - before, 10n);
  assert.ok(hart.jitStats.dropped >= 1);
});

// every bare-metal guest program (test/guest, built in CI) gives the same result translated and interpreted
const root = fileURLToPath(new URL('../../../', import.meta.url));
for (const dir of ['hart', 'bench']) {
  const buildDir = `${root}build/guest/${dir}`;
  const elfs = existsSync(buildDir) ? readdirSync(buildDir).filter((f) => f.endsWith('.elf')).sort() : [];
  test(`guest programs in build/guest/${dir} were built`, () => assert.ok(elfs.length >= 3));
  for (const f of elfs) {
    const src = readdirSync(`${root}test/guest/${dir}`).find((s) => s.replace(/\.(S|c)$/, '.elf') === f);
    const isa = src ? (/rvkvm-isa:\s*(\S+)/.exec(readFileSync(`${root}test/guest/${dir}/${src}`, 'utf8').split('\n')[0] ?? '')?.[1] ?? 'rv64gc') : 'rv64gc';
    test(`guest ${dir}/${f}: translated and interpreted runs agree, execution profile included (baseline)`, () => {
      const bytes = readFileSync(`${buildDir}/${f}`);
      const run = (jit: boolean): { r: ReturnType<typeof execElf>; out: string } => {
        const out: string[] = [];
        // short run() calls: every call enters a page again, so even a small program gets translated
        const r = execElf(bytes, { isa, jit, jitHot: 1, ...(jit ? modeOptions() : {}), pollInstructions: 50, maxInstructions: 200_000_000, profile: !mode.optimized, write: (_fd, b) => out.push(Buffer.from(b).toString()) });
        return { r, out: out.join('') };
      };
      const a = run(false), b = run(true);
      assert.equal(b.r.exitCode, a.r.exitCode, `${f}: ${b.r.message ?? ''}`);
      assert.equal(b.out, a.out);
      assert.equal(b.r.instret, a.r.instret);
      // the execution profile counts the same instructions whether they ran translated or interpreted (a profiled
      // page is never optimized: the optimized runs go without it)
      if (!mode.optimized) {
        assert.deepEqual(b.r.profile, a.r.profile);
        assert.equal(b.r.profile?.total, b.r.instret);
      }
      translated(b.r.jit, f);
      assert.equal(a.r.jit.pages, 0);
    });
  }
}
