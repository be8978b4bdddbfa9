// End to end in headless Chromium: the page builds and loads, the ISA toggles follow KVM's rules, the Debian
// guest boots to a busybox shell in a Web Worker, typed commands run, /proc/cpuinfo shows zcmop, a VM saved in
// IndexedDB resumes after a reload, and with Zcmop switched off in strict mode a reboot hides it. Writes test/artifacts/web-booted.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { CATALOGUE, IMPLEMENTED_EXTENSIONS, splitImplemented } from '../../src/isa/index.js';
import {
  BOOT_TIMEOUT_MS, STEP_TIMEOUT_MS, bootToShell as boot, guestDir, openBrowser, root, runInGuest as run, skip, stopGuest,
  type Browser,
} from './browser.js';

interface KvmRuleRow { kvm_id: number; kvm_name: string; disable: string }
const rules = JSON.parse(readFileSync(resolve(root, '../shared/reference/kvm-isa-ext-rules.json'), 'utf8')) as
  Record<string, { table: KvmRuleRow[] }>;
const zcmopRow = rules['v7.3-rc7']!.table.find((r) => r.kvm_name === 'KVM_RISCV_ISA_EXT_ZCMOP')!;

let browser: Browser | undefined;
let page: Page;
let pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  browser = await openBrowser();
  page = browser.page;
  pageErrors = browser.pageErrors;
});

after(async () => {
  await browser?.close();
});

const bootToShell = (): Promise<number> => boot(page);
const runInGuest = (command: string): Promise<string> => run(page, command);

function cpuinfoIsa(output: string): string {
  const m = /^isa\s*:\s*(\S+)/m.exec(output);
  assert.ok(m, `no 'isa' line in /proc/cpuinfo output:\n${output}`);
  return m[1]!;
}

test('page loads with one ISA toggle per implemented extension and KVM rules shown', { skip, timeout: 60_000 }, async () => {
  await page.goto(browser!.baseUrl);
  await page.waitForSelector('#boot:not([disabled])', { timeout: STEP_TIMEOUT_MS });
  const exts = await page.$$eval('#isa-groups input[data-ext]', (els) => els.map((e) => (e as HTMLInputElement).dataset.ext!));
  const host = splitImplemented(IMPLEMENTED_EXTENSIONS).implemented; // the default host (Zvfh only with Zfhmin)
  const implemented = CATALOGUE.filter((r) => !r.shorthand && host.has(r.name) && r.kvm !== null && r.guarantee === null).map((r) => r.name).sort();
  assert.deepEqual([...exts].sort(), implemented);
  // Every toggle starts on: the vCPU gets the whole host ISA, as under KVM; except H, which KVM never enables
  // (its toggle is rvkvm's nested opt-in, and says so), and Sscofpmf, which KVM enables only with host Ssaia.
  assert.ok(await page.$$eval('#isa-groups input[data-ext]:not([data-ext=h]):not([data-ext=sscofpmf])', (els) => els.every((e) => (e as HTMLInputElement).checked)));
  assert.equal(await page.isChecked('input[data-ext=h]'), false);
  assert.equal(await page.isChecked('input[data-ext=sscofpmf]'), false);
  assert.match((await page.textContent('input[data-ext=h] ~ .rule'))!, /KVM id 4: never enabled under KVM rules; on = rvkvm's nested opt-in/);
  const zcmopRule = await page.textContent('input[data-ext=zcmop] ~ .rule');
  assert.equal(zcmopRow.disable, 'false');
  assert.match(zcmopRule!, new RegExp(`KVM id ${zcmopRow.kvm_id}: cannot be disabled under KVM rules`));
  assert.match((await page.textContent('#isa-string'))!, /^rv64.*_zcmop(_|$)/);
  assert.match((await page.textContent('#dts'))!, /riscv,isa-extensions = .*"zcmop"/);
});

test('switching Zcmop off without strict mode shows the Machine\'s refusal and blocks boot', { skip, timeout: 60_000 }, async () => {
  await page.click('input[data-ext=zcmop]');
  await page.waitForSelector('#isa-error:not([hidden])', { timeout: STEP_TIMEOUT_MS });
  const error = (await page.textContent('#isa-error'))!;
  assert.match(error, /cannot disable zcmop/);
  assert.match(error, new RegExp(`${zcmopRow.kvm_name}=${zcmopRow.kvm_id}\\b.*EINVAL`));
  assert.equal(await page.textContent('#isa-writes'), 'disable zcmop');
  assert.equal(await page.isDisabled('#boot'), true);
  await page.click('input[data-ext=zcmop]');
  await page.waitForSelector('#isa-error', { state: 'hidden', timeout: STEP_TIMEOUT_MS });
  assert.equal(await page.textContent('#isa-writes'), 'none');
});

test('the Debian guest boots to busybox; typed commands run; /proc/cpuinfo lists zcmop', { skip, timeout: BOOT_TIMEOUT_MS + 120_000 }, async () => {
  await page.selectOption('#clock', 'icount');
  const bootMs = await bootToShell();
  const instructions = Number((await page.textContent('#stat-instructions'))!.replace(/,/g, ''));
  console.log(`# chromium boot to userspace: ${(bootMs / 1000).toFixed(2)} s; ${await page.textContent('#stat-boot')}; MIPS now ${await page.textContent('#stat-mips')}; instructions ${instructions}`);
  assert.ok(bootMs > 0 && instructions > 1e8, `boot time ${bootMs} ms, ${instructions} instructions`);
  const translated = Number((await page.textContent('#stat-jit'))!.replace(/,/g, ''));
  assert.ok(translated > 0, `pages translated to WebAssembly: ${translated}`);

  const echo = await runInGuest('echo sum=$((6*7))');
  assert.match(echo, /\nsum=42\r?\n/);
  const isa = cpuinfoIsa(await runInGuest('cat /proc/cpuinfo'));
  assert.ok(isa.split('_').includes('zcmop'), `isa line: ${isa}`);
  assert.ok(isa.split('_').includes('zimop'), `isa line: ${isa}`);
  mkdirSync(join(root, 'test/artifacts'), { recursive: true });
  await page.screenshot({ path: join(root, 'test/artifacts/web-booted.png'), fullPage: true });
});

test('pause stops the guest and resume continues it', { skip, timeout: 60_000 }, async () => {
  const count = async (): Promise<number> => Number((await page.textContent('#stat-instructions'))!.replace(/,/g, ''));
  await page.click('#pause');
  await page.waitForSelector('#stat-state[data-state=paused]', { timeout: STEP_TIMEOUT_MS });
  const paused = await count();
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await count(), paused);
  await page.click('#pause');
  await page.waitForSelector('#stat-state[data-state=running]', { timeout: STEP_TIMEOUT_MS });
  const out = await runInGuest('echo after-resume');
  assert.match(out, /\nafter-resume\r?\n/);
  assert.ok(await count() > paused);
});

