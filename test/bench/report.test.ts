// The benchmark suite's pure helpers: stats-line and uptime parsers, table formatting, the result document's
// validator, option parsing, the /init script, and the reference computations' building blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RESULT_SCHEMA, formatNumber, formatTable, geomean, machineInfo, parseStatsLine, parseUptimeAfter, ratio, resultFileName, spread,
  validateResult, type BenchResult, type BootEntry, type CompareEntry, type RefTiming,
} from '../../bench/report.js';
import { parseBenchArgs, ratioGeomeans, workloadRatios } from '../../bench/main.js';
import { benchInitScript, errorSummary, mergeBootRuns } from '../../bench/boot.js';
import { parseQemuVersion } from '../../bench/refs.js';
import { doubleBits, fnv1a64 } from '../../bench/reference.js';
import { checkOutput, parseLabelledHex, BenchError } from '../../bench/workloads.js';

test('parseStatsLine: the line rvkvm run --stats prints, with or without mips, last one wins', () => {
  const cases: [string, { instructions: number; wallSeconds: number } | null][] = [
    ['rvkvm: stats: instructions=1170538464 wall=29.213 mips=40.1\n', { instructions: 1170538464, wallSeconds: 29.213 }],
    ['boot noise\nrvkvm: stats: instructions=5 wall=2\n', { instructions: 5, wallSeconds: 2 }],
    ['rvkvm: stats: instructions=1 wall=1.0\nrvkvm: stats: instructions=2 wall=3.5 mips=0.0\n', { instructions: 2, wallSeconds: 3.5 }],
    ['  rvkvm: stats: instructions=7 wall=0.5  \r\n', { instructions: 7, wallSeconds: 0.5 }],
    ['', null],
    ['rvkvm: 1 vCPU(s), ISA rv64gc\n', null],
    ['rvkvm: stats: instructions=abc wall=1\n', null],
    ['rvkvm: stats: instructions=12 wall=\n', null],
    ['rvkvm: stats: instructions=12 wall=1.5x\n', null],
    ['xrvkvm: stats: instructions=12 wall=1\n', null],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseStatsLine(text), want, JSON.stringify(text));
});

test('parseUptimeAfter: first /proc/uptime line after the marker only', () => {
  const marker = 'rvkvm-bench-marker-00ff';
  assert.equal(parseUptimeAfter(`[ 0.1] x\n${marker}\n0.81 0.00\n[ 0.83] reboot: Power down\n`, marker), 0.81);
  assert.equal(parseUptimeAfter(`9.99 1.00\n${marker}\r\n21.67 0.00\r\n`, marker), 21.67);
  assert.equal(parseUptimeAfter(`9.99 1.00\n${marker}\nno uptime\n`, marker), null);
  assert.equal(parseUptimeAfter('0.81 0.00\n', marker), null);
});

test('formatTable: padded columns, numbers right-aligned, null as "-"', () => {
  const t = formatTable(['name', 'n', 'x'], [['int', 1234567, 1.5], ['fp', 2, null]]);
  assert.equal(t, [
    'name          n     x',
    '----  ---------  ----',
    'int   1,234,567  1.50',
    'fp            2     -',
  ].join('\n'));
  // a column with any text is left-aligned
  assert.equal(formatTable(['a'], [['x'], [5]]), 'a\n-\nx\n5');
});

test('formatNumber: integers grouped, fractions to 1-3 decimals by magnitude', () => {
  const cases: [number, string][] = [[0, '0'], [1000, '1,000'], [123.456, '123.5'], [12.345, '12.35'], [0.12345, '0.123'], [-2.5, '-2.50'], [Infinity, 'Infinity']];
  for (const [v, s] of cases) assert.equal(formatNumber(v), s, String(v));
});

