// The guest's Web Worker: holds the guest files, builds Machines (previews and boots), runs the vCPU in
// time slices, and streams console bytes and stats to the page, so the page never blocks on the guest.
import { Machine, type MachineState } from '../../src/vmm/machine.js';
import { buildInitramfs, modulesFor, type DEVICE_MODULES, type GuestSetup } from '../../src/vmm/initramfs.js';
import { UserNetBackend } from '../../src/vmm/devices/usernet.js';
import type { BlockBackend } from '../../src/vmm/block/backend.js';
import { ALL_ENCODINGS } from '../../src/hart/ext/index.js';
import { extensionOfRow } from '../../src/hart/profile.js';
import { dtbToDts } from './dts.js';
import { loadVm, resumeInto, saveVm } from './vm-store.js';
import type { LoadedSnapshot } from '../../src/vmm/snapshot/machine.js';
import { BootProgress, BUNDLED_BOOT_INSTRUCTIONS } from './boot-progress.js';
import { PickedDiskFile, openPickedDisk } from './picked-disk.js';
import type { BootConfig, FromWorker, RunState, Stats, ToWorker } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  location: { href: string };
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker, transfer?: Transferable[]): void => scope.postMessage(m, transfer);

/** The user's kernel and initrd, or the bundled guest's kernel and the parts of the initramfs each boot builds. */
interface GuestFiles { kernel: Uint8Array; initrd: Uint8Array | undefined }
interface BundledFiles { kernel: Uint8Array; busybox: Uint8Array; modules: { name: string; data: Uint8Array }[] }
const guests: { bundled?: BundledFiles; files?: GuestFiles } = {};

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
    guests.bundled = { kernel: kernel!, busybox: busybox!, modules: manifest.modules.map((name, i) => ({ name, data: modules[i]! })) };
    const initrd = bundledInitramfs(guests.bundled, null);
    post({
      type: 'guest-ready', guest: 'bundled', kernelBytes: kernel!.length, initrdBytes: initrd.length,
      detail: `${manifest.kernel}, initramfs of ${manifest.busybox} + ${manifest.modules.length} modules`,
    });
  } catch (e) {
    post({ type: 'guest-error', guest: 'bundled', message: `loading the bundled guest failed: ${(e as Error).message}` });
  }
}

/**
 * What the bundled guest's /init sets up for the page's devices, as `rvkvm run` has it do for --disk, --net and
 * --mount vda:DIR: their modules, DHCP on eth0, the disk's mount. Null when the machine has none of them.
 */
function guestSetup(config: BootConfig): GuestSetup | null {
  const devices: (keyof typeof DEVICE_MODULES)[] = [];
  if (config.disk) devices.push('disk');
  if (config.net) devices.push('net');
  if (devices.length === 0) return null;
  devices.push('rng'); // the Machine always has virtio-rng; its module comes along once virtio is loaded anyway
  const mountAt = config.disk?.mountAt ?? null;
  return {
    modules: modulesFor(devices),
    mounts: mountAt ? [{ source: '/dev/vda', type: 'disk', target: mountAt, readOnly: config.disk!.readOnly }] : [],
    ...(config.net ? { dhcp: true } : {}),
  };
}

/** The bundled guest's initramfs for a config; the last one is kept, so previews of the same devices share it. */
function bundledInitramfs(b: BundledFiles, config: BootConfig | null): Uint8Array {
  const setup = config ? guestSetup(config) : null;
  const virtioConsole = config?.consoleDevice === 'virtio';
  const key = JSON.stringify({ setup, virtioConsole });
  if (lastInitramfs?.key !== key) {
    lastInitramfs = {
      key,
      bytes: buildInitramfs({ busybox: b.busybox, modules: b.modules, ...(virtioConsole ? { virtioConsole } : {}), ...(setup ? { setup } : {}) }),
    };
  }
  return lastInitramfs.bytes;
}
let lastInitramfs: { key: string; bytes: Uint8Array } | undefined;

