// The page's devices and panels in headless Chromium on the real guest: the layout at 420 px and at desktop width
// (geometry, screenshots in test/artifacts/), then a boot with the network (DHCP lease, ping of the gateway),
// virtio-console, 2 vCPUs and a raw disk picked from a file, with boot progress and the live extensions panel;
// then a qcow2 disk on the serial console. The guest reads a known file from /dev/vda and writes one; the
// downloaded image has it (e2fsck, debugfs, qemu-img check) and the picked file is unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { INIT_MARKER } from '../../src/vmm/initramfs.js';
import { BOOT_MILESTONES } from '../../web/src/boot-progress.js';
import { BOOT_TIMEOUT_MS, STEP_TIMEOUT_MS, openBrowser, root, runInGuest, skip, stopGuest, waitForTerminal, type Browser } from './browser.js';

let browser: Browser | undefined;
let page: Page;
let dir = '';
const secret = `hello from the host disk ${Math.floor(Math.random() * 1e9)}`;
const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const artifacts = join(root, 'test/artifacts');

function tool(cmd: string, ...args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'rvkvm-web-disk-'));
  mkdirSync(join(dir, 'root'));
  writeFileSync(join(dir, 'root/hello.txt'), `${secret}\n`);
  tool('mke2fs', '-q', '-F', '-t', 'ext4', '-d', join(dir, 'root'), join(dir, 'disk.img'), '16M');
  tool('qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', join(dir, 'disk.img'), join(dir, 'disk.qcow2'));
  browser = await openBrowser({ width: 420, height: 800 });
  page = browser.page;
  await page.goto(browser.baseUrl);
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Box = { x: number; y: number; width: number; height: number };
const box = async (sel: string): Promise<Box> => (await page.locator(sel).boundingBox())!;
const size = (): Promise<{ cols: number; rows: number }> =>
  page.evaluate(() => (window as unknown as { rvkvmPage: { terminalSize(): { cols: number; rows: number } } }).rvkvmPage.terminalSize());

test('at 420 px the panels stack and the terminal takes the width; at 1280 px they sit side by side', { skip, timeout: 60_000 }, async () => {
  await page.waitForSelector('#boot:not([disabled])', { timeout: STEP_TIMEOUT_MS });
  let term = await box('#terminal');
  const setup = await box('#setup');
  assert.ok(term.width >= 380, `terminal ${term.width} px wide at 420 px`);
  assert.ok(term.height >= 250, `terminal ${term.height} px high at 420 px`);
  assert.ok(term.y >= setup.y + setup.height - 1, 'the run panel is not below the setup panel');
  assert.ok(setup.width >= 380, `setup panel ${setup.width} px wide`);
  // the long lists (extension toggles, device tree) start folded, so the terminal is near the top
  assert.equal(await page.getAttribute('#isa-details', 'open'), null);
  assert.ok(term.y < 1500, `the terminal starts ${term.y} px down the page`);
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 420, `the page scrolls sideways (${scrollWidth} px)`);
  let s = await size();
  assert.ok(s.cols >= 40 && s.rows >= 12, `terminal ${s.cols}x${s.rows} at 420 px`);
  await page.screenshot({ path: join(artifacts, 'web-420px.png'), fullPage: true });

  await page.setViewportSize({ width: 1280, height: 900 });
  await page.waitForFunction(() => (document.getElementById('terminal')?.getBoundingClientRect().width ?? 0) > 600, null, { timeout: STEP_TIMEOUT_MS });
  term = await box('#terminal');
  const setupWide = await box('#setup');
  assert.ok(term.x >= setupWide.x + setupWide.width, 'the terminal is not beside the setup panel');
  assert.ok(term.height >= 500, `terminal ${term.height} px high at 1280x900`);
  await page.waitForFunction(() => (window as unknown as { rvkvmPage: { terminalSize(): { cols: number } } }).rvkvmPage.terminalSize().cols >= 90, null, { timeout: STEP_TIMEOUT_MS });
  s = await size();
  assert.ok(s.rows >= 28, `terminal ${s.cols}x${s.rows} at 1280x900`);
  await page.screenshot({ path: join(artifacts, 'web-1280px.png') });
});

