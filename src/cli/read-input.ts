// Reading the files a command line names (kernel, initrd, device tree, an exec ELF): never more than what could
// fit where the bytes go (guest RAM), so an endless or huge input (/dev/zero, a FIFO, a disk image given as
// --kernel) is refused in one line instead of reading until the host runs out of memory.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UsageError } from './errors.js';

const CHUNK = 1 << 20;

function mib(bytes: number): string {
  return bytes % (1 << 20) === 0 ? `${bytes / (1 << 20)} MiB` : `${bytes} bytes`;
}

/**
 * The bytes of `path`, at most `limit` of them. `what` names the input in messages ("kernel"), `room` says where
 * the limit comes from ("the guest RAM (--mem 512M)"). A missing file reads "kernel 'x' does not exist".
 */
export function readBoundedInput(path: string, what: string, limit: number, room: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${what} '${path}' does not exist`);
    throw new UsageError(`cannot read ${what} '${path}': ${code ?? (e as Error).message}`);
  }
  const tooBig = (): UsageError =>
    new UsageError(`${what} '${path}' is larger than ${mib(limit)}, ${room}: it cannot fit (is it the right file?)`);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new UsageError(`${what} '${path}' is a directory`);
    if (st.isFile() && st.size > limit) throw tooBig();
    // a regular file is read in one piece; anything else (device, FIFO, /proc) in chunks, bounded by `limit`
    let buf = new Uint8Array(st.isFile() ? st.size + 1 : Math.min(CHUNK, limit + 1));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > limit) throw tooBig();
        const bigger = new Uint8Array(Math.min(buf.length * 2, limit + 1));
        bigger.set(buf);
        buf = bigger;
      }
      let got: number;
      try {
        got = readSync(fd, buf, n, buf.length - n, null);
      } catch (e) {
        throw new UsageError(`cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      if (got === 0) break;
      n += got;
      if (n > limit) throw tooBig();
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
