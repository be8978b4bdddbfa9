// QEMU's -chardev/-fsdev backends with their -device frontends (rvkvm's --channel and --9p): parsing, the errors
// every unknown or unjoined piece gets, and one boot of the real guest that uses all of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunArgs } from '../../src/cli/cmd-run.js';
import { parseChannelOption } from '../../src/cli/channel.js';
import { spawnRvkvm } from '../integration/rvkvm-process.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const guest = resolve(root, '../shared/guest');

test('-chardev socket|file with -device virtconsole|virtserialport is --channel', () => {
  const a = parseRunArgs(['-device', 'virtio-serial-device', '-chardev', 'socket,id=c0,path=/tmp/c0.sock,server=on,wait=off',
    '-device', 'virtconsole,chardev=c0', '-device', 'virtserialport,chardev=f1,name=org.test.log', '-chardev', 'file,id=f1,path=/tmp/log.txt']);
  assert.deepEqual(a.channels, [
    { kind: 'unix', path: '/tmp/c0.sock', name: 'rvkvm.1', console: true },
    { kind: 'file', path: '/tmp/log.txt', name: 'org.test.log' },
  ]);
  // QEMU's default for a listening socket is wait=on
  assert.deepEqual(parseRunArgs(['-chardev', 'socket,id=c,path=/s,server=on', '-device', 'virtserialport,chardev=c']).channels,
    [{ kind: 'unix', path: '/s', name: 'rvkvm.1', wait: true }]);
  assert.deepEqual(parseRunArgs(['-chardev', 'file,id=c,path=/f,append=on', '-device', 'virtserialport,chardev=c']).channels,
    [{ kind: 'file', path: '/f', name: 'rvkvm.1', append: true }]);
  // numbering continues after --channel
  assert.equal(parseRunArgs(['--channel', 'unix:/a', '-chardev', 'file,id=c,path=/f', '-device', 'virtconsole,chardev=c']).channels[1]!.name, 'rvkvm.2');
  assert.deepEqual(parseChannelOption('file:/x.log,name=n', 1), { kind: 'file', path: '/x.log', name: 'n' });
});

test('-fsdev local with -device virtio-9p-device is --9p', () => {
  const a = parseRunArgs(['-fsdev', 'local,id=f0,path=/srv/share,security_model=none,readonly=on', '-device', 'virtio-9p-device,fsdev=f0,mount_tag=host0',
    '--mount', 'host0']);
  assert.deepEqual(a.shares, [{ path: '/srv/share', tag: 'host0', readOnly: true }]);
  assert.deepEqual(a.mounts, [{ source: 'host0', target: '/mnt/host0' }]);
});

