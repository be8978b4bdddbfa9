// The page's saved VM: one whole-VM snapshot (src/vmm/snapshot) kept in IndexedDB, so a reload of the page can
// resume the guest instead of booting it again. The snapshot carries the page's boot configuration in its host
// record; the guest files themselves are the bundled guest's (fetched again) or must be picked again.
import { captureSnapshot, readSnapshot, restoreSnapshot, type LoadedSnapshot } from '../../src/vmm/snapshot/machine.js';
import type { Machine } from '../../src/vmm/machine.js';
import type { BootConfig } from './protocol.js';

const DB = 'rvkvm', STORE = 'snapshots', KEY = 'vm';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => { req.result.createObjectStore(STORE); };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(`IndexedDB: ${req.error?.message ?? 'cannot open'}`));
  });
}

function run<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open().then((db) => new Promise<T>((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = f(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(req.result); };
    tx.onerror = () => { db.close(); reject(new Error(`IndexedDB: ${tx.error?.message ?? 'failed'}`)); };
  }));
}

/** The browser's own raw deflate (asynchronous, so it wraps the whole file rather than serving as the codec). */
async function transform(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream)).arrayBuffer());
}

/** Takes the snapshot now (between run slices: any worker message handler is) and stores it; returns its size stored. */
export async function saveVm(machine: Machine, config: BootConfig): Promise<number> {
  const bytes = captureSnapshot(machine, { host: { page: JSON.stringify(config) } });
  const stored = await transform(bytes, new CompressionStream('deflate-raw'));
  await run('readwrite', (s) => s.put(stored, KEY));
  return stored.length;
}

/** The stored snapshot, checked as a whole, with the configuration it was booted with; null when there is none. */
export async function loadVm(): Promise<{ config: BootConfig; snap: LoadedSnapshot } | null> {
  const stored = await run<unknown>('readonly', (s) => s.get(KEY));
  if (!(stored instanceof Uint8Array)) return null;
  let bytes: Uint8Array;
  try {
    bytes = await transform(stored, new DecompressionStream('deflate-raw'));
  } catch {
    throw new Error('the saved VM: the stored data is damaged (it does not decompress)');
  }
  const snap = readSnapshot(bytes, 'the saved VM');
  const page = snap.host?.['page'];
  if (typeof page !== 'string') throw new Error('the saved VM was not saved by this page');
  return { config: JSON.parse(page) as BootConfig, snap };
}

/** Puts the snapshot into a machine built from its configuration (restoreSnapshot's checks apply). */
export function resumeInto(machine: Machine, snap: LoadedSnapshot): void {
  restoreSnapshot(machine, snap);
}
