// Compiled translations by content: the WebAssembly bytes translatePage made for a page fully determine the
// module, so a page translated again to the same bytes (its code dropped by a store and re-loaded unchanged, the
// same code in another physical page, another hart or machine of the process) is instantiated from the module
// compiled the first time instead of being compiled again. Keyed by a hash of the bytes and checked byte for byte,
// so a hit is exact; a module is independent of the hart it runs on (memory, table and slow paths are imports).
// Bounded by the bytes it keeps (least recently used first out), so a guest that keeps making new code cannot
// grow it without limit.

const DEFAULT_BUDGET_BYTES = 16 << 20;

interface Entry { bytes: Uint8Array; module: WebAssembly.Module }

export class TranslationCache {
  private readonly byHash = new Map<number, Entry[]>();
  /** insertion / use order for eviction: hashes, oldest first (a Map keeps insertion order) */
  private readonly order = new Map<Entry, number>();
  private held = 0;

  constructor(readonly budgetBytes = DEFAULT_BUDGET_BYTES) {}

  get size(): number { return this.order.size; }

  lookup(bytes: Uint8Array): WebAssembly.Module | undefined {
    const h = hashBytes(bytes);
    const list = this.byHash.get(h);
    if (list === undefined) return undefined;
    for (const e of list) {
      if (!sameBytes(e.bytes, bytes)) continue;
      this.order.delete(e); this.order.set(e, h); // most recently used now
      return e.module;
    }
    return undefined;
  }

  insert(bytes: Uint8Array, module: WebAssembly.Module): void {
    if (bytes.length > this.budgetBytes) return;
    const h = hashBytes(bytes);
    const e: Entry = { bytes, module };
    const list = this.byHash.get(h);
    if (list === undefined) this.byHash.set(h, [e]); else list.push(e);
    this.order.set(e, h);
    this.held += bytes.length;
    for (const [old, oh] of this.order) {
      if (this.held <= this.budgetBytes) break;
      this.order.delete(old);
      this.held -= old.bytes.length;
      const l = this.byHash.get(oh)!;
      l.splice(l.indexOf(old), 1);
      if (l.length === 0) this.byHash.delete(oh);
    }
  }
}

/** FNV-1a over the bytes taken four at a time (32 bits): only picks the bucket, equality is checked in full */
function hashBytes(b: Uint8Array): number {
  let h = 0x811c9dc5;
  const words = b.byteOffset % 4 === 0 ? new Int32Array(b.buffer, b.byteOffset, b.length >>> 2) : null;
  let k = 0;
  if (words !== null) { for (let j = 0; j < words.length; j++) h = Math.imul(h ^ words[j]!, 0x01000193); k = words.length * 4; }
  for (; k < b.length; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
  return h >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const n = a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 ? a.length >>> 2 : 0;
  if (n > 0) {
    const wa = new Int32Array(a.buffer, a.byteOffset, n), wb = new Int32Array(b.buffer, b.byteOffset, n);
    for (let k = 0; k < n; k++) if (wa[k] !== wb[k]) return false;
  }
  for (let k = n * 4; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** The process's cache, shared by every hart. */
export const translationCache = new TranslationCache();
