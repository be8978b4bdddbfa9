// The software RV64 hart: state in the shared WebAssembly.Memory, a decode cache per physical page, TLBs holding
// host offsets, M/S/U privilege with Sv39/48/57, traps and interrupts, and a bounded run loop that hands hot code
// pages to their translation to WebAssembly (jit.ts).
//
// Hot path rules: no BigInt, no allocation. RV64I is executed inline in run()'s switch (it is most of what a guest
// executes); other extensions' semantics live in ext/*.ts and are called through one function table.
//
// Documented implementation choices:
// - Misaligned loads/stores are emulated in "hardware" (done byte-correct, no trap) except LR/SC/AMO, which raise
//   address-misaligned (cause 4/6). Misaligned accesses to MMIO raise an access fault.
// - PMP CSRs are present (pmpcfg0..14 even, pmpaddr0..63 read/write) but not enforced.
// - clock 'icount': guest time advances 1 ns per retired instruction (1 tick per 100 instructions at 10 MHz),
//   sampled at slice boundaries. clock 'wall': performance.now() scaled to timebaseHz.
// - Interrupts are checked between run slices (at most SLICE instructions) and right after a CSR write that can
//   make one deliverable (sie/mie/sip/mip, SIE/MIE in the status, stimecmp, delegation, envcfg, satp), xRET, WFI
//   or trap.
// - Address translation caches leaf entries in the TLBs and, per 2 MiB region, the last-level page table (a
//   page-walk cache). SFENCE.VMA drops the TLB entries of its address (or all) and the whole page-walk cache;
//   satp writes drop both.
import { GuestClock } from './clock.js';
import { GuestMemory, TLB_ACCESS_BYTES, TLB_ENTRIES, TLB_FN_OFFSET, TLB_SET_BYTES, type CodeCacheOwner } from './memory.js';
import { Decoder, X_SCRATCH, type InsnDef } from './decode.js';
import { Op } from './ops.js';
import type { ExecFn } from './ext/enc.js';
import { ALL_ENCODINGS, ALL_SEMANTICS } from './ext/index.js';
import {
  CSR, MSTATUS, MSTATUS_WMASK, SSTATUS_MASK, MSTATUS_HI, IRQ_PRIORITY, S_IRQ_MASK, CAUSE,
  ENVCFG_HI_STCE, ENVCFG_HI_PBMTE, ENVCFG_HI_ADUE, ENVCFG_CBIE, ENVCFG_CBCFE, ENVCFG_CBZE,
} from './csr.js';
import { toU64Number, umul32, r as i64 } from './int64.js';
import { ExecutionProfile, extensionOfRow, type ProfileReport } from './profile.js';
import type { InstructionTracer } from './trace.js';
import { translatePage, dispatcherModule, JIT_PC, RUN_BOUND, infoSize, infoSigned, infoIlen, infoReg, type JitPage, type JitFn } from './jit.js';

type JitEnter = (index: number, xb: number, tlb: number, pageLo: number, pageHi: number, so: number, lim: number, n: number) => number;
let dispatcher: WebAssembly.Module | undefined;

/** Debug: the next instruction is at a debugger breakpoint (setBreakpoints); it has not executed. */
export const Exit = { Budget: 0, Mmio: 1, MachineTrap: 2, Wfi: 3, Stopped: 4, Debug: 5 } as const;
export type Exit = (typeof Exit)[keyof typeof Exit];

export class HartError extends Error {
  override name = 'HartError';
}

export interface HartOptions {
  memory: GuestMemory;
  isa: ReadonlySet<string>;
  hartId: number;
  hypervisor?: boolean;
  timebaseHz?: number;
  clock?: 'wall' | 'icount';
  /** Time shared with the other harts of the machine (default: a clock of this hart's own). */
  guestClock?: GuestClock;
  /** translate hot code pages to WebAssembly (default true); false: interpret everything */
  jit?: boolean;
  /** instructions the interpreter runs in a page before it is translated (default JIT_HOT; tests use 1) */
  jitHot?: number;
}

/** What the translator did (Hart.jitStats). */
export interface JitStats {
  /** translations made (a page translated again counts again) */
  pages: number;
  instructions: number;
  bytes: number;
  compileMs: number;
  /** translations dropped because a store changed their page */
  dropped: number;
  /** translations replaced because the interpreter found more code in their page */
  retranslated: number;
  /** pages whose module V8 refused (a translator bug; the page is interpreted): 0 */
  failed: number;
  /** the first such refusal */
  firstFailure?: string;
}

// A page is translated once the interpreter has executed this many instructions in it. Translating a page (and
// V8 compiling the result) costs as much as interpreting a few hundred thousand instructions; on the Debian boot
// thresholds of 10k..40k translated 550..950 pages and were slower than 100k..1M (240..110 pages).
const JIT_HOT = 200_000;
// A translated page is translated again once the interpreter has decoded this many new instructions in it
// (doubling each time) and has run a quarter of JIT_HOT instructions there since.
const JIT_RETRANSLATE = 16;
const NO_ENTRY: Uint8Array<ArrayBuffer> = new Uint8Array(2048);

/** thrown (never allocated again) to unwind to the run loop when an instruction traps or needs an MMIO exit */
const TRAP = { kind: 'trap' };
const MMIO_EXIT = { kind: 'mmio' };
const DEBUG_EXIT = { kind: 'debug' };

const TLB_SIZE = TLB_ENTRIES;
const TLB_MASK = TLB_SIZE - 1;
const SLICE = 65536;
// Decoded page layout (one Int32Array per 4 KiB host page, indexed by page offset po, which is even): the hot
// words [po] = packed op word, [po + 1] = immediate (decode.ts words 0 and 1) fill the first half, so the run loop
// touches 8 bytes per 2 bytes of code; the cold words [RAW_BASE + po] = raw instruction bits and
// [RAW_BASE + po + 1] = retired count (profile/trace) fill the second half.
const RAW_BASE = 4096;
const PAGE_MASK = ~0xfff;
const PWC_SIZE = 64, PWC_MASK = PWC_SIZE - 1;
const TWO32 = 4294967296;
const MAX_PHYS = 2 ** 53;

// out-of-line flags (this.flags): the run loop leaves its inner loop when any is set after an out-of-line op
const F_REDIRECT = 1; // exec set this.pcLo/pcHi
const F_BREAK = 2; // re-check interrupts / TLB / fetch page
const F_WFI = 4;

const ACC_FETCH = 0, ACC_LOAD = 1, ACC_STORE = 2;

/** CSR writes after which the run loop re-checks interrupts and timers before going on */
const SLICE_ENDING_CSRS = new Set<number>([
  CSR.sie, CSR.mie, CSR.sip, CSR.mip, CSR.mideleg, CSR.medeleg, CSR.stimecmp, CSR.menvcfg, CSR.satp, CSR.mcountinhibit,
]);

// this.instrument bits
const INSTR_COUNT = 1, INSTR_TRACE = 2;

// pending-MMIO load destinations
export const DEST_X = 0, DEST_F32 = 1, DEST_F64 = 2;

export interface MmioRequest {
  addr: number;
  size: 1 | 2 | 4 | 8;
  isWrite: boolean;
  data: Uint8Array;
}

export class Hart implements CodeCacheOwner {
  readonly mem: GuestMemory;
  readonly hartId: number;
  readonly hypervisor: boolean;
  readonly timebaseHz: number;
  readonly clock: 'wall' | 'icount';

  /** x registers: lo/hi int32 pairs, index 2*i; pair 32 is the write sink for rd = x0 */
  x!: Int32Array;
  /** f registers: raw 64-bit lo/hi pairs */
  fr!: Int32Array;
  private readonly stateOff: number;
  private viewGeneration = -1;

  isa: ReadonlySet<string>;
  private decoder!: Decoder;
  private execTable: ExecFn[] = [];
  private decoded: (Int32Array | undefined)[] = [];
  private decodedPages: number[] = [];
  private misalignMask = 0; // 2 when C is absent: jump targets must be 4-aligned

  pcLo = 0;
  pcHi = 0;
  mode: 0 | 1 | 3 = 3;
  instret = 0;
  flags = 0;
  /** instructions retired in the current slice before the running out-of-line instruction (for counter CSRs) */
  private sliceRetired = 0;
  private stopRequested = false;
  /** debugger breakpoints (virtual pcs) and their page offsets: slots at those offsets are never cached decoded,
   *  so decodeSlot sees every execution there and the hot loop pays nothing for breakpoints */
  private breakpointPcs = new Set<bigint>();
  private breakpointOffsets: Set<number> | null = null;
  /** traps entered (they use run() budget, so a trap loop that retires nothing still ends) */
  private trapsTaken = 0;

  // CSR state (64-bit ones as lo/hi)
  mstatus = 0;
  private mepcLo = 0; private mepcHi = 0;
  private sepcLo = 0; private sepcHi = 0;
  private mtvalLo = 0; private mtvalHi = 0;
  private stvalLo = 0; private stvalHi = 0;
  private mcauseLo = 0; private mcauseHi = 0;
  private scauseLo = 0; private scauseHi = 0;
  private mtvecLo = 0; private mtvecHi = 0;
  private stvecLo = 0; private stvecHi = 0;
  private mscratchLo = 0; private mscratchHi = 0;
  private sscratchLo = 0; private sscratchHi = 0;
  satpLo = 0; satpHi = 0;
  medeleg = 0;
  mideleg = 0;
  mie = 0;
  mip = 0;
  menvcfgLo = 0; menvcfgHi = 0;
  senvcfgLo = 0;
  mcounteren = 0; scounteren = 0; mcountinhibit = 0;
  private stimecmpLo = -1; private stimecmpHi = -1; private stimecmp = Infinity;
  /** machine timer compare (the CLINT's mtimecmp for this hart), as ticks */
  mtimecmp = Infinity;
  fflags = 0; frm = 0;
  private readonly pmpcfg = new Int32Array(16 * 2);
  private readonly pmpaddr = new Int32Array(64 * 2);
  private cycleOffset = 0; private instretOffset = 0;
  /** retired() when this hart's work was last folded into the shared clock */
  private clockMark = 0;
  readonly guestClock: GuestClock;

  /** LR reservation: host offset, -1 when none */
  reservation = -1;

  // TLBs: tag = virtual page (lo & ~0xfff, hi) as an int32 pair at [2 * index], value = host offset of the page
  // start. One set of fetch/load/store arrays per translation context (U, S with SUM=0, S with SUM=1, M), so traps,
  // xRET and Linux's SUM toggling around user-memory accesses switch sets instead of flushing. Tags and offsets are
  // views of the guest memory (GuestMemory.tlbBlock), so translated code (jit.ts) looks them up too.
  private readonly tlbBlock: number;
  private tlbSets: { tag: Int32Array[]; off: Int32Array[]; level: Int8Array[]; fetchFn: Int32Array }[] = [];
  /** the selected set's fetch entries' translated-code indices (jit.ts) */
  private tlbFetchFn: Int32Array = new Int32Array(0);
  /** page-table level of the leaf each entry came from (0 = 4 KiB, 1 = 2 MiB, ...), for SFENCE.VMA vaddr */
  private readonly tlbLevels = [0, 1, 2, 3].map(() => [new Int8Array(TLB_SIZE), new Int8Array(TLB_SIZE), new Int8Array(TLB_SIZE)]);
  /** byte offset of the selected set (for translated code) */
  tlbSetBase = 0;
  private tlbLevel: Int8Array[] = [];
  /** page-walk cache (translate): per 2 MiB region (virtual address >> 21, high word) the physical address of its
   *  last-level page table under the current satp; emptied by every SFENCE.VMA and satp write (flushTlb) */
  private readonly pwcTagLo = new Int32Array(PWC_SIZE).fill(-1);
  private readonly pwcTagHi = new Int32Array(PWC_SIZE);
  private readonly pwcTable = new Float64Array(PWC_SIZE);
  /** leaf level of the last translate() (0 for bare translations) */
  private lastLevel = 0;
  /** Since the last full flush: the 2 MiB (level 1) and 1 GiB (level 2) regions that TLB entries came from
   *  (superpageKey), and whether any came from a larger or NAPOT leaf. SFENCE.VMA vaddr outside all of them only
   *  has to look at the one TLB index of vaddr's 4 KiB page instead of scanning every entry. */
  private readonly superpageRegions = new Set<number>();
  private bigLeaves = false;
  private tlbTag: Int32Array[] = [];
  private tlbOff: Int32Array[] = [];

  /** result high word of 64-bit loads */
  ldHi = 0;

  // trap being raised
  private pendCause = 0; private pendTvalLo = 0; private pendTvalHi = 0;
  /** after Exit.MachineTrap */
  trapCause = 0;
  trapTval = 0n;

  // pending MMIO (no handler): what to complete
  readonly mmio: MmioRequest = { addr: 0, size: 1, isWrite: false, data: new Uint8Array(8) };
  private mmioDestKind = DEST_X; private mmioDestReg = 0; private mmioSigned = false; private mmioIlen = 4;
  private mmioPending = false;
  private curIlen = 4;

  // instrumentation (profile.ts, trace.ts): INSTR_COUNT bumps a per-decode-entry counter (word 3 of the slot),
  // INSTR_TRACE also remembers the decoded entry for the one-instruction trace path. 0 = the plain hot path.
  private instrument = 0;
  private profile: ExecutionProfile | null = null;
  /** retired() when the current privilege mode was entered (for per-mode counts) */
  private modeSince = 0;
  private tracer: InstructionTracer | null = null;
  private traceW = 0; private traceRaw = 0;
  // translation to WebAssembly (jit.ts): translated pages by host page, and entries into untranslated pages
  private readonly jitEnabled: boolean;
  /** translations made now count retired instructions per slot (the execution profile is on) */
  private jitCounting = false;
  private readonly jitHot: number;
  private jitPages: (JitPage | undefined)[] = [];
  /** per host page: instructions the interpreter executed there since it was last translated */
  private jitHeat = new Int32Array(0);
  private readonly jitImports: WebAssembly.Imports;
  /** view of the translated code's exit words: [0], [1] = pc lo/hi, [2] = retired */
  private jitState!: Int32Array;
  /** pc and retired count of the translated instruction in a slow path (for traps and MMIO exits) */
  private jitPcLo = 0; private jitPcHi = 0; private jitN = 0;
  /** the instruction in a slow path (st / ex) is already counted in the profile (taken back if it traps) */
  private jitPreCounted = false;
  /** the run slice's retired count when it entered translated code (for counter CSRs read from there) */
  private jitBase = 0;
  /** the translated pages' functions (index 0: none), and the free indices */
  private readonly jitTable = new WebAssembly.Table({ element: 'anyfunc', initial: 64 });
  private readonly jitFreeIndices: number[] = [];
  /** calls the table entry: the run loop's one call into translated code */
  private readonly jitEnter: JitEnter;
  private jitNextIndex = 1;
  readonly jitStats: JitStats = { pages: 0, instructions: 0, bytes: 0, compileMs: 0, dropped: 0, retranslated: 0, failed: 0 };
  /** per host page: how often it was translated again for new code (the next retranslation waits longer) */
  private jitGeneration = new Uint8Array(0);

