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
  | { type: 'resume-vm' };

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
}

export type RunState = 'running' | 'paused' | 'shutdown' | 'stopped' | 'error';

export type FromWorker =
  | { type: 'guest-ready'; guest: 'bundled' | 'files'; kernelBytes: number; initrdBytes: number; detail: string }
  | { type: 'guest-error'; guest: 'bundled' | 'files'; message: string }
  | { type: 'preview'; id: number; ok: true; isaString: string; isaExtensions: string[]; dts: string }
  | { type: 'preview'; id: number; ok: false; error: string }
  | { type: 'booted'; isaString: string; dts: string }
  | { type: 'console'; bytes: Uint8Array }
  | { type: 'stats'; stats: Stats }
  | { type: 'state'; state: RunState; message?: string }
  | { type: 'saved-vm'; ok: boolean; message: string };
