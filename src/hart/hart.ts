// The software RV64 hart: its state (registers in the shared WebAssembly.Memory, CSR fields, TLB views, decode
// cache, translated pages), its API (the hart contract in docs/architecture.md) and the bounded run loop that
// takes interrupts between slices. The privileged architecture lives beside it, as functions over the hart:
// interp.ts (the interpreter loop and decode cache), csrfile.ts (CSR access rules, reads and WARL writes), trap.ts
// (exceptions, interrupts, xRET, WFI, timers), mmu.ts (address translation, TLBs, the slow memory paths).
// Members without `private` that are not in the contract are internal to src/hart: those modules use them.
//
// Documented implementation choices:
// - Misaligned loads/stores are emulated in "hardware" (done byte-correct, no trap) except LR/SC/AMO, which raise
//   address-misaligned (cause 4/6). Misaligned accesses to MMIO raise an access fault. With misaligned: 'trap'
//   (the platform Sail's conformance references model) every misaligned load/store, scalar, FP or vector
//   element, raises address-misaligned instead.
// - PMP CSRs are present (pmpcfg0..14 even, pmpaddr0..63 read/write) but not enforced.
// - clock 'icount': guest time advances 1 ns per retired instruction (1 tick per 100 instructions at 10 MHz),
//   sampled at slice boundaries. clock 'wall': performance.now() scaled to timebaseHz.
// - Interrupts are checked between run slices (at most SLICE instructions) and right after a CSR write that can
//   make one deliverable (sie/mie/sip/mip, SIE/MIE in the status, stimecmp, delegation, envcfg, satp), xRET, WFI
//   or trap.
// - Address translation caches leaf entries in the TLBs and, per 2 MiB region, the last-level page table (a
//   page-walk cache). SFENCE.VMA drops the TLB entries of its address (or all) and the whole page-walk cache;
//   satp writes drop both.
import { HpmState, hpmDistance, hpmSync } from './hpm.js';
import { GuestClock } from './clock.js';
import { GuestMemory, CODE_PAGE_CODE, TLB_ACCESS_BYTES, TLB_FN_OFFSET, TLB_SET_BYTES, TLB_SETS, type CodeCacheOwner } from './memory.js';
import { Decoder, X_SCRATCH, type InsnDef } from './decode.js';
import { Op } from './ops.js';
import type { ExecFn } from './ext/enc.js';
import { ALL_ENCODINGS, ALL_SEMANTICS } from './ext/index.js';
import { MSTATUS, S_IRQ_MASK, CAUSE, ENVCFG_HI_STCE, ENVCFG_HI_PBMTE, ENVCFG_HI_ADUE, ENVCFG_CBIE, ENVCFG_CBCFE, ENVCFG_CBZE } from './csr.js';
import { ExecutionProfile, extensionOfRow, profileLabels, type ProfileReport } from './profile.js';
import type { InstructionTracer } from './trace.js';
import { VectorUnit, VLEN_DEFAULT } from './vector/unit.js';
import { translatePage, translatable, dispatcherModule, optimizingCompiler, ARRIVED, JIT_PC, JIT_CSR, HEAT_ASKED, infoSize, infoSigned, infoIlen, infoReg, type JitPage, type JitFn } from './jit.js';
import {
  Exit, HartError, TRAP, TLB_SIZE, RAW_BASE, PWC_SIZE, F_REDIRECT, F_WFI, ACC_FETCH, INSTR_COUNT, INSTR_TRACE,
  DEST_X, DEST_F32, DEST_F16, pairToBig,
} from './defs.js';
import { runSlice, storeDecoded } from './interp.js';
import { translationCache } from './jit-cache.js';
import { warmInterpreter } from './warmup.js';
import { csrRead, csrWrite } from './csrfile.js';
import { effectiveMip, nextTimerDeadline, takeInterrupt } from './trap.js';
import { debugTranslate, flushTlb, selectTlb, fetchHostPageOf, load, store } from './mmu.js';
import { loadHartState, saveHartState, type StateObject } from './snapshot.js';
import { setPageSlot } from './page-slots.js';

export { Exit, HartError, DEST_X, DEST_F32, DEST_F64 } from './defs.js';

type JitEnter = (index: number, xb: number, tlb: number, pageLo: number, pageHi: number, so: number, lim: number, n: number) => number;
let dispatcher: WebAssembly.Module | undefined;

/** Hart.trapLoop(): a hart that keeps trapping without retiring anything */
export interface TrapLoop {
  pc: bigint; cause: number; interrupt: boolean;
  vector: bigint; vectorCause: number; repeats: number;
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
  /** compile translations off the run loop (WebAssembly.compile) and install them when ready: only for callers
   *  that let the event loop run between run() calls (the VMM's run loop), else nothing is ever installed */
  jitAsync?: boolean;
  /** instructions that retire in a page's translated code before the page is compiled again by the host's
   *  optimizing compiler, if it registered one (default: JIT_OPT_PER_BYTE per byte of its translation); 0: every
   *  translation is the optimizing one from the start, with every page's x registers in locals (tests of that code,
   *  which otherwise only pages with long loops get: jit.ts loopRegisters) */
  jitOptHot?: number;
  /** instructions this hart retires before the process-wide interpreter warm-up runs (warmup.ts; default 0: before
   *  its first run). The warm-up costs a short program most of its process time (it makes V8 optimize the
   *  interpreter loop, and the process waits for that compile at exit); a long run gains from it from the start. */
  warmupAfter?: number;
  /** vector register length in bits with V / Zve*: 128 (default), 256, 512 or 1024 */
  vlen?: number;
  /** misaligned loads and stores: done by the hart ('emulate', default) or address-misaligned exceptions */
  misaligned?: 'emulate' | 'trap';
}

type Translation = NonNullable<ReturnType<typeof translatePage>>;
/** a translation compiling in the background: `optimizing` for a page's optimizing one (Hart.jitOptimize) */
interface PendingTranslation { readonly t: Translation; readonly optimizing: boolean; module: WebAssembly.Module | null }

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
  /** page-table walks (TLB misses under Sv39/48/57; mmu.ts translate) */
  pageWalks: number;
  /** whole-TLB flushes (satp writes, SFENCE.VMA without an address) */
  tlbFlushes: number;
  /** host pages holding a decode array (32 KiB each) after the last run() */
  decodedPages: number;
  /** translations whose module came from the content-keyed cache (jit-cache.ts) instead of being compiled */
  cacheHits: number;
  /** instructions retired in translated code (the rest were interpreted) */
  retiredTranslated: number;
  /** translations compiled again by the host's optimizing compiler (hot pages; included in pages and compileMs) */
  optimized: number;
}

