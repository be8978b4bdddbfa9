// Profiles as ISA strings: expansion to the mandatory sets of the ratified profile text, options after the
// name, --check-profile, and the split into what the hart executes and what it lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './reference.js';
import { IsaError, checkProfile, extensionByName, parseIsaString, profileByName, profiles, splitImplemented } from '../../src/isa/index.js';

const main = join(projectRoot, 'dist/src/cli/main.js');
const isa = (...args: string[]) => spawnSync(process.execPath, [main, 'isa', ...args], { encoding: 'utf8', timeout: 20_000 });

// The mandatory lists as riscv-profiles states them (src/profiles.adoc, src/rva23-profile.adoc), spelt as
// catalogue names and expanded (B = Zba Zbb Zbs, C = Zca Zcd with D, V = Zve64d and its subsets).
const RVA22U64 = 'i m a f d c zca zcd zicsr zicntr ziccif ziccrse ziccamoa zicclsm za64rs zihpm zihintpause zba zbb zbs zic64b zicbom zicbop zicboz zfhmin zkt';
const RVA23U64 = RVA22U64 + ' v zve32x zve32f zve64x zve64f zve64d zvfhmin zvbb zvkb zvkt zihintntl zicond zimop zcmop zcb zfa zawrs supm';
const RVA23S64 = RVA23U64 + ' zifencei svbare sv39 svade ssccptr sstvecd sstvala sscounterenw svpbmt svinval svnapot sstc sscofpmf ssnpm ssu64xl h' +
  ' ssstateen shcounterenw shvstvala shtvala shvstvecd shvsatpa shgatpa'; // Sha
const RVA20U64 = 'i m a f d c zca zcd zicsr zicntr ziccif ziccrse ziccamoa za128rs zicclsm';

const set = (s: string) => new Set(s.split(' '));

test('each profile name expands to its mandatory set', () => {
  assert.deepEqual(parseIsaString('rva20u64').extensions, set(RVA20U64));
  assert.deepEqual(parseIsaString('rva22u64').extensions, set(RVA22U64));
  assert.deepEqual(parseIsaString('RVA23U64').extensions, set(RVA23U64));
  assert.deepEqual(parseIsaString('rva23s64').extensions, set(RVA23S64));
  assert.deepEqual(parseIsaString('rva22s64').extensions, set(RVA22U64 + ' zifencei svbare sv39 svade ssccptr sstvecd sstvala sscounterenw svpbmt svinval'));
  const s = parseIsaString('rva23s64');
  assert.equal(s.profile!.name, 'rva23s64');
  assert.equal(s.xlen, 64);
  for (const p of profiles()) for (const n of parseIsaString(p.name).extensions) assert.ok(extensionByName(n), `${p.name}: ${n}`);
});

test('options after the profile name are added; errors name the token', () => {
  const s = parseIsaString('rva23u64_zvkng');
  for (const n of ['zvkned', 'zvknhb', 'zvkb', 'zvkt', 'zvkg']) assert.ok(s.extensions.has(n), n);
  assert.deepEqual(s.profileAdded, ['zvkng']);
  assert.ok(parseIsaString('rva23s64_sv48_zacas').extensions.has('sv48'));
  const bad = (input: string, re: RegExp, position: number) => {
    assert.throws(() => parseIsaString(input), (e: unknown) => e instanceof IsaError && re.test(e.message) && e.position === position, input);
  };
  bad('rva24u64', /unknown profile 'rva24u64'/, 0);
  bad('rva23u64_zfoo', /unknown extension 'zfoo'/, 9);
  bad('rva23u64_zicond', /already in rva23u64/, 9);
  bad('rva23u64zvkng', /followed by "_"/, 8);
});

test('checkProfile lists the mandatory members a set lacks; not-modelled names are reported, not dropped', () => {
  const r = checkProfile(profileByName('rva23u64')!, parseIsaString('rva22u64').extensions);
  assert.deepEqual(new Set(r.missing), set('v zve32x zve32f zve64x zve64f zve64d zvfhmin zvbb zvkb zvkt zihintntl zicond zimop zcmop zcb zfa zawrs supm'));
  assert.deepEqual(checkProfile(profileByName('rva22u64')!, parseIsaString('rva23u64').extensions).missing, []);
  const s = checkProfile(profileByName('rva23s64')!, parseIsaString('rva23s64').extensions);
  assert.deepEqual(s.missing, []);
  assert.deepEqual(Object.keys(s.notChecked).sort(), ['ss1p13']);
  // Sha is checked as its components
  const noSha = new Set([...parseIsaString('rva23s64').extensions].filter((n) => n !== 'ssstateen' && n !== 'shgatpa'));
  assert.deepEqual(new Set(checkProfile(profileByName('rva23s64')!, noSha).missing), set('ssstateen shgatpa'));
});

test('splitImplemented: what the hart executes of rva23s64, and what it lacks', () => {
  const { implemented, lacking } = splitImplemented(parseIsaString('rva23s64').extensions);
  for (const n of lacking) assert.equal(implemented.has(n), false, n);
  for (const n of implemented) assert.ok(extensionByName(n)!.implemented, n);
  // h is implemented (issue #15); whether a vCPU gets it is KVM's rule (never enable-allowed without --nested)
  assert.ok(implemented.has('zcmop') && implemented.has('ziccrse') && implemented.has('sv39') && implemented.has('h'));
  for (const n of ['zfhmin', 'zkt', 'sscofpmf', 'ssnpm', 'supm']) assert.ok(implemented.has(n), n);
  // what is left of RVA23 is the vector side (Zvfhmin, Zvbb and its Zvkb, Zvkt)
  for (const n of lacking) assert.ok(['zvfhmin', 'zvbb', 'zvkb', 'zvkt'].includes(n), n);
  // The implemented part is itself a valid set: every requirement is met inside it.
  for (const n of implemented) for (const g of extensionByName(n)!.requires) assert.ok(g.some((x) => implemented.has(x)), n);
});

test('rvkvm isa rva23u64 / --check-profile', () => {
  const r = isa('rva23u64_zvkng');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^profile rva23u64: its mandatory set plus zvkng$/m);
  assert.match(r.stdout, /^ {2}zic64b +cache blocks are 64 bytes/m);
  const c = isa('--check-profile', 'rva23u64', 'rv64gc_zimop_zcmop');
  assert.equal(c.status, 1);
  assert.match(c.stdout, /^rv64gc_zimop_zcmop lacks \d+ mandatory extension\(s\) of rva23u64: v .*zicond.*supm$/m);
  const ok = isa('--check-profile=rva22u64', 'rva23u64');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /has every mandatory extension of rva22u64/);
  const j = JSON.parse(isa('--check-profile', 'rva23s64', 'rva23u64', '--json').stdout);
  assert.ok(j.missing.includes('sstc') && j.missing.includes('h') && !j.missing.includes('zcmop'));
  const u = isa('--check-profile', 'rva99u64', 'rv64gc');
  assert.equal(u.status, 2);
  assert.match(u.stderr, /unknown profile 'rva99u64'/);
});