  /** a traced load waiting for completeMmio() */
  private tracePending: { pc: bigint; mode: number } | null = null;

  constructor(opts: HartOptions) {
    if (!(opts.memory instanceof GuestMemory)) throw new HartError('Hart needs a GuestMemory');
    if (!Number.isInteger(opts.hartId) || opts.hartId < 0) throw new HartError(`hart id ${opts.hartId} is not a non-negative integer`);
    this.mem = opts.memory;
    this.hartId = opts.hartId;
    this.hypervisor = opts.hypervisor ?? false;
    this.timebaseHz = opts.timebaseHz ?? 10_000_000;
    if (!(this.timebaseHz > 0)) throw new HartError(`timebaseHz ${this.timebaseHz} must be positive`);
    this.clock = opts.clock ?? 'wall';
    if (this.clock !== 'wall' && this.clock !== 'icount') throw new HartError(`clock '${String(this.clock)}' is not 'wall' or 'icount'`);
    this.guestClock = opts.guestClock ?? new GuestClock(this.clock, this.timebaseHz);
    if (this.guestClock.kind !== this.clock || this.guestClock.timebaseHz !== this.timebaseHz) {
      throw new HartError(`guestClock (${this.guestClock.kind}, ${this.guestClock.timebaseHz} Hz) differs from clock ${this.clock} / timebaseHz ${this.timebaseHz}`);
    }
    this.stateOff = this.mem.allocStateBlock();
    this.tlbBlock = this.mem.tlbBlock(this.stateOff);
    this.jitEnabled = opts.jit ?? true;
    this.jitHot = opts.jitHot ?? JIT_HOT;
    if (!(this.jitHot >= 0)) throw new HartError(`jitHot ${this.jitHot} is not a non-negative instruction count`);
    dispatcher ??= new WebAssembly.Module(dispatcherModule());
    this.jitEnter = new WebAssembly.Instance(dispatcher, { e: { t: this.jitTable } }).exports['enter'] as JitEnter;
    this.jitImports = {
      e: {
        m: this.mem.memory,
        t: this.jitTable,
        ld: (alo: number, ahi: number, info: number, pcLo: number, pcHi: number, n: number): void => {
          this.jitPcLo = pcLo; this.jitPcHi = pcHi; this.jitN = n;
          this.jitLoad(alo, ahi, info);
        },
        st: (alo: number, ahi: number, info: number, pcLo: number, pcHi: number, n: number): number => {
          this.jitPcLo = pcLo; this.jitPcHi = pcHi; this.jitN = n;
          this.jitPreCounted = this.jitCounting; // translated code counted it before the call
          const r = this.jitStore(alo, ahi, info);
          this.jitPreCounted = false;
          return r;
        },
        ex: (w: number, imm: number, raw: number, pcLo: number, pcHi: number, n: number): number => {
          this.jitPcLo = pcLo; this.jitPcHi = pcHi; this.jitN = n;
          this.jitPreCounted = this.jitCounting;
          const r = this.jitExec(w, imm, raw, pcLo, pcHi, n);
          this.jitPreCounted = false;
          return r;
        },
      },
    };
    this.mem.registerCodeOwner(this);
    this.refreshViews();
    for (const [op, fn] of ALL_SEMANTICS) this.execTable[op] = fn;
    for (let k = 0; k < Op.COUNT; k++) if (!this.execTable[k]) this.execTable[k] = notImplemented;
    this.isa = opts.isa;
    this.setIsa(opts.isa);
    this.flushTlb();
    this.selectTlb();
    if (this.hypervisor) {
      // as KVM's hedeleg/hideleg: the guest OS handles its own exceptions and S-level interrupts
      this.mode = 1;
      this.selectTlb();
      this.medeleg = (1 << CAUSE.FETCH_MISALIGNED) | (1 << CAUSE.ILLEGAL) | (1 << CAUSE.BREAKPOINT) |
        (1 << CAUSE.LOAD_MISALIGNED) | (1 << CAUSE.STORE_MISALIGNED) | (1 << CAUSE.ECALL_U) |
        (1 << CAUSE.FETCH_PAGE) | (1 << CAUSE.LOAD_PAGE) | (1 << CAUSE.STORE_PAGE);
      this.mideleg = S_IRQ_MASK;
      this.mcounteren = -1;
      this.menvcfgLo = ENVCFG_CBIE | ENVCFG_CBCFE | ENVCFG_CBZE;
      this.menvcfgHi = (this.isa.has('sstc') ? ENVCFG_HI_STCE : 0) | (this.isa.has('svpbmt') ? ENVCFG_HI_PBMTE : 0) |
        (this.isa.has('svadu') && !this.isa.has('svade') ? ENVCFG_HI_ADUE : 0);
    }
  }

  // ---------------------------------------------------------------- setup and API

  private refreshViews(): void {
    if (this.viewGeneration === this.mem.generation) return;
    const buf = this.mem.memory.buffer;
    const old = this.x;
    const oldF = this.fr;
    this.x = new Int32Array(buf, this.stateOff, 66);
    this.fr = new Int32Array(buf, this.stateOff + 512, 64);
    this.jitState = new Int32Array(buf, this.stateOff + JIT_PC, 4);
    if (old && old.buffer !== buf && old.byteLength > 0) { this.x.set(old); this.fr.set(oldF); }
    this.tlbSets = [0, 1, 2, 3].map((s) => {
      const base = this.tlbBlock + s * TLB_SET_BYTES;
      const acc = [0, 1, 2].map((a) => base + a * TLB_ACCESS_BYTES);
      return {
        tag: acc.map((b) => new Int32Array(buf, b, 2 * TLB_SIZE)),
        off: acc.map((b) => new Int32Array(buf, b + 8 * TLB_SIZE, TLB_SIZE)),
        level: this.tlbLevels[s]!,
        fetchFn: new Int32Array(buf, acc[ACC_FETCH]! + TLB_FN_OFFSET, TLB_SIZE),
      };
    });
    this.selectTlb(); // the selected set's views are new too
    this.viewGeneration = this.mem.generation;
  }

  setIsa(isa: ReadonlySet<string>): void {
    this.isa = isa;
    this.decoder = new Decoder(ALL_ENCODINGS as InsnDef[], isa);
    this.misalignMask = isa.has('zca') ? 0 : 2;
    this.harvestCounts(); // under the old decoder: the counts name its rows
    for (const p of this.decodedPages) { this.decoded[p]!.fill(0); this.dropJit(p); }
  }

  /**
   * Debugger breakpoints: run() returns Exit.Debug before executing an instruction at one of these virtual pcs
   * (guest memory is not modified). An empty list removes them all.
   */
  setBreakpoints(pcs: readonly bigint[]): void {
    this.breakpointPcs = new Set(pcs.map((pc) => BigInt.asUintN(64, pc)));
    this.breakpointOffsets = pcs.length === 0 ? null : new Set(pcs.map((pc) => Number(pc & 0xffen)));
    this.harvestCounts();
    for (const p of this.decodedPages) { this.decoded[p]!.fill(0); this.dropJit(p); } // cached slots would skip the check
  }

  /**
   * Debugger view of the MMU (like KVM_TRANSLATE): the guest physical address `va` maps to under the current
   * satp, or -1 when it is unmapped. Walks the tables without permission checks, A/D updates, TLB fills or traps.
   */
  debugTranslate(va: bigint): number {
    const v = BigInt.asUintN(64, va);
    const satpMode = this.satpHi >>> 28;
    if (this.mode === 3 || satpMode === 0) return v < 2n ** 53n ? Number(v) : -1;
    const levels = satpMode === 8 ? 3 : satpMode === 9 ? 4 : 5;
    const vaBits = 12 + 9 * levels;
    if (BigInt.asUintN(64, BigInt.asIntN(vaBits, v)) !== v) return -1; // not sign-extended
    const dv = this.mem.dv;
    let table = ((this.satpHi & 0xfff) * TWO32 + (this.satpLo >>> 0)) * 4096;
    for (let level = levels - 1; level >= 0; level--) {
      const vpn = Number((v >> BigInt(12 + 9 * level)) & 0x1ffn);
      const off = this.mem.hostOffset(table + vpn * 8, 8);
      if (off < 0) return -1;
      const pte = dv.getBigUint64(off, true);
      if (!(pte & 1n) || (pte & 6n) === 4n) return -1;
      const ppn = (pte >> 10n) & ((1n << 44n) - 1n);
      if ((pte & 0xan) === 0n) { table = Number(ppn) * 4096; continue; }
      const pageBits = BigInt(12 + 9 * level);
      let base = (ppn << 12n) & ~((1n << pageBits) - 1n);
      if (pte >> 63n) base = (ppn & ~0xfn) << 12n; // Svnapot 64 KiB: the low VPN bits come from va
      const mask = (pte >> 63n) ? 0xffffn : (1n << pageBits) - 1n;
      return Number(base | (v & mask));
    }
    return -1;
  }

  dropCodePage(hostPage: number): void {
    const d = this.decoded[hostPage];
    if (d) {
      if (this.profile !== null) this.harvestPage(d, hostPage);
      d.fill(0);
      this.dropJit(hostPage);
    }
  }

  // ---------------------------------------------------------------- translation to WebAssembly (jit.ts)

  private dropJit(hostPage: number, forNewCode = false): void {
    const jp = this.jitPages[hostPage];
    if (jp === undefined) return;
    jp.entry.fill(0); // a run loop still holding it stops entering it
    if (jp.countBlock >= 0) {
      const d = this.decoded[hostPage];
      if (this.profile !== null && d !== undefined) this.harvestPage(d, hostPage);
      this.mem.freeCountBlock(jp.countBlock);
    }
    this.jitPages[hostPage] = undefined;
    // no fetch TLB entry may lead translated code to its table index any more
    for (const set of this.tlbSets) {
      const fn = set.fetchFn;
      for (let k = 0; k < TLB_SIZE; k++) if (fn[k] === jp.tableIndex) fn[k] = 0;
    }
    this.jitTable.set(jp.tableIndex, null);
    this.jitFreeIndices.push(jp.tableIndex);
    if (forNewCode) {
      this.jitStats.retranslated++;
      if (this.jitGeneration[hostPage]! < 8) this.jitGeneration[hostPage]!++;
      this.jitHeat[hostPage] = this.jitHot - (this.jitHot >> 2);
    } else {
      this.jitStats.dropped++;
      this.jitHeat[hostPage] = 0;
    }
  }

  /** the translated code of a page the run loop enters, translating it once it is hot */
  private jitPageFor(hostPage: number, page: Int32Array): JitPage | undefined {
    const jp = this.jitPages[hostPage];
    if (jp !== undefined) return jp;
    if (this.jitHeat.length <= hostPage) { // sized to the memory's pages (it grows with RAM)
      const pages = Math.max(hostPage + 1, this.mem.memory.buffer.byteLength >>> 12);
      const heat = new Int32Array(pages), gen = new Uint8Array(pages);
      heat.set(this.jitHeat); gen.set(this.jitGeneration);
      this.jitHeat = heat; this.jitGeneration = gen;
    }
    if (this.jitHeat[hostPage]! < this.jitHot) return undefined;
    this.jitHeat[hostPage] = 0;
    const t0 = performance.now();
    const countBlock = this.jitCounting ? this.mem.allocCountBlock() : -1;
    if (this.jitCounting && countBlock < 0) return undefined; // no count block left: interpret (and count) it
    this.discoverCode(page, hostPage << 12);
    const t = translatePage(page, RAW_BASE, this.misalignMask, countBlock);
    if (t === null) { if (countBlock >= 0) this.mem.freeCountBlock(countBlock); return undefined; }
    let fn: JitFn;
    try {
      fn = new WebAssembly.Instance(new WebAssembly.Module(t.bytes), this.jitImports).exports['f'] as JitFn;
    } catch (e) {
      // never expected: keep the guest running interpreted, and say so in the stats
      if (countBlock >= 0) this.mem.freeCountBlock(countBlock);
      this.jitStats.failed++;
      this.jitStats.firstFailure ??= `page at host 0x${(hostPage * 4096).toString(16)}: ${(e as Error).message}`;
      this.jitHeat[hostPage] = -0x40000000; // do not try this page again soon
      return undefined;
    }
    let tableIndex = this.jitFreeIndices.pop();
    if (tableIndex === undefined) {
      tableIndex = this.jitNextIndex++;
      if (tableIndex >= this.jitTable.length) this.jitTable.grow(this.jitTable.length);
    }
    this.jitTable.set(tableIndex, fn);
    const made: JitPage = { tableIndex, entry: t.entry, fresh: 0, countBlock };
    this.jitPages[hostPage] = made;
    const s = this.jitStats;
    s.pages++; s.instructions += t.count; s.bytes += t.bytes.length; s.compileMs += performance.now() - t0;
    return made;
  }

