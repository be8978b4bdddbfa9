// Disks on the real Debian guest: an ext4 file system inside a compressed qcow2 image takes a busybox churn
// (create, write, delete, rename, fstrim), and afterwards `qemu-img check` finds no error and the files are
// all there when QEMU's tools read the image back (qemu-img convert, e2fsck, debugfs rdump). Beside it: a raw
// disk under -drive ...,snapshot=on whose file does not change by one byte although the guest wrote to it,
// and a kvmtool-style `-d FILE,ro` disk the guest sees as read-only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const guest = resolve(root, '../shared/guest');

const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const tools = ['qemu-img', 'mkfs.ext4', 'debugfs', 'e2fsck'].every(have);
if (process.env.CI === 'true') assert.ok(tools, 'qemu-img (qemu-utils) and e2fsprogs are needed in CI');
const skip = !tools || !existsSync(join(guest, 'linux-6.12.107-riscv64.Image'));

function ok(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** What the churn leaves: path -> contents (d3 is removed at the end). */
function expectedTree(): Map<string, string | number> {
  const files = new Map<string, string | number>();
  for (let i = 0; i < 240; i++) {
    const d = i % 4;
    if (d === 3) continue;
    files.set(`d${d}/${i % 5 === 0 ? 'r' : 'f'}${i}`, `file ${i}\n`);
    if (i % 3 !== 0) files.set(`d${d}/z${i}`, (i % 37) * 1024);
  }
  return files;
}

const CHURN = [
  'M=/mnt', 'mkdir -p $M/d0 $M/d1 $M/d2 $M/d3', 'i=0',
  'while [ $i -lt 240 ]; do d=$M/d$((i % 4)); echo "file $i" > $d/f$i;' +
    ' dd if=/dev/zero of=$d/z$i bs=1k count=$((i % 37)) 2>/dev/null;' +
    ' [ $((i % 3)) -eq 0 ] && rm $d/z$i; [ $((i % 5)) -eq 0 ] && mv $d/f$i $d/r$i;' +
    ' [ $((i % 60)) -eq 0 ] && sync; i=$((i + 1)); done',
  'dd if=/dev/urandom of=$M/big bs=64k count=40 2>/dev/null', 'echo BIG=$(md5sum $M/big)',
  'rm -r $M/d3', 'rm $M/seed/gone.txt', 'sync', 'fstrim -v $M', 'umount $M && echo CHURN-DONE',
].join('; ');

function walk(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, base))) {
    const rel = base ? `${base}/${name}` : name;
    if (statSync(join(dir, rel)).isDirectory()) out.push(...walk(dir, rel));
    else out.push(rel);
  }
  return out;
}