test('QEMU device spellings: unknown keys, missing pieces and unjoined backends are one-line errors', () => {
  const bad: [string[], RegExp][] = [
    [['-chardev', 'socket,id=c,path=/s,server=on,telnet=on'], /-chardev 'socket,id=c,path=\/s,server=on,telnet=on': unknown option 'telnet' \(accepted: id=ID, path=PATH, server=on\|off, wait=on\|off\)$/],
    [['-chardev', 'socket,id=c,path=/s'], /server=on is required: rvkvm listens on PATH/],
    [['-chardev', 'socket,id=c,host=127.0.0.1,port=4444,server=on'], /unknown option 'host'/],
    [['-chardev', 'pty,id=c'], /only the socket .* and file backends are supported \(got 'pty'\)/],
    [['-chardev', 'file,path=/f'], /id=ID is required/],
    [['-chardev', 'file,id=c,path=/f'], /-chardev 'file,id=c,path=\/f': not attached to a device: add -device virtconsole,chardev=c$/],
    [['-chardev', 'file,id=c,path=/f', '-chardev', 'file,id=c,path=/g'], /id=c is defined twice/],
    [['-device', 'virtconsole,chardev=nope'], /no -chardev with id=nope/],
    [['-device', 'virtconsole'], /chardev=ID of a -chardev is required/],
    [['-device', 'virtconsole,chardev=c,nr=2', '-chardev', 'file,id=c,path=/f'], /unknown option 'nr' \(accepted: chardev=ID, name=NAME, id=ID\)/],
    [['-chardev', 'file,id=c,path=/f', '-device', 'virtconsole,chardev=c', '-device', 'virtserialport,chardev=c'], /-chardev id=c is used by another device already/],
    [['-device', 'virtserialport,chardev=c,name=bad/name', '-chardev', 'file,id=c,path=/f'], /name 'bad\/name' must be 1\.\.64 of/],
    [['-fsdev', 'local,id=f0,path=/d,security_model=mapped-xattr'], /security_model=mapped-xattr is not supported yet \(accepted: security_model=none\)/],
    [['-fsdev', 'local,id=f0,path=/d,security_model=none,fmode=0644'], /unknown option 'fmode'/],
    [['-fsdev', 'local,path=/d,security_model=none'], /-fsdev '.*': id=ID is required/],
    [['-fsdev', 'local,id=f0,path=/d'], /security_model= is required/],
    [['-fsdev', 'local,id=f0,path=/d,security_model=none'], /not attached to a device: add -device virtio-9p-device,fsdev=f0,mount_tag=TAG$/],
    [['-fsdev', 'local,id=f0,path=/d,security_model=none', '-device', 'virtio-9p-device,fsdev=f0'], /mount_tag=TAG is required/],
    [['-device', 'virtio-9p-device,fsdev=f9,mount_tag=t'], /no -fsdev with id=f9/],
    [['-fsdev', 'local,id=f0,path=/d,security_model=none', '-device', 'virtio-9p-device,fsdev=f0,mount_tag=t t'], /mount tag 't t' must be/],
    [['-device', 'virtio-gpu-device'], /-device 'virtio-gpu-device': unknown device \(rvkvm has virtio-net-device, virtconsole, virtserialport, virtio-9p-device, virtio-serial-device\)/],
    [['-device', 'virtio-serial-device,max_ports=4'], /unknown option 'max_ports'/],
    [['--channel', 'tcp:1'], /expected unix:PATH\[,name=NAME\] or file:PATH\[,name=NAME\]/],
  ];
  for (const [args, re] of bad) assert.throws(() => parseRunArgs(args), re, args.join(' '));
});

const prerequisites = existsSync(join(guest, 'linux-6.12.107-riscv64.Image')) && existsSync(join(guest, 'modules/9p.ko'));

test('QEMU spellings on the guest: a virtconsole on a socket (hvc1), a virtserialport into a file, a 9p folder from -fsdev', { skip: !prerequisites }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-qdev-'));
  try {
    const sock = join(dir, 'c0.sock');
    const log = join(dir, 'guest.log');
    const share = join(dir, 'share');
    mkdirSync(share);
    writeFileSync(join(share, 'hello.txt'), 'HELLO-FROM-HOST\n');
    const { p, out, err, exited } = spawnRvkvm(['run', '--clock', 'icount', '--timeout', '280', '--append', 'console=ttyS0 panic=-1 quiet',
      '-device', 'virtio-serial-device',
      '-chardev', `socket,id=c0,path=${sock},server=on,wait=on`, '-device', 'virtconsole,chardev=c0',
      '-chardev', `file,id=f1,path=${log}`, '-device', 'virtserialport,chardev=f1,name=org.rvkvm.log',
      '-fsdev', `local,id=fs0,path=${share},security_model=none,readonly=on`, '-device', 'virtio-9p-device,fsdev=fs0,mount_tag=host0',
      '--mount', 'host0',
      '--init-commands', 'cat /sys/class/virtio-ports/vport*/name; echo TO-HVC1 > /dev/hvc1; echo TO-LOG > /dev/virtio-ports/org.rvkvm.log; ' +
        'cat /mnt/host0/hello.txt; touch /mnt/host0/new 2>/dev/null || echo RO-REFUSED']);
    // wait=on: the guest does not start until this client connects
    while (!/waiting for a client on/.test(err()) && p.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    assert.doesNotMatch(out(), /Linux version|rvkvm-init/, 'the guest waits for the client');
    const c = connect(sock);
    let got = '';
    c.on('data', (d: Buffer) => { got += d.toString(); });
    c.on('error', () => {});
    const code = await exited;
    c.destroy();
    assert.equal(code, 0, err());
    assert.match(out(), /^org\.rvkvm\.log\r?$/m, out());
    assert.match(out(), /^HELLO-FROM-HOST\r?$/m);
    assert.match(out(), /^RO-REFUSED\r?$/m);
    assert.match(out(), /rvkvm-init: mounted 9p folder host0 on \/mnt\/host0 \(read-only\)/);
    assert.match(got, /TO-HVC1/);
    assert.equal(readFileSync(log, 'utf8'), 'TO-LOG\n');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
