// State values: what a device, a vCPU or the machine hands the snapshot as its state, and their binary encoding.
// JSON cannot carry what machine state holds (bigint registers, Infinity for a disarmed timer, -0, byte arrays), so
// values are tagged; decoding checks every length against the bytes left, so a damaged section is an error, never
// a read past the end. StateReader gives loaders typed fields whose absence or wrong type is a one-line error.
import { VmmError } from '../errors.js';
import type { StateObject, StateValue } from '../../kvm/index.js';

export type { StateObject, StateValue };

/** A snapshot that cannot be used: the message says what and where. */
export class SnapshotError extends VmmError {
  override name = 'SnapshotError';
}

const T_NULL = 0, T_FALSE = 1, T_TRUE = 2, T_F64 = 3, T_I32 = 4, T_STR = 5, T_BIG = 6, T_BYTES = 7, T_ARRAY = 8, T_OBJECT = 9;
const MAX_DEPTH = 64;

class Writer {
  private buf = new Uint8Array(4096);
  private dv = new DataView(this.buf.buffer);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b; this.dv = new DataView(b.buffer);
  }
  u8(v: number): void { this.room(1); this.buf[this.len++] = v; }
  u32(v: number): void { this.room(4); this.dv.setUint32(this.len, v, true); this.len += 4; }
  i32(v: number): void { this.room(4); this.dv.setInt32(this.len, v, true); this.len += 4; }
  f64(v: number): void { this.room(8); this.dv.setFloat64(this.len, v, true); this.len += 8; }
  bytes(b: Uint8Array): void { this.u32(b.length); this.room(b.length); this.buf.set(b, this.len); this.len += b.length; }
  done(): Uint8Array { return this.buf.slice(0, this.len); }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The binary form of a state value. */
export function encodeState(v: StateValue): Uint8Array {
  const w = new Writer();
  const put = (x: StateValue, depth: number): void => {
    if (depth > MAX_DEPTH) throw new SnapshotError(`internal error: state nested deeper than ${MAX_DEPTH}`);
    if (x === null) w.u8(T_NULL);
    else if (x === false) w.u8(T_FALSE);
    else if (x === true) w.u8(T_TRUE);
    else if (typeof x === 'number') {
      if ((x | 0) === x && !Object.is(x, -0)) { w.u8(T_I32); w.i32(x); } else { w.u8(T_F64); w.f64(x); }
    } else if (typeof x === 'string') { w.u8(T_STR); w.bytes(utf8.encode(x)); }
    else if (typeof x === 'bigint') {
      w.u8(T_BIG); w.u8(x < 0n ? 1 : 0);
      let m = x < 0n ? -x : x;
      const out: number[] = [];
      while (m > 0n) { out.push(Number(m & 0xffn)); m >>= 8n; }
      w.bytes(Uint8Array.from(out));
    } else if (x instanceof Uint8Array) { w.u8(T_BYTES); w.bytes(x); }
    else if (Array.isArray(x)) { w.u8(T_ARRAY); w.u32(x.length); for (const e of x) put(e, depth + 1); }
    else if (typeof x === 'object') {
      const keys = Object.keys(x);
      w.u8(T_OBJECT); w.u32(keys.length);
      for (const k of keys) { w.bytes(utf8.encode(k)); put(x[k]!, depth + 1); }
    } else throw new SnapshotError(`internal error: ${typeof x} is not a state value`);
  };
  put(v, 0);
  return w.done();
}