function sampleResult(): BenchResult {
  return {
    schema: RESULT_SCHEMA, startedAt: '2026-01-01T00:00:00.000Z', gitCommit: 'a'.repeat(40), machine: machineInfo(),
    options: { only: ['mips', 'ref', 'boot', 'qemu'], quick: true, runs: 1 },
    mips: [{ name: 'int', description: 'd', mode: 'jit', runs: 1, instructions: 10, seconds: 0.5, mips: 2e-5, bestMips: 2e-5,
      runSeconds: { min: 0.5, median: 0.5, max: 0.5 }, jit: null }],
    compare: [{
      name: 'int', rvkvm: { runs: 1, instructions: 10, seconds: { min: 0.5, median: 0.5, max: 0.5 }, mips: 2e-5, peakRssBytes: null, processSeconds: null, jit: null },
      refs: [{ vm: 'qemu-10', version: '10.0.2', runs: 1, seconds: { min: 0.25, median: 0.25, max: 0.25 }, peakRssBytes: null, how: 'h' }],
      ratios: { 'rvkvm/qemu-10': 2, 'rvkvm/qemu-7.2': null },
    }],
    compareGeomean: { 'rvkvm/qemu-10': 2, 'rvkvm/qemu-7.2': null },
    boot: [
      { vm: 'rvkvm', ok: false, runs: 0, secondsToMarker: null, markerSpread: null, secondsTotal: 1, instructions: null, instructionsPerSecond: null, peakRssBytes: null, note: 'n' },
      { vm: 'qemu-7.2', version: '7.2.19', ok: true, runs: 1, secondsToMarker: 2, markerSpread: { min: 2, median: 2, max: 2 }, secondsTotal: 2.5, instructions: null, instructionsPerSecond: null, peakRssBytes: 1 << 20 },
    ],
    bootRatios: { 'qemu-7.2': null }, notes: ['qemu missing'], errors: [],
  };
}

test('validateResult: a well-formed document (after a JSON round trip) has no problems', () => {
  const doc = JSON.parse(JSON.stringify(sampleResult()));
  assert.deepEqual(validateResult(doc), []);
  const info = machineInfo();
  assert.ok(info.cores >= 1 && info.memoryBytes > 0 && info.node === process.version && info.cpuModel.length > 0);
});

test('validateResult: each broken field is reported by name', () => {
  const mutations: [string, (d: Record<string, any>) => void][] = [
    ['schema', (d) => { d.schema = 'other/1'; }],
    ['startedAt', (d) => { d.startedAt = 'yesterday'; }],
    ['gitCommit', (d) => { d.gitCommit = 'main'; }],
    ['machine.cpuModel', (d) => { d.machine.cpuModel = ''; }],
    ['machine.cores', (d) => { d.machine.cores = 0; }],
    ['machine.memoryBytes', (d) => { delete d.machine.memoryBytes; }],
    ['machine.node', (d) => { d.machine.node = '20'; }],
    ['mips[0].mips', (d) => { d.mips[0].mips = 0; }],
    ['mips[0].instructions', (d) => { d.mips[0].instructions = 'many'; }],
    ['boot[1].vm', (d) => { d.boot[1].vm = 'spike'; }],
    ['boot[0].ok', (d) => { d.boot[0].ok = 'no'; }],
    ['boot[1].secondsToMarker', (d) => { d.boot[1].secondsToMarker = '2'; }],
    ['bootRatios', (d) => { d.bootRatios['qemu-7.2'] = 'x'; }],
    ['mips[0].runSeconds', (d) => { d.mips[0].runSeconds = { min: 2, median: 1, max: 3 }; }],
    ['compare[0].refs', (d) => { d.compare[0].refs[0].vm = 'bochs'; }],
    ['compare[0].ratios', (d) => { d.compare[0].ratios['rvkvm/qemu-10'] = '2'; }],
    ['compare[0].rvkvm', (d) => { d.compare[0].rvkvm.seconds = null; }],
    ['compareGeomean', (d) => { delete d.compareGeomean; }],
    ['notes', (d) => { delete d.notes; }],
    ['errors', (d) => { d.errors = [1]; }],
  ];
  for (const [field, mutate] of mutations) {
    const d = JSON.parse(JSON.stringify(sampleResult()));
    mutate(d);
    const problems = validateResult(d);
    assert.equal(problems.length, 1, `${field}: ${problems.join('; ')}`);
    assert.ok(problems[0]!.startsWith(field), `${field}: ${problems[0]}`);
  }
  assert.deepEqual(validateResult([]), ['result is not an object']);
});

