// The whole chain on the real Debian guest: rvkvm run boots Linux 6.12 from ../shared/guest, and the guest's
// own view (/proc/cpuinfo, riscv_hwprobe, executing c.mop.n / mop.r.n) matches the vCPU's ISA_EXT registers.
// Also: virtio modules, an ext4 disk written by the guest and read back on the host, and a ping over virtio-net.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const guest = resolve(root, '../shared/guest');
const probe = join(root, 'build/guest/linux/rvkvm-probe.elf');

interface Run { code: number | null; stdout: string; stderr: string }

function rvkvm(args: string[], timeoutSec = 300): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { input: '', encoding: 'utf8', timeout: (timeoutSec + 30) * 1000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Boots the bundled guest, runs `commands` in its /init, powers off. */
function boot(extra: string[], commands: string): Run {
  return rvkvm(['run', '--clock', 'icount', '--timeout', '300', '--append', 'console=ttyS0 panic=-1 quiet', ...extra,
    '--init-commands', commands]);
}

function cpuinfoIsa(out: string): string[] {
  const line = out.split('\n').find((l) => /^isa\s*:/.test(l));
  assert.ok(line, `no isa line in /proc/cpuinfo output:\n${out}`);
  return line.split(':')[1]!.trim().split('_');
}

function hasHostTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

const prerequisites = existsSync(join(guest, 'linux-6.12.107-riscv64.Image')) && existsSync(probe);

test('the guest prerequisites are present (../shared/guest and the cross-built probe)', () => {
  assert.ok(existsSync(join(guest, 'linux-6.12.107-riscv64.Image')), `missing ${guest}`);
  assert.ok(existsSync(probe), `missing ${probe}: run make -C test/guest`);
});

test('Zcmop is not disable-allowed under KVM rules: rvkvm run stops before booting and says how to opt in', () => {
  const r = rvkvm(['run', '--disable-zcmop', '--timeout', '30'], 60);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot disable zcmop/);
  assert.match(r.stderr, /KVM_RISCV_ISA_EXT_ZCMOP=60 is not disable-allowed/);
  assert.match(r.stderr, /EINVAL/);
  assert.match(r.stderr, /--allow-disable-any/);
  assert.doesNotMatch(r.stdout, /Linux version/);
});

test('malformed inputs give one-line errors, not stack traces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-bad-'));
  try {
    const r1 = rvkvm(['run', '--kernel', join(dir, 'missing.Image')], 30);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /kernel '.*missing.Image' does not exist/);
    const r2 = rvkvm(['run', '--kernel', probe], 30); // an ELF is not a RISC-V Image
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /Image/);
    const r3 = rvkvm(['run', '--mem', 'lots'], 30);
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /--mem 'lots'/);
    const r4 = rvkvm(['run', '-cpu', 'rv64,zfoo=on'], 30);
    assert.equal(r4.code, 1);
    assert.match(r4.stderr, /unknown extension 'zfoo'/);
    for (const r of [r1, r2, r3, r4]) assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--mem 2G and --mem 3G boot to userspace (guest RAM at host offsets past 2^31)', { skip: !prerequisites }, () => {
  for (const [mem, kib] of [['2G', 2 << 20], ['3G', 3 << 20]] as const) {
    const r = boot(['--mem', mem], 'grep MemTotal /proc/meminfo; poweroff -f');
    assert.equal(r.code, 0, `--mem ${mem}: ${r.stderr}`);
    const m = /MemTotal:\s+(\d+) kB/.exec(r.stdout);
    assert.ok(m, `--mem ${mem}: no MemTotal in\n${r.stdout.slice(-2000)}`);
    assert.ok(Number(m[1]) > kib * 0.9 && Number(m[1]) <= kib, `--mem ${mem}: MemTotal ${m[1]} kB`);
  }
});

