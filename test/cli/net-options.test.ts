// The network spellings of `rvkvm run`: rvkvm's --net, QEMU's -nic and -netdev/-device, kvmtool's --network,
// all to the same NetArgs; unknown sub-options and dangling -netdev/-device are one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunArgs } from '../../src/cli/cmd-run.js';
import { hostResolver } from '../../src/cli/net-provider.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

const net = (...args: string[]) => parseRunArgs(args).net;
const fwd22 = { proto: 'tcp', hostAddr: '127.0.0.1', hostPort: 2222, guestPort: 22 };

test('--net alone, --net user, --net=user: the user-mode network with no forwarders', () => {
  for (const args of [['--net'], ['--net', 'user'], ['--net=user'], ['--net', '--stats']]) {
    assert.deepEqual(net(...args), { restrict: false, hostForwards: [] }, args.join(' '));
  }
  assert.equal(net(), null);
  assert.equal(net('--net', 'none'), null);
});

test('the four spellings of one forwarder agree', () => {
  const want = { restrict: false, hostForwards: [fwd22] };
  assert.deepEqual(net('--net', 'user,hostfwd=tcp:127.0.0.1:2222-:22'), want);
  assert.deepEqual(net('-nic', 'user,hostfwd=tcp:127.0.0.1:2222-:22'), want);
  assert.deepEqual(net('-netdev', 'user,id=n0,hostfwd=tcp:127.0.0.1:2222-:22', '-device', 'virtio-net-device,netdev=n0'), want);
  assert.deepEqual(net('--network', 'mode=user,hostfwd=tcp::2222-:22'), want);
  assert.deepEqual(net('-n', 'mode=user,hostfwd=::2222-:22'), want, 'tcp is the default protocol');
});

test('several forwarders, udp, guest addresses, restrict=on, dnsfwd=, mac=', () => {
  const n = net('-netdev', 'user,id=x,hostfwd=tcp:127.0.0.1:8080-10.0.2.15:80,hostfwd=udp:127.0.0.1:5353-:53,restrict=on,dnsfwd=127.0.0.1:5300',
    '-device', 'virtio-net-device,netdev=x,mac=52:54:00:aa:bb:cc');
  assert.deepEqual(n, {
    restrict: true,
    hostForwards: [
      { proto: 'tcp', hostAddr: '127.0.0.1', hostPort: 8080, guestAddr: '10.0.2.15', guestPort: 80 },
      { proto: 'udp', hostAddr: '127.0.0.1', hostPort: 5353, guestPort: 53 },
    ],
    dnsForward: { host: '127.0.0.1', port: 5300 },
    mac: '52:54:00:aa:bb:cc',
  });
  assert.deepEqual(net('--net', 'user,dnsfwd=127.0.0.1')!.dnsForward, { host: '127.0.0.1', port: 53 });
});

test('bad network options are one-line errors that say what and where', () => {
  const err = (args: string[], re: RegExp): void => {
    assert.throws(() => parseRunArgs(args), (e: Error) => re.test(e.message) && !e.message.includes('\n'), args.join(' '));
  };
  err(['--net', 'user,hostfwd=tcp:127.0.0.1:2222'], /hostfwd=tcp:127.0.0.1:2222: expected \[tcp\|udp\]/);
  err(['--net', 'user,hostfwd=sctp::1-:2'], /protocol 'sctp'/);
  err(['--net', 'user,hostfwd=tcp::99999-:22'], /host port '99999'/);
  err(['--net', 'user,hostfwd=tcp:localhost:2222-:22'], /host address 'localhost': expected an IPv4 address/);
  err(['--net', 'user,colour=blue'], /--net: unknown sub-option 'colour=blue' \(known: hostfwd, restrict, dnsfwd\)/);
  err(['-nic', 'user,smb=/tmp'], /-nic smb=: QEMU's option is not supported/);
  err(['-nic', 'user,dns=10.0.2.3'], /use dnsfwd=HOST\[:PORT\]/);
  err(['-nic', 'tap,ifname=tap0'], /-nic 'tap': only the user-mode network/);
  err(['--net', 'user,restrict=maybe'], /restrict=maybe: expected on or off/);
  err(['--network', 'mode=tap'], /--network mode=tap: only mode=user/);
  err(['-netdev', 'user,id=n0'], /-netdev id=n0 is not attached to a device: add -device virtio-net-device,netdev=n0/);
  err(['-netdev', 'user'], /needs id=NAME/);
  err(['-device', 'virtio-net-device,netdev=n9'], /no -netdev with id=n9/);
  err(['-device', 'virtio-net-device,netdev=n0,speed=10', '-netdev', 'user,id=n0'], /unknown property 'speed=10'/);
  err(['--net', 'user', '-nic', 'user'], /only one network device/);
});

test('the default resolver is the first nameserver of resolv.conf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-resolv-'));
  try {
    const f = join(dir, 'resolv.conf');
    writeFileSync(f, '# generated\nsearch example\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n');
    assert.deepEqual(hostResolver(f), { host: '192.0.2.53', port: 53 });
    writeFileSync(f, 'search example\n');
    assert.equal(hostResolver(f), null);
    assert.equal(hostResolver(join(dir, 'missing')), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a forwarder whose host port is taken stops rvkvm run before booting, with a one-line reason', async () => {
  const cli = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const port = (taken.address() as AddressInfo).port;
  try {
    const r = await new Promise<{ code: number | null; stderr: string }>((res) => {
      const c = spawn(process.execPath, [cli, 'run', '-nic', `user,hostfwd=tcp:127.0.0.1:${port}-:22`], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      c.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
      c.on('close', (code) => res({ code, stderr }));
    });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `rvkvm: hostfwd=tcp:127.0.0.1:${port}-:22: cannot listen on 127.0.0.1:${port} (EADDRINUSE: address already in use)\n`);
  } finally {
    taken.close();
  }
});

test('--clock icount with a network warns that guest timeouts run ahead of the host', async () => {
  const cli = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
  const r = await new Promise<{ code: number | null; stderr: string }>((res) => {
    const c = spawn(process.execPath, [cli, 'run', '--net', '--clock', 'icount', '--kernel', '/nonexistent/Image'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    c.on('close', (code) => res({ code, stderr }));
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^rvkvm: warning: --clock icount with a network: .* \(use --clock wall\)\nrvkvm: kernel '\/nonexistent\/Image' does not exist\n$/);
});