/** Records every phase the progress label shows, from now on. */
async function recordPhases(): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { phases: string[] };
    w.phases = [];
    const el = document.getElementById('boot-phase')!;
    new MutationObserver(() => { const p = el.dataset.phase; if (p && w.phases.at(-1) !== p) w.phases.push(p); })
      .observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
  });
}

async function bootAndWait(): Promise<string> {
  await page.waitForSelector('#boot:not([disabled])', { timeout: STEP_TIMEOUT_MS });
  await page.click('#boot');
  // two vCPUs and every module retire more than three times the plain boot's instructions: a loaded machine needs time
  const text = await waitForTerminal(page, 'the init marker', (t) => t.includes(INIT_MARKER), 2 * BOOT_TIMEOUT_MS);
  await waitForTerminal(page, 'the busybox prompt', (t) => /# $/.test(t.trimEnd() + ' '), STEP_TIMEOUT_MS);
  return text;
}

async function download(to: string): Promise<void> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: STEP_TIMEOUT_MS }), page.click('#disk-download')]);
  await dl.saveAs(to);
}

const counts = (): Promise<Record<string, number>> => page.$$eval('#ext-table .ext-row', (rows) =>
  Object.fromEntries(rows.map((r) => [(r as HTMLElement).dataset.ext!, Number((r as HTMLElement).dataset.count)])));

