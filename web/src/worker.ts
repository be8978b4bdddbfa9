// The guest's Web Worker: holds the guest files, builds Machines (previews and boots), runs the vCPU in
// time slices, and streams console bytes and stats to the page, so the page never blocks on the guest.
import { Machine, type MachineState } from '../../src/vmm/machine.js';
import { buildInitramfs, INIT_MARKER } from '../../src/vmm/initramfs.js';
import { dtbToDts } from './dts.js';
import { loadVm, resumeInto, saveVm } from './vm-store.js';
import type { LoadedSnapshot } from '../../src/vmm/snapshot/machine.js';
import type { BootConfig, FromWorker, RunState, Stats, ToWorker } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  location: { href: string };
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker, transfer?: Transferable[]): void => scope.postMessage(m, transfer);

interface GuestFiles { kernel: Uint8Array; initrd: Uint8Array | undefined }
const guests: { bundled?: GuestFiles; files?: GuestFiles } = {};

/** Shape of /guest/manifest.json, which web/serve.mjs generates from the guest directory. */
interface GuestManifest { kernel: string; busybox: string; modules: string[] }

async function fetchBytes(path: string): Promise<Uint8Array> {
  const url = new URL(path, scope.location.href);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url.pathname}: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The bundled Debian guest: its kernel, and an initramfs of its busybox and modules built here, as `rvkvm run` does. */
async function loadBundled(): Promise<void> {
  try {
    const manifest = JSON.parse(new TextDecoder().decode(await fetchBytes('guest/manifest.json'))) as GuestManifest;
    const [kernel, busybox, ...modules] = await Promise.all([
      fetchBytes(`guest/${encodeURIComponent(manifest.kernel)}`),
      fetchBytes(`guest/${encodeURIComponent(manifest.busybox)}`),
      ...manifest.modules.map((m) => fetchBytes(`guest/modules/${encodeURIComponent(m)}`)),
    ]);
    const initrd = buildInitramfs({
      busybox: busybox!, modules: manifest.modules.map((name, i) => ({ name, data: modules[i]! })),
    });
    guests.bundled = { kernel: kernel!, initrd };
    post({
      type: 'guest-ready', guest: 'bundled', kernelBytes: kernel!.length, initrdBytes: initrd.length,
      detail: `${manifest.kernel}, initramfs of ${manifest.busybox} + ${manifest.modules.length} modules`,
    });
  } catch (e) {
    post({ type: 'guest-error', guest: 'bundled', message: `loading the bundled guest failed: ${(e as Error).message}` });
  }
}

// measured (CI's Chromium, Debian boot to the shell): 200k 9.7 s, 1M 7.7 s, 2M 7.0 s, 4M 7.3 s
const BROWSER_JIT_HOT = 2_000_000;

function buildMachine(config: BootConfig, console: (bytes: Uint8Array) => void): Machine {
  const files = guests[config.guest];
  if (!files) throw new Error(config.guest === 'bundled' ? 'the bundled guest is still loading' : 'pick a kernel Image first');
  return new Machine({
    kernel: files.kernel, ...(files.initrd ? { initrd: files.initrd } : {}),
    cmdline: config.cmdline, memBytes: config.memBytes,
    enable: config.enable, disable: config.disable, allowDisableAny: config.allowDisableAny, nested: config.nested,
    clock: config.clock, console,
    // a browser keeps V8's TurboFan tier-up of WebAssembly (the CLI turns it off: src/cli/wasm-tiering.ts), which
    // makes every translated page cost more: translate only pages that run longer
    jitHot: BROWSER_JIT_HOT,
  });
}

// ---- the running guest ----

let machine: Machine | null = null;
let bootConfig: BootConfig | null = null;
/** Bumped whenever the running machine is replaced or stopped, so a stale run loop ends. */
let generation = 0;
let paused = false;
let pendingConsole: Uint8Array[] = [];
let consoleTail = '';
const textDecoder = new TextDecoder();
let stats: Stats = { instructions: 0, mips: 0, runMs: 0, bootMs: null, bootInstructions: null, translatedPages: 0 };

function onConsole(bytes: Uint8Array): void {
  pendingConsole.push(bytes.slice());
  if (stats.bootMs === null) {
    consoleTail = (consoleTail + textDecoder.decode(bytes, { stream: true })).slice(-2 * INIT_MARKER.length);
    if (consoleTail.includes(INIT_MARKER)) {
      stats.bootMs = stats.runMs + (performance.now() - sliceStart);
      stats.bootInstructions = machine?.instructions ?? null;
    }
  }
}
let sliceStart = 0;

function flushConsole(): void {
  if (pendingConsole.length === 0) return;
  const total = pendingConsole.reduce((n, c) => n + c.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of pendingConsole) { bytes.set(c, at); at += c.length; }
  pendingConsole = [];
  post({ type: 'console', bytes }, [bytes.buffer]);
}

function setState(state: RunState, message?: string): void {
  post({ type: 'state', state, ...(message !== undefined ? { message } : {}) });
}