test('resultFileName: ISO timestamp, file-name safe', () => {
  assert.equal(resultFileName(new Date('2026-11-24T19:03:56.791Z')), '2026-11-24T19-03-56-791Z.json');
});

test('parseBenchArgs: sections, flags, errors', () => {
  const all = parseBenchArgs([]);
  assert.ok(all !== 'help');
  assert.deepEqual([...all.only].sort(), ['boot', 'mips', 'qemu', 'ref']);
  assert.equal(all.quick, false);
  assert.equal(all.runs, 3);
  const runs = parseBenchArgs(['--runs', '5', '--quick']);
  assert.ok(runs !== 'help');
  assert.equal(runs.runs, 5); // an explicit --runs wins over --quick's 1
  const quick = parseBenchArgs(['--quick']);
  assert.ok(quick !== 'help' && quick.runs === 1);
  const eqRuns = parseBenchArgs(['--runs=7']);
  assert.ok(eqRuns !== 'help' && eqRuns.runs === 7);
  for (const bad of ['0', '-2', '1.5', 'x', '']) assert.throws(() => parseBenchArgs(['--runs', bad]), /--runs '.*': expected a whole number/, bad);
  assert.throws(() => parseBenchArgs(['--runs']), /--runs '': expected/);
  const some = parseBenchArgs(['--only', 'mips,qemu', '--quick', '--json-only']);
  assert.ok(some !== 'help');
  assert.deepEqual([...some.only].sort(), ['mips', 'qemu']);
  assert.equal(some.quick, true);
  assert.equal(some.jsonOnly, true);
  const eq = parseBenchArgs(['--only=boot', '--boot-timeout', '30']);
  assert.ok(eq !== 'help');
  assert.deepEqual([...eq.only], ['boot']);
  assert.equal(eq.bootTimeout, 30);
  const dir = parseBenchArgs(['--results-dir', 'some/dir']);
  assert.ok(dir !== 'help');
  assert.ok(dir.resultsDir.endsWith('/some/dir') && dir.resultsDir.startsWith('/'));
  assert.ok(all.resultsDir.endsWith('/bench/results'));
  assert.throws(() => parseBenchArgs(['--results-dir']), /--results-dir needs a directory/);
  assert.equal(parseBenchArgs(['--help']), 'help');
  assert.throws(() => parseBenchArgs(['--only', 'disk']), /--only 'disk'/);
  assert.throws(() => parseBenchArgs(['--only']), /--only needs a value/);
  assert.throws(() => parseBenchArgs(['--fast']), /unknown option '--fast'/);
  assert.throws(() => parseBenchArgs(['--boot-timeout', '-1']), /--boot-timeout/);
});

test('benchInitScript: marker echoed before anything else, then uptime, then power off', () => {
  const lines = benchInitScript('MARK-1').trimEnd().split('\n');
  assert.equal(lines[0], '#!/bin/busybox sh');
  assert.equal(lines[1], '/bin/busybox echo MARK-1');
  assert.ok(lines.indexOf('/bin/busybox cat /proc/uptime') > 1);
  assert.equal(lines.at(-1), '/bin/busybox poweroff -f');
});

test('parseLabelledHex / checkOutput: exact values, missing and wrong ones named', () => {
  const console = 'noise\nchecksum 0x00000000deadbeef\nmatmul 0x4090cb6da8ea91bf\nbad 0x12\n';
  assert.deepEqual(parseLabelledHex(console), new Map([['checksum', 0xdeadbeefn], ['matmul', 0x4090cb6da8ea91bfn]]));
  checkOutput('w', console, new Map([['checksum', 0xdeadbeefn]]));
  assert.throws(() => checkOutput('w', console, new Map([['checksum', 0xdeadbeeen]])), (e: unknown) =>
    e instanceof BenchError && /checksum 0xdeadbeef != expected 0xdeadbeee/.test(e.message));
  assert.throws(() => checkOutput('w', console, new Map([['energy-after', 1n]])), /no 'energy-after' line/);
});