test('default vCPU: the guest sees and runs Zimop/Zcmop, mounts an ext4 disk, writes a file, pings the gateway', { skip: !prerequisites }, () => {
  const haveExt4 = hasHostTool('mkfs.ext4') && hasHostTool('debugfs');
  assert.ok(haveExt4 || process.env.CI !== 'true', 'mkfs.ext4/debugfs (e2fsprogs) are needed in CI');
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-disk-'));
  const disk = join(dir, 'disk.ext4');
  try {
    const diskArgs: string[] = [];
    if (haveExt4) {
      assert.equal(spawnSync('mkfs.ext4', ['-q', '-F', disk, '8M']).status, 0);
      diskArgs.push('--disk', disk);
    }
    // the bundled init loads the disk's and the network's modules itself (no insmod by hand)
    const commands = [
      'cat /proc/cpuinfo', '/bin/rvkvm-probe', 'dmesg | grep riscv-pmu-sbi',
      haveExt4 ? 'mount -t ext4 /dev/vda /mnt && echo written-by-the-rvkvm-guest > /mnt/hello.txt && umount /mnt && echo DISK-OK' : 'true',
      'ping -c 2 -W 5 10.0.2.2 && echo PING-OK', // eth0 was configured by the init's DHCP
    ].join('; ');
    const r = boot([...diskArgs, '--net', '--stats'], commands);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${r.stdout.slice(-3000)}`);
    assert.match(r.stdout, /rvkvm-init: userspace is up/);
    assert.match(r.stdout, haveExt4
      ? /rvkvm-init: loaded virtio_mmio virtio_blk crc32c_generic crc16 mbcache jbd2 ext4 failover net_failover virtio_net virtio-rng\r?\n/
      : /rvkvm-init: loaded virtio_mmio failover net_failover virtio_net virtio-rng\r?\n/);
    assert.match(r.stdout, /rvkvm-init: eth0 configured by DHCP: 10\.0\.2\.15 gateway 10\.0\.2\.2 dns 10\.0\.2\.3/);
    const isa = cpuinfoIsa(r.stdout);
    assert.ok(isa.includes('zimop'), `isa line lacks zimop: ${isa.join('_')}`);
    assert.ok(isa.includes('zcmop'), `isa line lacks zcmop: ${isa.join('_')}`);
    assert.ok(isa.includes('zca'), 'zcmop needs zca');
    // the scalar rest of RVA23 (issue 17) reaches the guest; SBI PMU hands out the hart's counters
    for (const e of ['zfh', 'zfhmin', 'zkt', 'smstateen']) assert.ok(isa.includes(e), `isa line lacks ${e}: ${isa.join('_')}`);
    assert.match(r.stdout, /riscv-pmu-sbi: SBI PMU extension is available/);
    assert.match(r.stdout, /riscv-pmu-sbi: \d+ firmware and 32 hardware counters/);
    assert.match(r.stdout, /hwprobe: zfh=1 zfhmin=1 zkt=1/);
    // perf_event_open(PERF_COUNT_HW_INSTRUCTIONS) around a 100000-iteration loop of 3 instructions, kernel included
    const perf = /perf: instructions=(-?\d+)/.exec(r.stdout);
    assert.ok(perf && Number(perf[1]) >= 300_000 && Number(perf[1]) < 3_000_000, `perf count: ${perf?.[1]}`);
    assert.match(r.stdout, /hwprobe: IMA_EXT_0=0x[0-9a-f]+ zimop=1 zcmop=1/);
    assert.match(r.stdout, /c\.mop\.n: 8 executed, 0 trapped/);
    assert.match(r.stdout, /mop\.r\.n\/mop\.rr\.n: 40 executed, 0 trapped, 0 wrote a non-zero rd/);
    // the vector extensions of issue #17: listed, in key 4 of hwprobe, and executed (Zvbb vandn, a FIPS-197 block)
    for (const n of ['zvbb', 'zvkb', 'zvkt', 'zvfhmin', 'zvkned', 'zvknhb', 'zvkg', 'zvbc']) assert.ok(isa.includes(n), `isa line lacks ${n}`);
    assert.match(r.stdout, /hwprobe: v=1 zvbb=1 zvkt=1 zvfhmin=1 zvkned=1 zvknhb=1/);
    assert.match(r.stdout, /vector crypto: 2 executed, 0 trapped; zvbb vandn ok; zvkned FIPS-197 AES-128 ok/);
    assert.match(r.stdout, /PING-OK/);
    assert.match(r.stderr, /rvkvm: stats: instructions=\d+/);
    // the boot ran through the translator to WebAssembly, and V8 took every module it made
    assert.match(r.stderr, /rvkvm: stats: translated pages=[1-9]\d* instructions=[1-9]\d*/);
    assert.doesNotMatch(r.stderr, /failed=/);
    if (haveExt4) {
      assert.match(r.stdout, /DISK-OK/);
      const cat = spawnSync('debugfs', ['-R', 'cat /hello.txt', disk], { encoding: 'utf8' });
      assert.equal(cat.stdout.trim(), 'written-by-the-rvkvm-guest');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('strict mode, 2 vCPUs: with Zimop, Zcmop and Zvkned disabled the guest lists none of them and the hart traps them', { skip: !prerequisites }, () => {
  const r = boot(['--smp', '2', '--allow-disable-any', '--disable-zimop', '--disable-zcmop', '--disable-zvkned'], 'echo CPUS=$(nproc); cat /proc/cpuinfo; /bin/rvkvm-probe');
  assert.match(r.stdout, /CPUS=2/);
  assert.equal(r.stdout.split('\n').filter((l) => /^isa\s*:/.test(l)).length, 2, 'one isa line per hart');
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${r.stdout.slice(-3000)}`);
  const isa = cpuinfoIsa(r.stdout);
  assert.ok(!isa.includes('zimop') && !isa.includes('zcmop'), `isa line still lists a MOP extension: ${isa.join('_')}`);
  assert.ok(isa.includes('zca') && isa.includes('zbb'), 'the rest of the ISA stays');
  assert.match(r.stdout, /hwprobe: IMA_EXT_0=0x[0-9a-f]+ zimop=0 zcmop=0/);
  assert.match(r.stdout, /c\.mop\.n: 0 executed, 8 trapped/);
  assert.match(r.stdout, /mop\.r\.n\/mop\.rr\.n: 0 executed, 40 trapped/);
  assert.ok(!isa.includes('zvkned') && isa.includes('zvbb'), 'Zvkned disabled alone');
  assert.match(r.stdout, /hwprobe: v=1 zvbb=1 zvkt=1 zvfhmin=1 zvkned=0 zvknhb=1/);
  assert.match(r.stdout, /vector crypto: 1 executed, 1 trapped; zvbb vandn ok; zvkned FIPS-197 AES-128 wrong/);
});
