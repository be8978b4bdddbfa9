// Zimop and Zcmop: every encoding from shared/reference/zimop-zcmop.md, with the extension enabled (MOP.R/RR
// write 0 to rd, C.MOP changes nothing) and disabled (illegal instruction, xtval = the instruction bits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fixture, step, RAM, RV64GC, CSR_MCAUSE, CSR_MTVAL, CSR_MTVEC, CSR_SCAUSE, CSR_STVAL, CSR_STVEC } from './asm.js';

const refPath = fileURLToPath(new URL('../../../../shared/reference/zimop-zcmop.md', import.meta.url));
const md = readFileSync(refPath, 'utf8');

function section(title: string): string {
  const start = md.indexOf(title);
  assert.ok(start >= 0, `reference section '${title}' present`);
  const next = md.indexOf('\n## ', start + 1);
  const nextSub = md.indexOf('\n### ', start + 1);
  const ends = [next, nextSub].filter((v) => v > 0);
  return md.slice(start, ends.length ? Math.min(...ends) : undefined);
}

// MOP.R.n: table rows "| n | MATCH | n | MATCH | ..."
const mopR = new Map<number, number>();
for (const line of section('### MOP.R.n').split('\n')) {
  const cells = line.split('|').map((c) => c.trim()).filter(Boolean);
  for (let k = 0; k + 1 < cells.length; k += 2) {
    if (/^\d+$/.test(cells[k]!) && /^0x[0-9A-F]+$/i.test(cells[k + 1]!)) mopR.set(Number(cells[k]), Number(cells[k + 1]));
  }
}
// MOP.RR.n: "| n | 0 | 1 ..." then "| MATCH | 0x.. | ..."
const rrSec = section('### MOP.RR.n').split('\n');
const rrN = rrSec.find((l) => /^\|\s*n\s*\|\s*0\s*\|/.test(l))!.split('|').map((c) => c.trim()).filter(Boolean).slice(1).map(Number);
const rrM = rrSec.find((l) => /^\|\s*MATCH\s*\|/.test(l))!.split('|').map((c) => c.trim()).filter(Boolean).slice(1).map(Number);
const mopRR = new Map(rrN.map((n, k) => [n, rrM[k]!] as const));
// C.MOP.n: "| C.MOP.1 | 0x6081 | bits | x1 |"
const cmop = new Map<number, number>();
for (const line of section('## Zcmop').split('\n')) {
  const m = /^\|\s*C\.MOP\.(\d+)\s*\|\s*(0x[0-9A-F]+)\s*\|/i.exec(line);
  if (m) cmop.set(Number(m[1]), Number(m[2]));
}

test('the reference lists 32 MOP.R, 8 MOP.RR and 8 C.MOP encodings', () => {
  assert.equal(mopR.size, 32);
  assert.equal(mopRR.size, 8);
  assert.deepEqual([...cmop.keys()], [1, 3, 5, 7, 9, 11, 13, 15]);
});

const WITH = `${RV64GC} zimop zcmop`;
const RD = 5, RS1 = 6, RS2 = 7;
const fill = (h: { setX(i: number, v: bigint): void }): void => { for (let i = 1; i < 32; i++) h.setX(i, 0x1111111100000000n + BigInt(i)); };

