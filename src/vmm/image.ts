// RISC-V Linux `Image` header (Documentation/arch/riscv/boot-image-header.rst): 64 bytes at the
// start of the kernel image; an EFI stub image starts with "MZ" in its first instruction slot.
import { VmmError } from './errors.js';

export const IMAGE_HEADER_SIZE = 64;
const MAGIC = 'RISCV\0\0\0'; // at offset 48 (deprecated but still written)
const MAGIC2 = 'RSC\x05'; // at offset 56
/** Kernels are placed on a 2 MiB boundary (a PMD-sized page on rv64). */
export const KERNEL_ALIGN = 0x200000;

export interface ImageHeader {
  /** Offset from the start of RAM (2 MiB aligned) where the kernel wants to be loaded. */
  textOffset: bigint;
  /** Bytes the kernel occupies in memory once loaded (bss included). */
  imageSize: bigint;
  /** Bit 0: 0 = little-endian kernel. */
  flags: bigint;
  version: { major: number; minor: number };
  /** True when the image starts with "MZ" (an EFI stub PE/COFF header). */
  efiStub: boolean;
  /** Offset of the PE header ("res3"), meaningful for EFI stub images. */
  peHeaderOffset: number;
}

const ascii = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const shown = (s: string): string => JSON.stringify(s);

/** Parses and checks the header; throws a VmmError saying what is wrong and where. */
export function parseImageHeader(image: Uint8Array): ImageHeader {
  if (image.length < IMAGE_HEADER_SIZE) {
    throw new VmmError(`kernel Image truncated: ${image.length} bytes, the header alone is ${IMAGE_HEADER_SIZE}`);
  }
  const view = new DataView(image.buffer, image.byteOffset, image.length);
  const magic = ascii(image.subarray(48, 56));
  const magic2 = ascii(image.subarray(56, 60));
  if (magic2 !== MAGIC2) {
    throw new VmmError(`not a RISC-V Linux Image: magic at offset 56 is ${shown(magic2)}, expected ${shown(MAGIC2)}`);
  }
  if (magic !== MAGIC) {
    throw new VmmError(`not a RISC-V Linux Image: magic at offset 48 is ${shown(magic)}, expected ${shown(MAGIC)}`);
  }
  const textOffset = view.getBigUint64(8, true);
  const imageSize = view.getBigUint64(16, true);
  const flags = view.getBigUint64(24, true);
  const version = view.getUint32(32, true);
  const header: ImageHeader = {
    textOffset,
    imageSize,
    flags,
    version: { major: version >>> 16, minor: version & 0xffff },
    efiStub: image[0] === 0x4d && image[1] === 0x5a,
    peHeaderOffset: view.getUint32(60, true),
  };
  if (flags & 1n) throw new VmmError('kernel Image flags (offset 24) say big-endian; only little-endian RISC-V is supported');
  if (header.version.major === 0 && header.version.minor < 2) {
    throw new VmmError(`kernel Image header version ${header.version.major}.${header.version.minor} (offset 32) predates text_offset/image_size (need 0.2+)`);
  }
  if (imageSize === 0n) throw new VmmError('kernel Image header: image_size (offset 16) is 0');
  if (imageSize < BigInt(image.length)) {
    throw new VmmError(`kernel Image header: image_size ${imageSize} (offset 16) is smaller than the file (${image.length} bytes)`);
  }
  if (textOffset % 4096n) throw new VmmError(`kernel Image header: text_offset 0x${textOffset.toString(16)} (offset 8) is not page aligned`);
  if (header.efiStub && (header.peHeaderOffset < IMAGE_HEADER_SIZE || header.peHeaderOffset + 4 > image.length ||
      ascii(image.subarray(header.peHeaderOffset, header.peHeaderOffset + 4)) !== 'PE\0\0')) {
    throw new VmmError(`kernel Image starts with "MZ" but has no PE header at offset ${header.peHeaderOffset} (field at 60)`);
  }
  return header;
}

export interface KernelPlacement {
  /** Guest physical address to copy the Image to and to start executing at. */
  loadAddress: number;
  /** First byte after the kernel's in-memory footprint (image_size). */
  end: number;
}

/** Where the kernel goes in RAM: the first 2 MiB boundary at or above base, plus text_offset. */
export function placeKernel(header: ImageHeader, ram: { base: number; size: number }): KernelPlacement {
  const loadAddress = Math.ceil(ram.base / KERNEL_ALIGN) * KERNEL_ALIGN + Number(header.textOffset);
  const end = loadAddress + Number(header.imageSize);
  if (end > ram.base + ram.size) {
    throw new VmmError(`kernel needs [0x${loadAddress.toString(16)}, 0x${end.toString(16)}) but RAM ends at 0x${(ram.base + ram.size).toString(16)}`);
  }
  return { loadAddress, end };
}