test('Save VM keeps the running guest in IndexedDB; after a reload Resume goes on in the same shell', { skip, timeout: BOOT_TIMEOUT_MS }, async () => {
  await runInGuest('export MARK=before-save-$((6*7))');
  await page.click('#save-vm');
  await page.waitForFunction(() => /saved the VM \([\d.]+ MB\)/.test(document.getElementById('stat-state')?.textContent ?? ''), null, { timeout: STEP_TIMEOUT_MS * 2 });
  await page.reload();
  await page.waitForSelector('#resume-vm:not([disabled])', { timeout: STEP_TIMEOUT_MS });
  await page.click('#resume-vm');
  await page.waitForSelector('#stat-state[data-state=running]', { timeout: STEP_TIMEOUT_MS });
  const out = await runInGuest('echo $MARK resumed');
  assert.match(out, /\nbefore-save-42 resumed\r?\n/, 'the shell and its variable came back');
});

test('strict mode: Zcmop off, reboot, /proc/cpuinfo no longer lists it', { skip, timeout: BOOT_TIMEOUT_MS + 120_000 }, async () => {
  await stopGuest(page);
  await page.check('#strict');
  await page.uncheck('input[data-ext=zcmop]');
  await page.waitForFunction(() => document.getElementById('isa-writes')?.textContent === 'disable zcmop', null, { timeout: STEP_TIMEOUT_MS });
  await page.waitForSelector('#boot:not([disabled])', { timeout: STEP_TIMEOUT_MS });
  const previewIsa = (await page.textContent('#isa-string'))!;
  assert.ok(!previewIsa.split('_').includes('zcmop') && previewIsa.split('_').includes('zimop'), previewIsa);
  assert.doesNotMatch((await page.textContent('#dts'))!, /"zcmop"/);

  await bootToShell();
  assert.equal(await page.textContent('#run-isa'), previewIsa);
  const isa = cpuinfoIsa(await runInGuest('cat /proc/cpuinfo'));
  assert.ok(!isa.split('_').includes('zcmop'), `zcmop still listed: ${isa}`);
  assert.ok(isa.split('_').includes('zimop'), `zimop should stay: ${isa}`);
  assert.deepEqual(pageErrors, []);
});

test('a kernel the user picks replaces the bundled guest (no initrd: none in the device tree)', { skip, timeout: 60_000 }, async () => {
  await stopGuest(page);
  const kernelFile = readdirSync(guestDir).find((n) => n.endsWith('.Image'))!;
  await page.setInputFiles('#kernel-file', join(guestDir, kernelFile));
  await page.waitForFunction(() => !document.getElementById('dts')?.textContent?.includes('linux,initrd-start'), null, { timeout: STEP_TIMEOUT_MS });
  assert.equal(await page.isChecked('input[name=guest][value=files]'), true);
  await page.waitForSelector('#boot:not([disabled])', { timeout: STEP_TIMEOUT_MS });
  assert.match((await page.textContent('#dts'))!, /bootargs = "console=ttyS0/);
});
