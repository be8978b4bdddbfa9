// Messages between the page (main.ts) and the guest's Web Worker (worker.ts).

/** Everything a boot needs besides the guest files; the ISA part is exactly the Machine's enable/disable lists. */
export interface BootConfig {
  guest: 'bundled' | 'files';
  cmdline: string;
  memBytes: number;
  enable: string[];
  disable: string[];
  allowDisableAny: boolean;
  /** rvkvm's nested opt-in (Machine's `nested`): set exactly when the H toggle is on */
  nested: boolean;
  clock: 'wall' | 'icount';
  /** vCPUs (`--smp N`) */
  smp: number;
  /** the guest's console: the 16550 (ttyS0) or virtio-console port 0 (hvc0), as `--console serial|virtio` */
  consoleDevice: 'serial' | 'virtio';
  /** a virtio-net on the user-mode network with nothing outbound (`--net user,restrict=on`): DHCP and ping of the gateway */
  net: boolean;
  /** count executed instructions per extension (`--profile`) for the live extensions panel */
  profile: boolean;
  /** the picked disk image (attached with 'attach-disk') as vda, or none */
  disk: DiskChoice | null;
}

export interface DiskChoice {
  /** format=...; 'probe' reads the header as `--disk FILE` without format= does */
  format: 'probe' | 'raw' | 'qcow2';
  readOnly: boolean;
  /** the bundled guest's init mounts /dev/vda on this directory (as `--mount vda:DIR`), or null */
  mountAt: string | null;
}

/** What the worker knows about the attached disk image. */
export interface DiskInfo {
  name: string;
  /** the image file's bytes now (qcow2 images grow as the guest writes) */
  fileBytes: number;
  /** bytes the guest has changed so far (kept in the page's memory, never in the picked file) */
  changedBytes: number;
}

export type ToWorker =
  | { type: 'load-bundled' }
  | { type: 'use-files'; kernel: ArrayBuffer; initrd: ArrayBuffer | null }
  | { type: 'preview'; id: number; config: BootConfig }
  | { type: 'boot'; config: BootConfig }
  | { type: 'input'; bytes: Uint8Array }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'reset' }
  | { type: 'stop' }
  /** save the running VM to IndexedDB / resume the saved one (vm-store.ts) */
  | { type: 'save-vm' }
  | { type: 'resume-vm' }
  | { type: 'attach-disk'; file: File | null }
  | { type: 'download-disk' };

export interface Stats {
  instructions: number;
  /** Guest MIPS over the last reporting window. */
  mips: number;
  /** Host milliseconds the guest has been running (pauses excluded). */
  runMs: number;
  /** Host milliseconds from boot until the init marker appeared, once it has. */
  bootMs: number | null;
  /** Guest instructions retired when the init marker appeared. */
  bootInstructions: number | null;
  /** Code pages the harts translated to WebAssembly so far (re-translations included). */
  translatedPages: number;
  /** Instructions retired per extension so far (`--profile`'s perExtension), when the profile is on. */
  extensions: Record<string, number> | null;
  /** Boot progress: the last console milestone reached and the estimated fraction done (null: unknown). */
  progress: { phase: string; fraction: number | null };
}

export type RunState = 'running' | 'paused' | 'shutdown' | 'stopped' | 'error';

export type FromWorker =
  | { type: 'guest-ready'; guest: 'bundled' | 'files'; kernelBytes: number; initrdBytes: number; detail: string }
  | { type: 'guest-error'; guest: 'bundled' | 'files'; message: string }
  | { type: 'preview'; id: number; ok: true; isaString: string; isaExtensions: string[]; dts: string }
  | { type: 'preview'; id: number; ok: false; error: string }
  /** instructionExtensions: the vCPU's extensions that have instructions (what the extensions panel can show) */
  | { type: 'booted'; isaString: string; dts: string; instructionExtensions: string[] }
  | { type: 'console'; bytes: Uint8Array }
  | { type: 'stats'; stats: Stats }
  | { type: 'state'; state: RunState; message?: string }
  | { type: 'saved-vm'; ok: boolean; message: string }
  | { type: 'disk'; info: DiskInfo | null; warning?: string }
  | { type: 'disk-error'; message: string }
  | { type: 'disk-image'; name: string; blob: Blob };
