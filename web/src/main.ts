// The page: setup form (guest, memory, command line, ISA toggles with a live ISA string and device tree),
// an xterm.js terminal on the guest console, and run controls. The guest itself runs in worker.ts.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { DEFAULT_CMDLINE, VIRTIO_CONSOLE_CMDLINE } from '../../src/vmm/machine.js';
import { ISA_GROUPS, isaToggles, isaWrites } from './isa-panel.js';
import { renderExtensions } from './extensions-panel.js';
import type { BootConfig, DiskInfo, FromWorker, RunState, Stats, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
};

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer?: Transferable[]): void => worker.postMessage(m, transfer ?? []);

// ---- terminal ----
// convertEol: the kernel's early console (SBI earlycon) writes bare LFs; without it those lines run diagonally.
const term = new Terminal({ convertEol: true, scrollback: 5000, fontSize: 13 });
const fit = new FitAddon();
term.loadAddon(fit);
term.open($('terminal'));
// As many columns and rows as the terminal box holds (a serial console cannot tell the guest, so lines wrap here),
// again whenever the box changes size (window, orientation, the layout stacking).
fit.fit();
new ResizeObserver(() => fit.fit()).observe($('terminal'));
const encoder = new TextEncoder();
term.onData((data) => send({ type: 'input', bytes: encoder.encode(data) }));
async function copySelection(): Promise<void> {
  const text = term.getSelection();
  if (text) await navigator.clipboard.writeText(text);
}
async function pasteClipboard(): Promise<void> {
  term.paste(await navigator.clipboard.readText());
}
// Ctrl+C goes to the guest; Ctrl+Shift+C / Ctrl+Shift+V copy and paste, as in desktop terminals.
term.attachCustomKeyEventHandler((e) => {
  if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
  if (e.code === 'KeyC') { void copySelection(); return false; }
  if (e.code === 'KeyV') { void pasteClipboard(); return false; }
  return true;
});
$('copy').addEventListener('click', () => { void copySelection().catch((e) => showStatus(`copy failed: ${e}`)); });
$('paste').addEventListener('click', () => { void pasteClipboard().catch((e) => showStatus(`paste failed: ${e}`)); term.focus(); });

// ---- setup form ----
const cmdline = $<HTMLInputElement>('cmdline');
cmdline.value = DEFAULT_CMDLINE;
const strict = $<HTMLInputElement>('strict');
const toggles = isaToggles();
const checkboxes = new Map<string, HTMLInputElement>();
/** What the vCPU has with no ISA_EXT writes (learned from the first preview). */
let onByDefault: ReadonlySet<string> | null = null;

function buildIsaGroups(): void {
  const host = $('isa-groups');
  for (const group of ISA_GROUPS) {
    const members = toggles.filter((t) => t.group === group.id);
    if (members.length === 0) continue;
    const box = document.createElement('div');
    box.className = 'isa-group';
    box.dataset.group = group.id;
    const h = document.createElement('h3');
    h.textContent = group.title;
    box.append(h);
    for (const t of members) {
      const row = document.createElement('label');
      row.className = 'isa-toggle';
      const cb = document.createElement('input');
      cb.type = 'checkbox';
      cb.dataset.ext = t.name;
      cb.disabled = t.kvmId === null;
      cb.addEventListener('change', schedulePreview);
      checkboxes.set(t.name, cb);
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = t.name;
      const rule = document.createElement('span');
      rule.className = `rule ${t.disableRule ?? 'none'}`;
      rule.textContent = t.kvmId === null ? t.ruleText : `KVM id ${t.kvmId}: ${t.ruleText}`;
      row.append(cb, name, rule);
      box.append(row);
    }
    host.append(box);
  }
}
buildIsaGroups();
// Stacked on a narrow window, the toggles and the device tree would put the terminal thousands of pixels down:
// they start folded there.
if (window.matchMedia('(max-width: 900px)').matches) for (const id of ['isa-details', 'dts-details']) $<HTMLDetailsElement>(id).open = false;

function guestChoice(): 'bundled' | 'files' {
  return (document.querySelector('input[name=guest]:checked') as HTMLInputElement).value as 'bundled' | 'files';
}

function currentConfig(): BootConfig {
  const wanted = new Map<string, boolean>();
  // Extensions without a KVM register cannot be written, so they never enter the lists.
  if (onByDefault) for (const t of toggles) if (t.kvmId !== null) wanted.set(t.name, checkboxes.get(t.name)!.checked);
  const { enable, disable } = isaWrites(onByDefault ?? new Set(), wanted);
  return {
    guest: guestChoice(), cmdline: cmdline.value, memBytes: Number($<HTMLSelectElement>('mem').value) * 1024 * 1024,
    enable, disable, allowDisableAny: strict.checked, nested: checkboxes.get('h')?.checked ?? false, clock: $<HTMLSelectElement>('clock').value as 'wall' | 'icount',
    smp: Number($<HTMLSelectElement>('smp').value), consoleDevice: $<HTMLSelectElement>('console-device').value as 'serial' | 'virtio',
    net: $<HTMLInputElement>('net').checked, profile: $<HTMLInputElement>('profile').checked,
    disk: diskInfo === null ? null : {
      format: $<HTMLSelectElement>('disk-format').value as 'probe' | 'raw' | 'qcow2', readOnly: $<HTMLInputElement>('disk-ro').checked,
      // only the bundled guest's init mounts it; the user's own initrd does what it does
      mountAt: $<HTMLInputElement>('disk-mount').checked && guestChoice() === 'bundled' ? '/mnt/disk' : null,
    },
  };
}

