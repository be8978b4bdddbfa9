// Instruction trace: a bare-metal program (build/guest/hart/hello.elf, from `make -C test/guest`) traced through
// rvkvm's exec path. Every line's pc and instruction bits must match riscv64-linux-gnu-objdump's disassembly of the
// same ELF; the first register writes are checked against values worked out by hand from that disassembly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execElf } from '../../src/cli/cmd-exec.js';
import { InstructionTracer, formatCommit, parseTraceModes, parseTraceRange, TraceError, type TraceFilter } from '../../src/hart/trace.js';
import { readFileSync } from 'node:fs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const elfPath = join(root, 'build/guest/hart/hello.elf');
const haveElf = existsSync(elfPath);

/** pc -> instruction bits (hex as objdump prints them: 4 digits for 16-bit encodings) */
function disassembly(): Map<bigint, string> {
  const r = spawnSync('riscv64-linux-gnu-objdump', ['-d', elfPath], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<bigint, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+([0-9a-f]{4}|[0-9a-f]{8})\s/.exec(line);
    if (m) out.set(BigInt('0x' + m[1]), m[2]!);
  }
  return out;
}

function trace(filter: TraceFilter): string[] {
  const lines: string[] = [];
  const tracer = new InstructionTracer(filter, (l) => lines.push(l));
  const r = execElf(readFileSync(elfPath), { tracer });
  tracer.flush();
  assert.equal(r.exitCode, 0, r.message);
  return lines;
}

const LINE = /^core {3}0: ([013]) 0x([0-9a-f]{16}) \(0x([0-9a-f]{4}|[0-9a-f]{8})\)(?: ([xf])(\d+) *(?: 0x([0-9a-f]{16})))?$/;

test('every traced instruction matches objdump (pc and bits); the trace covers every retired instruction', { skip: !haveElf }, () => {
  const dis = disassembly();
  const lines = trace({});
  const r = execElf(readFileSync(elfPath));
  assert.equal(lines.length, r.instret, 'one line per retired instruction');
  for (const line of lines) {
    const m = LINE.exec(line);
    assert.ok(m, `line shape: ${line}`);
    assert.equal(m[1], '3', 'bare metal runs in M-mode');
    const pc = BigInt('0x' + m[2]);
    assert.equal(m[3], dis.get(pc), `bits at 0x${pc.toString(16)}`);
    if (m[4] === 'x') assert.notEqual(m[5], '0', 'x0 writes are not shown');
  }
});

test('register writes of the first instructions, worked out by hand from the disassembly', { skip: !haveElf }, () => {
  const lines = trace({ first: 6 });
  assert.deepEqual(lines, [
    // auipc gp,0x3 at 0x80000000: gp = 0x80000000 + 0x3000
    'core   0: 3 0x0000000080000000 (0x00003197) x3  0x0000000080003000',
    // addi gp,gp,-2030: 0x80003000 - 0x7ee
    'core   0: 3 0x0000000080000004 (0x81218193) x3  0x0000000080002812',
    // auipc sp,0x12: 0x80000008 + 0x12000
    'core   0: 3 0x0000000080000008 (0x00012117) x2  0x0000000080012008',
    // addi sp,sp,88: 0x80012008 + 0x58
    'core   0: 3 0x000000008000000c (0x05810113) x2  0x0000000080012060',
    // c.lui t0,0x2
    'core   0: 3 0x0000000080000010 (0x6289) x5  0x0000000000002000',
    // csrs mstatus,t0: rd = x0, no register write shown
    'core   0: 3 0x0000000080000012 (0x3002a073)',
  ]);
});

test('filters: extension, pc range, mode; first N and last N are the ends of the full trace', { skip: !haveElf }, () => {
  const all = trace({});
  const zca = trace({ extensions: new Set(['zca']) });
  assert.ok(zca.length > 0);
  assert.deepEqual(zca, all.filter((l) => / \(0x[0-9a-f]{4}\)/.test(l)), 'zca = exactly the 16-bit encodings (rv64gc without Zcb)');
  const lo = 0x80000000n, hi = 0x8000003fn;
  const ranged = trace({ pcRange: { lo, hi } });
  assert.deepEqual(ranged, all.filter((l) => { const pc = BigInt('0x' + LINE.exec(l)![2]); return pc >= lo && pc <= hi; }));
  assert.deepEqual(trace({ modes: parseTraceModes('u,s') }), []);
  assert.deepEqual(trace({ modes: parseTraceModes('m') }), all);
  assert.deepEqual(trace({ first: 25 }), all.slice(0, 25));
  assert.deepEqual(trace({ last: 25 }), all.slice(-25));
  assert.deepEqual(trace({ last: all.length + 10 }), all, 'a ring larger than the run keeps everything in order');
});

test('commit line format (Spike --log-commits): x and f writes, 16- and 32-bit bits', () => {
  assert.equal(formatCommit({ hartId: 0, mode: 3, pc: 0x80000000n, insn: 0x297, length: 4, extension: 'i', write: { file: 'x', reg: 5, value: 0x80000000n } }),
    'core   0: 3 0x0000000080000000 (0x00000297) x5  0x0000000080000000');
  assert.equal(formatCommit({ hartId: 12, mode: 1, pc: -2n, insn: 0x4501, length: 2, extension: 'zca', write: { file: 'f', reg: 10, value: -1n } }),
    'core  12: 1 0xfffffffffffffffe (0x4501) f10 0xffffffffffffffff');
  assert.equal(formatCommit({ hartId: 0, mode: 0, pc: 0x1000n, insn: 0x6081, length: 2, extension: 'zcmop' }),
    'core   0: 0 0x0000000000001000 (0x6081)');
});

test('filter option errors say what is wrong', () => {
  assert.deepEqual(parseTraceRange('0x80000000-0x80000fff'), { lo: 0x80000000n, hi: 0x80000fffn });
  assert.deepEqual(parseTraceRange('16-32'), { lo: 16n, hi: 32n });
  assert.throws(() => parseTraceRange('0x10'), /expected LO-HI/);
  assert.throws(() => parseTraceRange('0x20-0x10'), /LO is above HI/);
  assert.throws(() => parseTraceModes('m,x'), TraceError);
  assert.throws(() => new InstructionTracer({ first: 0 }, () => {}), /first count 0 is not a positive integer/);
  assert.throws(() => new InstructionTracer({ first: 1, last: 1 }, () => {}), /cannot be combined/);
});
