// Flattened device tree (DTB, version 17): a builder that writes blobs and a reader that parses them.
// Layout written: header (40 bytes), memory reservation map, structure block, strings block.
import { VmmError } from './errors.js';

export const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;
const FDT_END = 9;
const HEADER_SIZE = 40;
const VERSION = 17;
const LAST_COMPATIBLE_VERSION = 16;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

export interface MemReserve {
  address: bigint;
  size: bigint;
}

export interface FdtProperty {
  name: string;
  value: Uint8Array;
}

/** One device tree node: properties (in insertion order) and child nodes. Builder methods chain. */
export class FdtNode {
  readonly props: FdtProperty[] = [];
  readonly children: FdtNode[] = [];

  constructor(readonly name: string) {
    if (name.includes('/') || name.includes('\0')) throw new VmmError(`device tree node name '${name}' contains '/' or NUL`);
  }

  /** Adds (and returns) a child node; names must be unique among siblings. */
  addChild(name: string): FdtNode {
    if (name === '') throw new VmmError('device tree child node needs a name');
    if (this.children.some((c) => c.name === name)) throw new VmmError(`node '${name}' already exists under '${this.name || '/'}'`);
    const child = new FdtNode(name);
    this.children.push(child);
    return child;
  }

  child(name: string): FdtNode | undefined {
    return this.children.find((c) => c.name === name);
  }

  /** Sets a raw property value (replacing any previous value of that name). */
  bytes(name: string, value: Uint8Array): this {
    if (name === '' || name.includes('\0')) throw new VmmError(`bad property name '${name}' in node '${this.name || '/'}'`);
    const i = this.props.findIndex((p) => p.name === name);
    const prop = { name, value: value.slice() };
    if (i >= 0) this.props[i] = prop;
    else this.props.push(prop);
    return this;
  }

  /** A property without a value (a boolean flag such as `interrupt-controller`). */
  empty(name: string): this {
    return this.bytes(name, new Uint8Array(0));
  }

  /** One or more big-endian 32-bit cells (phandle references are u32 cells too). */
  u32(name: string, ...cells: number[]): this {
    const out = new Uint8Array(cells.length * 4);
    const view = new DataView(out.buffer);
    cells.forEach((c, i) => {
      if (!Number.isInteger(c) || c < 0 || c > 0xffffffff) throw new VmmError(`property '${name}': ${c} is not a u32`);
      view.setUint32(i * 4, c);
    });
    return this.bytes(name, out);
  }

  /** One or more big-endian 64-bit values (two cells each). */
  u64(name: string, ...values: (number | bigint)[]): this {
    const out = new Uint8Array(values.length * 8);
    const view = new DataView(out.buffer);
    values.forEach((v, i) => {
      const b = BigInt(v);
      if (b < 0n || b > 0xffffffffffffffffn) throw new VmmError(`property '${name}': ${v} is not a u64`);
      view.setBigUint64(i * 8, b);
    });
    return this.bytes(name, out);
  }

  string(name: string, value: string): this {
    return this.strings(name, [value]);
  }

  /** A string list: each string NUL-terminated, concatenated. */
  strings(name: string, values: readonly string[]): this {
    for (const v of values) if (v.includes('\0')) throw new VmmError(`property '${name}': string contains NUL`);
    return this.bytes(name, utf8.encode(values.map((v) => v + '\0').join('')));
  }

  prop(name: string): Uint8Array | undefined {
    return this.props.find((p) => p.name === name)?.value;
  }

  /** Reads a property as u32 cells. */
  getU32s(name: string): number[] {
    const v = this.prop(name);
    if (!v) throw new VmmError(`node '${this.name || '/'}' has no property '${name}'`);
    if (v.length % 4) throw new VmmError(`property '${name}' of '${this.name || '/'}' is ${v.length} bytes, not whole cells`);
    const view = new DataView(v.buffer, v.byteOffset, v.length);
    return Array.from({ length: v.length / 4 }, (_, i) => view.getUint32(i * 4));
  }

  getU32(name: string): number {
    return this.getU32s(name)[0];
  }

  /** Reads a property as a string list. */
  getStrings(name: string): string[] {
    const v = this.prop(name);
    if (!v) throw new VmmError(`node '${this.name || '/'}' has no property '${name}'`);
    if (v.length === 0 || v[v.length - 1] !== 0) throw new VmmError(`property '${name}' of '${this.name || '/'}' is not NUL-terminated`);
    return utf8Decoder.decode(v.subarray(0, v.length - 1)).split('\0');
  }

  getString(name: string): string {
    return this.getStrings(name)[0];
  }

  /** Looks a node up by absolute path ('/cpus/cpu@0'). */
  find(path: string): FdtNode | undefined {
    let node: FdtNode | undefined = this;
    for (const part of path.split('/').filter((p) => p !== '')) {
      node = node?.child(part);
      if (!node) return undefined;
    }
    return node;
  }
}