  /**
   * Before translating a page, decode what the interpreter has not reached yet but will likely run: from every
   * decoded instruction, the one after it (unless it is an unconditional jump) and its branch target in the page.
   * Stops at illegal encodings (padding, data) and never reads past the page.
   */
  private discoverCode(page: Int32Array, pageHost: number): void {
    const work: number[] = [];
    const bp = this.breakpointOffsets;
    const dv = this.mem.dv;
    for (let so = 0; so < 4096; so += 2) if (page[so] !== 0) work.push(so);
    let budget = 2048;
    while (work.length > 0 && budget > 0) {
      const so = work.pop()!;
      const w = page[so]!, op = w & 0x3ff;
      if (op === Op.ILLEGAL) continue;
      for (let k = 0; k < 2; k++) {
        let t: number;
        if (k === 0) {
          // after a jump only a call (rd != x0, the scratch pair 32) comes back
          if ((op === Op.JAL || op === Op.JALR) && ((w >>> 10) & 127) === 2 * X_SCRATCH) continue;
          t = so + (w < 0 ? 2 : 4);
        }
        else { if (op !== Op.JAL && (op < Op.BEQ || op > Op.BGEU)) continue; t = so + page[so + 1]!; }
        if (t < 0 || t >= 4096 || (t & 1) || page[t] !== 0 || (bp !== null && bp.has(t))) continue;
        let insn = dv.getUint16(pageHost + t, true);
        if ((insn & 3) === 3) {
          if (t === 0xffe) continue; // crosses into the next page
          insn = (insn | (dv.getUint16(pageHost + t + 2, true) << 16)) | 0;
        }
        this.storeDecoded(page, t, insn);
        work.push(t);
        budget--;
      }
    }
  }

  /** The host page of a pc the fetch TLB maps (no walk, no trap: -1 when it is not there) */
  private fetchHostPageOf(pcLo: number, pcHi: number): number {
    const idx = (pcLo >>> 12) & TLB_MASK, tag = this.tlbTag[ACC_FETCH]!;
    if (tag[2 * idx] !== (pcLo & PAGE_MASK) || tag[2 * idx + 1] !== pcHi) return -1;
    return this.tlbOff[ACC_FETCH]![idx]! >>> 12;
  }

  /** Take back the profile count translated code made for an instruction whose slow path trapped: it is in the
   *  page's count block, or in the decoded page if the translation (and block) went meanwhile. */
  private jitUncount(pcLo: number, pcHi: number): void {
    const hostPage = this.fetchHostPageOf(pcLo, pcHi);
    if (hostPage < 0) return;
    const jp = this.jitPages[hostPage];
    if (jp !== undefined && jp.countBlock >= 0) {
      const counts = new Int32Array(this.mem.memory.buffer, jp.countBlock, 2048);
      if (counts[(pcLo & 0xffe) >>> 1]! > 0) { counts[(pcLo & 0xffe) >>> 1]!--; return; }
    }
    const d = this.decoded[hostPage];
    if (d !== undefined) d[RAW_BASE + (pcLo & 0xffe) + 1]--;
  }

  /** slow-path load of translated code: x[reg] = the value, or a trap / MMIO exit */
  private jitLoad(alo: number, ahi: number, info: number): void {
    this.curIlen = infoIlen(info);
    const r2 = infoReg(info);
    // translated code takes only naturally aligned TLB hits; load() also takes a misaligned one inside the page
    const lo = this.load(alo, ahi, infoSize(info) as 1 | 2 | 4 | 8, DEST_X, r2 >> 1, infoSigned(info));
    this.x[r2] = lo; this.x[r2 + 1] = this.ldHi;
  }

  /**
   * An instruction translated code has no WebAssembly form for: its semantics from ext/*.ts, as the interpreter
   * runs them. Returns 1 (with the next pc for the run loop) when it redirected the pc, ended the slice (CSR write,
   * fence, WFI, ...) or changed a page holding code.
   */
  private jitExec(w: number, imm: number, raw: number, pcLo: number, pcHi: number, n: number): number {
    const ilen = w < 0 ? 2 : 4;
    this.pcLo = pcLo; this.pcHi = pcHi; this.curIlen = ilen; this.sliceRetired = this.jitBase + n;
    const before = this.mem.invalidations;
    this.execTable[w & 0x3ff]!(this, w, imm, raw);
    this.sliceRetired = 0;
    if (this.flags === 0 && this.mem.invalidations === before) return 0;
    if (this.flags & F_REDIRECT) this.flags &= ~F_REDIRECT;
    else {
      const lo = (pcLo + ilen) | 0;
      this.pcLo = lo; this.pcHi = (lo >>> 0) < (pcLo >>> 0) ? (pcHi + 1) | 0 : pcHi;
    }
    this.jitState[0] = this.pcLo; this.jitState[1] = this.pcHi;
    return 1;
  }

  /** slow-path store of translated code; 1 when it changed a page holding code */
  private jitStore(alo: number, ahi: number, info: number): number {
    this.curIlen = infoIlen(info);
    const r2 = infoReg(info);
    const before = this.mem.invalidations;
    this.store(alo, ahi, infoSize(info) as 1 | 2 | 4 | 8, this.x[r2]!, this.x[r2 + 1]!);
    return this.mem.invalidations !== before ? 1 : 0;
  }

  // ---------------------------------------------------------------- profile and trace (profile.ts, trace.ts)

  /** Start (true) or stop (false) counting retired instructions per extension and mode, and illegal traps. */
  setProfiling(on: boolean): void {
    if (on && this.profile === null) {
      for (const p of this.decodedPages) { const d = this.decoded[p]!; for (let k = RAW_BASE + 1; k < d.length; k += 2) d[k] = 0; }
      this.profile = new ExecutionProfile();
      this.modeSince = this.retired();
    } else if (!on && this.profile !== null) {
      this.harvestCounts();
      this.profile = null;
    }
    this.updateInstrument();
  }

  /** Counts since profiling started (null when it is off). Cheap enough to call at exit or on demand. */
  profileReport(): ProfileReport | null {
    if (this.profile === null) return null;
    this.harvestCounts();
    return this.profile.report();
  }

  /** Attach (or detach with null) an instruction tracer: run() then executes one instruction at a time. */
  setTracer(tracer: InstructionTracer | null): void {
    this.tracer = tracer;
    this.updateInstrument();
  }

  private updateInstrument(): void {
    const counting = this.profile !== null;
    this.instrument = (counting ? INSTR_COUNT : 0) | (this.tracer !== null ? INSTR_TRACE | INSTR_COUNT : 0);
    // translations count (into count blocks) or not: when that changes, make them again
    if (counting !== this.jitCounting) {
      for (const p of this.decodedPages) this.dropJit(p);
      this.jitCounting = counting;
    }
  }

  /** move the per-entry counters of every decoded page (and the mode time so far) into the profile */
  private harvestCounts(): void {
    if (this.profile === null) return;
    for (const p of this.decodedPages) this.harvestPage(this.decoded[p]!, p);
    this.noteModeLeave(this.retired());
  }

  private readonly harvestScratch = new Int32Array(3);
  private harvestPage(d: Int32Array, hostPage: number): void {
    const prof = this.profile!;
    const jp = this.jitPages[hostPage];
    if (jp !== undefined && jp.countBlock >= 0) { // translated code counted into its block: add those counts
      const counts = new Int32Array(this.mem.memory.buffer, jp.countBlock, 2048);
      for (let k = 0; k < 2048; k++) if (counts[k] !== 0) { d[RAW_BASE + 2 * k + 1] += counts[k]!; counts[k] = 0; }
    }
    for (let k = RAW_BASE + 1; k < d.length; k += 2) {
      const n = d[k]!;
      if (n === 0) continue;
      d[k] = 0;
      const def = this.decoder.decode(d[k - 1]!, this.harvestScratch, 0);
      prof.addRetired(def ? extensionOfRow(def) : 'illegal', n);
    }
  }

  /** the current mode ends at `boundary` retired instructions: credit it (call before this.mode changes) */
  private noteModeLeave(boundary: number): void {
    if (this.profile === null) return;
    this.profile.addModeRetired(this.mode, boundary - this.modeSince);
    this.modeSince = boundary;
  }

  /** the trace path: one instruction, then a commit record for it if it retired */
  private runTracedStep(): number {
    const tracer = this.tracer!;
    const pc = pairToBig(this.pcLo, this.pcHi), mode = this.mode, before = this.instret;
    this.traceW = 0;
    const r = this.runSlice(1);
    if (r === Exit.Mmio && this.traceW !== 0) this.tracePending = { pc, mode };
    else if (this.instret !== before && this.traceW !== 0) this.emitCommit(tracer, pc, mode);
    if (tracer.done) this.setTracer(null);
    return r;
  }

  private emitCommit(tracer: InstructionTracer, pc: bigint, mode: number): void {
    const w = this.traceW, raw = this.traceRaw;
    if (!tracer.wantsLocation(pc, mode)) return;
    const def = this.decoder.decode(raw, this.harvestScratch, 0);
    const rd = ((w >>> 10) & 127) >>> 1;
    let write: { file: 'x' | 'f'; reg: number; value: bigint } | undefined;
    if (def?.frd) write = { file: 'f', reg: rd, value: pairToBig(this.fr[rd * 2]!, this.fr[rd * 2 + 1]!) };
    else if (def && rd !== X_SCRATCH && rd !== 0) write = { file: 'x', reg: rd, value: pairToBig(this.x[rd * 2]!, this.x[rd * 2 + 1]!) };
    tracer.record({
      hartId: this.hartId, mode, pc, insn: raw, length: w < 0 ? 2 : 4,
      extension: def ? extensionOfRow(def) : 'illegal', ...(write ? { write } : {}),
    });
  }

