// Memory sizes on the command line, spelled the same for every command and spelling: `512M`, `1G`, `2048K`, or a
// bare number of MiB (QEMU's `-m 512` and kvmtool's `-m 512` both mean MiB).
import { UsageError } from './errors.js';

const UNIT = { '': 1 << 20, K: 1 << 10, M: 1 << 20, G: 1 << 30 } as const;

/** Bytes for `text` (`512M`, `1G`, `1GiB`, `512`); a one-line UsageError naming `flag` otherwise. */
export function parseMemSize(text: string | undefined, flag: string): number {
  const m = /^(\d+)([KMG]?)(?:i?B)?$/i.exec((text ?? '').trim());
  if (!m) throw new UsageError(`${flag} '${text ?? ''}': expected a size such as 512M or 1G (a bare number is MiB)`);
  return Number(m[1]) * UNIT[m[2]!.toUpperCase() as keyof typeof UNIT];
}