/** FNV-1a 64 the obvious way, byte by byte in BigInt, to check the split-halves version against. */
function fnv1a64Bigint(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & ((1n << 64n) - 1n);
  return h;
}

test('fnv1a64 (32-bit halves) equals byte-wise BigInt FNV-1a 64, and the published vector for 8 bytes', () => {
  let s = 0x9e3779b97f4a7c15n;
  const words: bigint[] = [];
  for (let k = 0; k < 300; k++) {
    s = (s * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    words.push(k % 7 === 0 ? (1n << 64n) - 1n : k % 11 === 0 ? 0n : s);
  }
  for (let n = 0; n <= words.length; n += 37) {
    const bytes = new Uint8Array(n * 8);
    const view = new DataView(bytes.buffer);
    words.slice(0, n).forEach((w, k) => view.setBigUint64(8 * k, w, true));
    assert.equal(fnv1a64(words.slice(0, n)), fnv1a64Bigint(bytes), `n=${n}`);
  }
  // FNV-1a 64 of the empty input is the offset basis
  assert.equal(fnv1a64([]), 0xcbf29ce484222325n);
});

test('doubleBits: IEEE-754 binary64 bit patterns', () => {
  const cases: [number, bigint][] = [[1, 0x3ff0000000000000n], [-2, 0xc000000000000000n], [0.1, 0x3fb999999999999an], [-0, 0x8000000000000000n]];
  for (const [d, b] of cases) assert.equal(doubleBits(d), b, String(d));
});

test('errorSummary: picks the telling stderr line of a failed boot', () => {
  assert.equal(errorSummary('rvkvm: 1 vCPU(s), ISA rv64gc\nrvkvm: kernel panic at 0x80200000\nrvkvm: stats: instructions=5 wall=1\n'),
    'rvkvm: kernel panic at 0x80200000');
  assert.equal(errorSummary('node:internal/x\n  throw err;\n  ^\nError: Cannot find module \'/x.js\'\n    at f (a:1)\n\nNode.js v20\n'),
    "Error: Cannot find module '/x.js'");
  assert.equal(errorSummary('a\nb\nc\nd\n'), 'b | c | d');
  assert.equal(errorSummary(''), '');
});

test('spread: min, median (middle pair averaged for an even count), max; input order irrelevant; empty -> null', () => {
  assert.deepEqual(spread([3]), { min: 3, median: 3, max: 3 });
  assert.deepEqual(spread([5, 1, 3]), { min: 1, median: 3, max: 5 });
  assert.deepEqual(spread([4, 1, 3, 2]), { min: 1, median: 2.5, max: 4 });
  assert.deepEqual(spread([2, 2, 9, 2, 2]), { min: 2, median: 2, max: 9 });
  assert.equal(spread([]), null);
  const input = [3, 1, 2];
  spread(input);
  assert.deepEqual(input, [3, 1, 2], 'the samples are not reordered in place');
});

test('ratio and geomean: missing or non-positive values give null, never a partial mean', () => {
  assert.equal(ratio(3, 1.5), 2);
  assert.equal(ratio(null, 1), null);
  assert.equal(ratio(1, null), null);
  assert.equal(ratio(1, 0), null);
  assert.equal(ratio(1, undefined), null);
  assert.ok(Math.abs(geomean([2, 8])! - 4) < 1e-12);
  assert.ok(Math.abs(geomean([0.5, 2, 1])! - 1) < 1e-12);
  assert.ok(Math.abs(geomean([1.2, 3.4, 0.74])! - Math.cbrt(1.2 * 3.4 * 0.74)) < 1e-12);
  assert.equal(geomean([7]), 7);
  assert.equal(geomean([]), null);
  assert.equal(geomean([2, null]), null);
  assert.equal(geomean([2, 0]), null);
  assert.equal(geomean([2, -1]), null);
  // many large ratios: computed in logs, no overflow
  assert.ok(Math.abs(geomean(new Array(400).fill(1e300))! / 1e300 - 1) < 1e-9);
});

function refTiming(vm: RefTiming['vm'], median: number): RefTiming {
  return { vm, version: null, runs: 3, seconds: { min: median * 0.9, median, max: median * 1.2 }, peakRssBytes: null, how: '' };
}

test('workloadRatios: rvkvm / each reference and QEMU / native, of the medians; a missing reference is null', () => {
  const r = workloadRatios(2, [refTiming('qemu-7.2', 1), refTiming('qemu-10', 4), refTiming('native', 0.1)]);
  assert.deepEqual(r, { 'rvkvm/qemu-7.2': 2, 'rvkvm/qemu-10': 0.5, 'rvkvm/native': 20, 'qemu-7.2/native': 10, 'qemu-10/native': 40 });
  const partial = workloadRatios(2, [refTiming('native', 0.5)]);
  assert.equal(partial['rvkvm/qemu-10'], null);
  assert.equal(partial['rvkvm/native'], 4);
  assert.equal(workloadRatios(null, [refTiming('qemu-10', 1)])['rvkvm/qemu-10'], null);
});

test('ratioGeomeans: per ratio over the workloads, null when any workload lacks it', () => {
  const entry = (name: string, ratios: Record<string, number | null>): CompareEntry => ({ name, rvkvm: null, refs: [], ratios });
  const g = ratioGeomeans([entry('int', { a: 2, b: 1 }), entry('fp', { a: 8, b: null }), entry('mem', { a: 0.5, b: 3 })]);
  assert.ok(Math.abs(g.a! - 2) < 1e-12);
  assert.equal(g.b, null);
  assert.deepEqual(ratioGeomeans([]), {});
});

function bootRun(ok: boolean, s: number | null, rss: number | null, note?: string): BootEntry {
  return { vm: 'qemu-10', version: '10.0.2', ok, runs: ok ? 1 : 0, secondsToMarker: s, markerSpread: s === null ? null : spread([s]),
    secondsTotal: s === null ? 9 : s + 1, instructions: null, instructionsPerSecond: null, peakRssBytes: rss, ...(note ? { note } : {}) };
}

test('mergeBootRuns: median and spread of the booted runs, largest peak RSS, ok only if all booted', () => {
  const m = mergeBootRuns([bootRun(true, 3, 100), bootRun(true, 1, 300), bootRun(true, 2, 200)]);
  assert.equal(m.vm, 'qemu-10');
  assert.equal(m.version, '10.0.2');
  assert.equal(m.ok, true);
  assert.equal(m.runs, 3);
  assert.equal(m.secondsToMarker, 2);
  assert.deepEqual(m.markerSpread, { min: 1, median: 2, max: 3 });
  assert.equal(m.secondsTotal, 3);
  assert.equal(m.peakRssBytes, 300);
  const failed = mergeBootRuns([bootRun(true, 4, null), bootRun(false, null, 50, 'timed out'), bootRun(false, null, null, 'timed out')]);
  assert.equal(failed.ok, false);
  assert.equal(failed.runs, 1);
  assert.equal(failed.secondsToMarker, 4);
  assert.equal(failed.note, 'timed out');
  assert.equal(failed.peakRssBytes, 50);
  const none = mergeBootRuns([bootRun(false, null, null, 'x')]);
  assert.equal(none.secondsToMarker, null);
  assert.equal(none.markerSpread, null);
  assert.throws(() => mergeBootRuns([]), /internal error/);
});

test('parseQemuVersion: the version number of qemu --version', () => {
  assert.equal(parseQemuVersion('QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u16)\nCopyright'), '7.2.19');
  assert.equal(parseQemuVersion('QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)'), '10.0.2');
  assert.equal(parseQemuVersion('QEMU emulator version 8.1'), '8.1');
  assert.equal(parseQemuVersion('bash: qemu: not found'), null);
});
