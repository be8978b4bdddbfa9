// Execution profile (src/hart/profile.ts + the hart's per-decode-entry counters): instructions retired per
// extension and privilege mode, and illegal-instruction traps grouped by the extension whose table would decode
// the trapping bits. Expected counts are worked out by hand from each program's control flow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Exit } from '../../src/hart/index.js';
import { classifyAnyIsa, formatProfileReport, mergeProfileReports, profileLabels, type ProfileReport } from '../../src/hart/profile.js';
import { expandExtensions } from '../../src/isa/index.js';
import { opv, vsetvli } from './vector/gen.js';
import { fixture, step, RAM, RV64GC, R, B, J, addi, sd, ecall, mret, csrrw, CSR_MEPC, CSR_MTVEC } from './asm.js';

const md = readFileSync(fileURLToPath(new URL('../../../../shared/reference/zimop-zcmop.md', import.meta.url)), 'utf8');

/** every "0x...." MATCH value in a reference section */
function matchesIn(title: string): number[] {
  const start = md.indexOf(title);
  assert.ok(start >= 0, `reference section '${title}' present`);
  const next = md.slice(start + title.length).search(/\n##+ /);
  const sec = md.slice(start, next < 0 ? undefined : start + title.length + next);
  return [...sec.matchAll(/\|\s*(0x[0-9A-Fa-f]{4,8})\s*(?=\|)/g)].map((m) => Number(m[1]));
}

test('classification against every table: all C.MOP.n are zcmop, all MOP.R.n / MOP.RR.n are zimop (reference rows)', () => {
  const cmop = matchesIn('## Zcmop');
  const mopR = matchesIn('### MOP.R.n');
  const mopRR = matchesIn('### MOP.RR.n');
  assert.equal(cmop.length, 8, 'C.MOP.1..15 (odd): 8 rows');
  assert.equal(mopR.length, 32, 'MOP.R.0..31: 32 rows');
  assert.equal(mopRR.length, 8, 'MOP.RR.0..7: 8 rows');
  for (const m of cmop) assert.equal(classifyAnyIsa(m), 'zcmop', `0x${m.toString(16)}`);
  // rd = x1, rs1 = x2 (rs2 = x3 for RR) set on top of the MATCH value: still the same extension
  for (const m of mopR) { assert.equal(classifyAnyIsa(m), 'zimop'); assert.equal(classifyAnyIsa(m | (1 << 7) | (2 << 15)), 'zimop'); }
  for (const m of mopRR) assert.equal(classifyAnyIsa(m | (1 << 7) | (2 << 15) | (3 << 20)), 'zimop');
});

test('classification of other encodings and of bits no table knows', () => {
  const rows: [number, string][] = [
    [addi(1, 2, 3), 'i'], [R(1, 3, 2, 0, 1, 0x33), 'm'] /* mul */, [R(0x20, 3, 2, 7, 1, 0x33), 'zbb'] /* andn */,
    [R(0x10, 3, 2, 2, 1, 0x33), 'zba'] /* sh1add */, [R(0x07, 3, 2, 5, 1, 0x33), 'zicond'] /* czero.eqz */,
    [0x10fd, 'c'] /* c.addi x1,-1 */, [0x3002a073, 'zicsr'] /* csrs mstatus,t0 */,
    [opv(0, 1, 2, 3, 0, 1), 'v'] /* vadd.vv */, [opv(0x01, 1, 2, 3, 0, 1), 'zvbb'] /* vandn.vv */,
    [0xffffffff, 'unknown'], [0x0000, 'unknown'] /* the defined-illegal all-zero halfword */,
  ];
  for (const [bits, ext] of rows) assert.equal(classifyAnyIsa(bits), ext, `0x${bits.toString(16)}`);
});

test('retired counts per extension and mode for a loop with c.mop.1, c.addi, bne and mul', () => {
  // 0: addi x1,x0,3 | 4: c.mop.1 | 6: c.addi x1,-1 | 8: bne x1,x0,4 | 12: mul x2,x1,x1 | 16: j 16
  const { hart } = fixture([addi(1, 0, 3), { c: 0x6081 }, { c: 0x10fd }, B(-4, 0, 1, 1), R(1, 1, 1, 0, 2, 0x33), J(0, 0)],
    RV64GC + ' zcmop');
  assert.equal(hart.profileReport(), null, 'no report while profiling is off');
  hart.setProfiling(true);
  step(hart, 16); // addi, 3 x (c.mop, c.addi, bne), mul, then 5 x j
  const r = hart.profileReport()!;
  assert.deepEqual(r.perExtension, { i: 1 + 3 + 5, c: 3, zcmop: 3, m: 1 }, 'c.addi (a Zca row) counts under c, which the hart has');
  assert.deepEqual(r.perMode, { M: 16, S: 0, U: 0 });
  assert.deepEqual(r.illegalTraps, {});
  assert.equal(r.total, 16);
  assert.equal(hart.instret, 16);
  // counting goes on across reports and stops when profiling is switched off
  step(hart, 4);
  assert.equal(hart.profileReport()!.perExtension.i, 13);
  hart.setProfiling(false);
  step(hart, 4);
  assert.equal(hart.profileReport(), null);
});

test('illegal-instruction traps are grouped by the extension that would have decoded them, and are not retired', () => {
  const program = [{ c: 0x6081 } /* c.mop.1 */, R(0x20, 3, 2, 7, 1, 0x33) /* andn */, matchesIn('### MOP.R.n')[0]! /* mop.r.0 */,
    0xffffffff, csrrw(1, 0x7c0 /* no such CSR */, 0)];
  const { hart } = fixture(program, RV64GC);
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x1000));
  hart.setProfiling(true);
  const pcs = [0, 2, 6, 10, 14];
  for (const pc of pcs) {
    hart.setPc(BigInt(RAM + pc));
    assert.equal(hart.run(1), Exit.Budget);
    assert.equal(hart.getPc(), BigInt(RAM + 0x1000), `the instruction at +${pc} trapped`);
  }
  const r = hart.profileReport()!;
  assert.deepEqual(r.illegalTraps, { unknown: 1, zbb: 1, zcmop: 1, zicsr: 1, zimop: 1 });
  assert.deepEqual(r.perExtension, {});
  assert.equal(r.total, 0);
  assert.equal(hart.instret, 0);
});

