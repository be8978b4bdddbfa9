// Headless Chromium for the page's tests: builds and serves the page, launches Debian's chromium through
// playwright-core with the flags this closed network needs, and drives the guest console (wait for text, type a
// command and collect its output). Outside CI a machine without chromium or the guest skips, saying why.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { INIT_MARKER } from '../../src/vmm/initramfs.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const inCi = process.env.CI === 'true';
export const guestDir = process.env.RVKVM_GUEST_DIR ?? resolve(root, '../shared/guest');
export const missing = !existsSync(CHROMIUM) ? `${CHROMIUM} is not installed (apt-get install chromium)`
  : !existsSync(guestDir) ? `the bundled guest ${guestDir} is missing` : null;
// Outside CI a machine without chromium skips, saying why; in CI that is a failure.
export const skip: string | false = missing !== null && !inCi ? `skipped: ${missing}` : false;
if (skip) console.log(`# test/web: ${skip}`);

export const BOOT_TIMEOUT_MS = 150_000;
export const STEP_TIMEOUT_MS = 30_000;

export interface Browser {
  page: Page;
  context: BrowserContext;
  baseUrl: string;
  /** uncaught errors of the page */
  pageErrors: string[];
  close(): Promise<void>;
}

const LOCK = join(tmpdir(), `rvkvm-web-tests-${process.getuid?.() ?? 0}.lock`);

/**
 * One browser test file at a time (the runner runs files side by side): with two pages booting guests at once,
 * the first boot of page.test.ts never started (its worker stayed silent), cause not found. A lock directory
 * holding the owner's pid; a dead owner's lock is taken over.
 */
async function lockBrowser(): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try { owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8')); } catch { /* being written or removed */ }
      let alive = true;
      if (Number.isInteger(owner)) { try { process.kill(owner, 0); } catch { alive = false; } }
      if (!alive) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export async function openBrowser(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  assert.equal(missing, null, `web tests need chromium and the guest in CI: ${missing}`);
  const unlock = await lockBrowser();
  const { buildWeb } = await import(pathToFileURL(join(root, 'web/build.mjs')).href) as { buildWeb(o: { quiet: boolean; dir: string }): Promise<string> };
  const { startServer } = await import(pathToFileURL(join(root, 'web/serve.mjs')).href) as { startServer(o: { port: number; site: string }): Promise<Server> };
  // a build of its own: test files run side by side, and one rewriting build/web under the other's page broke it
  const site = mkdtempSync(join(tmpdir(), 'rvkvm-web-site-'));
  await buildWeb({ quiet: true, dir: site });
  const server = await startServer({ port: 0, site });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'rvkvm-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport, acceptDownloads: true,
  });
  const page = context.pages()[0] ?? await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return {
    page, context, baseUrl, pageErrors,
    async close() {
      await context.close();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(userDataDir, { recursive: true, force: true });
      rmSync(site, { recursive: true, force: true });
      unlock();
    },
  };
}

export const terminalText = (page: Page): Promise<string> =>
  page.evaluate(() => (window as unknown as { rvkvmPage: { terminalText(): string } }).rvkvmPage.terminalText());

/** Waits until the terminal text satisfies `pred`, failing with the terminal's tail so a hang is visible. */
export async function waitForTerminal(page: Page, what: string, pred: (text: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await terminalText(page);
    if (pred(text)) return text;
    if (Date.now() > deadline) {
      const state = await page.textContent('#stat-state');
      assert.fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}; state '${state}'; terminal ends:\n${text.trimEnd().slice(-1500)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Boots with the current form and waits for the init marker and then the shell prompt; returns the boot ms. */
export async function bootToShell(page: Page): Promise<number> {
  await page.waitForSelector('#boot:not([disabled])', { timeout: STEP_TIMEOUT_MS });
  await page.click('#boot');
  await page.waitForSelector('#stat-state[data-state]', { timeout: STEP_TIMEOUT_MS }).catch(async (e: Error) => {
    await page.screenshot({ path: join(root, 'test/artifacts/web-boot-not-started.png'), fullPage: true });
    throw new Error(`the boot did not start (screenshot test/artifacts/web-boot-not-started.png): ${e.message}`);
  });
  await waitForTerminal(page, 'the init marker', (t) => t.includes(INIT_MARKER), BOOT_TIMEOUT_MS);
  await waitForTerminal(page, 'the busybox prompt', (t) => /# $/.test(t.trimEnd() + ' '), STEP_TIMEOUT_MS);
  await page.waitForFunction(() => document.getElementById('stat-boot')?.dataset.ms !== undefined, null, { timeout: STEP_TIMEOUT_MS });
  return Number(await page.getAttribute('#stat-boot', 'data-ms'));
}

/** Types a command into the terminal (real key events through xterm) and returns its output up to a sentinel. */
export async function runInGuest(page: Page, command: string): Promise<string> {
  const sentinel = `done-${Math.floor(Math.random() * 1e6)}`;
  // The shell prints the sum, not the typed text, so the sentinel only matches once the command finished.
  const [a, b] = sentinel.split('-');
  // where the output starts: the text up to the cursor, not the empty rows below it (a fresh terminal, as after a
  // reload and resume, has many; the output fills them, so the text's length would point past its start)
  const before = (await terminalText(page)).trimEnd().length;
  await page.click('#terminal');
  await page.keyboard.type(`${command}; echo ${a}-$((${Number(b) - 1}+1))\n`, { delay: 5 });
  const text = await waitForTerminal(page, `'${command}' to finish`, (t) => t.slice(before).includes(`\n${sentinel}`), STEP_TIMEOUT_MS * 2);
  return text.slice(before);
}

/** Powers the running guest off from the page and waits for it. */
export async function stopGuest(page: Page): Promise<void> {
  await page.click('#stop');
  await page.waitForSelector('#stat-state[data-state=stopped]', { timeout: STEP_TIMEOUT_MS });
}