const guestReady = { bundled: false, files: false };
let previewId = 0;
let previewOk = false;
let previewTimer: ReturnType<typeof setTimeout> | undefined;
let running = false;

function schedulePreview(): void {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(requestPreview, 120);
  updateBootButton();
}

function requestPreview(): void {
  const config = currentConfig();
  const writes = [...config.enable.map((n) => `enable ${n}`), ...config.disable.map((n) => `disable ${n}`)];
  $('isa-writes').textContent = writes.length ? writes.join(', ') : 'none';
  previewOk = false;
  updateBootButton();
  if (!guestReady[config.guest]) {
    showIsaError(config.guest === 'bundled' ? 'waiting for the bundled guest to load…' : 'pick a kernel Image to see the machine');
    return;
  }
  send({ type: 'preview', id: ++previewId, config });
}

function showIsaError(text: string | null): void {
  const el = $('isa-error');
  el.hidden = text === null;
  el.textContent = text ?? '';
}

function updateBootButton(): void {
  $<HTMLButtonElement>('boot').disabled = running || !previewOk || !guestReady[guestChoice()];
}

for (const id of ['mem', 'clock', 'cmdline', 'strict', 'smp', 'net', 'profile', 'disk-format', 'disk-ro', 'disk-mount']) {
  $(id).addEventListener('input', schedulePreview);
}
// The console's default command line follows the console device (as `rvkvm run --console virtio` does); a
// command line the user edited stays as it is.
$('console-device').addEventListener('input', () => {
  const virtio = $<HTMLSelectElement>('console-device').value === 'virtio';
  if (cmdline.value === (virtio ? DEFAULT_CMDLINE : VIRTIO_CONSOLE_CMDLINE)) cmdline.value = virtio ? VIRTIO_CONSOLE_CMDLINE : DEFAULT_CMDLINE;
  schedulePreview();
});
for (const radio of document.querySelectorAll('input[name=guest]')) radio.addEventListener('change', schedulePreview);

async function readPickedFiles(): Promise<void> {
  const kernel = $<HTMLInputElement>('kernel-file').files?.[0];
  const initrd = $<HTMLInputElement>('initrd-file').files?.[0];
  if (!kernel) return;
  const k = await kernel.arrayBuffer();
  const i = initrd ? await initrd.arrayBuffer() : null;
  (document.querySelector('input[name=guest][value=files]') as HTMLInputElement).checked = true;
  send({ type: 'use-files', kernel: k, initrd: i }, i ? [k, i] : [k]);
}
for (const id of ['kernel-file', 'initrd-file']) $(id).addEventListener('change', () => { void readPickedFiles(); });

// ---- the disk image ----
let diskInfo: DiskInfo | null = null;
const mib = (n: number): string => `${(n / 1048576).toFixed(n < 10485760 ? 2 : 0)} MiB`;

function showDisk(info: DiskInfo | null, warning?: string): void {
  diskInfo = info;
  const status = $('disk-status');
  status.textContent = info === null ? 'no disk'
    : `${info.name}: ${mib(info.fileBytes)}; ${mib(info.changedBytes)} changed, kept in this tab (the file is never written)${warning ? `; ${warning}` : ''}`;
  status.dataset.changed = String(info?.changedBytes ?? 0);
  $('disk-detach').hidden = info === null;
  $<HTMLButtonElement>('disk-download').disabled = info === null;
  schedulePreview();
}
$('disk-file').addEventListener('change', () => {
  send({ type: 'attach-disk', file: $<HTMLInputElement>('disk-file').files?.[0] ?? null });
});
$('disk-detach').addEventListener('click', () => {
  $<HTMLInputElement>('disk-file').value = '';
  send({ type: 'attach-disk', file: null });
});
$('disk-download').addEventListener('click', () => send({ type: 'download-disk' }));

function saveBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ---- run controls ----
const pauseButton = $<HTMLButtonElement>('pause');
let state: RunState | 'idle' = 'idle';

function setRunning(on: boolean): void {
  running = on;
  for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLButtonElement>('#setup input, #setup select')) {
    el.disabled = on || (el.dataset.ext !== undefined && toggles.find((t) => t.name === el.dataset.ext)?.kvmId === null);
  }
  $<HTMLButtonElement>('disk-detach').disabled = on;
  $<HTMLButtonElement>('reset').disabled = !on;
  $<HTMLButtonElement>('stop').disabled = !on;
  $<HTMLButtonElement>('save-vm').disabled = !on;
  $<HTMLButtonElement>('resume-vm').disabled = on || !guestReady.bundled;
  pauseButton.disabled = !on;
  updateBootButton();
}