test('network (DHCP lease, ping of the gateway), virtio-console, 2 vCPUs, a raw disk; progress and extensions', { skip, timeout: 2 * BOOT_TIMEOUT_MS + 180_000 }, async () => {
  await page.check('#net');
  await page.selectOption('#smp', '2');
  await page.selectOption('#console-device', 'virtio');
  assert.match(await page.inputValue('#cmdline'), /^console=hvc0 /);
  const picked = join(dir, 'disk.img');
  const before = sha(picked);
  await page.setInputFiles('#disk-file', picked);
  await page.waitForFunction(() => document.getElementById('disk-status')?.textContent?.startsWith('disk.img: 16 MiB'), null, { timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(() => /virtio_net|virtio,mmio/.test(document.getElementById('dts')?.textContent ?? ''), null, { timeout: STEP_TIMEOUT_MS });
  await recordPhases();

  const booted = await bootAndWait();
  assert.match(booted, /rvkvm-init: eth0 configured by DHCP: 10\.0\.2\.15 gateway 10\.0\.2\.2 dns 10\.0\.2\.3/);
  assert.match(booted, /rvkvm-init: mounted \/dev\/vda on \/mnt\/disk/);
  const ip = await runInGuest(page, 'ip -4 addr show eth0; ip route');
  assert.match(ip, /inet 10\.0\.2\.15\/24/);
  assert.match(ip, /default via 10\.0\.2\.2 dev eth0/);
  assert.match(await runInGuest(page, 'ping -c 2 -W 5 10.0.2.2'), /2 packets transmitted, 2 packets received/);
  // nothing leaves the page: an address outside the VM answers nothing
  assert.match(await runInGuest(page, 'ping -c 1 -W 2 192.0.2.1'), /1 packets transmitted, 0 packets received/);
  assert.match(await runInGuest(page, 'readlink /proc/self/fd/0; cat /proc/cmdline'), /\/dev\/hvc0\r?\n.*console=hvc0/);
  assert.match(await runInGuest(page, 'nproc; grep -c ^processor /proc/cpuinfo'), /\n2\r?\n2\r?\n/);
  assert.ok((await runInGuest(page, 'cat /mnt/disk/hello.txt')).includes(`\n${secret}`));
  await runInGuest(page, 'echo written-by-the-guest > /mnt/disk/new.txt && umount /mnt/disk');

  // progress: phases in boot order (the label shows a sample four times a second, so close ones may be skipped)
  const phases = (await page.evaluate(() => (window as unknown as { phases: string[] }).phases)).filter((p) => p !== 'starting');
  const order = BOOT_MILESTONES.map((m) => m.phase);
  for (const p of ['kernel started', 'probing devices', 'userspace is up']) assert.ok(phases.includes(p), `phase '${p}' never shown: ${phases.join(', ')}`);
  for (let i = 1; i < phases.length; i++) assert.ok(order.indexOf(phases[i]!) > order.indexOf(phases[i - 1]!), `phases out of order: ${phases.join(', ')}`);
  assert.equal(await page.getAttribute('#boot-progress', 'value'), '1');

  // the extensions panel: the base ISA, compressed and CSR instructions ran; it keeps updating
  const first = await counts();
  for (const e of ['i', 'zicsr', 'm', 'a']) assert.ok(first[e]! > 0, `no '${e}' in the panel: ${JSON.stringify(first)}`);
  assert.ok((first.c ?? first.zca)! > 0, `no compressed instructions in the panel: ${JSON.stringify(first)}`);
  await runInGuest(page, 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done');
  await page.waitForFunction((n) => Number(document.querySelector('#ext-table .ext-row[data-ext=i]')?.getAttribute('data-count')) > n, first.i!, { timeout: STEP_TIMEOUT_MS });
  const total = Object.values(await counts()).reduce((a, b) => a + b, 0);
  const instructions = Number((await page.textContent('#stat-instructions'))!.replace(/,/g, ''));
  assert.ok(total > 0.5 * instructions && total <= instructions, `panel total ${total}, instructions ${instructions}`);
  console.log(`# page boot with net+virtio+smp2+disk: ${await page.textContent('#stat-boot')}; extensions ${Object.keys(first).length}: ${Object.keys(first).join(' ')}`);
  await page.locator('#run').screenshot({ path: join(artifacts, 'web-run.png') });

  await stopGuest(page);
  const out = join(dir, 'out.img');
  await download(out);
  assert.equal(sha(picked), before, 'the picked file was changed');
  tool('e2fsck', '-fn', out);
  assert.equal(tool('debugfs', '-R', 'cat /new.txt', out).trim(), 'written-by-the-guest');
  assert.equal(tool('debugfs', '-R', 'cat /hello.txt', out).trim(), secret);
});

test('a qcow2 disk on the serial console: read, written, downloaded as a qcow2 that qemu-img checks clean', { skip, timeout: 2 * BOOT_TIMEOUT_MS + 120_000 }, async () => {
  await page.uncheck('#net');
  await page.selectOption('#smp', '1');
  await page.selectOption('#console-device', 'serial');
  assert.match(await page.inputValue('#cmdline'), /^console=ttyS0 /);
  await page.selectOption('#disk-format', 'qcow2');
  const picked = join(dir, 'disk.qcow2');
  const before = sha(picked);
  await page.setInputFiles('#disk-file', picked);
  await page.waitForFunction(() => document.getElementById('disk-status')?.textContent?.startsWith('disk.qcow2:'), null, { timeout: STEP_TIMEOUT_MS });
  const booted = await bootAndWait();
  // convertEol: every kernel line starts at the left edge, early console or not
  const kernelLines = booted.split('\n').filter((l) => /\[\s*\d+\.\d{6}\]/.test(l));
  assert.ok(kernelLines.length > 50);
  for (const l of kernelLines) assert.match(l, /^\[\s*\d+\.\d{6}\]/, `a kernel line does not start at column 0: '${l}'`);
  assert.match(await runInGuest(page, 'readlink /proc/self/fd/0'), /\/dev\/(ttyS0|console)/);
  assert.ok((await runInGuest(page, 'cat /mnt/disk/hello.txt')).includes(`\n${secret}`));
  await runInGuest(page, 'dd if=/dev/urandom of=/mnt/disk/blob bs=64k count=16 2>/dev/null; md5sum /mnt/disk/blob > /mnt/disk/blob.md5; umount /mnt/disk');
  await stopGuest(page);
  const out = join(dir, 'out.qcow2');
  await download(out);
  assert.ok(Number(await page.getAttribute('#disk-status', 'data-changed')) > 1048576);
  assert.equal(sha(picked), before, 'the picked file was changed');
  tool('qemu-img', 'check', '-q', out);
  const raw = join(dir, 'out-qcow2.img');
  tool('qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', out, raw);
  tool('e2fsck', '-fn', raw);
  const md5 = tool('debugfs', '-R', 'cat /blob.md5', raw).split(/\s+/)[0];
  const r = spawnSync('debugfs', ['-R', 'dump /blob ' + join(dir, 'blob'), raw]);
  assert.equal(r.status, 0);
  assert.equal(createHash('md5').update(readFileSync(join(dir, 'blob'))).digest('hex'), md5);
  assert.deepEqual(browser!.pageErrors, []);
});