test('per-mode counts: MRET counts in M, user code in U, the ECALL that traps is not retired', () => {
  // 0: mret | 4,8,12: addi (U) | 16: ecall (U, traps) | 20: handler addi (M) | 24: j 24 (M)
  const { hart } = fixture([mret, addi(1, 0, 1), addi(1, 1, 1), addi(1, 1, 1), ecall, addi(2, 0, 7), J(0, 0)]);
  hart.setCsr(CSR_MEPC, BigInt(RAM + 4));
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 20));
  hart.setProfiling(true);
  step(hart, 9); // budget: 8 retired + 1 trap
  assert.equal(hart.getX(1), 3n);
  assert.equal(hart.getX(2), 7n);
  const r = hart.profileReport()!;
  assert.deepEqual(r.perMode, { M: 1 + 1 + 3, S: 0, U: 3 });
  assert.equal(r.total, 8);
  assert.equal(hart.instret, 8);
});

test('counts survive self-modifying code (the invalidated page is harvested first)', () => {
  // 0: auipc-free: addi x5,x0,0 ; x6 holds RAM (set below) | 4: sd x0, 64(x6) (code page write) | 8: addi | 12: j 12
  const { hart } = fixture([addi(5, 0, 1), sd(0, 6, 64), addi(5, 5, 1), J(0, 0)]);
  hart.setX(6, BigInt(RAM));
  hart.setProfiling(true);
  step(hart, 3);
  step(hart, 7);
  const r = hart.profileReport()!;
  assert.deepEqual(r.perExtension, { i: 10 });
  assert.equal(r.total, hart.instret);
});

test('mergeProfileReports sums every field; formatProfileReport names each extension and trap group', () => {
  const a: ProfileReport = { perExtension: { i: 5, zcmop: 2 }, perMode: { M: 0, S: 4, U: 3 }, illegalTraps: { zbb: 1 }, total: 7 };
  const b: ProfileReport = { perExtension: { i: 1, m: 4 }, perMode: { M: 0, S: 5, U: 0 }, illegalTraps: { zbb: 2, unknown: 1 }, total: 5 };
  const m = mergeProfileReports([a, b]);
  assert.deepEqual(m, { perExtension: { i: 6, m: 4, zcmop: 2 }, perMode: { M: 0, S: 9, U: 3 }, illegalTraps: { zbb: 3, unknown: 1 }, total: 12 });
  assert.deepEqual(Object.keys(m.perExtension), ['i', 'm', 'zcmop'], 'largest first');
  const text = formatProfileReport(m);
  assert.match(text, /^instructions retired: 12$/m);
  assert.match(text, /^ {2}zcmop\s+2\s+16\.67 %$/m);
  assert.match(text, /^ {2}S\s+9\s+75\.00 %$/m);
  assert.match(text, /^ {2}zbb: 3 traps$/m);
  assert.match(text, /^illegal-instruction traps: 4$/m);
});

test('the counting rule: an instruction counts under the largest extension of the ISA containing its row\'s', () => {
  const label = (names: string[], row: string) => profileLabels(expandExtensions(['i', 'm', 'a', 'f', 'd', 'zicsr', ...names], 64)).get(row);
  assert.equal(label(['v'], 'zve32x'), 'v', 'vadd with V');
  assert.equal(label(['v'], 'zve32f'), 'v', 'vfadd with V');
  assert.equal(label(['zve64d'], 'zve32x'), 'zve64d');
  assert.equal(label(['zve32x'], 'zve32x'), 'zve32x', 'only Zve32x');
  assert.equal(label(['v', 'zvbb'], 'zvkb'), 'zvbb', 'vandn with Zvbb');
  assert.equal(label(['v', 'zvkb'], 'zvkb'), 'zvkb', 'vandn with Zvkb alone');
  assert.equal(label(['v', 'zvkng'], 'zvkb'), 'zvkb', 'a shorthand never counts: Zvkng gives Zvkb');
  assert.equal(label(['c'], 'zca'), 'c');
  assert.equal(label(['zca'], 'zca'), 'zca');
  assert.equal(label(['c', 'zcmop'], 'zcmop'), 'zcmop', 'Zcmop requires Zca, it is not contained in C');
  // on the hart: vsetvli and vadd.vv with V count under v, with Zve64x under zve64x
  for (const [ext, want] of [['v', 'v'], ['zve64x', 'zve64x']] as const) {
    const { hart } = fixture([vsetvli(5, 0, 0), opv(0, 1, 2, 3, 0, 1), J(0, 0)], `${RV64GC} ${[...expandExtensions([ext], 64)].join(' ')}`);
    hart.setCsr(0x300, 1n << 9n); // VS = Initial
    hart.setProfiling(true);
    step(hart, 3);
    assert.deepEqual(hart.profileReport()!.perExtension, { [want]: 2, i: 1 }, ext);
  }
});