function showStatus(text: string): void {
  $('stat-state').textContent = text;
}

$('boot').addEventListener('click', () => {
  const config = currentConfig();
  term.reset();
  $('stat-boot').textContent = '-';
  setRunning(true);
  send({ type: 'boot', config });
  // stacked (a narrow window), the terminal is below the form: bring it into view
  if (window.matchMedia('(max-width: 900px)').matches) $('run').scrollIntoView({ block: 'start' });
  term.focus();
});
pauseButton.addEventListener('click', () => send({ type: state === 'paused' ? 'resume' : 'pause' }));
$('reset').addEventListener('click', () => { term.reset(); $('stat-boot').textContent = '-'; send({ type: 'reset' }); term.focus(); });
$('stop').addEventListener('click', () => send({ type: 'stop' }));
$('save-vm').addEventListener('click', () => send({ type: 'save-vm' }));
$('resume-vm').addEventListener('click', () => { term.reset(); setRunning(true); send({ type: 'resume-vm' }); term.focus(); });

let instructionExtensions: readonly string[] = [];

function showProgress(p: Stats['progress']): void {
  const bar = $<HTMLProgressElement>('boot-progress');
  if (p.fraction === null) bar.removeAttribute('value'); // an unknown guest: indeterminate until the marker
  else bar.value = p.fraction;
  $('boot-phase').textContent = p.fraction === null ? p.phase : `${p.phase} (${Math.round(p.fraction * 100)} %)`;
  $('boot-phase').dataset.phase = p.phase;
}

function showStats(s: Stats): void {
  showProgress(s.progress);
  renderExtensions($('ext-table'), $('ext-rest'), s.extensions, instructionExtensions);
  $('stat-mips').textContent = s.mips.toFixed(1);
  $('stat-instructions').textContent = s.instructions.toLocaleString('en-US');
  $('stat-jit').textContent = s.translatedPages.toLocaleString('en-US');
  if (s.bootMs !== null) {
    $('stat-boot').textContent = `${(s.bootMs / 1000).toFixed(2)} s (${((s.bootInstructions ?? 0) / 1e9).toFixed(3)} billion instructions)`;
    $('stat-boot').dataset.ms = String(Math.round(s.bootMs));
  }
}

// ---- messages from the worker ----
worker.onmessage = (e: MessageEvent<FromWorker>): void => {
  const m = e.data;
  switch (m.type) {
    case 'guest-ready':
      guestReady[m.guest] = true;
      $<HTMLButtonElement>('resume-vm').disabled = running || !guestReady.bundled;
      if (m.guest === 'bundled') $('guest-status').textContent = `ready: ${m.detail}`;
      schedulePreview();
      return;
    case 'guest-error':
      if (m.guest === 'bundled') $('guest-status').textContent = m.message;
      showIsaError(m.message);
      return;
    case 'preview':
      if (m.id !== previewId) return; // a newer request is on its way
      if (m.ok) {
        if (onByDefault === null) {
          // The first preview (no writes) tells what the vCPU has by default: the toggles start there.
          onByDefault = new Set(m.isaExtensions);
          for (const [name, cb] of checkboxes) cb.checked = onByDefault.has(name);
        }
        $('isa-string').textContent = m.isaString;
        $('dts').textContent = m.dts;
        showIsaError(null);
        previewOk = true;
      } else {
        $('isa-string').textContent = '(refused)';
        showIsaError(m.error);
      }
      updateBootButton();
      return;
    case 'booted':
      $('run-isa').textContent = m.isaString;
      instructionExtensions = m.instructionExtensions;
      return;
    case 'disk':
      showDisk(m.info, m.warning);
      return;
    case 'disk-error':
      $('disk-status').textContent = m.message;
      return;
    case 'disk-image':
      saveBlob(m.name, m.blob);
      return;
    case 'console':
      term.write(m.bytes);
      return;
    case 'stats':
      showStats(m.stats);
      return;
    case 'saved-vm':
      showStatus(m.message);
      return;
    case 'state':
      state = m.state;
      pauseButton.textContent = m.state === 'paused' ? 'Resume' : 'Pause';
      showStatus(m.message ? `${m.state}: ${m.message}` : m.state);
      $('stat-state').dataset.state = m.state;
      if (m.state !== 'running' && m.state !== 'paused') setRunning(false);
      return;
  }
};
worker.onerror = (e) => showStatus(`worker failed: ${e.message}`);

send({ type: 'load-bundled' });

/** For automated tests and the console: the terminal's whole text buffer. */
(window as unknown as { rvkvmPage: unknown }).rvkvmPage = {
  /** the terminal's columns and rows (the fit to its box) */
  terminalSize(): { cols: number; rows: number } {
    return { cols: term.cols, rows: term.rows };
  },
  terminalText(): string {
    const buf = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buf.length; i++) {
      const line = buf.getLine(i);
      if (!line) continue;
      // A line the terminal wrapped continues the previous one: join them back into the guest's line.
      if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += line.translateToString(true);
      else lines.push(line.translateToString(true));
    }
    return lines.join('\n');
  },
};
