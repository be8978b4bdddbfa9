// A plain ELF64 little-endian reader: file header, PT_LOAD segments and the symbol table (for tohost/fromhost).
// Every malformed field is reported with what and where; nothing here trusts an offset before checking it.
import { VmmError } from './errors.js';

export interface ElfSegment {
  /** physical address (p_paddr) and virtual address (p_vaddr) */
  paddr: bigint;
  vaddr: bigint;
  /** bytes present in the file */
  data: Uint8Array;
  /** total size in memory (the rest is zero-filled) */
  memSize: bigint;
  flags: number;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
}

export interface ElfFile {
  machine: number;
  type: number;
  entry: bigint;
  segments: ElfSegment[];
  symbols: Map<string, ElfSymbol>;
}

export const EM_RISCV = 243;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;

export function parseElf(bytes: Uint8Array, what = 'ELF file'): ElfFile {
  const fail = (msg: string): never => {
    throw new VmmError(`${what}: ${msg}`);
  };
  if (bytes.length < 64) fail(`too short for an ELF64 header (${bytes.length} bytes)`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) fail('not an ELF file (bad magic)');
  if (bytes[4] !== 2) fail(`not ELF64 (EI_CLASS ${bytes[4]})`);
  if (bytes[5] !== 1) fail(`not little-endian (EI_DATA ${bytes[5]})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number): number => dv.getUint16(o, true);
  const u32 = (o: number): number => dv.getUint32(o, true);
  const u64 = (o: number): bigint => dv.getBigUint64(o, true);
  const num = (v: bigint, field: string): number => {
    if (v > BigInt(bytes.length)) fail(`${field} 0x${v.toString(16)} lies outside the file (${bytes.length} bytes)`);
    return Number(v);
  };
  const type = u16(16);
  const machine = u16(18);
  const entry = u64(24);
  const phoff = num(u64(32), 'e_phoff');
  const shoff = num(u64(40), 'e_shoff');
  const phentsize = u16(54), phnum = u16(56), shentsize = u16(58), shnum = u16(60);
  if (phnum > 0 && phentsize < 56) fail(`e_phentsize ${phentsize} is smaller than an ELF64 program header`);
  if (phoff + phnum * phentsize > bytes.length) fail(`program headers (offset ${phoff}, ${phnum} x ${phentsize}) run past the end of the file`);

  const segments: ElfSegment[] = [];
  for (let k = 0; k < phnum; k++) {
    const o = phoff + k * phentsize;
    if (u32(o) !== PT_LOAD) continue;
    const flags = u32(o + 4);
    const off = u64(o + 8), vaddr = u64(o + 16), paddr = u64(o + 24), filesz = u64(o + 32), memsz = u64(o + 40);
    if (off + filesz > BigInt(bytes.length)) fail(`segment ${k}: file bytes ${off}+${filesz} run past the end of the file`);
    if (memsz < filesz) fail(`segment ${k}: p_memsz ${memsz} is smaller than p_filesz ${filesz}`);
    segments.push({ paddr, vaddr, data: bytes.subarray(Number(off), Number(off + filesz)), memSize: memsz, flags });
  }

  const symbols = new Map<string, ElfSymbol>();
  if (shoff !== 0 && shnum > 0) {
    if (shentsize < 64) fail(`e_shentsize ${shentsize} is smaller than an ELF64 section header`);
    if (shoff + shnum * shentsize > bytes.length) fail(`section headers (offset ${shoff}, ${shnum} x ${shentsize}) run past the end of the file`);
    for (let k = 0; k < shnum; k++) {
      const o = shoff + k * shentsize;
      if (u32(o + 4) !== SHT_SYMTAB) continue;
      const symOff = num(u64(o + 24), `section ${k} sh_offset`), symSize = num(u64(o + 32), `section ${k} sh_size`);
      const link = u32(o + 40), entsize = Number(u64(o + 56)) || 24;
      if (symOff + symSize > bytes.length) fail(`symbol table (section ${k}) runs past the end of the file`);
      if (link >= shnum) fail(`symbol table (section ${k}) links to missing string table ${link}`);
      const so = shoff + link * shentsize;
      const strOff = num(u64(so + 24), `section ${link} sh_offset`), strSize = num(u64(so + 32), `section ${link} sh_size`);
      if (strOff + strSize > bytes.length) fail(`string table (section ${link}) runs past the end of the file`);
      for (let p = symOff; p + 24 <= symOff + symSize; p += entsize) {
        const nameOff = u32(p);
        if (nameOff === 0) continue;
        if (nameOff >= strSize) fail(`symbol at file offset ${p}: name offset ${nameOff} outside the string table`);
        let end = strOff + nameOff;
        while (end < strOff + strSize && bytes[end] !== 0) end++;
        const name = new TextDecoder().decode(bytes.subarray(strOff + nameOff, end));
        if (!symbols.has(name)) symbols.set(name, { name, value: u64(p + 8), size: u64(p + 16) });
      }
    }
  }
  return { machine, type, entry, segments, symbols };
}