for (const [name, table, withRs2] of [['mop.r', mopR, false], ['mop.rr', mopRR, true]] as const) {
  test(`${name}.n with Zimop: writes 0 to rd, leaves every other register, pc += 4 (all n)`, () => {
    for (const [n, match] of table) {
      const insn = (match | (RD << 7) | (RS1 << 15) | (withRs2 ? RS2 << 20 : 0)) >>> 0;
      const { hart } = fixture([insn], WITH);
      fill(hart);
      step(hart, 1);
      assert.equal(hart.getPc(), BigInt(RAM + 4), `${name}.${n} pc`);
      for (let i = 1; i < 32; i++) assert.equal(hart.getX(i), i === RD ? 0n : 0x1111111100000000n + BigInt(i), `${name}.${n} x${i}`);
    }
  });
  test(`${name}.n without Zimop: illegal instruction, mtval = instruction bits (all n)`, () => {
    for (const [n, match] of table) {
      const insn = (match | (RD << 7) | (RS1 << 15) | (withRs2 ? RS2 << 20 : 0)) >>> 0;
      const { hart } = fixture([insn], RV64GC);
      hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
      fill(hart);
      step(hart, 1);
      assert.equal(hart.getCsr(CSR_MCAUSE), 2n, `${name}.${n} cause`);
      assert.equal(hart.getCsr(CSR_MTVAL), BigInt(insn), `${name}.${n} tval`);
      assert.equal(hart.getPc(), BigInt(RAM + 0x400));
      assert.equal(hart.getX(RD), 0x1111111100000000n + BigInt(RD), 'rd untouched');
    }
  });
}

test('c.mop.n with Zcmop: no register changes, pc += 2 (all n)', () => {
  for (const [n, bits] of cmop) {
    const { hart } = fixture([{ c: bits }, { c: bits }], WITH);
    fill(hart);
    step(hart, 2);
    assert.equal(hart.getPc(), BigInt(RAM + 4), `c.mop.${n}`);
    for (let i = 1; i < 32; i++) assert.equal(hart.getX(i), 0x1111111100000000n + BigInt(i), `c.mop.${n} x${i}`);
  }
});

test('c.mop.n without Zcmop (Zca on): reserved c.lui form -> illegal, mtval = the 16 bits (all n)', () => {
  for (const [n, bits] of cmop) {
    const { hart } = fixture([{ c: bits }], RV64GC);
    hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
    step(hart, 1);
    assert.equal(hart.getCsr(CSR_MCAUSE), 2n, `c.mop.${n}`);
    assert.equal(hart.getCsr(CSR_MTVAL), BigInt(bits), `c.mop.${n} tval`);
  }
});

test('c.lui with imm=0 for every rd: only odd rd < 16 with Zcmop executes, the rest stay reserved', () => {
  for (const zcmop of [true, false]) {
    for (let rd = 0; rd < 32; rd++) {
      const bits = 0x6001 | (rd << 7);
      const { hart } = fixture([{ c: bits }], zcmop ? WITH : RV64GC);
      hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
      step(hart, 1);
      const isMop = zcmop && rd % 2 === 1 && rd < 16;
      assert.equal(hart.getPc(), BigInt(isMop ? RAM + 2 : RAM + 0x400), `rd=${rd} zcmop=${zcmop}`);
      if (!isMop) assert.equal(hart.getCsr(CSR_MTVAL), BigInt(bits));
    }
  }
});

test('without Zca, a c.mop word is not a compressed instruction at all (illegal even with zcmop named)', () => {
  const bits = cmop.get(1)!;
  const { hart } = fixture([{ c: bits }, { c: 0 }], 'i m zicsr zimop zcmop');
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  step(hart, 1);
  assert.equal(hart.getCsr(CSR_MCAUSE), 2n);
  assert.equal(hart.getCsr(CSR_MTVAL), BigInt(bits));
});

test('under the hypervisor (guest S-mode) a disabled MOP traps to the guest kernel via scause/stval', () => {
  const insn = (mopR.get(28)! | (RD << 7)) >>> 0;
  const { hart } = fixture([insn], RV64GC, { hypervisor: true });
  hart.setCsr(CSR_STVEC, BigInt(RAM + 0x800));
  step(hart, 1);
  assert.equal(hart.getCsr(CSR_SCAUSE), 2n);
  assert.equal(hart.getCsr(CSR_STVAL), BigInt(insn));
  assert.equal(hart.getPc(), BigInt(RAM + 0x800));
  assert.equal(hart.getMode(), 1);
});