// A page is translated once the interpreter has executed this many instructions in it. Translating a page (and
// V8 compiling the result) costs as much as interpreting a few hundred thousand instructions; on the Debian boot
// thresholds of 10k..40k translated 550..950 pages and were slower than 100k..1M (240..110 pages).
const JIT_HOT = 200_000;
// A translated page is compiled again by the optimizing compiler, when the host has registered one (jit.ts,
// setOptimizingCompiler), once translated code has retired this many instructions per byte of its WebAssembly in it
// (the page counts them: jit.ts `cool`). That compile (in the background with jitAsync, else on the run loop)
// takes time in proportion to the module: TurboFan some 2 us a byte unloaded, Liftoff ~6x less. Measured on the
// Debian userland bench (one boot each, paired on this 2-core host): 4000 optimized 36 pages and took 161.5 s,
// 1000 123 pages and 153.8 s, 300 292 pages and 147.8-149.6 s (cpython-tests 64.5 s against 76.7 s); the boot
// was within its noise with each (medians 4.1-5.3 s against 4.8 s). When the optimizing compile was synchronous and
// every instruction of a page was an entry (so TurboFan gained ~20 % on pages without a long loop), 500 was slower
// than 4000.
const JIT_OPT_PER_BYTE = 300;
// A translated page is translated again once the interpreter arrived this many times at slots that will be entries
// (Hart.jitArrival), doubling with each retranslation.
const JIT_ARRIVALS = 64;
const SLICE = 65536;
/** nested (H) under the hypervisor: the guest is HS-mode; its own guests' ecalls, guest-page faults and virtual
 *  instructions are its to handle */
const H_MEDELEG = (1 << CAUSE.ECALL_VS) | (0xf << CAUSE.FETCH_GUEST_PAGE);

