// Errors of ISA-string and device-tree ISA parsing: what was wrong, which token, and where.

export type IsaErrorKind =
  | 'syntax' // a character or token that cannot be part of an ISA string
  | 'base' // missing or invalid rv32/rv64 prefix or base letter
  | 'unknown' // an extension name the catalogue does not know
  | 'duplicate' // the same extension written twice
  | 'order' // single letters out of canonical order, or after multi-letter names
  | 'rv32-only' // an RV32-only extension in an rv64 ISA
  | 'dependency'; // an extension whose required extension is missing

export class IsaError extends Error {
  override readonly name = 'IsaError';
  constructor(
    readonly kind: IsaErrorKind,
    /** The offending token as written (may be empty when something is missing at the end). */
    readonly token: string,
    /** 0-based character index of the token in the input (device tree lists: in the NUL-joined property). */
    readonly position: number,
    /** The input the position refers to, for showing a caret under it. */
    readonly input: string,
    message: string,
  ) {
    super(`${message} at position ${position}`);
  }

  /** The input with a caret line under the offending token, for terminals. */
  caret(): string {
    const shown = this.input.replace(/\0/g, ' ');
    const width = Math.max(1, this.token.length);
    return `${shown}\n${' '.repeat(this.position)}${'^'.repeat(width)}`;
  }
}
