// Fuzz: mutated ISA strings through the parser, and through a Machine's --isa (the host ISA the vCPU is built
// from): a parse, a clean IsaError/VmmError/KvmError, never another exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIsaString } from '../../src/isa/index.js';
import { Machine } from '../../src/vmm/machine.js';
import { clean, rng, tinyImage } from './harness.js';

const SEEDS = ['rv64gc_zicntr_zimop_zcmop', 'rv64imafdcv_zba_zbb_zbs_zicond_zicbom', 'rv64i', 'rv32e', 'RV64IMAC_Zicsr_Zifencei_Svnapot',
  'rv64gcb_zicbom_zicbop_zicboz_zicntr_zicond_zihintntl_zihintpause_zihpm_zimop_zacas_zawrs_zfa_zcb_zcmop_zbc_sstc'];
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789_ xpXP.-\0\u00e9';
const TOKENS = ['_', 'rv64', 'rv32', 'g', 'zicsr', 'zca', 'zcd', 'zcf', 'zcmop', 'zimop', 'x', 's', 'sv', 'ss', 'p', '2p1', '99', '_zz', 'h'];

function mutateIsa(s: string, next: (n: number) => number): string {
  let out = s;
  for (let k = 1 + next(4); k > 0; k--) {
    const at = next(out.length + 1);
    switch (next(4)) {
      case 0: out = out.slice(0, at) + ALPHABET[next(ALPHABET.length)] + out.slice(at); break;
      case 1: out = out.slice(0, at) + out.slice(at + 1 + next(4)); break;
      case 2: out = out.slice(0, at) + TOKENS[next(TOKENS.length)] + out.slice(at); break;
      default: out = out.slice(0, at) + ALPHABET[next(ALPHABET.length)] + out.slice(at + 1);
    }
  }
  return next(50) === 0 ? out.repeat(200) : out;
}

test('fuzz: 4000 mutated ISA strings: parsed or a clean IsaError', { timeout: 30_000 }, () => {
  const next = rng(0x15a);
  let accepted = 0;
  for (let i = 0; i < 4000; i++) {
    const s = mutateIsa(SEEDS[next(SEEDS.length)]!, next);
    const r = clean(`isa case ${i} ${JSON.stringify(s.slice(0, 80))}`, 500, () => parseIsaString(s));
    if (!(r instanceof Error)) accepted++;
  }
  assert.ok(accepted > 20 && accepted < 3900, `both outcomes are exercised (${accepted} accepted)`);
});

test('fuzz: 60 mutated host ISA strings build a Machine or fail cleanly', { timeout: 30_000 }, () => {
  const next = rng(0x15b);
  const kernel = tinyImage([0x0000006f]);
  for (let i = 0; i < 60; i++) {
    const s = mutateIsa(SEEDS[next(SEEDS.length)]!, next);
    clean(`machine isa case ${i} ${JSON.stringify(s.slice(0, 80))}`, 2000,
      () => new Machine({ kernel, hostIsa: s, memBytes: 16 << 20, rng: false, console: () => {} }));
  }
});