function guestFiles(config: BootConfig): GuestFiles {
  if (config.guest === 'files') {
    if (!guests.files) throw new Error('pick a kernel Image first');
    return guests.files;
  }
  if (!guests.bundled) throw new Error('the bundled guest is still loading');
  return { kernel: guests.bundled.kernel, initrd: bundledInitramfs(guests.bundled, config) };
}

// ---- the picked disk (vda) ----

/** A dedicated worker's synchronous Blob reader (the page's tsconfig has the DOM library, which lacks it). */
declare const FileReaderSync: { new (): { readAsArrayBuffer(blob: Blob): ArrayBuffer } };
const readBlobSync = (blob: Blob, offset: number, length: number): Uint8Array =>
  new Uint8Array(new FileReaderSync().readAsArrayBuffer(blob.slice(offset, offset + length)));
let pickedDisk: PickedDiskFile | null = null;

function postDiskInfo(warning?: string): void {
  post({
    type: 'disk',
    info: pickedDisk ? { name: pickedDisk.name, fileBytes: pickedDisk.size(), changedBytes: pickedDisk.changedBytes } : null,
    ...(warning !== undefined ? { warning } : {}),
  });
}

// measured (CI's Chromium, Debian boot to the shell): 200k 9.7 s, 1M 7.7 s, 2M 7.0 s, 4M 7.3 s
const BROWSER_JIT_HOT = 2_000_000;

/** Devices a running machine holds that need closing when it goes (the network's timer, the disk's state). */
interface Attached { net: UserNetBackend | null; disk: BlockBackend | null }

/**
 * A Machine for the config. A preview (attached null) gets the same devices, the disk opened read-only (so a
 * bad image shows its error before boot) and the network without its timer.
 */