/** One translation context's TLB (views of guest memory, see Hart.tlbSets). */
export interface TlbSet {
  tag: Int32Array[]; off: Uint32Array[]; level: Int8Array[]; fetchFn: Int32Array;
  /** selected (so possibly filled) since it was last emptied: flushes skip the sets that are still empty */
  used: boolean;
}

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
  readonly stateOff: number;
  viewGeneration = -1;

  isa: ReadonlySet<string>;
  decoder!: Decoder;
  execTable: ExecFn[] = [];
  decoded: (Int32Array | undefined)[] = [];
  /** the host pages `decoded` holds an array for (a page whose code a store dropped gives its array up) */
  decodedPages = new Set<number>();
  misalignMask = 0; // 2 when C is absent: jump targets must be 4-aligned
  /** -1 when misaligned loads/stores trap, 0 when they are emulated: ANDed with address & (size - 1) */
  alignTrap = 0;

  pcLo = 0;
  pcHi = 0;
  mode: 0 | 1 | 3 = 3;
  instret = 0;
  flags = 0;
  /** instructions retired in the current slice before the running out-of-line instruction (for counter CSRs) */
  sliceRetired = 0;
  stopRequested = false;
  /** debugger breakpoints (virtual pcs) and their page offsets: slots at those offsets are never cached decoded,
   *  so decodeSlot sees every execution there and the hot loop pays nothing for breakpoints */
  breakpointPcs = new Set<bigint>();
  breakpointOffsets: Set<number> | null = null;
  /** traps entered (they use run() budget, so a trap loop that retires nothing still ends) */
  trapsTaken = 0;
  // Trap-loop detection (trapLoop(), kept by trap.ts enterTrap): exceptions taken in a row with no instruction
  // retired in between, at the same pc with the same cause. After two of them the hart's state is a fixed point, so
  // it can never make progress again.
  trapMark = -1; // retired() at the last trap entry
  trapRepeats = 0;
  lastTrapPcLo = 0; lastTrapPcHi = 0; lastTrapCause = -1;
  /** the first trap after the last retired instruction (where the storm began) */
  stormPcLo = 0; stormPcHi = 0; stormCause = 0; stormInterrupt = false;

  // CSR state (64-bit ones as lo/hi). mstatus, fflags and frm live in the state block (JIT_CSR), where translated
  // FP code reads and updates them (jit-fp.ts)
  private fpCsr!: Int32Array;
  get mstatus(): number { return this.fpCsr[0]!; }
  set mstatus(v: number) { this.fpCsr[0] = v; }
  get fflags(): number { return this.fpCsr[1]!; }
  set fflags(v: number) { this.fpCsr[1] = v; }
  get frm(): number { return this.fpCsr[2]!; }
  set frm(v: number) { this.fpCsr[2] = v; }
  mepcLo = 0; mepcHi = 0;
  sepcLo = 0; sepcHi = 0;
  mtvalLo = 0; mtvalHi = 0;
  stvalLo = 0; stvalHi = 0;
  mcauseLo = 0; mcauseHi = 0;
  scauseLo = 0; scauseHi = 0;
  mtvecLo = 0; mtvecHi = 0;
  stvecLo = 0; stvecHi = 0;
  mscratchLo = 0; mscratchHi = 0;
  sscratchLo = 0; sscratchHi = 0;
  satpLo = 0; satpHi = 0;
  medeleg = 0;
  mideleg = 0;
  mie = 0;
  mip = 0;
  menvcfgLo = 0; menvcfgHi = 0;
  senvcfgLo = 0;
  mcounteren = 0; scounteren = 0; mcountinhibit = 0;
  stimecmpLo = -1; stimecmpHi = -1; stimecmp = Infinity;
  /** machine timer compare (the CLINT's mtimecmp for this hart), as ticks */
  mtimecmp = Infinity;

  // H (hypervisor extension, csrfile.ts / trap.ts / mmu.ts). virt is the V bit: 1 while the hart runs VS or VU
  // (mode then holds the nominal privilege, 1 or 0). The VS CSRs are separate fields; the S CSRs name them while
  // V=1 (csrfile.ts). hvip's bits live in mip (bits 2, 6, 10), so mip is the one pending word.
  /** 'h' is in the ISA set */
  hasH = false;
  /** in the state block beside mstatus (jit-fp.ts): translated FP code takes its fast path only while V=0, since
   *  with V=1 vsstatus.FS gates and gets dirtied too, which the slow path (the interpreter's semantics) does */
  get virt(): 0 | 1 { return this.fpCsr[3] as 0 | 1; }
  set virt(v: 0 | 1) { this.fpCsr[3] = v; }
  mstatusHi = 0; // MPV, GVA
  hstatus = 0;
  hedeleg = 0; hideleg = 0; hcounteren = 0;
  htvalLo = 0; htvalHi = 0; htinstLo = 0; htinstHi = 0;
  mtval2Lo = 0; mtval2Hi = 0; mtinstLo = 0; mtinstHi = 0;
  hgatpLo = 0; hgatpHi = 0;
  henvcfgLo = 0; henvcfgHi = 0;
  htimedeltaLo = 0; htimedeltaHi = 0; htimedelta = 0; // signed ticks (exact below 2^53)
  vsstatus = 0;
  vstvecLo = 0; vstvecHi = 0; vsscratchLo = 0; vsscratchHi = 0; vsepcLo = 0; vsepcHi = 0;
  vscauseLo = 0; vscauseHi = 0; vstvalLo = 0; vstvalHi = 0; vsatpLo = 0; vsatpHi = 0;
  vstimecmpLo = -1; vstimecmpHi = -1; vstimecmp = Infinity;
  /** a hypervisor load/store (HLV, HLVX, HSV) is translating: 1 + its privilege (hstatus.SPVP), HLVX adds 4; 0 = none */
  hlv = 0;
  /** pointer masking of the current effective data-access mode (pointer-masking.ts): PMLEN, sign extension */
  pmLen = 0; pmSext = false;
  /** PMM fields (bits 33:32 = bits 1:0 of these high words) and hstatus.HUPMM (bits 49:48) */
  senvcfgHi = 0; mseccfgHi = 0; hstatusHi = 0;
  /** Smstateen/Ssstateen (csrfile.ts): the CSRs exist; high words of mstateen0..3 and hstateen0..3 */
  stateen = false;
  readonly mstateenHi = new Int32Array(4);
  readonly hstateenHi = new Int32Array(4);
  /** the access being translated (or that faulted) is a two-stage one: its tval is a guest virtual address */
  twoStage = false;
  readonly pmpcfg = new Int32Array(16 * 2);
  readonly pmpaddr = new Int32Array(64 * 2);
  cycleOffset = 0; instretOffset = 0;
  /** retired() when this hart's work was last folded into the shared clock */
  clockMark = 0;
  readonly guestClock: GuestClock;

  /** LR reservation: host offset, -1 when none */
  reservation = -1;

  /** the vector unit (vector/unit.ts) when the ISA has Zve32x (V implies it), else null */
  vec: VectorUnit | null = null;
  readonly vlen: number;

  // TLBs: tag = virtual page (lo & ~0xfff, hi) as an int32 pair at [2 * index], value = host offset of the page
  // start. One set of fetch/load/store arrays per translation context (U, S with SUM=0, S with SUM=1, M), so traps,
  // xRET and Linux's SUM toggling around user-memory accesses switch sets instead of flushing. Tags and offsets are
  // views of the guest memory (GuestMemory.tlbBlock), so translated code (jit.ts) looks them up too.
  readonly tlbBlock: number;
  tlbSets: TlbSet[] = [];
  /** index of the selected set in tlbSets */
  tlbSetIndex = 0;
  /** the selected set's fetch entries' translated-code indices (jit.ts) */
  tlbFetchFn: Int32Array = new Int32Array(0);
  /** page-table level of the leaf each entry came from (0 = 4 KiB, 1 = 2 MiB, ...), for SFENCE.VMA vaddr */
  readonly tlbLevels = Array.from({ length: TLB_SETS }, () => [new Int8Array(TLB_SIZE), new Int8Array(TLB_SIZE), new Int8Array(TLB_SIZE)]);
  /** byte offset of the selected set (for translated code) */
  tlbSetBase = 0;
  tlbLevel: Int8Array[] = [];
  /** page-walk cache (translate): per 2 MiB region (virtual address >> 21, high word) the physical address of its
   *  last-level page table under the current satp; emptied by every SFENCE.VMA and satp write (flushTlb) */
  readonly pwcTagLo = new Int32Array(PWC_SIZE).fill(-1);
  readonly pwcTagHi = new Int32Array(PWC_SIZE);
  readonly pwcTable = new Float64Array(PWC_SIZE);
  /** guest physical address of fillTlb's last translation */
  fillPa = 0;
  /** leaf level of the last translate() (0 for bare translations) */
  lastLevel = 0;
  /** Since the last full flush: the 2 MiB (level 1) and 1 GiB (level 2) regions that TLB entries came from
   *  (superpageKey), and whether any came from a larger or NAPOT leaf. SFENCE.VMA vaddr outside all of them only
   *  has to look at the one TLB index of vaddr's 4 KiB page instead of scanning every entry. */
  readonly superpageRegions = new Set<number>();
  bigLeaves = false;
  tlbTag: Int32Array[] = [];
  /** unsigned: host offsets reach past 2^31 (RAM of up to 3 GiB after the front region) */
  tlbOff: Uint32Array[] = [];

  /** result high word of 64-bit loads */
  ldHi = 0;

  // trap being raised
  pendCause = 0; pendTvalLo = 0; pendTvalHi = 0;
  /** guest physical address of a guest-page fault being raised (for htval / mtval2), and its htinst value */
  pendGpa = 0; pendTinst = 0;
  /** after Exit.MachineTrap */
  trapCause = 0;
  trapTval = 0n;

  // pending MMIO (no handler): what to complete
  readonly mmio: MmioRequest = { addr: 0, size: 1, isWrite: false, data: new Uint8Array(8) };
  mmioDestKind = DEST_X; mmioDestReg = 0; mmioSigned = false; mmioIlen = 4;
  mmioPending = false;
  curIlen = 4;

  // instrumentation (profile.ts, trace.ts): INSTR_COUNT bumps a per-decode-entry counter (word 3 of the slot),
  // INSTR_TRACE also remembers the decoded entry for the one-instruction trace path. 0 = the plain hot path.
  instrument = 0;
  profile: ExecutionProfile | null = null;
  /** what the profile counts each member of the ISA under (profile.ts profileLabels), made when first needed */
  private labels: Map<string, string> | null = null;
  get profileLabel(): Map<string, string> { return this.labels ??= profileLabels(this.isa); }
  /** retired() when the current privilege mode was entered (for per-mode counts) */
  modeSince = 0;
  /** Zihpm / Sscofpmf counters (hpm.ts) */
  readonly hpm = new HpmState();
  /** mcycle / minstret while mcountinhibit.CY / .IR holds them */
  cycleHeld = 0; instretHeld = 0;
  tracer: InstructionTracer | null = null;
  traceW = 0; traceRaw = 0;
  // translation to WebAssembly (jit.ts): translated pages by host page, and entries into untranslated pages
  readonly jitEnabled: boolean;
  /** translations made now count retired instructions per slot (the execution profile is on) */
  jitCounting = false;
  readonly jitHot: number;
  readonly jitOptHot: number | undefined;
  jitPages: (JitPage | undefined)[] = [];
  /** HartOptions.warmupAfter */
  readonly warmupAfter: number;
  /** compile translations asynchronously (HartOptions.jitAsync) */
  readonly jitAsync: boolean;
  /** per host page: a translation V8 is compiling off the thread (module null until it is ready) */
  readonly jitPending = new Map<number, PendingTranslation>();
  /** translations V8 is compiling in the background (jitAsync): their modules arrive through the event loop */
  jitCompiling = 0;
  /** per host page: instructions the interpreter executed there since it was last translated */
  jitHeat = new Int32Array(0);
  readonly jitImports: WebAssembly.Imports;
  /** view of the translated code's exit words: [0], [1] = pc lo/hi, [2] = retired */
  jitState!: Int32Array;
  /** pc and retired count of the translated instruction in a slow path (for traps and MMIO exits) */
  jitPcLo = 0; jitPcHi = 0; jitN = 0;
  /** the instruction in a slow path (st / ex) is already counted in the profile (taken back if it traps) */
  jitPreCounted = false;
  /** the run slice's retired count when it entered translated code (for counter CSRs read from there) */
  jitBase = 0;
  /** the translated pages' functions (index 0: none), and the free indices */
  readonly jitTable = new WebAssembly.Table({ element: 'anyfunc', initial: 64 });
  readonly jitFreeIndices: number[] = [];
  /** calls the table entry: the run loop's one call into translated code */
  readonly jitEnter: JitEnter;
  jitNextIndex = 1;
  readonly jitStats: JitStats = { pages: 0, instructions: 0, bytes: 0, compileMs: 0, dropped: 0, retranslated: 0, failed: 0, pageWalks: 0, tlbFlushes: 0, decodedPages: 0, cacheHits: 0, retiredTranslated: 0, optimized: 0 };
  /** per host page: how often it was translated again for new code (the next retranslation waits longer) */
  jitGeneration = new Uint8Array(0);
  /** per host page: per half-word slot, how often the interpreter arrived there while it was no entry of the
   *  page's translation (jitArrival, jitPageEntry); forgotten with the page's code (dropCodePage) */
  jitArrivals: (Uint8Array<ArrayBuffer> | undefined)[] = [];

  /** a traced load waiting for completeMmio() */
  tracePending: { pc: bigint; mode: number } | null = null;

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
    this.jitAsync = opts.jitAsync ?? false;
    this.jitOptHot = opts.jitOptHot;
    this.warmupAfter = opts.warmupAfter ?? 0;
    if (!(this.warmupAfter >= 0)) throw new HartError(`warmupAfter ${this.warmupAfter} is not a non-negative instruction count`);
    if (this.jitOptHot !== undefined && !(this.jitOptHot >= 0)) throw new HartError(`jitOptHot ${this.jitOptHot} is not a non-negative instruction count`);
    this.vlen = opts.vlen ?? VLEN_DEFAULT;
    if (![128, 256, 512, 1024].includes(this.vlen)) throw new HartError(`VLEN ${this.vlen} is not 128, 256, 512 or 1024`);
    if (!(this.jitHot >= 0)) throw new HartError(`jitHot ${this.jitHot} is not a non-negative instruction count`);
    const misaligned = opts.misaligned ?? 'emulate';
    if (misaligned !== 'emulate' && misaligned !== 'trap') throw new HartError(`misaligned '${String(misaligned)}' is not 'emulate' or 'trap'`);
    this.alignTrap = misaligned === 'trap' ? -1 : 0;
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
    this.fpCsr.fill(0);
    for (const [op, fn] of ALL_SEMANTICS) this.execTable[op] = fn;
    for (let k = 0; k < Op.COUNT; k++) if (!this.execTable[k]) this.execTable[k] = notImplemented;
    this.isa = opts.isa;
    this.setIsa(opts.isa);
    this.flushTlb();
    selectTlb(this);
    if (this.hypervisor) {
      // as KVM's hedeleg/hideleg: the guest OS handles its own exceptions and S-level interrupts
      this.mode = 1;
      selectTlb(this);
      this.medeleg = (1 << CAUSE.FETCH_MISALIGNED) | (1 << CAUSE.ILLEGAL) | (1 << CAUSE.BREAKPOINT) |
        (1 << CAUSE.LOAD_MISALIGNED) | (1 << CAUSE.STORE_MISALIGNED) | (1 << CAUSE.ECALL_U) |
        (1 << CAUSE.FETCH_PAGE) | (1 << CAUSE.LOAD_PAGE) | (1 << CAUSE.STORE_PAGE) |
        // what the platform cannot do (fetch from MMIO, AMO/LR/SC on MMIO, a page table outside RAM) is the
        // guest's own access fault, as PMAs make it on hardware: the guest handles it, the VM lives on
        // (docs/architecture.md, "Guest accesses outside RAM")
        (1 << CAUSE.FETCH_ACCESS) | (1 << CAUSE.LOAD_ACCESS) | (1 << CAUSE.STORE_ACCESS) | (this.hasH ? H_MEDELEG : 0);
      this.mideleg = S_IRQ_MASK;
      this.mcounteren = -1;
      this.menvcfgLo = ENVCFG_CBIE | ENVCFG_CBCFE | ENVCFG_CBZE;
      this.menvcfgHi = (this.isa.has('sstc') ? ENVCFG_HI_STCE : 0) | (this.isa.has('svpbmt') ? ENVCFG_HI_PBMTE : 0) |
        (this.isa.has('svadu') && !this.isa.has('svade') ? ENVCFG_HI_ADUE : 0);
    }
  }

  // ---------------------------------------------------------------- setup and API

  refreshViews(): void {
    if (this.viewGeneration === this.mem.generation) return;
    const buf = this.mem.memory.buffer;
    const old = this.x;
    const oldF = this.fr;
    this.x = new Int32Array(buf, this.stateOff, 66);
    this.fr = new Int32Array(buf, this.stateOff + 512, 64);
    this.jitState = new Int32Array(buf, this.stateOff + JIT_PC, 4);
    this.fpCsr = new Int32Array(buf, this.stateOff + JIT_CSR, 4);
    if (old && old.buffer !== buf && old.byteLength > 0) { this.x.set(old); this.fr.set(oldF); }
    this.tlbSets = Array.from({ length: TLB_SETS }, (_, s) => {
      const base = this.tlbBlock + s * TLB_SET_BYTES;
      const acc = [0, 1, 2].map((a) => base + a * TLB_ACCESS_BYTES);
      return {
        tag: acc.map((b) => new Int32Array(buf, b, 2 * TLB_SIZE)),
        off: acc.map((b) => new Uint32Array(buf, b + 8 * TLB_SIZE, TLB_SIZE)),
        level: this.tlbLevels[s]!,
        fetchFn: new Int32Array(buf, acc[ACC_FETCH]! + TLB_FN_OFFSET, TLB_SIZE),
        used: true, // unknown: the next flush empties it
      };
    });
    selectTlb(this); // the selected set's views are new too
    this.vec?.refresh();
    this.viewGeneration = this.mem.generation;
  }

  setIsa(isa: ReadonlySet<string>): void {
    this.isa = isa;
    this.decoder = new Decoder(ALL_ENCODINGS as InsnDef[], isa);
    this.misalignMask = isa.has('zca') ? 0 : 2;
    this.hasH = isa.has('h');
    this.stateen = isa.has('smstateen') || isa.has('ssstateen');
    // as KVM's hstateen0 for a guest (SE0, ENVCFG): senvcfg and sstateen0 reachable from the guest kernel
    if (this.hypervisor) this.mstateenHi[0] = this.stateen ? (1 << 31) | (1 << 30) : 0;
    // under the hypervisor, the H causes go to the guest (now HS-mode) exactly when it has H
    if (this.hypervisor) this.medeleg = this.hasH ? this.medeleg | H_MEDELEG : this.medeleg & ~H_MEDELEG;
    if (isa.has('zve32x') && this.vec === null) this.vec = new VectorUnit(this, this.mem.vregBlock(this.stateOff), this.vlen);
    else if (!isa.has('zve32x')) { this.vec = null; this.mstatus &= ~MSTATUS.VS; }
    this.vec?.setIsa(isa);
    this.harvestCounts(); // under the old decoder: the counts name its rows
    this.labels = null;
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
  debugTranslate(va: bigint): number { return debugTranslate(this, va); }

  dropCodePage(hostPage: number): void {
    const d = this.decoded[hostPage];
    if (d) {
      if (this.profile !== null) this.harvestPage(d, hostPage);
      d.fill(0); // a run slice inside this page still holds the array: it decodes afresh into it
      this.dropJit(hostPage);
      this.jitArrivals[hostPage] = undefined; // they were arrivals in the code that went
      this.emptiedPages.push(hostPage);
    }
  }

  /** pages whose decoded code a store dropped since the last releaseEmptiedPages */
  readonly emptiedPages: number[] = [];
  /**
   * Most pages whose code is overwritten hold data from then on (freed init code, reused page cache): give their
   * 32 KiB decode arrays up. Only between run slices (no slice holds a page's array then), and only for pages in
   * which nothing was decoded again since (the code-page bit is still clear).
   */
  releaseEmptiedPages(): void {
    const cp = this.mem.codePage;
    for (const p of this.emptiedPages) {
      if ((cp[p]! & CODE_PAGE_CODE) !== 0 || this.decoded[p] === undefined) continue;
      this.decoded[p] = undefined;
      this.decodedPages.delete(p);
    }
    this.emptiedPages.length = 0;
  }

  // ---------------------------------------------------------------- translation to WebAssembly (jit.ts)

  dropJit(hostPage: number, forNewCode = false): void {
    // a compile in flight was of the code being dropped: forget it (the page is translated again once hot)
    if (this.jitPending.size !== 0 && this.jitPending.delete(hostPage)) this.jitHeat[hostPage] = 0;
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
      if (!set.used) continue; // emptied since last selected: its fetch entries are refilled (fetchFn 0) before use
      const fn = set.fetchFn;
      for (let k = 0; k < TLB_SIZE; k++) if (fn[k] === jp.tableIndex) fn[k] = 0;
    }
    this.jitTable.set(jp.tableIndex, null);
    this.jitFreeIndices.push(jp.tableIndex);
    if (forNewCode) this.jitHeat[hostPage] = this.jitHot - (this.jitHot >> 2); // counted by retranslateJit
    else {
      this.jitStats.dropped++;
      this.jitHeat[hostPage] = 0;
    }
  }

  /** the translated code of a page the run loop enters, translating it once it is hot */
  jitPageFor(hostPage: number, page: Int32Array): JitPage | undefined {
    const jp = this.jitPages[hostPage];
    if (jp !== undefined) return jp;
    if (this.jitPending.size !== 0) {
      const p = this.jitPending.get(hostPage);
      if (p !== undefined) {
        if (p.module === null) return undefined; // still compiling: interpret meanwhile
        this.jitPending.delete(hostPage);
        return this.installTranslation(hostPage, p.module, p.t, -1, performance.now(), false);
      }
    }
    if (this.jitHeat.length <= hostPage) { // sized to the memory's pages (it grows with RAM)
      const pages = Math.max(hostPage + 1, this.mem.memory.buffer.byteLength >>> 12);
      const heat = new Int32Array(pages), gen = new Uint8Array(pages);
      heat.set(this.jitHeat); gen.set(this.jitGeneration);
      this.jitHeat = heat; this.jitGeneration = gen;
    }
    if (this.jitHeat[hostPage]! < this.jitHot) return undefined;
    this.jitHeat[hostPage] = 0;
    const countBlock = this.jitCounting ? this.mem.allocCountBlock() : -1;
    if (this.jitCounting && countBlock < 0) return undefined; // no count block left: interpret (and count) it
    return this.translateJit(hostPage, page, countBlock, undefined);
  }

  /**
   * The interpreter arrived at `slot` of a translated page that is no entry there (from another page, translated
   * code that left, a trap's return; interp.ts): it interprets up to the next entry. A translatable slot arrived
   * at twice (ARRIVED) is an entry of the page's next translation, which is made once JIT_ARRIVALS such arrivals
   * were seen (doubling with each retranslation, like new code: JIT_RETRANSLATE).
   */
  jitArrival(hostPage: number, slot: number): void {
    const d = this.decoded[hostPage], jp = this.jitPages[hostPage];
    // (a run loop holding a replaced translation's emptied entries arrives anywhere: the current one may have one)
    if (d === undefined || jp === undefined || jp.entry[slot >>> 1] !== 0 || d[slot] === 0) return;
    if (!translatable(d[slot]!, d[slot + 1]!, slot, this.misalignMask)) return;
    if (!this.jitPageEntry(hostPage, slot)) return;
    if (++jp.missed >= JIT_ARRIVALS << this.jitGeneration[hostPage]!) { jp.missed = 0; this.retranslateJit(hostPage); }
  }

  /** One more arrival at `slot` of a page (jitArrival; interp.ts when it enters a page with no translation yet
   *  from another, so that its first translation has an entry there): whether it is now at an entry-to-be (ARRIVED). */
  jitPageEntry(hostPage: number, slot: number): boolean {
    let a = this.jitArrivals[hostPage];
    if (a === undefined) { a = new Uint8Array(2048); setPageSlot(this.jitArrivals, hostPage, a); }
    const k = slot >>> 1;
    if (a[k]! < ARRIVED) a[k]!++;
    return a[k]! >= ARRIVED;
  }

  /**
   * The interpreter decoded enough new code in a translated page (interp.ts decodeSlot): translate it again. The
   * old translation keeps running until the new one takes its table slot. A profiled translation (it counts into
   * its count block) is dropped instead, and made again once the page is hot.
   */
  retranslateJit(hostPage: number): void {
    const jp = this.jitPages[hostPage], d = this.decoded[hostPage];
    if (jp === undefined || this.jitPending.has(hostPage)) return; // its new translation is being compiled
    this.jitStats.retranslated++;
    if (this.jitGeneration[hostPage]! < 8) this.jitGeneration[hostPage]!++;
    if (jp.countBlock >= 0 || d === undefined) { this.dropJit(hostPage, true); return; }
    jp.fresh = 0;
    this.translateJit(hostPage, d, -1, jp);
  }

  /**
   * Translate a page and compile it, or start its background compile (jitAsync). `replacing` is the page's current
   * translation, which runs until the new one takes its table slot; it is what this returns while there is no new one.
   */
  private translateJit(hostPage: number, page: Int32Array, countBlock: number, replacing: JitPage | undefined): JitPage | undefined {
    const t0 = performance.now();
    this.discoverCode(page, hostPage * 4096); // not << 12: host offsets reach past 2^31
    const compileNow = this.jitOptHot === 0 && countBlock < 0 ? optimizingCompiler : null;
    const t = translatePage(page, RAW_BASE, this.misalignMask, countBlock, compileNow !== null, compileNow !== null, this.jitArrivals[hostPage] ?? null);
    if (t === null) { if (countBlock >= 0) this.mem.freeCountBlock(countBlock); return replacing; }
    const optimized = compileNow !== null;
    // profiled translations name their count block in the code: never the same bytes twice, not cached
    const cached = countBlock < 0 ? translationCache.lookup(t.bytes) : undefined;
    if (cached !== undefined) return this.installTranslation(hostPage, cached, t, countBlock, t0, true, optimized, replacing);
    if (this.jitAsync && countBlock < 0 && !optimized) {
      // V8 compiles off this thread while the page is interpreted (or runs its old translation). A first
      // translation is installed at the first entry into the page after that (jitPageFor); a replacement at once
      // (the event loop runs between run slices).
      this.compileInBackground(hostPage, t, false, t0, WebAssembly.compile(t.bytes), (pending, module) => {
        if (replacing === undefined) { pending.module = module; return; }
        this.jitPending.delete(hostPage);
        this.installTranslation(hostPage, module, t, -1, performance.now(), false, false, replacing);
      }, (e) => this.noteJitFailure(hostPage, e));
      return replacing;
    }
    let module: WebAssembly.Module;
    try {
      module = compileNow !== null ? compileNow.compile(t.bytes) : new WebAssembly.Module(t.bytes);
    } catch (e) {
      if (countBlock >= 0) this.mem.freeCountBlock(countBlock);
      this.noteJitFailure(hostPage, e);
      return replacing;
    }
    if (countBlock < 0) translationCache.insert(t.bytes, module);
    return this.installTranslation(hostPage, module, t, countBlock, t0, false, optimized, replacing);
  }

  /**
   * A page's translation compiling in the background (jitAsync), pending for the page until it arrives: then
   * `arrived` takes it, unless the page's code was dropped meanwhile or another translation took its place
   * (dropJit, jitOptimize forget the pending compile). Compiled modules are cached either way.
   */
  private compileInBackground(hostPage: number, t: Translation, optimizing: boolean, t0: number, compiling: Promise<WebAssembly.Module>, arrived: (pending: PendingTranslation, module: WebAssembly.Module) => void, failed: (e: unknown) => void): void {
    const pending: PendingTranslation = { t, optimizing, module: null };
    this.jitPending.set(hostPage, pending);
    this.jitStats.compileMs += performance.now() - t0; // the translation; V8's compile is not on this thread
    this.jitCompiling++;
    compiling.then((module) => {
      this.jitCompiling--;
      translationCache.insert(t.bytes, module);
      if (this.jitPending.get(hostPage) === pending) arrived(pending, module);
    }, (e: unknown) => {
      this.jitCompiling--;
      if (this.jitPending.get(hostPage) === pending) this.jitPending.delete(hostPage);
      failed(e);
    });
  }

  /** V8 refused a translation (never expected): the page stays interpreted, and the stats say so */
  private noteJitFailure(hostPage: number, e: unknown): void {
    this.jitStats.failed++;
    this.jitStats.firstFailure ??= `page at host 0x${(hostPage * 4096).toString(16)}: ${(e as Error).message}`;
    this.jitHeat[hostPage] = -0x40000000; // do not try this page again soon
  }

  /** instantiate a page's compiled translation and enter it in the function table (in the slot of `replacing`, the
   *  page's current translation, if given; that one stays if this fails) */
  private installTranslation(hostPage: number, module: WebAssembly.Module, t: Translation, countBlock: number, t0: number, fromCache: boolean, optimized = false, replacing?: JitPage): JitPage | undefined {
    let fn: JitFn;
    // a baseline translation counts down its heat, then asks for its optimizing compile (jit.ts `cool`)
    const heat = t.countsHeat ? new WebAssembly.Global({ value: 'i32', mutable: true }, Math.min(this.jitOptHot ?? t.bytes.length * JIT_OPT_PER_BYTE, HEAT_ASKED)) : null;
    try {
      const imports = heat === null ? this.jitImports : { e: { ...this.jitImports['e'], heat, id: new WebAssembly.Global({ value: 'i32' }, hostPage + 1) } };
      fn = new WebAssembly.Instance(module, imports).exports['f'] as JitFn;
    } catch (e) {
      if (countBlock >= 0) this.mem.freeCountBlock(countBlock);
      this.noteJitFailure(hostPage, e);
      return replacing;
    }
    let tableIndex = replacing !== undefined ? replacing.tableIndex : this.jitFreeIndices.pop();
    // a run loop still holding the old entries takes the new ones when it enters the page again
    if (replacing !== undefined) replacing.entry.fill(0);
    if (tableIndex === undefined) {
      tableIndex = this.jitNextIndex++;
      if (tableIndex >= this.jitTable.length) this.jitTable.grow(this.jitTable.length);
    }
    this.jitTable.set(tableIndex, fn);
    const made: JitPage = { tableIndex, entry: t.entry, fresh: 0, countBlock, heat, optimized, missed: 0 };
    setPageSlot(this.jitPages, hostPage, made);
    this.countInstalled(t, t0, fromCache, optimized);
    return made;
  }

  /**
   * Compile a hot translated page again with the host's optimizing compiler (the run loop calls this between two
   * entries into translated code, when a page's heat has counted down to 0: JIT_WANT_OPT). Returns the new page,
   * or undefined while it compiles in the background (jitAsync) or if it failed.
   */
  jitOptimize(hostPage: number): JitPage | undefined {
    const jp = this.jitPages[hostPage], d = this.decoded[hostPage], compiler = optimizingCompiler;
    if (jp === undefined || d === undefined || compiler === null || jp.optimized || jp.countBlock >= 0) return undefined;
    if (this.jitPending.size !== 0) {
      if (this.jitPending.get(hostPage)?.optimizing === true) return undefined; // asked again while it compiles
      // a baseline translation of the page compiling in the background is of the same code (or less): not needed
      this.jitPending.delete(hostPage);
    }
    const t0 = performance.now();
    const t = translatePage(d, RAW_BASE, this.misalignMask, -1, true, false, this.jitArrivals[hostPage] ?? null);
    if (t === null) { this.noteOptFailure(hostPage, new Error('nothing translatable')); return undefined; }
    const cached = translationCache.lookup(t.bytes);
    if (cached === undefined && this.jitAsync) {
      // TurboFan compiles off this thread while the baseline translation keeps running; the optimized one takes
      // its place when it arrives, if the baseline one is still the page's (its code was not dropped meanwhile)
      this.compileInBackground(hostPage, t, true, t0, compiler.compileAsync(t.bytes), (_pending, module) => {
        this.jitPending.delete(hostPage);
        if (this.jitPages[hostPage] === jp) this.installOptimized(hostPage, jp, module, t, performance.now(), false);
      }, (e) => this.noteOptFailure(hostPage, e));
      return undefined;
    }
    let module = cached;
    if (module === undefined) {
      try {
        module = compiler.compile(t.bytes);
      } catch (e) {
        this.noteOptFailure(hostPage, e);
        return undefined;
      }
      translationCache.insert(t.bytes, module);
    }
    return this.installOptimized(hostPage, jp, module, t, t0, cached !== undefined);
  }

  /** the optimizing translation of a page takes the table index of its baseline one `jp`, so fetch TLB entries
   *  and tail calls from other pages reach it at once; the baseline one stays if it fails */
  private installOptimized(hostPage: number, jp: JitPage, module: WebAssembly.Module, t: Translation, t0: number, fromCache: boolean): JitPage | undefined {
    let fn: JitFn;
    try {
      fn = new WebAssembly.Instance(module, this.jitImports).exports['f'] as JitFn;
    } catch (e) {
      this.noteOptFailure(hostPage, e);
      return undefined;
    }
    this.jitTable.set(jp.tableIndex, fn);
    jp.entry.fill(0); // a run loop still holding the old entries takes the new ones when it enters the page again
    const made: JitPage = { tableIndex: jp.tableIndex, entry: t.entry, fresh: jp.fresh, countBlock: -1, heat: null, optimized: true, missed: 0 };
    this.jitPages[hostPage] = made;
    this.countInstalled(t, t0, fromCache, true);
    return made;
  }

  /** the stats of a translation taking its table slot (its compile started at t0) */
  private countInstalled(t: Translation, t0: number, fromCache: boolean, optimized: boolean): void {
    const s = this.jitStats;
    s.pages++; s.instructions += t.count; s.bytes += t.bytes.length; s.compileMs += performance.now() - t0;
    if (fromCache) s.cacheHits++;
    if (optimized) s.optimized++;
  }

  /** the optimizing compile of a page failed (never expected): its baseline translation stays, and the page asks
   *  again after HEAT_ASKED more instructions (jit.ts `cool`) */
  private noteOptFailure(hostPage: number, e: unknown): void {
    this.jitStats.failed++;
    this.jitStats.firstFailure ??= `optimizing page at host 0x${(hostPage * 4096).toString(16)}: ${(e as Error).message}`;
  }

  /**
   * Before translating a page, decode what the interpreter has not reached yet but will likely run: from every
   * decoded instruction, the one after it (unless it is an unconditional jump) and its branch target in the page.
   * Stops at illegal encodings (padding, data) and never reads past the page.
   */
  discoverCode(page: Int32Array, pageHost: number): void {
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
        storeDecoded(this, page, t, insn);
        work.push(t);
        budget--;
      }
    }
  }

  /** Take back the profile count translated code made for an instruction whose slow path trapped: it is in the
   *  page's count block, or in the decoded page if the translation (and block) went meanwhile. */
  jitUncount(pcLo: number, pcHi: number): void {
    const hostPage = fetchHostPageOf(this, pcLo, pcHi);
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
  jitLoad(alo: number, ahi: number, info: number): void {
    this.curIlen = infoIlen(info);
    const r2 = infoReg(info);
    // translated code takes only naturally aligned TLB hits; load() also takes a misaligned one inside the page
    const lo = load(this, alo, ahi, infoSize(info) as 1 | 2 | 4 | 8, DEST_X, r2 >> 1, infoSigned(info));
    this.x[r2] = lo; this.x[r2 + 1] = this.ldHi;
  }

  /**
   * An instruction translated code has no WebAssembly form for: its semantics from ext/*.ts, as the interpreter
   * runs them. Returns 1 (with the next pc for the run loop) when it redirected the pc, ended the slice (CSR write,
   * fence, WFI, ...) or changed a page holding code.
   */
  jitExec(w: number, imm: number, raw: number, pcLo: number, pcHi: number, n: number): number {
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
  jitStore(alo: number, ahi: number, info: number): number {
    this.curIlen = infoIlen(info);
    const r2 = infoReg(info);
    const before = this.mem.invalidations;
    store(this, alo, ahi, infoSize(info) as 1 | 2 | 4 | 8, this.x[r2]!, this.x[r2 + 1]!);
    return this.mem.invalidations !== before ? 1 : 0;
  }

  // ---------------------------------------------------------------- profile and trace (profile.ts, trace.ts)

  /** Start (true) or stop (false) counting retired instructions per extension and mode, and illegal traps. */
  setProfiling(on: boolean): void {
    if (on && this.profile === null) {
      for (const p of this.decodedPages) { const d = this.decoded[p]!; for (let k = RAW_BASE + 1; k < d.length; k += 2) d[k] = 0; }
      this.noteModeLeave(this.retired());
      this.profile = new ExecutionProfile();
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

  updateInstrument(): void {
    const counting = this.profile !== null;
    this.instrument = (counting ? INSTR_COUNT : 0) | (this.tracer !== null ? INSTR_TRACE | INSTR_COUNT : 0);
    // translations count (into count blocks) or not: when that changes, make them again
    if (counting !== this.jitCounting) {
      for (const p of this.decodedPages) this.dropJit(p);
      this.jitCounting = counting;
    }
  }

  /** move the per-entry counters of every decoded page (and the mode time so far) into the profile */
  harvestCounts(): void {
    if (this.profile === null) return;
    for (const p of this.decodedPages) this.harvestPage(this.decoded[p]!, p);
    this.noteModeLeave(this.retired());
  }

  readonly harvestScratch = new Int32Array(3);
  /** decode output of storeDecoded (interp.ts) */
  readonly decodeScratch = new Int32Array(3);
  harvestPage(d: Int32Array, hostPage: number): void {
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
      const ext = def ? extensionOfRow(def) : 'illegal';
      prof.addRetired(this.profileLabel.get(ext) ?? ext, n);
    }
  }

  /** the current mode ends at `boundary` retired instructions: credit it (call before this.mode changes) */
  noteModeLeave(boundary: number): void {
    // the per-mode-class totals behind mhpmcounter3..31 (hpm.ts) and, with --profile, the per-mode counts
    const c = this.virt !== 0 ? (this.mode === 0 ? 4 : 2) : this.mode;
    this.hpm.classRetired[c] = this.hpm.classRetired[c]! + (boundary - this.modeSince);
    if (this.profile !== null) this.profile.addModeRetired(this.mode, boundary - this.modeSince);
    this.modeSince = boundary;
  }

  /** the trace path: one instruction, then a commit record for it if it retired */
  runTracedStep(): number {
    const tracer = this.tracer!;
    const pc = pairToBig(this.pcLo, this.pcHi), mode = this.mode, before = this.instret;
    this.traceW = 0;
    const r = runSlice(this, 1);
    if (r === Exit.Mmio && this.traceW !== 0) this.tracePending = { pc, mode };
    else if (this.instret !== before && this.traceW !== 0) this.emitCommit(tracer, pc, mode);
    if (tracer.done) this.setTracer(null);
    return r;
  }

  emitCommit(tracer: InstructionTracer, pc: bigint, mode: number): void {
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
  /** vector register n's bytes (vlenb of them; zeros without a vector unit) */
  getVectorReg(n: number): Uint8Array {
    checkReg(n, 'vector');
    this.refreshViews();
    return this.vec ? this.vec.readReg(n) : new Uint8Array(this.vlen / 8);
  }
  setVectorReg(n: number, bytes: Uint8Array): void {
    checkReg(n, 'vector');
    this.refreshViews();
    this.vec?.writeReg(n, bytes);
  }
  setF(i: number, v: bigint): void {
    checkReg(i, 'f'); this.refreshViews();
    this.fr[i * 2] = Number(BigInt.asIntN(32, v)); this.fr[i * 2 + 1] = Number(BigInt.asIntN(32, v >> 32n));
  }
  getMode(): 0 | 1 | 3 { return this.mode; }
  setMode(m: 0 | 1 | 3): void {
    if (m !== 0 && m !== 1 && m !== 3) throw new HartError(`privilege mode ${String(m)} is not 0, 1 or 3`);
    if (this.hypervisor && m === 3) throw new HartError('a hypervisor-mode hart has no M-mode for the guest');
    this.noteModeLeave(this.retired());
    // a mode set from outside (KVM's CORE mode register, a vCPU reset, exec) is never V=1: a reset while the
    // guest's own guest was running must not leave the guest kernel in VS-mode
    this.mode = m; this.virt = 0; selectTlb(this);
  }
  /** H: whether the hart runs with V=1 (VS or VU); for tests and debuggers */
  getVirt(): boolean { return this.virt !== 0; }
  getCsr(csr: number): bigint {
    const lo = csrRead(this, csr);
    if (lo === undefined) throw new HartError(`CSR 0x${csr.toString(16)} is not implemented`);
    return pairToBig(lo, this.csrHi);
  }
  setCsr(csr: number, v: bigint): void {
    if (!csrWrite(this, csr, Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n)), true)) {
      throw new HartError(`CSR 0x${csr.toString(16)} is not implemented or read-only`);
    }
  }
  setInterruptPending(bit: number, level: boolean): void {
    if (!Number.isInteger(bit) || bit < 0 || bit > 15) throw new HartError(`interrupt bit ${bit} is not 0..15`);
    if (level) this.mip |= 1 << bit; else this.mip &= ~(1 << bit);
  }
  requestStop(): void { this.stopRequested = true; }

  /** instructions retired plus traps entered: what run()'s budget counts (a trap storm retires nothing but works) */
  get workDone(): number { return this.instret + this.trapsTaken; }

  /** The hart is in a trap loop: it entered the trap at `vector` (raising `vectorCause` there) `repeats` times in a
   *  row without retiring an instruction. The storm began with `cause` at `pc`. null while it makes progress. */
  trapLoop(minRepeats: number): TrapLoop | null {
    if (this.trapRepeats < minRepeats) return null;
    return {
      pc: pairToBig(this.stormPcLo, this.stormPcHi), cause: this.stormCause, interrupt: this.stormInterrupt,
      vector: pairToBig(this.lastTrapPcLo, this.lastTrapPcHi), vectorCause: this.lastTrapCause, repeats: this.trapRepeats,
    };
  }

  /** Everything of this hart a snapshot keeps (src/hart/snapshot.ts); only between run() calls. */
  saveState(): StateObject { return saveHartState(this); }
  /** Takes a saveState() of a hart with the same ISA set (set it first) and configuration; caches are rebuilt. */
  loadState(s: StateObject): void { loadHartState(this, s); }

  /** drop every TLB entry and the page-walk cache (satp writes, remote SFENCE.VMA) */
  flushTlb(): void { flushTlb(this); }

  // ---------------------------------------------------------------- time

  /** instructions retired so far, including the run slice in progress */
  retired(): number {
    return this.instret + this.sliceRetired;
  }

  /** current time in ticks (a double) */
  readTime(): number {
    return this.guestClock.ticks(this.retired() - this.clockMark);
  }

  /** Ticks until a timer could wake this hart (for the VMM after Exit.Wfi): Infinity if none is armed. */
  ticksUntilTimer(): number {
    const d = nextTimerDeadline(this);
    return d === Infinity ? Infinity : Math.max(0, d - this.readTime());
  }

  // ---------------------------------------------------------------- run loop

  run(maxInstructions: number): Exit {
    if (!(maxInstructions >= 0)) throw new HartError(`instruction budget ${maxInstructions} is not a non-negative number`);
    if (this.mmioPending) throw new HartError('run() called with an MMIO access pending: call completeMmio() first');
    if (this.instret >= this.warmupAfter) warmInterpreter(Hart); // once per process (warmup.ts)
    this.refreshViews();
    // Other harts, DMA and the debugger only touch memory between run() calls: the LR reservation is parked with
    // the memory meanwhile, which breaks it when one of them writes its page, so an SC does not fail merely
    // because a run slice ended between it and its LR.
    if (this.reservation >= 0 && !this.mem.takeReservation(this)) this.reservation = -1;
    const exit = this.runLoop(maxInstructions);
    if (this.emptiedPages.length !== 0) this.releaseEmptiedPages();
    this.jitStats.decodedPages = this.decodedPages.size;
    this.guestClock.icountNs += this.retired() - this.clockMark;
    this.clockMark = this.retired();
    if (this.reservation >= 0) this.mem.parkReservation(this, this.reservation);
    return exit;
  }

  runLoop(maxInstructions: number): Exit {
    const start = this.instret, trapStart = this.trapsTaken;
    for (;;) {
      if (this.stopRequested) { this.stopRequested = false; return Exit.Stopped; }
      const pending = effectiveMip(this) & this.mie;
      if (pending !== 0 && takeInterrupt(this, pending)) continue;
      if (this.flags & F_WFI) {
        this.flags &= ~F_WFI;
        if (pending === 0) {
          if (this.hypervisor) return Exit.Wfi;
          const d = nextTimerDeadline(this);
          if (d === Infinity) return Exit.Wfi;
          const now = this.readTime();
          if (d > now) this.guestClock.offsetTicks += d - now; // fast-forward to the deadline
          continue;
        }
      }
      const left = maxInstructions - (this.instret - start) - (this.trapsTaken - trapStart);
      if (left <= 0) return Exit.Budget;
      let n = left < SLICE ? left : SLICE;
      // an active hpm counter: stop where it could overflow, so OF and LCOFI come at that instruction
      if (this.hpm.active !== 0) { const d = hpmDistance(this); if (d < n) n = d; }
      const r = this.tracer === null ? runSlice(this, n) : this.runTracedStep();
      if (this.hpm.active !== 0) hpmSync(this);
      if (r >= 0) return r as Exit;
    }
  }

  // ---------------------------------------------------------------- traps (delivered by trap.ts)

  /** raise a synchronous exception for the current instruction (unwinds to the run loop) */
  raise(cause: number, tvalLo: number, tvalHi: number): never {
    this.pendCause = cause; this.pendTvalLo = tvalLo; this.pendTvalHi = tvalHi; this.pendGpa = 0; this.pendTinst = 0;
    throw TRAP;
  }
  illegal(raw: number): never {
    return this.raise(CAUSE.ILLEGAL, raw, 0);
  }
  /** H: a virtual-instruction exception (cause 22; tval = the instruction bits, like illegal-instruction) */
  virtualInsn(raw: number): never {
    return this.raise(CAUSE.VIRTUAL_INSTRUCTION, raw, 0);
  }
  /** H: a guest-page fault at virtual address (lo, hi) whose guest physical address is gpa */
  raiseGuestPage(cause: number, lo: number, hi: number, gpa: number, tinst: number): never {
    this.pendCause = cause; this.pendTvalLo = lo; this.pendTvalHi = hi; this.pendGpa = gpa; this.pendTinst = tinst;
    throw TRAP;
  }

  // ---------------------------------------------------------------- MMIO completion

  /** value of a load the slow path produced itself (mmu.ts loadSlowOffset) */
  slowLo = 0;

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
        // binary32 and binary16 loads are NaN-boxed
        this.fr[this.mmioDestReg * 2] = this.mmioDestKind === DEST_F16 ? lo | 0xffff0000 : lo;
        this.fr[this.mmioDestReg * 2 + 1] = this.mmioDestKind === DEST_F32 || this.mmioDestKind === DEST_F16 ? -1 : hi;
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
  fsOff(): boolean { return (this.mstatus & MSTATUS.FS) === 0 || (this.virt !== 0 && (this.vsstatus & MSTATUS.FS) === 0); }
  markFsDirty(): void { this.mstatus |= MSTATUS.FS; if (this.virt !== 0) this.vsstatus |= MSTATUS.FS; }
  /** VS field; 0 = off (vector instructions and vector CSRs are illegal); with V=1 vsstatus.VS gates too (H) */
  vsOff(): boolean { return (this.mstatus & MSTATUS.VS) === 0 || (this.virt !== 0 && (this.vsstatus & MSTATUS.VS) === 0); }
  markVsDirty(): void { this.mstatus |= MSTATUS.VS; if (this.virt !== 0) this.vsstatus |= MSTATUS.VS; }

  /** high word of the last CSR read (csrfile.ts) */
  csrHi = 0;

}

function notImplemented(h: Hart, _w: number, _imm: number, raw: number): void {
  h.illegal(raw);
}

function checkReg(i: number, kind: string): void {
  if (!Number.isInteger(i) || i < 0 || i > 31) throw new HartError(`${kind} register index ${i} is not 0..31`);
}