test('ext4 in a compressed qcow2 survives a busybox churn: qemu-img check clean, e2fsck clean, every file there; -snapshot leaves its file unchanged; ro is seen', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-qcow2-guest-'));
  try {
    const seedDir = join(dir, 'seed');
    mkdirSync(join(seedDir, 'seed'), { recursive: true });
    writeFileSync(join(seedDir, 'seed', 'hello.txt'), 'made on the host\n');
    writeFileSync(join(seedDir, 'seed', 'gone.txt'), 'deleted by the guest\n');
    writeFileSync(join(seedDir, 'seed', 'blob'), new Uint8Array(300 << 10).map((_, i) => (i * 131) >> 3));
    const raw = join(dir, 'fs.raw');
    ok('mkfs.ext4', ['-q', '-F', '-d', seedDir, raw, '48M']);
    const img = join(dir, 'fs.qcow2');
    ok('qemu-img', ['convert', '-c', '-f', 'raw', '-O', 'qcow2', raw, img]);
    assert.match(ok('qemu-img', ['check', img]), /No errors/);

    const scratch = join(dir, 'scratch.raw');
    ok('mkfs.ext4', ['-q', '-F', scratch, '16M']);
    const scratchSum = sha(scratch);
    const roDisk = join(dir, 'ro.raw');
    ok('mkfs.ext4', ['-q', '-F', '-d', seedDir, roDisk, '8M']);
    const roSum = sha(roDisk);

    const mods = ['virtio_mmio', 'virtio_blk', 'crc32c_generic', 'crc16', 'mbcache', 'jbd2', 'ext4'].map((m) => `insmod /lib/modules/${m}.ko`).join('; ');
    const commands = [
      mods,
      'echo SERIAL=$(cat /sys/block/vda/serial) RO=$(cat /sys/block/vda/ro),$(cat /sys/block/vdb/ro),$(cat /sys/block/vdc/ro)',
      'echo DISCARD=$(cat /sys/block/vda/queue/discard_max_bytes) ZEROES=$(cat /sys/block/vda/queue/write_zeroes_max_bytes)',
      'mount -t ext4 /dev/vda /mnt && echo SEED=$(cat /mnt/seed/hello.txt)',
      CHURN,
      'mount -t ext4 /dev/vdb /mnt && dd if=/dev/urandom of=/mnt/junk bs=64k count=16 2>/dev/null && sync && echo JUNK=$(md5sum /mnt/junk) && umount /mnt',
      'mount -t ext4 /dev/vdb /mnt && echo JUNK-AGAIN=$(md5sum /mnt/junk) && umount /mnt',
      'mount -t ext4 -o ro /dev/vdc /mnt && echo RO-SEED=$(cat /mnt/seed/hello.txt) && umount /mnt',
    ].join('; ');
    const r = spawnSync(process.execPath, [cli, 'run', '--clock', 'icount', '--timeout', '900', '--append', 'console=ttyS0 panic=-1 quiet',
      '--disk', `${img},format=qcow2,serial=rvkvm-qcow2-test`,
      '-drive', `file=${scratch},format=raw,if=virtio,snapshot=on`,
      '-d', `${roDisk},ro`,
      '--init-commands', commands], { input: '', encoding: 'utf8', timeout: 960_000, maxBuffer: 64 << 20 });
    const out = r.stdout;
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}\n${out.slice(-4000)}`);
    assert.match(out, /SERIAL=rvkvm-qcow2-test RO=0,0,1/);
    const discard = /DISCARD=(\d+) ZEROES=(\d+)/.exec(out);
    assert.ok(discard && Number(discard[1]) > 0 && Number(discard[2]) > 0, `discard/write-zeroes not offered: ${discard?.[0]}`);
    assert.match(out, /SEED=made on the host/);
    assert.match(out, /CHURN-DONE/, out.slice(-4000));
    assert.match(out, /\/mnt: \d+ (bytes|B) .*trimmed|trimmed/i);
    assert.match(out, /RO-SEED=made on the host/);
    const junk = /JUNK=([0-9a-f]{32})/.exec(out);
    assert.ok(junk, 'the guest wrote to the snapshot disk');
    assert.match(out, new RegExp(`JUNK-AGAIN=${junk[1]}`), 'the guest reads back what it wrote to the overlay');
    assert.equal(sha(scratch), scratchSum, 'snapshot=on: the raw file changed');
    assert.equal(sha(roDisk), roSum, ',ro: the file changed');

    // QEMU's view of the image rvkvm wrote.
    const check = spawnSync('qemu-img', ['check', img], { encoding: 'utf8' });
    assert.equal(check.status, 0, `qemu-img check:\n${check.stdout}${check.stderr}`);
    assert.match(check.stdout, /No errors were found/);
    const back = join(dir, 'back.raw');
    ok('qemu-img', ['convert', '-O', 'raw', img, back]);
    const fsck = spawnSync('e2fsck', ['-fn', back], { encoding: 'utf8' });
    assert.equal(fsck.status, 0, `e2fsck:\n${fsck.stdout}${fsck.stderr}`);
    const dump = join(dir, 'dump');
    mkdirSync(dump);
    ok('debugfs', ['-R', `rdump / ${dump}`, back]);
    const expected = expectedTree();
    const got = walk(dump).filter((p) => !p.startsWith('lost+found'));
    const want = [...expected.keys(), 'big', 'seed/hello.txt', 'seed/blob'].sort();
    assert.deepEqual(got.sort(), want);
    for (const [path, content] of expected) {
      const data = readFileSync(join(dump, path));
      if (typeof content === 'string') assert.equal(data.toString(), content, path);
      else assert.ok(data.length === content && data.every((b) => b === 0), `${path}: ${data.length} bytes, want ${content} zeros`);
    }
    const big = /BIG=([0-9a-f]{32})/.exec(out);
    assert.ok(big);
    assert.equal(createHash('md5').update(readFileSync(join(dump, 'big'))).digest('hex'), big[1], 'the big file differs');
    assert.equal(readFileSync(join(dump, 'seed/hello.txt'), 'utf8'), 'made on the host\n');
    assert.ok(Buffer.from(readFileSync(join(dump, 'seed/blob'))).equals(Buffer.from(readFileSync(join(seedDir, 'seed/blob')))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