function buildMachine(config: BootConfig, console: (bytes: Uint8Array) => void, attached: Attached | null): Machine {
  const files = guestFiles(config);
  let disk: BlockBackend | null = null;
  if (config.disk) {
    if (!pickedDisk) throw new Error('pick a disk image first (or choose no disk)');
    const readOnly = config.disk.readOnly || attached === null;
    pickedDisk.readOnly = readOnly;
    const format = config.disk.format === 'probe' ? undefined : config.disk.format;
    const warn = (w: string): void => { if (attached) console(new TextEncoder().encode(`[rvkvm: ${w}]\r\n`)); };
    disk = openPickedDisk(pickedDisk, format, readOnly, warn);
    if (attached) attached.disk = disk;
  }
  const net = config.net ? new UserNetBackend({ timers: attached !== null }) : null;
  if (attached) attached.net = net;
  return new Machine({
    kernel: files.kernel, ...(files.initrd ? { initrd: files.initrd } : {}),
    cmdline: config.cmdline, memBytes: config.memBytes, smp: config.smp, consoleDevice: config.consoleDevice,
    enable: config.enable, disable: config.disable, allowDisableAny: config.allowDisableAny, nested: config.nested,
    clock: config.clock, console, profile: config.profile,
    ...(disk ? { disks: [{ backend: disk, serial: 'rvkvm-page-disk' }] } : {}), ...(net ? { netBackend: net } : {}),
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
let attached: Attached = { net: null, disk: null };
let pendingConsole: Uint8Array[] = [];
let textDecoder = new TextDecoder();
let progress = new BootProgress(null);
const freshStats = (): Stats => ({
  instructions: 0, mips: 0, runMs: 0, bootMs: null, bootInstructions: null, translatedPages: 0, extensions: null,
  progress: { phase: 'starting', fraction: 0 },
});
let stats: Stats = freshStats();

function onConsole(bytes: Uint8Array): void {
  pendingConsole.push(bytes.slice());
  if (!progress.done) {
    const instructions = machine?.instructions ?? 0;
    progress.feed(textDecoder.decode(bytes, { stream: true }), instructions);
    if (progress.done) {
      stats.bootMs = stats.runMs + (performance.now() - sliceStart);
      stats.bootInstructions = instructions;
    }
  }
}

/** The boot a measured one predicts (BUNDLED_BOOT_INSTRUCTIONS), or null for the user's own guest. */
function expectedBootInstructions(config: BootConfig): number | null {
  if (config.guest !== 'bundled') return null;
  return guestSetup(config) ? BUNDLED_BOOT_INSTRUCTIONS.withModules : BUNDLED_BOOT_INSTRUCTIONS.plain;
}

/** The machine is going: its disk is flushed and closed (a qcow2's refcounts settle), the network's timer stops. */
function detach(): void {
  const a = attached;
  attached = { net: null, disk: null };
  a.net?.close();
  if (a.disk) {
    try {
      a.disk.close?.();
    } catch (e) {
      post({ type: 'disk-error', message: `closing the disk failed: ${(e as Error).message}` });
    }
    postDiskInfo();
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
  detach();
  bootConfig = config;
  pendingConsole = [];
  textDecoder = new TextDecoder();
  progress = new BootProgress(expectedBootInstructions(config));
  stats = freshStats();
  try {
    machine = buildMachine(config, onConsole, attached);
    if (resume) resumeInto(machine, resume);
  } catch (e) {
    machine = null;
    detach();
    setState('error', (e as Error).message);
    return;
  }
  const encoded = new Set(ALL_ENCODINGS.map(extensionOfRow));
  post({
    type: 'booted', isaString: machine.isaString, dts: dtbToDts(machine.dtb),
    instructionExtensions: machine.isaExtensions.filter((n) => encoded.has(n)),
  });
  paused = false;
  setState('running');
  void runLoop(generation, machine);
}

const SLICE_MS = 20;
const STATS_EVERY_MS = 250;
/** The extension counts cost a walk over every decoded page (Hart.harvestCounts): fewer of them. */
const PROFILE_EVERY_MS = 1000;

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
  let profileAt = -Infinity;
  const report = (now: number, final = false): void => {
    const dt = now - windowStart;
    if (dt > 0) stats.mips = (m.instructions - windowInstructions) / dt / 1000;
    stats.instructions = m.instructions;
    stats.translatedPages = m.translationStats()?.pages ?? 0;
    stats.progress = { phase: progress.phase(), fraction: progress.fraction(m.instructions) };
    if (final || now - profileAt >= PROFILE_EVERY_MS) {
      profileAt = now;
      stats.extensions = m.profile()?.perExtension ?? null;
    }
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
      detach();
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
    report(performance.now(), true);
    if (state.kind === 'reset') {
      // The guest asked for a reboot: start the same configuration again, as a board would.
      post({ type: 'console', bytes: new TextEncoder().encode('\r\n[rvkvm: the guest rebooted]\r\n') });
      boot(bootConfig!);
      return;
    }
    generation++;
    detach();
    if (state.kind === 'shutdown') setState('shutdown', m.panicked ? 'the guest kernel panicked' : 'the guest powered off');
    else setState('error', state.kind === 'error' ? state.message : 'the guest stopped at a debug exit');
    return;
  }
  if (gen === generation) {
    report(performance.now(), true);
    if (paused) setState('paused');
  }
}

function preview(id: number, config: BootConfig): void {
  try {
    const m = buildMachine(config, () => {}, null);
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
      // the run loop says 'paused' after its last stats, so the page's counts are final when it shows paused
      if (machine && !paused) { paused = true; if (activeLoop !== generation) setState('paused'); }
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
      detach();
      paused = false;
      setState('stopped');
      return;
    case 'attach-disk': attachDisk(msg.file); return;
    case 'download-disk': downloadDisk(); return;
  }
};

function attachDisk(file: File | null): void {
  if (attached.disk) { post({ type: 'disk-error', message: 'power the guest off before changing its disk' }); return; }
  pickedDisk = file ? new PickedDiskFile(file.name, file, readBlobSync) : null;
  postDiskInfo();
}

/** The image as the guest has written it; a running guest's disk is flushed first (as its own sync would). */
function downloadDisk(): void {
  if (!pickedDisk) { post({ type: 'disk-error', message: 'no disk image is attached' }); return; }
  try {
    attached.disk?.flush();
    post({ type: 'disk-image', name: pickedDisk.name, blob: pickedDisk.toBlob() });
    postDiskInfo();
  } catch (e) {
    post({ type: 'disk-error', message: `saving the disk image failed: ${(e as Error).message}` });
  }
}