// Yield to the worker's event loop without setTimeout's 4 ms clamp, so input messages get in between slices.
const yieldChannel = new MessageChannel();
let yieldResolvers: (() => void)[] = [];
yieldChannel.port1.onmessage = () => { const r = yieldResolvers; yieldResolvers = []; for (const f of r) f(); };
function yieldNow(): Promise<void> {
  return new Promise((resolve) => { yieldResolvers.push(resolve); yieldChannel.port2.postMessage(null); });
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function boot(config: BootConfig, resume?: LoadedSnapshot): void {
  generation++;
  machine = null;
  bootConfig = config;
  pendingConsole = [];
  consoleTail = '';
  stats = { instructions: 0, mips: 0, runMs: 0, bootMs: null, bootInstructions: null, translatedPages: 0 };
  try {
    machine = buildMachine(config, onConsole);
    if (resume) resumeInto(machine, resume);
  } catch (e) {
    machine = null;
    setState('error', (e as Error).message);
    return;
  }
  post({ type: 'booted', isaString: machine.isaString, dts: dtbToDts(machine.dtb) });
  paused = false;
  setState('running');
  void runLoop(generation, machine);
}

const SLICE_MS = 20;
const STATS_EVERY_MS = 250;

/** The generation whose run loop is alive (-1: none), so resume never starts a second loop. */
let activeLoop = -1;

async function runLoop(gen: number, m: Machine): Promise<void> {
  activeLoop = gen;
  try {
    await runSlices(gen, m);
  } finally {
    if (activeLoop === gen) activeLoop = -1;
  }
}

async function runSlices(gen: number, m: Machine): Promise<void> {
  let sliceInstructions = 500_000;
  let windowStart = performance.now();
  let windowInstructions = m.instructions;
  const report = (now: number): void => {
    const dt = now - windowStart;
    if (dt > 0) stats.mips = (m.instructions - windowInstructions) / dt / 1000;
    stats.instructions = m.instructions;
    stats.translatedPages = m.translationStats()?.pages ?? 0;
    windowStart = now;
    windowInstructions = m.instructions;
    post({ type: 'stats', stats: { ...stats } });
  };
  while (gen === generation && !paused) {
    sliceStart = performance.now();
    let state: MachineState;
    try {
      state = m.step(sliceInstructions);
    } catch (e) {
      flushConsole();
      generation++;
      setState('error', `the VMM failed: ${(e as Error).message}`);
      return;
    }
    const now = performance.now();
    const took = now - sliceStart;
    stats.runMs += took;
    flushConsole();
    if (now - windowStart >= STATS_EVERY_MS) report(now);
    if (state.kind === 'running') {
      // Keep each slice near SLICE_MS so typed input reaches the guest promptly.
      if (took > 0) sliceInstructions = Math.max(50_000, Math.min(50_000_000, Math.round(sliceInstructions * (SLICE_MS / took))));
      await yieldNow();
      continue;
    }
    if (state.kind === 'idle') {
      const idleStart = performance.now();
      await sleep(state.sleepMs === null ? 10 : Math.min(10, Math.max(0, state.sleepMs)));
      stats.runMs += performance.now() - idleStart;
      continue;
    }
    report(performance.now());
    if (state.kind === 'reset') {
      // The guest asked for a reboot: start the same configuration again, as a board would.
      post({ type: 'console', bytes: new TextEncoder().encode('\r\n[rvkvm: the guest rebooted]\r\n') });
      boot(bootConfig!);
      return;
    }
    generation++;
    if (state.kind === 'shutdown') setState('shutdown', m.panicked ? 'the guest kernel panicked' : 'the guest powered off');
    else setState('error', state.kind === 'error' ? state.message : 'the guest stopped at a debug exit');
    return;
  }
  if (gen === generation) report(performance.now());
}

function preview(id: number, config: BootConfig): void {
  try {
    const m = buildMachine(config, () => {});
    post({ type: 'preview', id, ok: true, isaString: m.isaString, isaExtensions: [...m.isaExtensions], dts: dtbToDts(m.dtb) });
  } catch (e) {
    post({ type: 'preview', id, ok: false, error: (e as Error).message });
  }
}

scope.onmessage = (e: MessageEvent<ToWorker>): void => {
  const msg = e.data;
  switch (msg.type) {
    case 'load-bundled': void loadBundled(); return;
    case 'use-files':
      guests.files = { kernel: new Uint8Array(msg.kernel), initrd: msg.initrd ? new Uint8Array(msg.initrd) : undefined };
      post({
        type: 'guest-ready', guest: 'files', kernelBytes: msg.kernel.byteLength, initrdBytes: msg.initrd?.byteLength ?? 0,
        detail: 'your files',
      });
      return;
    case 'preview': preview(msg.id, msg.config); return;
    case 'boot': boot(msg.config); return;
    case 'input': machine?.input(msg.bytes); return;
    case 'pause':
      if (machine && !paused) { paused = true; setState('paused'); }
      return;
    case 'resume':
      if (machine && paused) {
        paused = false;
        setState('running');
        if (activeLoop !== generation) void runLoop(generation, machine);
      }
      return;
    case 'reset': if (bootConfig) boot(bootConfig); return;
    case 'save-vm': {
      const m = machine, config = bootConfig;
      if (!m || !config) { post({ type: 'saved-vm', ok: false, message: 'no VM is running' }); return; }
      saveVm(m, config).then(
        (n) => post({ type: 'saved-vm', ok: true, message: `saved the VM (${(n / 1e6).toFixed(1)} MB) in this browser` }),
        (e: Error) => post({ type: 'saved-vm', ok: false, message: `saving failed: ${e.message}` }));
      return;
    }
    case 'resume-vm':
      loadVm().then((saved) => {
        if (!saved) { setState('error', 'no saved VM in this browser'); return; }
        boot(saved.config, saved.snap);
      }, (e: Error) => setState('error', e.message));
      return;
    case 'stop':
      generation++;
      machine = null;
      paused = false;
      setState('stopped');
      return;
  }
};
