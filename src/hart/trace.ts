// Instruction trace in the shape of Spike's --log-commits, so a run can be diffed against Spike line by line:
//   core   0: 3 0x0000000080000000 (0x00000297) x5  0x0000000080000000
// hart id, privilege the instruction ran in, pc, instruction bits (4 hex digits for a 16-bit encoding), then the
// register it wrote (x or f; none for x0, stores, branches). Filters pick which retired instructions are written;
// --trace-first stops after N lines, --trace-last keeps the last N in a ring buffer until flush().
// The hart feeds this from a one-instruction-at-a-time run path used only while a tracer is attached.

export class TraceError extends Error {
  override name = 'TraceError';
}

export interface TraceFilter {
  /** only instructions of these extensions (canonical lower-case names, as the profile counts them) */
  extensions?: ReadonlySet<string>;
  /** only pcs in [lo, hi] (virtual, inclusive) */
  pcRange?: { lo: bigint; hi: bigint };
  /** only instructions executed in these privilege modes (0 = U, 1 = S, 3 = M) */
  modes?: ReadonlySet<number>;
  /** write the first N matching instructions, then stop tracing */
  first?: number;
  /** keep only the last N matching instructions (written by flush()) */
  last?: number;
}

/** One retired instruction, as the hart reports it. */
export interface CommitRecord {
  hartId: number;
  mode: number;
  pc: bigint;
  insn: number;
  /** 2 or 4 */
  length: number;
  extension: string;
  /** the register write, if any */
  write?: { file: 'x' | 'f'; reg: number; value: bigint };
}

const hex = (v: bigint | number, digits: number): string => '0x' + BigInt.asUintN(digits * 4, BigInt(v)).toString(16).padStart(digits, '0');

/** A Spike-style commit line (no trailing newline). */
export function formatCommit(r: CommitRecord): string {
  let s = `core${String(r.hartId).padStart(4)}: ${r.mode} ${hex(r.pc, 16)} (${hex(r.insn >>> 0, r.length * 2)})`;
  if (r.write) s += ` ${r.write.file}${String(r.write.reg).padEnd(2)} ${hex(r.write.value, 16)}`;
  return s;
}

export class InstructionTracer {
  private readonly ring: string[] = [];
  private ringNext = 0;
  private written = 0;
  /** matching instructions seen (written or kept) */
  matched = 0;

  constructor(readonly filter: TraceFilter, private readonly sink: (line: string) => void) {
    for (const k of ['first', 'last'] as const) {
      const n = filter[k];
      if (n !== undefined && !(Number.isSafeInteger(n) && n > 0)) throw new TraceError(`trace ${k} count ${n} is not a positive integer`);
    }
    if (filter.first !== undefined && filter.last !== undefined) throw new TraceError('--trace-first and --trace-last cannot be combined');
    if (filter.pcRange && filter.pcRange.lo > filter.pcRange.hi) {
      throw new TraceError(`trace range 0x${filter.pcRange.lo.toString(16)}-0x${filter.pcRange.hi.toString(16)} is empty (LO > HI)`);
    }
  }

  /** true once --trace-first's N lines are out: the hart goes back to its normal run path */
  get done(): boolean {
    return this.filter.first !== undefined && this.written >= this.filter.first;
  }

  /** cheap pre-check before the hart builds a record (pc and mode only) */
  wantsLocation(pc: bigint, mode: number): boolean {
    const f = this.filter;
    if (f.modes && !f.modes.has(mode)) return false;
    if (f.pcRange && (pc < f.pcRange.lo || pc > f.pcRange.hi)) return false;
    return !this.done;
  }

  record(r: CommitRecord): void {
    if (!this.wantsLocation(r.pc, r.mode)) return;
    if (this.filter.extensions && !this.filter.extensions.has(r.extension)) return;
    this.matched++;
    const line = formatCommit(r);
    const last = this.filter.last;
    if (last === undefined) { this.sink(line); this.written++; return; }
    if (this.ring.length < last) this.ring.push(line);
    else this.ring[this.ringNext] = line;
    this.ringNext = (this.ringNext + 1) % last;
  }

  /** write what --trace-last kept (oldest first); call once at the end */
  flush(): void {
    if (this.filter.last === undefined) return;
    const n = this.ring.length;
    const start = n < this.filter.last ? 0 : this.ringNext;
    for (let k = 0; k < n; k++) this.sink(this.ring[(start + k) % n]!);
    this.written += n;
    this.ring.length = 0; this.ringNext = 0;
  }
}

// ---- option parsing shared by `rvkvm run` and `rvkvm exec` (pure: no Node APIs)

/** `LO-HI` with hex (0x...) or decimal bounds, inclusive. */
export function parseTraceRange(s: string): { lo: bigint; hi: bigint } {
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*-\s*(0x[0-9a-f]+|\d+)\s*$/i.exec(s);
  if (!m) throw new TraceError(`--trace-range '${s}': expected LO-HI, e.g. 0x80000000-0x80001000`);
  const lo = BigInt(m[1]!), hi = BigInt(m[2]!);
  if (lo >= 1n << 64n || hi >= 1n << 64n) throw new TraceError(`--trace-range '${s}': bounds must fit 64 bits`);
  if (lo > hi) throw new TraceError(`--trace-range '${s}': LO is above HI`);
  return { lo, hi };
}

/** `m`, `s`, `u` or a comma list of them. */
export function parseTraceModes(s: string): Set<number> {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const p = part.trim().toLowerCase();
    const mode = p === 'm' ? 3 : p === 's' ? 1 : p === 'u' ? 0 : -1;
    if (mode < 0) throw new TraceError(`--trace-mode '${s}': '${part}' is not m, s or u`);
    out.add(mode);
  }
  return out;
}

/** a comma list of extension names (validated by the caller against the catalogue) */
export function parseTraceExtensions(s: string): Set<string> {
  const names = s.split(',').map((e) => e.trim().toLowerCase()).filter((e) => e !== '');
  if (names.length === 0) throw new TraceError(`--trace-ext '${s}': no extension named`);
  return new Set(names);
}
