// Image format probing, as QEMU does it: a qcow2 file starts with "QFI\xfb"; anything else is raw.
import type { BlockFile } from './file.js';

export const QCOW2_MAGIC = 0x514649fb;

export type ImageFormat = 'raw' | 'qcow2';
export const IMAGE_FORMATS: readonly ImageFormat[] = ['raw', 'qcow2'];

export function looksLikeQcow2(file: BlockFile): boolean {
  if (file.size() < 4) return false;
  const b = new Uint8Array(4);
  file.read(0, b);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 === QCOW2_MAGIC;
}

export function probeFormat(file: BlockFile): ImageFormat {
  return looksLikeQcow2(file) ? 'qcow2' : 'raw';
}