/** Decodes a state value; `where` names the section in errors. The whole input must be one value. */
export function decodeState(input: Uint8Array, where: string): StateValue {
  const b = new Uint8Array(input.buffer, input.byteOffset, input.byteLength); // not a Buffer: its slice() shares memory
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = 0;
  const need = (n: number): void => {
    if (at + n > b.length) throw new SnapshotError(`snapshot section '${where}' is damaged: a value runs past its end (byte ${at})`);
  };
  const u32 = (): number => { need(4); const v = dv.getUint32(at, true); at += 4; return v; };
  const raw = (): Uint8Array => { const n = u32(); need(n); const s = b.subarray(at, at + n); at += n; return s; };
  const str = (): string => {
    try { return fromUtf8.decode(raw()); } catch { throw new SnapshotError(`snapshot section '${where}' is damaged: a string is not UTF-8`); }
  };
  const get = (depth: number): StateValue => {
    if (depth > MAX_DEPTH) throw new SnapshotError(`snapshot section '${where}' is damaged: values nested deeper than ${MAX_DEPTH}`);
    need(1);
    const tag = b[at++]!;
    switch (tag) {
      case T_NULL: return null;
      case T_FALSE: return false;
      case T_TRUE: return true;
      case T_I32: { need(4); const v = dv.getInt32(at, true); at += 4; return v; }
      case T_F64: { need(8); const v = dv.getFloat64(at, true); at += 8; return v; }
      case T_STR: return str();
      case T_BIG: {
        need(1);
        const neg = b[at++] === 1;
        const m = raw();
        let v = 0n;
        for (let i = m.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(m[i]!);
        return neg ? -v : v;
      }
      case T_BYTES: return raw().slice();
      case T_ARRAY: {
        const n = u32();
        if (n > b.length - at) throw new SnapshotError(`snapshot section '${where}' is damaged: an array of ${n} values in ${b.length - at} bytes`);
        const out: StateValue[] = [];
        for (let i = 0; i < n; i++) out.push(get(depth + 1));
        return out;
      }
      case T_OBJECT: {
        const n = u32();
        if (n > b.length - at) throw new SnapshotError(`snapshot section '${where}' is damaged: an object of ${n} fields in ${b.length - at} bytes`);
        const out: StateObject = {};
        for (let i = 0; i < n; i++) { const k = str(); out[k] = get(depth + 1); }
        return out;
      }
      default: throw new SnapshotError(`snapshot section '${where}' is damaged: unknown value tag ${tag} at byte ${at - 1}`);
    }
  };
  const v = get(0);
  if (at !== b.length) throw new SnapshotError(`snapshot section '${where}' is damaged: ${b.length - at} bytes after its value`);
  return v;
}

/** Typed access to a state object for loaders: a missing field or one of the wrong type is a one-line error. */
export class StateReader {
  constructor(readonly obj: StateObject, readonly path: string) {}

  static of(v: StateValue | undefined, path: string): StateReader {
    if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) {
      throw new SnapshotError(`snapshot: ${path} is not a state record`);
    }
    return new StateReader(v, path);
  }

  private bad(key: string, want: string): never {
    throw new SnapshotError(`snapshot: ${this.path}.${key} is missing or not ${want}`);
  }
  has(key: string): boolean { return key in this.obj; }
  num(key: string): number { const v = this.obj[key]; return typeof v === 'number' ? v : this.bad(key, 'a number'); }
  int(key: string): number { const v = this.num(key); return Number.isInteger(v) ? v : this.bad(key, 'an integer'); }
  bool(key: string): boolean { const v = this.obj[key]; return typeof v === 'boolean' ? v : this.bad(key, 'true or false'); }
  str(key: string): string { const v = this.obj[key]; return typeof v === 'string' ? v : this.bad(key, 'a string'); }
  big(key: string): bigint { const v = this.obj[key]; return typeof v === 'bigint' ? v : this.bad(key, 'a 64-bit value'); }
  bytes(key: string, len?: number): Uint8Array {
    const v = this.obj[key];
    if (!(v instanceof Uint8Array)) return this.bad(key, 'bytes');
    if (len !== undefined && v.length !== len) return this.bad(key, `${len} bytes (it has ${v.length})`);
    return v;
  }
  value(key: string): StateValue { const v = this.obj[key]; return v === undefined ? this.bad(key, 'present') : v; }
  sub(key: string): StateReader { return StateReader.of(this.obj[key], `${this.path}.${key}`); }
  list(key: string): StateValue[] { const v = this.obj[key]; return Array.isArray(v) ? v : this.bad(key, 'a list'); }
  records(key: string): StateReader[] { return this.list(key).map((v, i) => StateReader.of(v, `${this.path}.${key}[${i}]`)); }
  /** bytes copied into a typed array of exactly their size */
  into(key: string, target: Int32Array | Uint32Array | Uint8Array | Float64Array | Int8Array): void {
    const b = this.bytes(key, target.byteLength);
    new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(b);
  }
}

/** A copy of a typed array's bytes, for saving. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}
