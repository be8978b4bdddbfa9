// The user-mode network on the real Debian guest, against real servers on the host's loopback: busybox udhcpc
// gets its lease from the stack's DHCP server, wget fetches from an HTTP server this test runs on 127.0.0.1
// (the guest calls it 10.0.2.2), nslookup asks 10.0.2.3 and the stack forwards to this test's DNS stub
// (dnsfwd=), nc talks both ways through a TCP host forwarder and a UDP one, 64 MiB cross the stack with their
// SHA-256 checked, and restrict=on keeps the guest in. The guest runs on the wall clock: the network's far
// end runs in real time, so an instruction-counted clock would time the guest's sockets out while it waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { buildInitramfs } from '../../src/vmm/initramfs.js';
import { freePort, payload } from '../../bench/net.js';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const kernel = resolve(root, '../shared/guest/linux-6.12.107-riscv64.Image');
const guestDir = resolve(root, '../shared/guest');
const udpEcho = join(root, 'build/guest/linux/udp-echo.elf');
const prerequisites = existsSync(kernel) && existsSync(udpEcho);

/** The bundled guest's initramfs plus the UDP echo program (busybox's nc has no UDP), running `commands`. */
function initrdWith(dir: string, commands: string): string {
  const modDir = join(guestDir, 'modules');
  const modules = readdirSync(modDir).filter((f) => f.endsWith('.ko')).map((name) => ({ name, data: readFileSync(join(modDir, name)) }));
  const path = join(dir, 'initrd.cpio');
  writeFileSync(path, buildInitramfs({
    busybox: readFileSync(join(guestDir, 'busybox-1.37.0-riscv64')), modules,
    files: [{ path: 'bin/udp-echo', data: readFileSync(udpEcho) }], commands: [commands],
  }));
  return path;
}

const MODULES = ['failover', 'net_failover', 'virtio_mmio', 'virtio_net'].map((m) => `insmod /lib/modules/${m}.ko`).join('; ');
// udhcpc's hook: configure what the lease says and print it
const DHCP_SCRIPT = String.raw`printf '#!/bin/sh\n[ "$1" = bound ] && ip addr add $ip/$mask dev $interface && ip route add default via $router && echo "DHCP-BOUND ip=$ip router=$router dns=$dns lease=$lease"\nexit 0\n' > /dhcp.sh; chmod +x /dhcp.sh`;
const BIG = 64 << 20;
const UP = 4 << 20;
const TEST_NAME = 'rvkvm-test.example';
const TEST_ADDR = [10, 1, 2, 3];

/** Deterministic pseudo-random bytes, so the checksum means something (the network bench's). */
const bigPayload = (): Buffer => payload(BIG);

interface Guest {
  stdout: () => string;
  /** resolves with the first match of `re` on the console (after `from` characters) */
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>;
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function bootGuest(netSpec: string[], commands: string): Guest {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-net-'));
  const child = spawn(process.execPath, [cli, 'run', '--timeout', '560', '--append', 'console=ttyS0 panic=-1 quiet', ...netSpec,
    '--initrd', initrdWith(dir, commands)], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.on('close', () => rmSync(dir, { recursive: true, force: true }));
  child.stdin.end();
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    for (const w of [...waiters]) {
      const m = w.re.exec(out);
      if (m) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s; });
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
    child.on('close', (code) => res({ code, stdout: out, stderr: err }));
  });
  return {
    stdout: () => out,
    waitFor: (re, timeoutMs = 580_000) => new Promise((res, rej) => {
      const m = re.exec(out);
      if (m) { res(m); return; }
      const t = setTimeout(() => rej(new Error(`timed out waiting for ${re} on the guest console:\n${out.slice(-3000)}\n${err}`)), timeoutMs);
      waiters.push({ re, resolve: (mm) => { clearTimeout(t); res(mm); } });
      void exit.then(() => { clearTimeout(t); rej(new Error(`the guest exited before ${re}:\n${out.slice(-3000)}\n${err}`)); });
    }),
    exit,
  };
}