/** A whole device tree: root node, memory reservations, phandle allocation, serialisation. */
export class DeviceTree {
  readonly root = new FdtNode('');
  readonly memReserve: MemReserve[] = [];
  bootCpuidPhys = 0;
  private nextPhandle = 1;

  /** Gives `node` a fresh phandle (sets its `phandle` property) and returns it. */
  phandle(node: FdtNode): number {
    const existing = node.prop('phandle');
    if (existing) return node.getU32('phandle');
    const ph = this.nextPhandle++;
    node.u32('phandle', ph);
    return ph;
  }

  addMemReserve(address: number | bigint, size: number | bigint): void {
    this.memReserve.push({ address: BigInt(address), size: BigInt(size) });
  }

  /** Serialises to a DTB (version 17). */
  toBlob(): Uint8Array {
    const strings = new StringTable();
    const struct = new ByteWriter();
    const emit = (node: FdtNode): void => {
      struct.u32(FDT_BEGIN_NODE);
      struct.bytes(utf8.encode(node.name + '\0'));
      struct.align(4);
      for (const p of node.props) {
        struct.u32(FDT_PROP);
        struct.u32(p.value.length);
        struct.u32(strings.offsetOf(p.name));
        struct.bytes(p.value);
        struct.align(4);
      }
      for (const c of node.children) emit(c);
      struct.u32(FDT_END_NODE);
    };
    emit(this.root);
    struct.u32(FDT_END);

    const rsvOffset = align(HEADER_SIZE, 8);
    const structOffset = rsvOffset + (this.memReserve.length + 1) * 16;
    const structBytes = struct.finish();
    const stringsOffset = structOffset + structBytes.length;
    const stringBytes = strings.finish();
    const total = stringsOffset + stringBytes.length;

    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);
    const header = [FDT_MAGIC, total, structOffset, stringsOffset, rsvOffset, VERSION, LAST_COMPATIBLE_VERSION,
      this.bootCpuidPhys, stringBytes.length, structBytes.length];
    header.forEach((v, i) => view.setUint32(i * 4, v));
    this.memReserve.forEach((r, i) => {
      view.setBigUint64(rsvOffset + i * 16, r.address);
      view.setBigUint64(rsvOffset + i * 16 + 8, r.size);
    });
    out.set(structBytes, structOffset);
    out.set(stringBytes, stringsOffset);
    return out;
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

class ByteWriter {
  private buf = new Uint8Array(1024);
  private len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }
  u32(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer).setUint32(this.len, v);
    this.len += 4;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  align(to: number): void {
    const pad = align(this.len, to) - this.len;
    this.ensure(pad);
    this.len += pad; // buffer is zero-filled
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** The strings block: each property name stored once. */
class StringTable {
  private readonly offsets = new Map<string, number>();
  private readonly out = new ByteWriter();
  private size = 0;
  offsetOf(name: string): number {
    let off = this.offsets.get(name);
    if (off === undefined) {
      off = this.size;
      const b = utf8.encode(name + '\0');
      this.out.bytes(b);
      this.size += b.length;
      this.offsets.set(name, off);
    }
    return off;
  }
  finish(): Uint8Array {
    return this.out.finish();
  }
}

export interface ParsedFdt {
  tree: DeviceTree;
  version: number;
  lastCompatibleVersion: number;
}

/** A blob parseFdt refuses: what is wrong (`problem`) and the byte offset in the blob where. */
export class FdtError extends VmmError {
  constructor(readonly problem: string, readonly offset: number) {
    super(`malformed device tree blob: ${problem} at offset 0x${offset.toString(16)}`);
  }
}

/** Deepest node nesting accepted: Linux's unflattening (drivers/of/fdt.c, FDT_MAX_DEPTH) stops at 64 too. */
export const FDT_MAX_DEPTH = 64;

/** Checks a blob given in place of the generated device tree: the FdtError's text after "not a device tree blob: ". */
export function fdtProblem(blob: Uint8Array): string | null {
  try {
    parseFdt(blob);
    return null;
  } catch (e) {
    if (e instanceof FdtError) return `${e.problem} at offset 0x${e.offset.toString(16)}`;
    throw e;
  }
}

/**
 * Parses a DTB and checks everything a guest kernel relies on: header (magic, versions, sizes), every block
 * inside the blob and after the header, the structure block's tokens and their nesting, node and property names,
 * string offsets. Throws an FdtError naming the problem and its byte offset for a malformed blob.
 */
export function parseFdt(blob: Uint8Array): ParsedFdt {
  const fail = (what: string, offset: number): never => {
    throw new FdtError(what, offset);
  };
  if (blob.length < HEADER_SIZE) fail(`truncated header (${blob.length} bytes, need ${HEADER_SIZE})`, 0);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.length);
  const h = (i: number): number => view.getUint32(i * 4);
  if (h(0) !== FDT_MAGIC) fail(`bad magic 0x${h(0).toString(16)} (expected 0xd00dfeed)`, 0);
  const [total, structOff, stringsOff, rsvOff, version, lastComp, bootCpuid, stringsSize] =
    [h(1), h(2), h(3), h(4), h(5), h(6), h(7), h(8)];
  if (total > blob.length) fail(`totalsize ${total} exceeds the ${blob.length} bytes given (truncated)`, 4);
  if (total < HEADER_SIZE) fail(`totalsize ${total} smaller than the header`, 4);
  if (lastComp > VERSION) fail(`last_comp_version ${lastComp} is newer than ${VERSION}`, 24);
  if (version < 16) fail(`version ${version} not supported (need 16 or 17)`, 20);
  if (lastComp > version) fail(`last_comp_version ${lastComp} is newer than the version ${version}`, 24);
  if (structOff < HEADER_SIZE) fail(`structure block offset 0x${structOff.toString(16)} inside the header`, 8);
  if (stringsOff < HEADER_SIZE) fail(`strings block offset 0x${stringsOff.toString(16)} inside the header`, 12);
  const structSize = version >= 17 ? h(9) : total - structOff;
  const checkBlock = (name: string, off: number, size: number, field: number): void => {
    if (off > total || size > total - off) fail(`${name} block [0x${off.toString(16)}, +${size}) outside totalsize ${total}`, field);
  };
  checkBlock('structure', structOff, structSize, 8);
  checkBlock('strings', stringsOff, stringsSize, 12);
  if (rsvOff % 8 || rsvOff < HEADER_SIZE || rsvOff >= total) fail(`memory reservation map offset 0x${rsvOff.toString(16)} invalid`, 16);
  if (structOff % 4) fail('structure block offset not 4-byte aligned', 8);

  const tree = new DeviceTree();
  tree.bootCpuidPhys = bootCpuid;
  for (let p = rsvOff; ; p += 16) {
    if (p + 16 > total) fail('memory reservation map runs past the end (no terminating entry)', p);
    const address = view.getBigUint64(p);
    const size = view.getBigUint64(p + 8);
    if (address === 0n && size === 0n) break;
    tree.memReserve.push({ address, size });
  }

  const stringAt = (off: number, at: number): string => {
    if (off >= stringsSize) fail(`property name offset ${off} outside the strings block (${stringsSize} bytes)`, at);
    const start = stringsOff + off;
    const end = blob.indexOf(0, start);
    if (end < 0 || end >= stringsOff + stringsSize) fail('unterminated string in the strings block', start);
    return utf8Decoder.decode(blob.subarray(start, end));
  };

  const structEnd = structOff + structSize;
  let p = structOff;
  const token = (): number => {
    if (p + 4 > structEnd) fail('structure block ends without FDT_END', p);
    const t = view.getUint32(p);
    p += 4;
    return t;
  };
  const stack: FdtNode[] = [];
  let root: FdtNode | undefined;
  for (;;) {
    const at = p;
    const t = token();
    if (t === FDT_NOP) continue;
    if (t === FDT_BEGIN_NODE) {
      const end = blob.indexOf(0, p);
      if (end < 0 || end >= structEnd) fail('unterminated node name', p);
      const name = utf8Decoder.decode(blob.subarray(p, end));
      p = align(end + 1 - structOff, 4) + structOff;
      if (stack.length >= FDT_MAX_DEPTH) fail(`nodes nested deeper than ${FDT_MAX_DEPTH}`, at);
      if (stack.length > 0 && name === '') fail('node without a name', at);
      if (name.includes('/')) fail(`node name '${name}' contains '/'`, at);
      if (stack.length === 0) {
        if (root) fail('second root node', at);
        if (name !== '') fail(`root node has name '${name}'`, at);
        root = tree.root;
        stack.push(root);
      } else {
        const parent = stack[stack.length - 1];
        if (parent.child(name)) fail(`duplicate node '${name}'`, at);
        stack.push(parent.addChild(name));
      }
    } else if (t === FDT_PROP) {
      if (stack.length === 0) fail('property outside any node', at);
      const len = token();
      const nameOff = token();
      if (len > structEnd - p) fail(`property value of ${len} bytes runs past the structure block`, at);
      const node = stack[stack.length - 1];
      if (node.children.length > 0) fail('property after a child node', at);
      const name = stringAt(nameOff, at + 8);
      if (name === '') fail('property with an empty name', at);
      if (node.prop(name)) fail(`duplicate property '${name}'`, at);
      node.bytes(name, blob.subarray(p, p + len));
      p = align(p + len - structOff, 4) + structOff;
    } else if (t === FDT_END_NODE) {
      if (stack.length === 0) fail('FDT_END_NODE without a node', at);
      stack.pop();
    } else if (t === FDT_END) {
      if (stack.length !== 0) fail(`FDT_END with ${stack.length} node(s) still open`, at);
      if (!root) fail('no root node', at);
      break;
    } else {
      fail(`unknown token 0x${t.toString(16)}`, at);
    }
  }
  return { tree, version, lastCompatibleVersion: lastComp };
}