  getPc(): bigint { return pairToBig(this.pcLo, this.pcHi); }
  setPc(v: bigint): void { this.pcLo = Number(BigInt.asIntN(32, v)); this.pcHi = Number(BigInt.asIntN(32, v >> 32n)); }
  getX(i: number): bigint {
    checkReg(i, 'x');
    this.refreshViews();
    return i === 0 ? 0n : pairToBig(this.x[i * 2]!, this.x[i * 2 + 1]!);
  }
  setX(i: number, v: bigint): void {
    checkReg(i, 'x');
    this.refreshViews();
    if (i === 0) return;
    this.x[i * 2] = Number(BigInt.asIntN(32, v)); this.x[i * 2 + 1] = Number(BigInt.asIntN(32, v >> 32n));
  }
  getF(i: number): bigint { checkReg(i, 'f'); this.refreshViews(); return pairToBig(this.fr[i * 2]!, this.fr[i * 2 + 1]!); }
  setF(i: number, v: bigint): void {
    checkReg(i, 'f'); this.refreshViews();
    this.fr[i * 2] = Number(BigInt.asIntN(32, v)); this.fr[i * 2 + 1] = Number(BigInt.asIntN(32, v >> 32n));
  }
  getMode(): 0 | 1 | 3 { return this.mode; }
  setMode(m: 0 | 1 | 3): void {
    if (m !== 0 && m !== 1 && m !== 3) throw new HartError(`privilege mode ${String(m)} is not 0, 1 or 3`);
    if (this.hypervisor && m === 3) throw new HartError('a hypervisor-mode hart has no M-mode for the guest');
    this.noteModeLeave(this.retired());
    this.mode = m; this.selectTlb();
  }
  getCsr(csr: number): bigint {
    const lo = this.csrRead(csr);
    if (lo === undefined) throw new HartError(`CSR 0x${csr.toString(16)} is not implemented`);
    return pairToBig(lo, this.csrHi);
  }
  setCsr(csr: number, v: bigint): void {
    if (!this.csrWrite(csr, Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n)), true)) {
      throw new HartError(`CSR 0x${csr.toString(16)} is not implemented or read-only`);
    }
  }
  setInterruptPending(bit: number, level: boolean): void {
    if (!Number.isInteger(bit) || bit < 0 || bit > 15) throw new HartError(`interrupt bit ${bit} is not 0..15`);
    if (level) this.mip |= 1 << bit; else this.mip &= ~(1 << bit);
  }
  requestStop(): void { this.stopRequested = true; }

  flushTlb(): void {
    for (const set of this.tlbSets) for (let k = 0; k < 3; k++) set.tag[k]!.fill(-1);
    this.pwcTagLo.fill(-1);
    this.superpageRegions.clear(); this.bigLeaves = false;
    this.flags |= F_BREAK;
  }

  /** M-mode data translations depend on MPRV and MPP: drop them when those change while MPRV is in use */
  private checkMprvChange(oldSt: number, newSt: number): void {
    if (((oldSt | newSt) & MSTATUS.MPRV) && ((oldSt ^ newSt) & (MSTATUS.MPRV | MSTATUS.MPP))) this.flushTlb();
  }

  /** select the TLB set of the current privilege mode (after a mode change) */
  private selectTlb(): void {
    const m = this.mode;
    const k = m === 3 ? 3 : m === 0 ? 0 : (this.mstatus & MSTATUS.SUM) ? 2 : 1;
    const set = this.tlbSets[k]!;
    this.tlbTag = set.tag; this.tlbOff = set.off; this.tlbLevel = set.level; this.tlbFetchFn = set.fetchFn;
    this.tlbSetBase = this.tlbBlock + k * TLB_SET_BYTES;
    this.flags |= F_BREAK;
  }

  // ---------------------------------------------------------------- time

  /** instructions retired so far, including the run slice in progress */
  private retired(): number {
    return this.instret + this.sliceRetired;
  }

  /** current time in ticks (a double) */
  readTime(): number {
    return this.guestClock.ticks(this.retired() - this.clockMark);
  }


  private sstcActive(): boolean {
    return this.isa.has('sstc') && (this.menvcfgHi & ENVCFG_HI_STCE) !== 0;
  }

  /** mip with the timer lines computed from the clock */
  private effectiveMip(): number {
    let ip = this.mip;
    if (this.sstcActive() || this.mtimecmp !== Infinity) {
      const now = this.readTime();
      if (this.sstcActive() && now >= this.stimecmp) ip |= 1 << 5;
      if (now >= this.mtimecmp) ip |= 1 << 7;
    }
    return ip;
  }

  /** next tick at which a timer interrupt line rises, or Infinity */
  private nextTimerDeadline(): number {
    let d = Infinity;
    if (this.sstcActive() && (this.mie & (1 << 5))) d = Math.min(d, this.stimecmp);
    if (this.mie & (1 << 7)) d = Math.min(d, this.mtimecmp);
    return d;
  }

  /** Ticks until a timer could wake this hart (for the VMM after Exit.Wfi): Infinity if none is armed. */
  ticksUntilTimer(): number {
    const d = this.nextTimerDeadline();
    return d === Infinity ? Infinity : Math.max(0, d - this.readTime());
  }

  // ---------------------------------------------------------------- run loop

  run(maxInstructions: number): Exit {
    if (!(maxInstructions >= 0)) throw new HartError(`instruction budget ${maxInstructions} is not a non-negative number`);
    if (this.mmioPending) throw new HartError('run() called with an MMIO access pending: call completeMmio() first');
    this.refreshViews();
    const exit = this.runLoop(maxInstructions);
    this.guestClock.icountNs += this.retired() - this.clockMark;
    this.clockMark = this.retired();
    // Other harts (and DMA) only touch memory between run() calls: dropping the LR reservation here makes an
    // SC fail whenever anything else may have run since its LR (the guest's LR/SC loop simply retries).
    this.reservation = -1;
    return exit;
  }

  private runLoop(maxInstructions: number): Exit {
    const start = this.instret, trapStart = this.trapsTaken;
    for (;;) {
      if (this.stopRequested) { this.stopRequested = false; return Exit.Stopped; }
      const pending = this.effectiveMip() & this.mie;
      if (pending !== 0 && this.takeInterrupt(pending)) continue;
      if (this.flags & F_WFI) {
        this.flags &= ~F_WFI;
        if (pending === 0) {
          if (this.hypervisor) return Exit.Wfi;
          const d = this.nextTimerDeadline();
          if (d === Infinity) return Exit.Wfi;
          const now = this.readTime();
          if (d > now) this.guestClock.offsetTicks += d - now; // fast-forward to the deadline
          continue;
        }
      }
      const left = maxInstructions - (this.instret - start) - (this.trapsTaken - trapStart);
      if (left <= 0) return Exit.Budget;
      const r = this.tracer === null ? this.runSlice(left < SLICE ? left : SLICE) : this.runTracedStep();
      if (r >= 0) return r as Exit;
    }
  }

  /** take the highest-priority enabled pending interrupt, if interrupts are enabled for it */
  private takeInterrupt(pending: number): boolean {
    const m = this.mode, st = this.mstatus;
    const mEnabled = m < 3 || (st & MSTATUS.MIE) !== 0;
    const sEnabled = m < 1 || (m === 1 && (st & MSTATUS.SIE) !== 0);
    for (const bit of IRQ_PRIORITY) {
      if (!(pending & (1 << bit))) continue;
      const deleg = (this.mideleg & (1 << bit)) !== 0;
      if (deleg ? (m <= 1 && sEnabled) : mEnabled) {
        this.flags &= ~F_WFI;
        this.enterTrap(bit, 0, 0, true);
        return true;
      }
    }
    return false;
  }

  /** execute up to `limit` instructions; returns -1 to continue, else an Exit */
  private runSlice(limit: number): number {
    const mem = this.mem;
    const dv = mem.dv;
    const codePage = mem.codePage;
    const x = this.x;
    const exec = this.execTable;
    const lTag = this.tlbTag[ACC_LOAD]!, lOff = this.tlbOff[ACC_LOAD]!;
    const sTag = this.tlbTag[ACC_STORE]!, sOff = this.tlbOff[ACC_STORE]!;
    const misalign = this.misalignMask;
    // Inside a code page the pc is (pageLo | so, pageHi), so = the page offset (the slot index): straight-line
    // code and jumps within the page never re-check the fetch page or carry into the high word. pcLo/pcHi hold the
    // pc only while so < 0 (entering a page).
    let pcLo = this.pcLo, pcHi = this.pcHi;
    let so = -1;
    let n = 0;
    let page: Int32Array = EMPTY_PAGE;
    let pageLo = 0, pageHi = 0, pageHost = 0;
    const instrument = this.instrument;
    let countedSo = -1; // slot of the last counted instruction in this page (-1: none)
    const jitOn = this.jitEnabled && (instrument & INSTR_TRACE) === 0; // translated code counts for the profile too
    const jitState = this.jitState, xb = this.stateOff;
    let jitIndex = 0, jitEntry = NO_ENTRY; // the page's translation (table index; 0 = none)
    let jitSkip = false; // the interpreter executes the next translated-code entry it reaches itself
    let inJit = false;
    let heatPage = -1, heatFrom = 0; // an untranslated page being interpreted, and n when it was entered
    this.flags &= ~F_BREAK;
    try {
      // outer loop: enter the page holding pcLo/pcHi; inner loop: run inside it (page and its tag stay invariant)
      pages: while (n < limit) {
        this.pcLo = pcLo; this.pcHi = pcHi;
        pageHost = this.fetchPageHost(pcLo, pcHi);
        page = this.decodedPage(pageHost >>> 12);
        pageLo = pcLo & PAGE_MASK; pageHi = pcHi;
        so = pcLo & 0xffe;
        countedSo = -1;
        if (jitOn) {
          if (heatPage >= 0) this.jitHeat[heatPage] += n - heatFrom;
          const jp = this.jitPageFor(pageHost >>> 12, page);
          if (jp !== undefined) {
            jitIndex = jp.tableIndex; jitEntry = jp.entry; heatPage = -1;
            this.tlbFetchFn[(pcLo >>> 12) & TLB_MASK] = jp.tableIndex; // translated code may now jump here directly
          } else { jitIndex = 0; jitEntry = NO_ENTRY; heatPage = pageHost >>> 12; heatFrom = n; }
        }
        while (n < limit) {
          const slot = so;
          if (jitIndex !== 0 && jitEntry[slot >>> 1] !== 0 && limit - n > RUN_BOUND) {
            if (jitSkip) jitSkip = false;
            else {
              inJit = true;
              this.jitBase = n;
              jitSkip = this.jitEnter(jitIndex, xb, this.tlbSetBase, pageLo, pageHi, slot, limit - n - RUN_BOUND, 0) !== 0;
              inJit = false;
              n += jitState[2]!;
              pcLo = jitState[0]!; pcHi = jitState[1]!;
              if (this.flags & (F_BREAK | F_WFI)) { // an instruction run through jitExec ended the slice
                this.flags &= ~F_BREAK;
                this.pcLo = pcLo; this.pcHi = pcHi; this.instret += n; this.sliceRetired = 0;
                return -1;
              }
              if ((pcLo & PAGE_MASK) === pageLo && pcHi === pageHi) { so = pcLo & 0xffe; continue; }
              so = -1;
              continue pages;
            }
          }
          let w = page[slot]!;
          if (w === 0) {
            this.pcLo = pageLo | slot; this.pcHi = pageHi;
            w = this.decodeSlot(page, slot, pageHost, this.pcLo, pageHi);
          }
          if (instrument !== 0) {
            page[RAW_BASE + slot + 1]++; countedSo = slot;
            if (instrument & INSTR_TRACE) { this.traceW = w; this.traceRaw = page[RAW_BASE + slot]!; }
          }
          const imm = page[slot + 1]!;
          const ilen = w < 0 ? 2 : 4;
          const rd = (w >>> 10) & 127;
          const rs1 = (w >>> 17) & 127;
          const rs2 = (w >>> 24) & 127;
          let lo = 0, hi = 0;
          switch (w & 0x3ff) {
            case Op.ADDI: {
              const a = x[rs1]!;
              lo = (a + imm) | 0;
              x[rd + 1] = (x[rs1 + 1]! + (imm >> 31) + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
              x[rd] = lo;
              break;
            }
            case Op.ADD: {
              const a = x[rs1]!;
              lo = (a + x[rs2]!) | 0;
              x[rd + 1] = (x[rs1 + 1]! + x[rs2 + 1]! + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
              x[rd] = lo;
              break;
            }
            case Op.SUB: {
              const a = x[rs1]!, b = x[rs2]!;
              x[rd + 1] = (x[rs1 + 1]! - x[rs2 + 1]! - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
              x[rd] = (a - b) | 0;
              break;
            }
            case Op.LUI: x[rd] = imm; x[rd + 1] = imm >> 31; break;
            case Op.AUIPC: {
              const pc = pageLo | slot;
              lo = (pc + imm) | 0;
              x[rd + 1] = (pageHi + (imm >> 31) + ((lo >>> 0) < (pc >>> 0) ? 1 : 0)) | 0;
              x[rd] = lo;
              break;
            }
            case Op.JAL: {
              const pc = pageLo | slot;
              const tlo = (pc + imm) | 0;
              const thi = (pageHi + (imm >> 31) + ((tlo >>> 0) < (pc >>> 0) ? 1 : 0)) | 0;
              if (tlo & misalign) this.raise(CAUSE.FETCH_MISALIGNED, tlo, thi);
              lo = (pc + ilen) | 0;
              x[rd + 1] = (lo >>> 0) < (pc >>> 0) ? (pageHi + 1) | 0 : pageHi;
              x[rd] = lo;
              n++;
              if ((tlo & PAGE_MASK) === pageLo && thi === pageHi) so = tlo & 0xffe;
              else { pcLo = tlo; pcHi = thi; so = -1; continue pages; }
              continue;
            }
            case Op.JALR: {
              const a = x[rs1]!;
              const tlo = ((a + imm) | 0) & ~1;
              const thi = (x[rs1 + 1]! + (imm >> 31) + ((((a + imm) | 0) >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
              if (tlo & misalign) this.raise(CAUSE.FETCH_MISALIGNED, tlo, thi);
              const pc = pageLo | slot;
              lo = (pc + ilen) | 0;
              x[rd + 1] = (lo >>> 0) < (pc >>> 0) ? (pageHi + 1) | 0 : pageHi;
              x[rd] = lo;
              n++;
              if ((tlo & PAGE_MASK) === pageLo && thi === pageHi) so = tlo & 0xffe;
              else { pcLo = tlo; pcHi = thi; so = -1; continue pages; }
              continue;
            }
            case Op.BEQ: case Op.BNE: case Op.BLT: case Op.BGE: case Op.BLTU: case Op.BGEU: {
              const ah = x[rs1 + 1]!, bh = x[rs2 + 1]!, al = x[rs1]!, bl = x[rs2]!;
              let taken: boolean;
              switch (w & 0x3ff) {
                case Op.BEQ: taken = al === bl && ah === bh; break;
                case Op.BNE: taken = al !== bl || ah !== bh; break;
                case Op.BLT: taken = ah < bh || (ah === bh && (al >>> 0) < (bl >>> 0)); break;
                case Op.BGE: taken = ah > bh || (ah === bh && (al >>> 0) >= (bl >>> 0)); break;
                case Op.BLTU: taken = (ah >>> 0) < (bh >>> 0) || (ah === bh && (al >>> 0) < (bl >>> 0)); break;
                default: taken = (ah >>> 0) > (bh >>> 0) || (ah === bh && (al >>> 0) >= (bl >>> 0)); break;
              }
              if (taken) {
                const pc = pageLo | slot;
                const tlo = (pc + imm) | 0;
                const thi = (pageHi + (imm >> 31) + ((tlo >>> 0) < (pc >>> 0) ? 1 : 0)) | 0;
                if (tlo & misalign) this.raise(CAUSE.FETCH_MISALIGNED, tlo, thi);
                n++;
                if ((tlo & PAGE_MASK) === pageLo && thi === pageHi) so = tlo & 0xffe;
                else { pcLo = tlo; pcHi = thi; so = -1; continue pages; }
                continue;
              }
              break;
            }
            // LD / SD / LW / SW: the most frequent memory operations get their own straight-line fast path
            case Op.LD: case Op.LW: {
              const a = x[rs1]!;
              const alo = (a + imm) | 0;
              const ahi = (x[rs1 + 1]! + (imm >> 31) + ((alo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
              const idx = (alo >>> 12) & TLB_MASK;
              const isD = (w & 0x3ff) === Op.LD;
              if (lTag[2 * idx] === (alo & PAGE_MASK) && lTag[2 * idx + 1] === ahi && (alo & 0xfff) <= (isD ? 4088 : 4092)) {
                const off = lOff[idx]! + (alo & 0xfff);
                lo = dv.getInt32(off, true);
                x[rd + 1] = isD ? dv.getInt32(off + 4, true) : lo >> 31;
                x[rd] = lo;
              } else {
                this.curIlen = ilen;
                const off = this.loadSlowOffset(alo, ahi, isD ? 8 : 4, rd >> 1, true, DEST_X);
                if (off < 0) { x[rd] = this.slowLo; x[rd + 1] = this.ldHi; }
                else { lo = dv.getInt32(off, true); x[rd + 1] = isD ? dv.getInt32(off + 4, true) : lo >> 31; x[rd] = lo; }
              }
              break;
            }
            case Op.SD: case Op.SW: {
              const a = x[rs1]!;
              const alo = (a + imm) | 0;
              const ahi = (x[rs1 + 1]! + (imm >> 31) + ((alo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
              const idx = (alo >>> 12) & TLB_MASK;
              const isD = (w & 0x3ff) === Op.SD;
              let off: number;
              if (sTag[2 * idx] === (alo & PAGE_MASK) && sTag[2 * idx + 1] === ahi && (alo & 0xfff) <= (isD ? 4088 : 4092)) {
                off = sOff[idx]! + (alo & 0xfff);
                if (codePage[off >>> 12] !== 0) mem.invalidateHostPage(off >>> 12);
              } else {
                this.curIlen = ilen;
                off = this.storeSlowOffset(alo, ahi, isD ? 8 : 4, x[rs2]!, x[rs2 + 1]!);
                if (off < 0) break;
              }
              dv.setInt32(off, x[rs2]!, true);
              if (isD) dv.setInt32(off + 4, x[rs2 + 1]!, true);
              break;
            }
            case Op.LB: case Op.LH: case Op.LBU: case Op.LHU: case Op.LWU: {
              const a = x[rs1]!;
              const alo = (a + imm) | 0;
              const ahi = (x[rs1 + 1]! + (imm >> 31) + ((alo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
              const op = w & 0x3ff;
              const size = op === Op.LD ? 8 : op === Op.LW || op === Op.LWU ? 4 : op === Op.LH || op === Op.LHU ? 2 : 1;
              const idx = (alo >>> 12) & TLB_MASK;
              const po = alo & 0xfff;
              let off: number;
              if (lTag[2 * idx] === (alo & PAGE_MASK) && lTag[2 * idx + 1] === ahi && po <= 4096 - size) off = lOff[idx]! + po;
              else {
                this.curIlen = ilen;
                off = this.loadSlowOffset(alo, ahi, size, rd >> 1, op === Op.LB || op === Op.LH || op === Op.LW || op === Op.LD, DEST_X);
                if (off < 0) { // value already produced by the slow path (MMIO or page-crossing)
                  lo = this.slowLo; hi = this.ldHi;
                  x[rd] = lo; x[rd + 1] = hi;
                  break;
                }
              }
              switch (op) {
                case Op.LB: lo = dv.getInt8(off); hi = lo >> 31; break;
                case Op.LBU: lo = dv.getUint8(off); hi = 0; break;
                case Op.LH: lo = dv.getInt16(off, true); hi = lo >> 31; break;
                case Op.LHU: lo = dv.getUint16(off, true); hi = 0; break;
                case Op.LW: lo = dv.getInt32(off, true); hi = lo >> 31; break;
                case Op.LWU: lo = dv.getInt32(off, true); hi = 0; break;
                default: lo = dv.getInt32(off, true); hi = dv.getInt32(off + 4, true); break;
              }
              x[rd] = lo; x[rd + 1] = hi;
              break;
            }
            case Op.SB: case Op.SH: {
              const a = x[rs1]!;
              const alo = (a + imm) | 0;
              const ahi = (x[rs1 + 1]! + (imm >> 31) + ((alo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
              const op = w & 0x3ff;
              const size = op === Op.SD ? 8 : op === Op.SW ? 4 : op === Op.SH ? 2 : 1;
              const idx = (alo >>> 12) & TLB_MASK;
              const po = alo & 0xfff;
              let off: number;
              if (sTag[2 * idx] === (alo & PAGE_MASK) && sTag[2 * idx + 1] === ahi && po <= 4096 - size) {
                off = sOff[idx]! + po;
                if (codePage[off >>> 12] !== 0) mem.invalidateHostPage(off >>> 12);
              } else {
                this.curIlen = ilen;
                off = this.storeSlowOffset(alo, ahi, size, x[rs2]!, x[rs2 + 1]!);
                if (off < 0) break;
              }
              switch (op) {
                case Op.SB: dv.setInt8(off, x[rs2]!); break;
                case Op.SH: dv.setInt16(off, x[rs2]!, true); break;
                case Op.SW: dv.setInt32(off, x[rs2]!, true); break;
                default: dv.setInt32(off, x[rs2]!, true); dv.setInt32(off + 4, x[rs2 + 1]!, true); break;
              }
              break;
            }
            case Op.SLTI: {
              const ah = x[rs1 + 1]!, bh = imm >> 31;
              x[rd] = ah < bh || (ah === bh && (x[rs1]! >>> 0) < (imm >>> 0)) ? 1 : 0; x[rd + 1] = 0;
              break;
            }
            case Op.SLTIU: {
              const ah = x[rs1 + 1]! >>> 0, bh = (imm >> 31) >>> 0;
              x[rd] = ah < bh || (ah === bh && (x[rs1]! >>> 0) < (imm >>> 0)) ? 1 : 0; x[rd + 1] = 0;
              break;
            }
            case Op.XORI: x[rd + 1] = x[rs1 + 1]! ^ (imm >> 31); x[rd] = x[rs1]! ^ imm; break;
            case Op.ORI: x[rd + 1] = x[rs1 + 1]! | (imm >> 31); x[rd] = x[rs1]! | imm; break;
            case Op.ANDI: x[rd + 1] = x[rs1 + 1]! & (imm >> 31); x[rd] = x[rs1]! & imm; break;
            case Op.SLLI: case Op.SLL: {
              const s = ((w & 0x3ff) === Op.SLLI ? imm : x[rs2]!) & 63;
              const a = x[rs1]!, b = x[rs1 + 1]!;
              if (s === 0) { lo = a; hi = b; } else if (s < 32) { hi = (b << s) | (a >>> (32 - s)); lo = a << s; } else { hi = a << (s - 32); lo = 0; }
              x[rd] = lo; x[rd + 1] = hi;
              break;
            }
            case Op.SRLI: case Op.SRL: {
              const s = ((w & 0x3ff) === Op.SRLI ? imm : x[rs2]!) & 63;
              const a = x[rs1]!, b = x[rs1 + 1]!;
              if (s === 0) { lo = a; hi = b; } else if (s < 32) { lo = (a >>> s) | (b << (32 - s)); hi = b >>> s; } else { lo = b >>> (s - 32); hi = 0; }
              x[rd] = lo; x[rd + 1] = hi;
              break;
            }
            case Op.SRAI: case Op.SRA: {
              const s = ((w & 0x3ff) === Op.SRAI ? imm : x[rs2]!) & 63;
              const a = x[rs1]!, b = x[rs1 + 1]!;
              if (s === 0) { lo = a; hi = b; } else if (s < 32) { lo = (a >>> s) | (b << (32 - s)); hi = b >> s; } else { lo = b >> (s - 32); hi = b >> 31; }
              x[rd] = lo; x[rd + 1] = hi;
              break;
            }
            case Op.SLT: {
              const ah = x[rs1 + 1]!, bh = x[rs2 + 1]!;
              x[rd] = ah < bh || (ah === bh && (x[rs1]! >>> 0) < (x[rs2]! >>> 0)) ? 1 : 0; x[rd + 1] = 0;
              break;
            }
            case Op.SLTU: {
              const ah = x[rs1 + 1]! >>> 0, bh = x[rs2 + 1]! >>> 0;
              x[rd] = ah < bh || (ah === bh && (x[rs1]! >>> 0) < (x[rs2]! >>> 0)) ? 1 : 0; x[rd + 1] = 0;
              break;
            }
            case Op.XOR: x[rd + 1] = x[rs1 + 1]! ^ x[rs2 + 1]!; x[rd] = x[rs1]! ^ x[rs2]!; break;
            case Op.OR: x[rd + 1] = x[rs1 + 1]! | x[rs2 + 1]!; x[rd] = x[rs1]! | x[rs2]!; break;
            case Op.AND: x[rd + 1] = x[rs1 + 1]! & x[rs2 + 1]!; x[rd] = x[rs1]! & x[rs2]!; break;
            case Op.ADDIW: lo = (x[rs1]! + imm) | 0; x[rd] = lo; x[rd + 1] = lo >> 31; break;
            case Op.ADDW: lo = (x[rs1]! + x[rs2]!) | 0; x[rd] = lo; x[rd + 1] = lo >> 31; break;
            case Op.SUBW: lo = (x[rs1]! - x[rs2]!) | 0; x[rd] = lo; x[rd + 1] = lo >> 31; break;
            case Op.SLLIW: lo = x[rs1]! << imm; x[rd] = lo; x[rd + 1] = lo >> 31; break;
            case Op.SRLIW: lo = x[rs1]! >>> imm | 0; x[rd] = lo; x[rd + 1] = lo >> 31; break;
            case Op.SRAIW: lo = x[rs1]! >> imm; x[rd] = lo; x[rd + 1] = lo >> 31; break;
            case Op.SLLW: lo = x[rs1]! << (x[rs2]! & 31); x[rd] = lo; x[rd + 1] = lo >> 31; break;
            case Op.SRLW: lo = x[rs1]! >>> (x[rs2]! & 31) | 0; x[rd] = lo; x[rd + 1] = lo >> 31; break;
            case Op.SRAW: lo = x[rs1]! >> (x[rs2]! & 31); x[rd] = lo; x[rd + 1] = lo >> 31; break;
            // MUL / MULW are frequent in compiled code (hashing, indexing): inline rather than through the table
            case Op.MUL: {
              const a = x[rs1]!, b = x[rs2]!;
              lo = umul32(a, b);
              x[rd + 1] = (i64.hi + Math.imul(x[rs1 + 1]!, b) + Math.imul(a, x[rs2 + 1]!)) | 0;
              x[rd] = lo;
              break;
            }
            case Op.MULW: lo = Math.imul(x[rs1]!, x[rs2]!); x[rd] = lo; x[rd + 1] = lo >> 31; break;
            case Op.FENCE: case Op.NOP: case Op.C_MOP: break;
            case Op.ILLEGAL: this.raise(CAUSE.ILLEGAL, page[RAW_BASE + slot]!, 0); break;
            case Op.ECALL: {
              // frequent (SBI calls): leave the slice directly instead of unwinding with a throw
              this.pendCause = this.mode === 0 ? CAUSE.ECALL_U : this.mode === 1 ? CAUSE.ECALL_S : CAUSE.ECALL_M;
              this.pendTvalLo = 0; this.pendTvalHi = 0;
              this.pcLo = pageLo | slot; this.pcHi = pageHi; this.instret += n; this.sliceRetired = 0;
              if (countedSo === slot) page[RAW_BASE + slot + 1]--; // it traps, so it does not retire
              return this.deliverException();
            }
            case Op.EBREAK: this.raise(CAUSE.BREAKPOINT, pageLo | slot, pageHi); break;
            default: {
              this.pcLo = pageLo | slot; this.pcHi = pageHi; this.curIlen = ilen; this.sliceRetired = n;
              exec[w & 0x3ff]!(this, w, imm, page[RAW_BASE + slot]!);
              if (this.flags !== 0) {
                n++;
                if (this.flags & F_REDIRECT) { this.flags &= ~F_REDIRECT; pcLo = this.pcLo; pcHi = this.pcHi; so = -1; }
                else {
                  so = slot + ilen;
                  if (so >= 4096) { pcLo = (pageLo + so) | 0; pcHi = (pcLo >>> 0) < (pageLo >>> 0) ? (pageHi + 1) | 0 : pageHi; so = -1; }
                }
                if (this.flags & (F_BREAK | F_WFI)) {
                  this.flags &= ~F_BREAK;
                  if (so >= 0) { pcLo = pageLo | so; pcHi = pageHi; }
                  this.pcLo = pcLo; this.pcHi = pcHi; this.instret += n; this.sliceRetired = 0;
                  return -1;
                }
                if (so < 0) continue pages;
                continue;
              }
            }
          }
          so = slot + ilen;
          n++;
          if (so >= 4096) { // fell off the page end: the pc in full, fetch the next page
            pcLo = (pageLo + so) | 0;
            pcHi = (pcLo >>> 0) < (pageLo >>> 0) ? (pageHi + 1) | 0 : pageHi;
            so = -1;
            continue pages;
          }
        }
      }
    } catch (e) {
      let preCounted = false;
      if (inJit) {
        pcLo = this.jitPcLo; pcHi = this.jitPcHi; so = -1; n += this.jitN;
        preCounted = this.jitPreCounted; this.jitPreCounted = false;
        // a trapping instruction does not retire: take back the count a slow path made for it
        if (preCounted && e === TRAP) this.jitUncount(pcLo, pcHi);
      }
      if (so >= 0) { pcLo = pageLo | so; pcHi = pageHi; }
      this.pcLo = pcLo; this.pcHi = pcHi; this.instret += n; this.sliceRetired = 0;
      // a trapping instruction did not retire: take back its count
      if (e === TRAP && so >= 0 && countedSo === so) page[RAW_BASE + so + 1]--;
      if (e === MMIO_EXIT) {
        // translated code counts an instruction when it completes; this one completes in completeMmio()
        if (inJit && this.jitCounting && !preCounted) {
          const hostPage = this.fetchHostPageOf(pcLo, pcHi), d = hostPage < 0 ? undefined : this.decoded[hostPage];
          if (d !== undefined) d[RAW_BASE + (pcLo & 0xffe) + 1]++;
        }
        this.mmioPending = true;
        return Exit.Mmio;
      }
      if (e === DEBUG_EXIT) return Exit.Debug;
      if (e !== TRAP) throw e;
      return this.deliverException();
    } finally {
      if (heatPage >= 0) this.jitHeat[heatPage] += n - heatFrom;
    }
    if (so >= 0) { pcLo = pageLo | so; pcHi = pageHi; }
    this.pcLo = pcLo; this.pcHi = pcHi; this.instret += n; this.sliceRetired = 0;
    return -1;
  }

  // ---------------------------------------------------------------- decode cache

  private decodedPage(hostPage: number): Int32Array {
    let d = this.decoded[hostPage];
    if (!d) {
      d = new Int32Array(2048 * 4);
      this.decoded[hostPage] = d;
      this.decodedPages.push(hostPage);
    }
    return d;
  }

  private readonly decodeScratch = new Int32Array(3);
  /** decode insn into the page's slot (hot words op and immediate, cold word the raw bits) */
  private storeDecoded(page: Int32Array, slot: number, insn: number): void {
    const dec = this.decodeScratch;
    this.decoder.decode(insn, dec, 0);
    page[slot] = dec[0]!; page[slot + 1] = dec[1]!; page[RAW_BASE + slot] = dec[2]!;
  }

  private decodeSlot(page: Int32Array, slot: number, pageHost: number, pcLo: number, pcHi: number): number {
    const dv = this.mem.dv;
    const po = pcLo & 0xffe;
    const atBreakpointOffset = this.breakpointOffsets !== null && this.breakpointOffsets.has(po);
    if (atBreakpointOffset && this.breakpointPcs.has(pairToBig(pcLo, pcHi))) throw DEBUG_EXIT;
    let insn = dv.getUint16(pageHost + po, true);
    let crossPage = false;
    if ((insn & 3) === 3) {
      let upper: number;
      if (po === 0xffe) {
        const nlo = (pcLo + 2) | 0;
        const nhi = (nlo >>> 0) < (pcLo >>> 0) ? (pcHi + 1) | 0 : pcHi;
        upper = dv.getUint16(this.fetchPageHost(nlo, nhi), true);
        crossPage = true;
      } else upper = dv.getUint16(pageHost + po + 2, true);
      insn = (insn | (upper << 16)) | 0;
    }
    this.storeDecoded(page, slot, insn);
    this.mem.codePage[pageHost >>> 12] = 1;
    const jp = this.jitPages[pageHost >>> 12];
    if (jp !== undefined && !atBreakpointOffset && ++jp.fresh >= JIT_RETRANSLATE << this.jitGeneration[pageHost >>> 12]!) {
      this.dropJit(pageHost >>> 12, true);
    }
    const w = page[slot]!;
    if (crossPage || atBreakpointOffset) page[slot] = 0; // depends on two pages / may be a breakpoint: decode again next time
    return w;
  }

  // ---------------------------------------------------------------- traps

  /** raise a synchronous exception for the current instruction (unwinds to the run loop) */
  raise(cause: number, tvalLo: number, tvalHi: number): never {
    this.pendCause = cause; this.pendTvalLo = tvalLo; this.pendTvalHi = tvalHi;
    throw TRAP;
  }
  illegal(raw: number): never {
    return this.raise(CAUSE.ILLEGAL, raw, 0);
  }

  private deliverException(): number {
    const cause = this.pendCause;
    if (this.profile !== null && cause === CAUSE.ILLEGAL) this.profile.addIllegalTrap(this.pendTvalLo);
    const toS = this.mode <= 1 && (this.medeleg & (1 << cause)) !== 0;
    if (this.hypervisor && !toS) {
      this.trapCause = cause;
      this.trapTval = pairToBig(this.pendTvalLo, this.pendTvalHi);
      return Exit.MachineTrap;
    }
    this.enterTrap(cause, this.pendTvalLo, this.pendTvalHi, false);
    return -1;
  }

  /** enter the trap handler (S if delegated and not from M, else M); pc is the trapping/interrupted pc */
  private enterTrap(cause: number, tvalLo: number, tvalHi: number, interrupt: boolean): void {
    const deleg = interrupt ? this.mideleg : this.medeleg;
    const prev = this.mode;
    this.noteModeLeave(this.retired());
    this.trapsTaken++;
    let st = this.mstatus;
    if (prev <= 1 && (deleg & (1 << cause)) !== 0) {
      this.scauseLo = cause; this.scauseHi = interrupt ? 1 << 31 : 0;
      this.sepcLo = this.pcLo; this.sepcHi = this.pcHi;
      this.stvalLo = tvalLo; this.stvalHi = tvalHi;
      st = (st & ~(MSTATUS.SPP | MSTATUS.SPIE)) | (prev === 1 ? MSTATUS.SPP : 0) | ((st & MSTATUS.SIE) ? MSTATUS.SPIE : 0);
      st &= ~MSTATUS.SIE;
      this.mstatus = st;
      this.mode = 1;
      this.jumpToVector(this.stvecLo, this.stvecHi, cause, interrupt);
    } else {
      this.mcauseLo = cause; this.mcauseHi = interrupt ? 1 << 31 : 0;
      this.mepcLo = this.pcLo; this.mepcHi = this.pcHi;
      this.mtvalLo = tvalLo; this.mtvalHi = tvalHi;
      st = (st & ~(MSTATUS.MPP | MSTATUS.MPIE)) | (prev << MSTATUS.MPP_SHIFT) | ((st & MSTATUS.MIE) ? MSTATUS.MPIE : 0);
      st &= ~MSTATUS.MIE;
      this.checkMprvChange(this.mstatus, st);
      this.mstatus = st;
      this.mode = 3;
      this.jumpToVector(this.mtvecLo, this.mtvecHi, cause, interrupt);
    }
    this.reservation = -1;
    if (prev !== this.mode) this.selectTlb();
  }

  private jumpToVector(lo: number, hi: number, cause: number, interrupt: boolean): void {
    const base = lo & ~3;
    const t = interrupt && (lo & 3) === 1 ? (base + 4 * cause) | 0 : base;
    this.pcLo = t; this.pcHi = (t >>> 0) < (base >>> 0) ? (hi + 1) | 0 : hi;
  }

  /** xRET (called from system.ts) */
  doMret(raw: number): void {
    if (this.mode !== 3) this.illegal(raw);
    let st = this.mstatus;
    const mpp = ((st >>> MSTATUS.MPP_SHIFT) & 3) as 0 | 1 | 3;
    st = (st & ~(MSTATUS.MIE | MSTATUS.MPP)) | ((st & MSTATUS.MPIE) ? MSTATUS.MIE : 0) | MSTATUS.MPIE;
    if (mpp !== 3) st &= ~MSTATUS.MPRV;
    this.checkMprvChange(this.mstatus, st);
    this.mstatus = st;
    this.noteModeLeave(this.retired() + 1); // the MRET itself retires in M-mode
    this.mode = mpp;
    this.pcLo = this.mepcLo & ~(1 | this.misalignMask); this.pcHi = this.mepcHi;
    this.flags |= F_REDIRECT | F_BREAK;
    this.selectTlb();
  }
  doSret(raw: number): void {
    if (this.mode === 0 || (this.mode === 1 && (this.mstatus & MSTATUS.TSR))) this.illegal(raw);
    let st = this.mstatus;
    const spp = (st & MSTATUS.SPP) ? 1 : 0;
    st = (st & ~(MSTATUS.SIE | MSTATUS.SPP)) | ((st & MSTATUS.SPIE) ? MSTATUS.SIE : 0) | MSTATUS.SPIE;
    st &= ~MSTATUS.MPRV;
    this.checkMprvChange(this.mstatus, st);
    this.mstatus = st;
    this.noteModeLeave(this.retired() + 1); // the SRET itself retires in the mode it leaves
    this.mode = spp;
    this.pcLo = this.sepcLo & ~(1 | this.misalignMask); this.pcHi = this.sepcHi;
    this.flags |= F_REDIRECT | F_BREAK;
    this.selectTlb();
  }
  doWfi(raw: number): void {
    if (this.mode === 0 || (this.mode === 1 && (this.mstatus & MSTATUS.TW) && !this.hypervisor)) this.illegal(raw);
    this.flags |= F_WFI;
  }
  /** SFENCE.VMA / SINVAL.VMA: rs1 = x0 flushes everything, else only the entries derived from the leaf that maps vaddr */
  doSfenceVma(raw: number, rs1: number, lo: number, hi: number): void {
    if (this.mode === 0 || (this.mode === 1 && (this.mstatus & MSTATUS.TVM))) this.illegal(raw);
    if (rs1 === 0) { this.flushTlb(); return; }
    this.pwcTagLo.fill(-1); // the page-walk cache holds non-leaf entries: any SFENCE.VMA drops them (page tables freed)
    // no superpage entry can cover vaddr: only its own 4 KiB page's index can hold a matching entry
    const onlyOwnIndex = !this.bigLeaves && !this.superpageRegions.has(superpageKey(lo, hi, 1)) &&
      !this.superpageRegions.has(superpageKey(lo, hi, 2));
    const own = (lo >>> 12) & TLB_MASK;
    for (const set of this.tlbSets) {
      for (let a = 0; a < 3; a++) {
        const tag = set.tag[a]!, lv = set.level[a]!;
        for (let k = onlyOwnIndex ? own : 0, end = onlyOwnIndex ? own + 1 : TLB_SIZE; k < end; k++) {
          const level = lv[k]!;
          const tl = tag[2 * k]!;
          if (tl === -1) continue;
          // levels 0..2 span at most 2^30 bytes, so the high word must match; larger leaves: drop them
          if (level > 2 || (tag[2 * k + 1] === hi && ((tl ^ lo) & ~((1 << (12 + 9 * level)) - 1)) === 0)) tag[2 * k] = -1;
        }
      }
    }
    this.flags |= F_BREAK;
  }
  doFenceI(): void {
    // Decoded code is already coherent: every store path (and GuestMemory.invalidate for DMA) drops decoded
    // pages it writes, so FENCE.I has nothing left to flush; it only ends the run slice.
    this.flags |= F_BREAK;
  }
  // ---------------------------------------------------------------- address translation

  /** effective privilege for loads/stores (MPRV) */
  private dataMode(): number {
    return this.mode === 3 && (this.mstatus & MSTATUS.MPRV) ? (this.mstatus >>> MSTATUS.MPP_SHIFT) & 3 : this.mode;
  }

  /**
   * Translate a virtual address for an access; returns the guest physical address (a double).
   * Raises page faults (and access faults for page-table reads outside RAM).
   */
  translate(lo: number, hi: number, acc: number): number {
    const priv = acc === ACC_FETCH ? this.mode : this.dataMode();
    const satpMode = this.satpHi >>> 28;
    if (priv === 3 || satpMode === 0) {
      this.lastLevel = 0;
      return hi >= 0 ? (hi * TWO32 + (lo >>> 0)) : -1;
    }
    const levels = satpMode === 8 ? 3 : satpMode === 9 ? 4 : 5;
    const vaBits = 12 + 9 * levels;
    const fault = acc === ACC_FETCH ? CAUSE.FETCH_PAGE : acc === ACC_LOAD ? CAUSE.LOAD_PAGE : CAUSE.STORE_PAGE;
    const top = hi >> (vaBits - 1 - 32);
    if (top !== 0 && top !== -1) this.raise(fault, lo, hi);
    const dv = this.mem.dv;
    let table = ((this.satpHi & 0xfff) * TWO32 + (this.satpLo >>> 0)) * 4096;
    let level = levels - 1;
    // the page-walk cache holds the last-level table of recently walked 2 MiB regions: start the walk there
    const pwcKey = lo >>> 21, pwc = pwcKey & PWC_MASK;
    if (this.pwcTagLo[pwc] === pwcKey && this.pwcTagHi[pwc] === hi) { table = this.pwcTable[pwc]!; level = 0; }
    for (; level >= 0; level--) {
      const vpn = vpnAt(lo, hi, 12 + 9 * level);
      const pteAddr = table + vpn * 8;
      const off = this.mem.hostOffset(pteAddr, 8);
      if (off < 0) this.raise(acc === ACC_FETCH ? CAUSE.FETCH_ACCESS : acc === ACC_LOAD ? CAUSE.LOAD_ACCESS : CAUSE.STORE_ACCESS, lo, hi);
      let pl = dv.getInt32(off, true);
      const ph = dv.getInt32(off + 4, true);
      if (!(pl & 1) || ((pl & 6) === 4)) this.raise(fault, lo, hi); // V=0, or W without R
      if (ph & 0x1fc00000) this.raise(fault, lo, hi); // reserved bits 60:54
      const pbmt = (ph >>> 29) & 3;
      if (pbmt !== 0 && (pbmt === 3 || !this.isa.has('svpbmt') || !(this.menvcfgHi & ENVCFG_HI_PBMTE))) this.raise(fault, lo, hi);
      const napot = ph < 0;
      if (napot && !this.isa.has('svnapot')) this.raise(fault, lo, hi);
      const ppn = (ph & 0x3fffff) * 4194304 + (pl >>> 10); // pte bits 53:10
      if ((pl & 0xa) === 0) { // non-leaf: D, A, U, N, PBMT must be zero
        if ((pl & 0xd0) !== 0 || napot || pbmt !== 0 || level === 0) this.raise(fault, lo, hi);
        table = ppn * 4096;
        if (level === 1) { this.pwcTagLo[pwc] = pwcKey; this.pwcTagHi[pwc] = hi; this.pwcTable[pwc] = table; }
        continue;
      }
      // leaf: permissions
      const u = (pl & 0x10) !== 0;
      if (priv === 0 ? !u : u && (acc === ACC_FETCH || !(this.mstatus & MSTATUS.SUM))) this.raise(fault, lo, hi);
      if (acc === ACC_FETCH ? !(pl & 8) : acc === ACC_LOAD ? !((pl & 2) || ((this.mstatus & MSTATUS.MXR) && (pl & 8))) : !(pl & 4)) {
        this.raise(fault, lo, hi);
      }
      // superpage alignment: ppn bits below this level must be zero
      const span = level === 0 ? 1 : 2 ** (9 * level);
      if (ppn % span !== 0) this.raise(fault, lo, hi);
      let pagePpn: number;
      if (napot) {
        if (level !== 0 || (ppn & 0xf) !== 8) this.raise(fault, lo, hi); // only 64 KiB NAPOT is defined
        pagePpn = ppn - 8 + (vpnAt(lo, hi, 12) & 0xf);
      } else {
        let below = 0;
        for (let l = 0; l < level; l++) below += vpnAt(lo, hi, 12 + 9 * l) * 2 ** (9 * l);
        pagePpn = ppn + below;
      }
      // A/D
      const needD = acc === ACC_STORE && !(pl & 0x80);
      if (!(pl & 0x40) || needD) {
        if (!(this.menvcfgHi & ENVCFG_HI_ADUE)) this.raise(fault, lo, hi);
        pl |= 0x40 | (acc === ACC_STORE ? 0x80 : 0);
        dv.setInt32(off, pl, true);
      }
      this.lastLevel = napot ? 4 : level; // NAPOT: >2 makes SFENCE.VMA vaddr drop it conservatively
      return pagePpn * 4096 + (lo & 0xfff);
    }
    return this.raise(fault, lo, hi);
  }

  /** fill the TLB for `acc` at this virtual page and return the host offset of the page, or -1 (not RAM) */
  private fillTlb(lo: number, hi: number, acc: number): number {
    const pa = this.translate(lo, hi, acc);
    const page = pa - (pa % 4096);
    const host = pa < 0 || pa >= MAX_PHYS ? -1 : this.mem.hostOffset(page, 4096);
    if (host < 0) return -1;
    const idx = (lo >>> 12) & TLB_MASK;
    const tag = this.tlbTag[acc]!;
    tag[2 * idx] = lo & PAGE_MASK;
    tag[2 * idx + 1] = hi;
    if (acc === ACC_FETCH) this.tlbFetchFn[idx] = 0; // the page it names now may have no translation
    this.tlbOff[acc]![idx] = host;
    const level = this.lastLevel;
    this.tlbLevel[acc]![idx] = level;
    if (level > 2) this.bigLeaves = true;
    else if (level > 0) this.superpageRegions.add(superpageKey(lo, hi, level));
    return host;
  }

  /** host offset of the page holding pc (fetch translation, access fault outside RAM) */
  private fetchPageHost(lo: number, hi: number): number {
    const idx = (lo >>> 12) & TLB_MASK;
    const tag = this.tlbTag[ACC_FETCH]!;
    if (tag[2 * idx] === (lo & PAGE_MASK) && tag[2 * idx + 1] === hi) return this.tlbOff[ACC_FETCH]![idx]!;
    const host = this.fillTlb(lo, hi, ACC_FETCH);
    if (host < 0) this.raise(CAUSE.FETCH_ACCESS, lo, hi);
    return host;
  }

  // ---------------------------------------------------------------- slow loads / stores

  private slowLo = 0;

  /** physical address of one access, or raise (page fault / access fault) */
  private physFor(lo: number, hi: number, acc: number): number {
    const pa = this.translate(lo, hi, acc);
    if (pa < 0 || pa >= MAX_PHYS) this.raise(acc === ACC_LOAD ? CAUSE.LOAD_ACCESS : CAUSE.STORE_ACCESS, lo, hi);
    return pa;
  }

  /**
   * Load slow path: returns the host offset to read from (TLB refilled), or -1 when the value was produced here
   * (MMIO, page-crossing misaligned access): then it is in slowLo/ldHi, already extended.
   */
  loadSlowOffset(lo: number, hi: number, size: number, destReg: number, signed: boolean, destKind: number): number {
    const po = lo & 0xfff;
    if (po + size <= 4096) {
      const host = this.fillTlb(lo, hi, ACC_LOAD);
      if (host >= 0) return host + po;
      // not RAM: MMIO or access fault
      const pa = this.physFor(lo, hi, ACC_LOAD);
      const mi = this.mem.mmioIndex(pa, size);
      if (mi < 0 || (pa & (size - 1)) !== 0) this.raise(CAUSE.LOAD_ACCESS, lo, hi);
      const handler = this.mem.mmioHandler[mi];
      const moff = pa - this.mem.mmioGpa[mi]!;
      if (handler) {
        const vlo = handler.read(moff, size as 1 | 2 | 4 | 8) | 0;
        const vhi = size === 8 && handler.readHigh ? handler.readHigh(moff) | 0 : 0;
        this.setExtended(vlo, vhi, size, signed);
        return -1;
      }
      this.mmio.addr = pa; this.mmio.size = size as 1 | 2 | 4 | 8; this.mmio.isWrite = false; this.mmio.data.fill(0);
      this.mmioDestKind = destKind; this.mmioDestReg = destReg; this.mmioSigned = signed; this.mmioIlen = this.curIlen;
      throw MMIO_EXIT;
    }
    // misaligned across a page boundary: byte by byte (both pages are translated before any result is used)
    const dv = this.mem.dv;
    let vlo = 0, vhi = 0;
    for (let k = 0; k < size; k++) {
      const blo = (lo + k) | 0;
      const bhi = (blo >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
      const pa = this.physFor(blo, bhi, ACC_LOAD);
      const off = this.mem.hostOffset(pa, 1);
      if (off < 0) this.raise(CAUSE.LOAD_ACCESS, blo, bhi);
      const b = dv.getUint8(off);
      if (k < 4) vlo |= b << (8 * k); else vhi |= b << (8 * (k - 4));
    }
    this.setExtended(vlo, vhi, size, signed);
    return -1;
  }

  /** the loaded value of `size` bytes, sign- or zero-extended to 64 bits, into slowLo/ldHi */
  private setExtended(lo: number, hi: number, size: number, signed: boolean): void {
    if (size < 8) {
      const sh = 32 - 8 * size;
      lo = signed ? (lo << sh) >> sh : size === 4 ? lo : (lo << sh) >>> sh;
      hi = signed ? lo >> 31 : 0;
    }
    this.slowLo = lo | 0; this.ldHi = hi | 0;
  }

  /** Store slow path: returns host offset to write (TLB refilled, code invalidated), or -1 when done here. */
  storeSlowOffset(lo: number, hi: number, size: number, vlo: number, vhi: number): number {
    const po = lo & 0xfff;
    if (po + size <= 4096) {
      const host = this.fillTlb(lo, hi, ACC_STORE);
      if (host >= 0) {
        if (this.mem.codePage[host >>> 12] !== 0) this.mem.invalidateHostPage(host >>> 12);
        return host + po;
      }
      const pa = this.physFor(lo, hi, ACC_STORE);
      const mi = this.mem.mmioIndex(pa, size);
      if (mi < 0 || (pa & (size - 1)) !== 0) this.raise(CAUSE.STORE_ACCESS, lo, hi);
      const handler = this.mem.mmioHandler[mi];
      const moff = pa - this.mem.mmioGpa[mi]!;
      const mask = size === 1 ? 0xff : size === 2 ? 0xffff : -1;
      if (handler) {
        handler.write(moff, size as 1 | 2 | 4 | 8, (vlo & mask) >>> 0, size === 8 ? vhi >>> 0 : 0);
        return -1;
      }
      this.mmio.addr = pa; this.mmio.size = size as 1 | 2 | 4 | 8; this.mmio.isWrite = true;
      const d = new DataView(this.mmio.data.buffer);
      d.setInt32(0, size === 8 ? vlo : vlo & mask, true); d.setInt32(4, size === 8 ? vhi : 0, true);
      this.mmioIlen = this.curIlen;
      throw MMIO_EXIT;
    }
    // page-crossing: translate every byte first so a fault leaves memory untouched
    const dv = this.mem.dv;
    const offs = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let k = 0; k < size; k++) {
      const blo = (lo + k) | 0;
      const bhi = (blo >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
      const pa = this.physFor(blo, bhi, ACC_STORE);
      const off = this.mem.hostOffset(pa, 1);
      if (off < 0) this.raise(CAUSE.STORE_ACCESS, blo, bhi);
      offs[k] = off;
    }
    for (let k = 0; k < size; k++) {
      const off = offs[k]!;
      if (this.mem.codePage[off >>> 12] !== 0) this.mem.invalidateHostPage(off >>> 12);
      dv.setUint8(off, k < 4 ? vlo >>> (8 * k) : vhi >>> (8 * (k - 4)));
    }
    return -1;
  }

  /**
   * Generic load for out-of-line semantics (FP loads) and translated code's slow path: returns lo, hi in ldHi,
   * zero-extended (or sign-extended when `signed`) from `size` bytes.
   */
  load(lo: number, hi: number, size: 1 | 2 | 4 | 8, destKind: number, destReg: number, signed = false): number {
    const idx = (lo >>> 12) & TLB_MASK;
    const po = lo & 0xfff;
    let off: number;
    const tag = this.tlbTag[ACC_LOAD]!;
    if (tag[2 * idx] === (lo & PAGE_MASK) && tag[2 * idx + 1] === hi && po <= 4096 - size) {
      off = this.tlbOff[ACC_LOAD]![idx]! + po;
    } else {
      off = this.loadSlowOffset(lo, hi, size, destReg, signed, destKind);
      if (off < 0) return this.slowLo;
    }
    const dv = this.mem.dv;
    let v: number;
    switch (size) {
      case 1: v = signed ? dv.getInt8(off) : dv.getUint8(off); break;
      case 2: v = signed ? dv.getInt16(off, true) : dv.getUint16(off, true); break;
      default: v = dv.getInt32(off, true); break;
    }
    this.ldHi = size === 8 ? dv.getInt32(off + 4, true) : signed ? v >> 31 : 0;
    return v;
  }
  /** Generic store for out-of-line semantics and translated code's slow path. */
  store(lo: number, hi: number, size: 1 | 2 | 4 | 8, vlo: number, vhi: number): void {
    const idx = (lo >>> 12) & TLB_MASK;
    const po = lo & 0xfff;
    let off: number;
    const tag = this.tlbTag[ACC_STORE]!;
    if (tag[2 * idx] === (lo & PAGE_MASK) && tag[2 * idx + 1] === hi && po <= 4096 - size) {
      off = this.tlbOff[ACC_STORE]![idx]! + po;
      if (this.mem.codePage[off >>> 12] !== 0) this.mem.invalidateHostPage(off >>> 12);
    } else {
      off = this.storeSlowOffset(lo, hi, size, vlo, vhi);
      if (off < 0) return;
    }
    const dv = this.mem.dv;
    switch (size) {
      case 1: dv.setInt8(off, vlo); break;
      case 2: dv.setInt16(off, vlo, true); break;
      case 4: dv.setInt32(off, vlo, true); break;
      default: dv.setInt32(off, vlo, true); dv.setInt32(off + 4, vhi, true); break;
    }
  }

  /**
   * Host offset for an AMO / LR / SC: must be naturally aligned (else address-misaligned), RAM (else access fault).
   * AMOs and SC need write permission (store/AMO faults); LR only read permission.
   */
  amoHostOffset(lo: number, hi: number, size: number, readOnly = false): number {
    if ((lo & (size - 1)) !== 0) this.raise(readOnly ? CAUSE.LOAD_MISALIGNED : CAUSE.STORE_MISALIGNED, lo, hi);
    const acc = readOnly ? ACC_LOAD : ACC_STORE;
    const pa = this.physFor(lo, hi, acc);
    const off = this.mem.hostOffset(pa, size);
    if (off < 0) this.raise(readOnly ? CAUSE.LOAD_ACCESS : CAUSE.STORE_ACCESS, lo, hi);
    if (!readOnly && this.mem.codePage[off >>> 12] !== 0) this.mem.invalidateHostPage(off >>> 12);
    return off;
  }

  /** Host offset of the cache block (64 bytes) for CBO.ZERO (store permission) or clean/flush/inval (a check only). */
  cboHostOffset(lo: number, hi: number, write: boolean): number {
    const blo = lo & ~63;
    const pa = this.physFor(blo, hi, write ? ACC_STORE : ACC_LOAD);
    const off = this.mem.hostOffset(pa, 64);
    if (off < 0) {
      if (this.mem.mmioIndex(pa, 1) >= 0 && !write) return -1;
      this.raise(write ? CAUSE.STORE_ACCESS : CAUSE.LOAD_ACCESS, lo, hi);
    }
    if (write && this.mem.codePage[off >>> 12] !== 0) this.mem.invalidateHostPage(off >>> 12);
    return off;
  }

  /** Complete an Exit.Mmio: for a load, mmio.data holds the value (LE); writes rd and advances pc. */
  completeMmio(): void {
    if (!this.mmioPending) throw new HartError('completeMmio() without a pending MMIO access');
    this.mmioPending = false;
    this.refreshViews();
    if (!this.mmio.isWrite) {
      const d = new DataView(this.mmio.data.buffer);
      let lo = d.getInt32(0, true), hi = d.getInt32(4, true);
      const size = this.mmio.size;
      if (size < 8) {
        const sh = 32 - 8 * size;
        if (size < 4) lo = this.mmioSigned ? (lo << sh) >> sh : (lo << sh) >>> sh | 0;
        hi = this.mmioSigned ? lo >> 31 : 0;
      }
      if (this.mmioDestKind === DEST_X) {
        if (this.mmioDestReg !== 0 && this.mmioDestReg !== X_SCRATCH) { this.x[this.mmioDestReg * 2] = lo; this.x[this.mmioDestReg * 2 + 1] = hi; }
      } else {
        this.fr[this.mmioDestReg * 2] = lo;
        this.fr[this.mmioDestReg * 2 + 1] = this.mmioDestKind === DEST_F32 ? -1 : hi;
        this.markFsDirty();
      }
    }
    const lo = (this.pcLo + this.mmioIlen) | 0;
    if ((lo >>> 0) < (this.pcLo >>> 0)) this.pcHi = (this.pcHi + 1) | 0;
    this.pcLo = lo;
    this.instret++;
    if (this.tracePending !== null) {
      const { pc, mode } = this.tracePending;
      this.tracePending = null;
      if (this.tracer !== null) this.emitCommit(this.tracer, pc, mode);
    }
  }

  // ---------------------------------------------------------------- FP state helpers (used by ext/fd.ts)

  /** FS field; 0 = off (F/D instructions and FP CSRs are illegal) */
  fsOff(): boolean { return (this.mstatus & MSTATUS.FS) === 0; }
  markFsDirty(): void { this.mstatus |= MSTATUS.FS; }

  // ---------------------------------------------------------------- CSRs

  csrHi = 0;

  /** the instruction-level CSR access (csrrw/s/c and immediates); raises illegal-instruction on a rule violation */
  csrAccess(csr: number, raw: number, write: boolean, kind: 0 | 1 | 2, vlo: number, vhi: number): number {
    const priv = (csr >>> 8) & 3;
    if (this.mode < priv) this.illegal(raw);
    if (write && (csr >>> 10) === 3) this.illegal(raw);
    if (!this.csrAllowed(csr)) this.illegal(raw);
    const oldLo = this.csrRead(csr);
    if (oldLo === undefined) return this.illegal(raw);
    const oldHi = this.csrHi;
    if (write) {
      let nlo = vlo, nhi = vhi;
      if (kind === 1) { nlo = oldLo | vlo; nhi = oldHi | vhi; } else if (kind === 2) { nlo = oldLo & ~vlo; nhi = oldHi & ~vhi; }
      const oldStatus = this.mstatus;
      if (!this.csrWrite(csr, nlo, nhi, false)) this.illegal(raw);
      // what can make an interrupt deliverable (or change the timer) ends the run slice, so it is taken at once;
      // translation changes (satp, SUM, MXR, MPRV) end it through flushTlb / selectTlb
      if (SLICE_ENDING_CSRS.has(csr) || ((this.mstatus ^ oldStatus) & (MSTATUS.SIE | MSTATUS.MIE)) !== 0) this.flags |= F_BREAK;
    }
    this.csrHi = oldHi;
    return oldLo;
  }

  /** privilege-dependent gating beyond the address bits (counter enables, TVM, Sstc, FS) */
  private csrAllowed(csr: number): boolean {
    const m = this.mode;
    if (csr >= 0xc00 && csr <= 0xc1f) {
      const bit = 1 << (csr & 31);
      if (m < 3 && !(this.mcounteren & bit)) return false;
      if (m === 0 && !(this.scounteren & bit)) return false;
      return true;
    }
    if (csr === CSR.satp && m === 1 && (this.mstatus & MSTATUS.TVM)) return false;
    if (csr === CSR.stimecmp && m === 1 && (!(this.mcounteren & 2) || !(this.menvcfgHi & ENVCFG_HI_STCE))) return false;
    if (csr <= 3 && this.fsOff()) return false;
    return true;
  }

  private hasF(): boolean { return this.isa.has('f'); }

  /** raw CSR read; undefined when not implemented. High word in csrHi. */
  csrRead(csr: number): number | undefined {
    this.csrHi = 0;
    const isa = this.isa;
    switch (csr) {
      case CSR.fflags: if (!this.hasF()) return undefined; return this.fflags;
      case CSR.frm: if (!this.hasF()) return undefined; return this.frm;
      case CSR.fcsr: if (!this.hasF()) return undefined; return (this.frm << 5) | this.fflags;
      case CSR.cycle: case CSR.mcycle: {
        if (csr === CSR.cycle && !isa.has('zicntr')) return undefined;
        return this.splitNum(this.retired() + this.cycleOffset);
      }
      case CSR.instret: case CSR.minstret: {
        if (csr === CSR.instret && !isa.has('zicntr')) return undefined;
        return this.splitNum(this.retired() + this.instretOffset);
      }
      case CSR.time: if (!isa.has('zicntr')) return undefined; return this.splitNum(this.readTime());
      case CSR.sstatus: {
        const v = this.mstatus & SSTATUS_MASK;
        this.csrHi = 0x2 | ((this.mstatus & MSTATUS.FS) === MSTATUS.FS ? 1 << 31 : 0);
        return v;
      }
      case CSR.mstatus:
        this.csrHi = MSTATUS_HI | ((this.mstatus & MSTATUS.FS) === MSTATUS.FS ? 1 << 31 : 0);
        return this.mstatus;
      case CSR.sie: return this.mie & this.mideleg;
      case CSR.sip: return this.effectiveMip() & this.mideleg;
      case CSR.mie: return this.mie;
      case CSR.mip: return this.effectiveMip();
      case CSR.stvec: this.csrHi = this.stvecHi; return this.stvecLo;
      case CSR.mtvec: this.csrHi = this.mtvecHi; return this.mtvecLo;
      case CSR.scounteren: return this.scounteren;
      case CSR.mcounteren: return this.mcounteren;
      case CSR.mcountinhibit: return this.mcountinhibit;
      case CSR.senvcfg: return this.senvcfgLo;
      case CSR.menvcfg: this.csrHi = this.menvcfgHi; return this.menvcfgLo;
      case CSR.sscratch: this.csrHi = this.sscratchHi; return this.sscratchLo;
      case CSR.mscratch: this.csrHi = this.mscratchHi; return this.mscratchLo;
      case CSR.sepc: this.csrHi = this.sepcHi; return this.sepcLo & ~(1 | this.misalignMask);
      case CSR.mepc: this.csrHi = this.mepcHi; return this.mepcLo & ~(1 | this.misalignMask);
      case CSR.scause: this.csrHi = this.scauseHi; return this.scauseLo;
      case CSR.mcause: this.csrHi = this.mcauseHi; return this.mcauseLo;
      case CSR.stval: this.csrHi = this.stvalHi; return this.stvalLo;
      case CSR.mtval: this.csrHi = this.mtvalHi; return this.mtvalLo;
      case CSR.satp: this.csrHi = this.satpHi; return this.satpLo;
      case CSR.stimecmp: if (!isa.has('sstc')) return undefined; this.csrHi = this.stimecmpHi; return this.stimecmpLo;
      case CSR.medeleg: return this.medeleg;
      case CSR.mideleg: return this.mideleg;
      case CSR.misa: {
        this.csrHi = 2 << 30;
        let v = 0;
        for (const l of 'acdfimsu') {
          if (l === 's' || l === 'u' || isa.has(l)) v |= 1 << (l.charCodeAt(0) - 97);
        }
        return v;
      }
      case CSR.mhartid: return this.hartId;
      case CSR.mvendorid: case CSR.marchid: case CSR.mimpid: case CSR.mconfigptr: return 0;
      case CSR.mtinst: case CSR.mtval2: return 0;
      case CSR.tselect: case CSR.tdata1: case CSR.tdata2: case CSR.tdata3: return 0;
    }
    if (csr >= CSR.hpmcounter3 && csr <= CSR.hpmcounter31) return isa.has('zihpm') ? 0 : undefined;
    if (csr >= CSR.mhpmcounter3 && csr <= CSR.mhpmcounter31) return 0;
    if (csr >= CSR.mhpmevent3 && csr <= CSR.mhpmevent31) return 0;
    if (csr >= CSR.pmpcfg0 && csr <= CSR.pmpcfg15) {
      if (csr & 1) return undefined; // odd pmpcfg do not exist on RV64
      const k = (csr - CSR.pmpcfg0) * 2;
      this.csrHi = this.pmpcfg[k + 1]!; return this.pmpcfg[k]!;
    }
    if (csr >= CSR.pmpaddr0 && csr <= CSR.pmpaddr63) {
      const k = (csr - CSR.pmpaddr0) * 2;
      this.csrHi = this.pmpaddr[k + 1]!; return this.pmpaddr[k]!;
    }
    return undefined;
  }

  private splitNum(v: number): number {
    this.csrHi = Math.floor(v / TWO32) | 0;
    return (v % TWO32) | 0;
  }

  /** raw CSR write with WARL masking; false when the CSR does not exist (or is read-only for `raw` = false) */
  csrWrite(csr: number, lo: number, hi: number, raw: boolean): boolean {
    const isa = this.isa;
    switch (csr) {
      case CSR.fflags: if (!this.hasF()) return false; this.fflags = lo & 31; this.markFsDirty(); return true;
      case CSR.frm: if (!this.hasF()) return false; this.frm = lo & 7; this.markFsDirty(); return true;
      case CSR.fcsr: if (!this.hasF()) return false; this.fflags = lo & 31; this.frm = (lo >>> 5) & 7; this.markFsDirty(); return true;
      case CSR.mcycle: this.cycleOffset = (hi >>> 0) * TWO32 + (lo >>> 0) - this.retired() - (raw ? 0 : 1); return true;
      case CSR.minstret: this.instretOffset = (hi >>> 0) * TWO32 + (lo >>> 0) - this.retired() - (raw ? 0 : 1); return true;
      case CSR.time: if (!raw) return false; this.guestClock.offsetTicks += (hi >>> 0) * TWO32 + (lo >>> 0) - this.readTime(); return true;
      case CSR.cycle: case CSR.instret: return false;
      case CSR.sstatus: this.writeMstatus((this.mstatus & ~SSTATUS_MASK) | (lo & SSTATUS_MASK)); return true;
      case CSR.mstatus: this.writeMstatus(lo); return true;
      case CSR.sie: this.mie = (this.mie & ~this.mideleg) | (lo & this.mideleg); return true;
      case CSR.sip: { const w = this.mideleg & (1 << 1); this.mip = (this.mip & ~w) | (lo & w); return true; }
      case CSR.mie: this.mie = lo & 0x2aaa; return true;
      case CSR.mip: {
        let w = (1 << 1) | (1 << 9) | (this.sstcActive() ? 0 : 1 << 5);
        if (raw) w = 0xffff;
        this.mip = (this.mip & ~w) | (lo & w);
        return true;
      }
      case CSR.stvec: this.stvecLo = lo & ~2; this.stvecHi = hi; return true;
      case CSR.mtvec: this.mtvecLo = lo & ~2; this.mtvecHi = hi; return true;
      case CSR.scounteren: this.scounteren = lo; return true;
      case CSR.mcounteren: this.mcounteren = lo; return true;
      case CSR.mcountinhibit: this.mcountinhibit = lo & ~2; return true;
      case CSR.senvcfg: this.senvcfgLo = lo & (ENVCFG_CBIE | ENVCFG_CBCFE | ENVCFG_CBZE | 1); return true;
      case CSR.menvcfg: {
        this.menvcfgLo = lo & (ENVCFG_CBIE | ENVCFG_CBCFE | ENVCFG_CBZE | 1);
        this.menvcfgHi = hi & ((isa.has('sstc') ? ENVCFG_HI_STCE : 0) | (isa.has('svpbmt') ? ENVCFG_HI_PBMTE : 0) | (isa.has('svadu') ? ENVCFG_HI_ADUE : 0));
        this.flushTlb();
        return true;
      }
      case CSR.sscratch: this.sscratchLo = lo; this.sscratchHi = hi; return true;
      case CSR.mscratch: this.mscratchLo = lo; this.mscratchHi = hi; return true;
      case CSR.sepc: this.sepcLo = lo & ~1; this.sepcHi = hi; return true;
      case CSR.mepc: this.mepcLo = lo & ~1; this.mepcHi = hi; return true;
      case CSR.scause: this.scauseLo = lo; this.scauseHi = hi & (1 << 31); return true;
      case CSR.mcause: this.mcauseLo = lo; this.mcauseHi = hi & (1 << 31); return true;
      case CSR.stval: this.stvalLo = lo; this.stvalHi = hi; return true;
      case CSR.mtval: this.mtvalLo = lo; this.mtvalHi = hi; return true;
      case CSR.satp: {
        const mode = hi >>> 28;
        const supported = mode === 0 || mode === 8 || (mode === 9 && this.satpModeOk(9)) || (mode === 10 && this.satpModeOk(10));
        if (!supported) return true; // WARL: unsupported modes leave satp unchanged
        this.satpLo = lo; this.satpHi = mode === 0 ? 0 : hi & 0xf000ffff; // ASID (16 bits) kept, PPN 44 bits
        if (mode === 0) this.satpLo = 0;
        this.flushTlb();
        return true;
      }
      case CSR.stimecmp: {
        if (!isa.has('sstc')) return false;
        this.stimecmpLo = lo; this.stimecmpHi = hi; this.stimecmp = toU64Number(lo, hi);
        return true;
      }
      case CSR.medeleg: this.medeleg = lo & 0xb3ff & ~(1 << CAUSE.ECALL_M); return true;
      case CSR.mideleg: this.mideleg = lo & S_IRQ_MASK; return true;
      case CSR.misa: return true; // WARL, fixed
      case CSR.mtinst: case CSR.mtval2: return true;
      case CSR.tselect: case CSR.tdata1: case CSR.tdata2: case CSR.tdata3: return true;
      case CSR.mhartid: case CSR.mvendorid: case CSR.marchid: case CSR.mimpid: case CSR.mconfigptr: return raw;
    }
    if (csr >= CSR.mhpmcounter3 && csr <= CSR.mhpmcounter31) return true;
    if (csr >= CSR.mhpmevent3 && csr <= CSR.mhpmevent31) return true;
    if (csr >= CSR.hpmcounter3 && csr <= CSR.hpmcounter31) return false;
    if (csr >= CSR.pmpcfg0 && csr <= CSR.pmpcfg15) {
      if (csr & 1) return false;
      const k = (csr - CSR.pmpcfg0) * 2;
      this.pmpcfg[k] = lo & 0x9f9f9f9f; this.pmpcfg[k + 1] = hi & 0x9f9f9f9f;
      return true;
    }
    if (csr >= CSR.pmpaddr0 && csr <= CSR.pmpaddr63) {
      const k = (csr - CSR.pmpaddr0) * 2;
      this.pmpaddr[k] = lo; this.pmpaddr[k + 1] = hi & 0x3fffff; // 54 bits (PA 56)
      return true;
    }
    return false;
  }

  /** Sv48 / Sv57 are offered when the ISA set names them, or when no sv* name is given at all (then Sv39..Sv57). */
  private satpModeOk(mode: number): boolean {
    const named = this.isa.has('sv39') || this.isa.has('sv48') || this.isa.has('sv57');
    if (!named) return true;
    return mode === 9 ? this.isa.has('sv48') || this.isa.has('sv57') : this.isa.has('sv57');
  }

  private writeMstatus(v: number): void {
    const old = this.mstatus;
    let n = (old & ~MSTATUS_WMASK) | (v & MSTATUS_WMASK);
    if (((n >>> MSTATUS.MPP_SHIFT) & 3) === 2) n &= ~MSTATUS.MPP; // WARL: reserved MPP value -> U
    if (!this.hasF()) n &= ~MSTATUS.FS;
    this.mstatus = n;
    if ((old ^ n) & (MSTATUS.MPRV | MSTATUS.MXR | MSTATUS.MPP)) this.flushTlb();
    else if ((old ^ n) & MSTATUS.SUM) {
      if (this.mode === 1) this.selectTlb(); // S-mode: the SUM=0 and SUM=1 sets are both kept
      else this.flushTlb(); // M-mode with MPRV: its one data set depends on SUM
    }
  }
}

function notImplemented(h: Hart, _w: number, _imm: number, raw: number): void {
  h.illegal(raw);
}

const EMPTY_PAGE = new Int32Array(2048 * 4);

/** key of the level-1 (2 MiB) or level-2 (1 GiB) virtual region holding (lo, hi): region number * 4 + level */
function superpageKey(lo: number, hi: number, level: number): number {
  const region = level === 1 ? (hi >>> 0) * 2048 + (lo >>> 21) : (hi >>> 0) * 4 + (lo >>> 30);
  return region * 4 + level;
}

function vpnAt(lo: number, hi: number, shift: number): number {
  if (shift >= 32) return (hi >>> (shift - 32)) & 0x1ff;
  if (shift + 9 <= 32) return (lo >>> shift) & 0x1ff;
  return ((lo >>> shift) | (hi << (32 - shift))) & 0x1ff;
}

function pairToBig(lo: number, hi: number): bigint {
  return BigInt.asUintN(64, (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0));
}

function checkReg(i: number, kind: string): void {
  if (!Number.isInteger(i) || i < 0 || i > 31) throw new HartError(`${kind} register index ${i} is not 0..31`);
}