/** A minimal DNS server: A records for TEST_NAME, an empty NOERROR answer for anything else. */
async function dnsStub(): Promise<{ port: number; queries: string[]; close: () => void }> {
  const sock = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (q, rinfo) => {
    if (q.length < 12) return;
    let at = 12;
    const labels: string[] = [];
    while (at < q.length && q[at] !== 0) { labels.push(q.subarray(at + 1, at + 1 + q[at]!).toString()); at += q[at]! + 1; }
    const qtype = q.readUInt16BE(at + 1);
    const question = q.subarray(12, at + 5);
    const name = labels.join('.');
    queries.push(`${name}/${qtype}`);
    const answer = name === TEST_NAME && qtype === 1;
    const hdr = Buffer.alloc(12);
    q.copy(hdr, 0, 0, 2);
    hdr.writeUInt16BE(0x8180, 2);
    hdr.writeUInt16BE(1, 4);
    hdr.writeUInt16BE(answer ? 1 : 0, 6);
    const rr = answer ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...TEST_ADDR]) : Buffer.alloc(0);
    sock.send(Buffer.concat([hdr, question, rr]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: (sock.address() as AddressInfo).port, queries, close: () => sock.close() };
}

/** `p`, or a failure naming `what` and showing the guest's console after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string, g: Guest): Promise<T> {
  return new Promise<T>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`${what}: nothing after ${ms / 1000} s; guest console:\n${g.stdout().slice(-3000)}`)), ms);
    p.then((v) => { clearTimeout(t); res(v); }, (e: unknown) => { clearTimeout(t); rej(e as Error); });
  });
}

test('user-mode network on the real guest: DHCP, wget, nslookup, nc through host forwarders, 64 MiB with its checksum', { skip: !prerequisites, timeout: 700_000 }, async () => {
  const big = bigPayload();
  const bigSha = createHash('sha256').update(big).digest('hex');
  let bigStart = 0;
  const http = createHttpServer((req, res) => {
    if (req.url === '/hello.txt') { res.end('hello-from-the-host\n'); return; }
    if (req.url === '/big.bin') {
      bigStart = performance.now();
      res.writeHead(200, { 'content-length': String(big.length) });
      res.end(big);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const httpPort = (http.address() as AddressInfo).port;
  // the guest sends the first UP bytes back: hashed as they arrive, closed once all are in (busybox nc writes
  // 1 KiB at a time, so this direction costs the guest far more per byte than wget's reads)
  const upload = { sha: createHash('sha256'), n: 0, start: 0, ms: 0 };
  const sink = createServer((sock) => {
    sock.on('data', (d: Buffer) => {
      if (upload.n === 0) upload.start = performance.now();
      upload.sha.update(d);
      upload.n += d.length;
      if (upload.n >= UP) { upload.ms = performance.now() - upload.start; sock.end(); }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const sinkPort = (sink.address() as AddressInfo).port;
  const dns = await dnsStub();
  const fwdTcp = await freePort();
  const fwdUdp = await freePort();
  try {
    const commands = [
      MODULES, 'ip link set eth0 up', DHCP_SCRIPT,
      'udhcpc -i eth0 -s /dhcp.sh -q -n -t 5',
      `wget -q -O - http://10.0.2.2:${httpPort}/hello.txt && echo WGET-OK`,
      `nslookup ${TEST_NAME} 10.0.2.3`,
      // a TCP forwarder: the guest answers the host's line with its own, both directions on one connection
      '(echo reply-from-the-guest | nc -l -p 22 > /nc-in.txt) & NCT=$!',
      // a UDP forwarder: the guest receives one datagram and answers it
      '(udp-echo 5353 udp-reply-from-the-guest > /udp-in.txt) & NCU=$!',
      'sleep 1; echo NC-LISTENING',
      'wait $NCT; wait $NCU',
      'echo "NC-IN=$(cat /nc-in.txt)"; cat /udp-in.txt',
      `wget -q -O /big.bin http://10.0.2.2:${httpPort}/big.bin && echo BIG-DONE`,
      'echo "BIG-SHA=$(sha256sum /big.bin)"',
      `head -c ${UP} /big.bin | nc 10.0.2.2 ${sinkPort} > /dev/null; echo UPLOAD-DONE`,
    ].join('\n');
    const g = bootGuest(['-nic', `user,hostfwd=tcp:127.0.0.1:${fwdTcp}-:22,hostfwd=udp:127.0.0.1:${fwdUdp}-:5353,dnsfwd=127.0.0.1:${dns.port}`], commands);

    await g.waitFor(/NC-LISTENING/);
    // host -> guest through hostfwd=tcp, and the guest's answer back on the same connection
    const reply = await within(new Promise<string>((res, rej) => {
      const s = connect(fwdTcp, '127.0.0.1');
      let got = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => { got += d; if (got.includes('\n')) s.end(); });
      s.on('close', () => res(got));
      s.on('error', rej);
      s.write('line-from-the-host\n');
    }), 60_000, 'the TCP forwarder', g);
    assert.equal(reply, 'reply-from-the-guest\n');
    // host -> guest through hostfwd=udp, and the guest's datagram back
    const u = createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', r));
    const udpReply = new Promise<string>((res) => u.once('message', (m) => res(m.toString())));
    u.send('datagram-from-the-host\n', fwdUdp, '127.0.0.1');
    assert.equal(await within(udpReply, 60_000, 'the UDP forwarder', g), 'udp-reply-from-the-guest');
    await g.waitFor(/BIG-DONE/);
    const bigMs = performance.now() - bigStart;
    u.close();
    const r = await g.exit;
    const o = r.stdout.replace(/\r\n/g, '\n');
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${o.slice(-3000)}`);
    assert.match(o, /udhcpc: lease of 10\.0\.2\.15 obtained from 10\.0\.2\.2, lease time 86400/);
    assert.match(o, /DHCP-BOUND ip=10\.0\.2\.15 router=10\.0\.2\.2 dns=10\.0\.2\.3 lease=86400/);
    assert.match(o, /hello-from-the-host\nWGET-OK/);
    assert.match(o, new RegExp(`Name:\\s+${TEST_NAME.replace(/\./g, '\\.')}\\s+Address:\\s+${TEST_ADDR.join('\\.')}`));
    assert.ok(dns.queries.includes(`${TEST_NAME}/1`), `the stub saw ${dns.queries.join(', ')}`);
    assert.match(o, /NC-IN=line-from-the-host/);
    assert.match(o, /UDP-IN=datagram-from-the-host\n from 10\.0\.2\.2:\d+/);
    assert.match(o, new RegExp(`BIG-SHA=${bigSha}`));
    assert.match(o, /UPLOAD-DONE/);
    assert.equal(upload.n, UP, 'the host received all of it from the guest');
    assert.equal(upload.sha.digest('hex'), createHash('sha256').update(big.subarray(0, UP)).digest('hex'), 'and they are the same bytes');
    const mbps = (n: number, ms: number): string => `${n >> 20} MiB in ${(ms / 1000).toFixed(1)} s = ${(n / 1e6 / (ms / 1000)).toFixed(2)} MB/s`;
    process.stdout.write(`# rvkvm user-mode network: host -> guest (wget to tmpfs) ${mbps(BIG, bigMs)}; guest -> host (nc) ${mbps(UP, upload.ms)}\n`);
  } finally {
    http.close();
    sink.close();
    dns.close();
  }
});

test('restrict=on: the guest still gets DHCP and pings the gateway, but nothing it opens leaves the VM', { skip: !prerequisites, timeout: 700_000 }, async () => {
  let hits = 0;
  const http = createHttpServer((_req, res) => { hits++; res.end('should-not-arrive\n'); });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const httpPort = (http.address() as AddressInfo).port;
  const dns = await dnsStub();
  try {
    const commands = [
      MODULES, 'ip link set eth0 up', DHCP_SCRIPT, 'udhcpc -i eth0 -s /dhcp.sh -q -n -t 5',
      'ping -c 1 -W 5 10.0.2.2 && echo PING-OK',
      `wget -q -T 10 -O - http://10.0.2.2:${httpPort}/ || echo WGET-BLOCKED`,
      `echo hi | nc -w 5 10.0.2.2 ${httpPort} || echo NC-BLOCKED`,
      `nslookup ${TEST_NAME} 10.0.2.3 || echo DNS-BLOCKED`,
    ].join('\n');
    const g = bootGuest(['--net', `user,restrict=on,dnsfwd=127.0.0.1:${dns.port}`], commands);
    const r = await g.exit;
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${r.stdout.slice(-3000)}`);
    assert.match(r.stdout, /DHCP-BOUND ip=10\.0\.2\.15/);
    assert.match(r.stdout, /PING-OK/);
    assert.match(r.stdout, /WGET-BLOCKED/);
    assert.match(r.stdout, /NC-BLOCKED/);
    assert.match(r.stdout, /DNS-BLOCKED/);
    assert.equal(hits, 0, 'a request reached the host server');
    assert.deepEqual(dns.queries, [], 'a DNS query reached the host');
  } finally {
    http.close();
    dns.close();
  }
});
