// A hart's state as a snapshot keeps it: every field that the guest's future depends on (architectural registers
// and CSRs, the pending-trap and MMIO-completion state a stop between run() calls can leave, the counters the
// clock and the trap-loop watch read), and none of the caches (TLBs, page-walk cache, decode cache, translations),
// which a restored hart rebuilds. Fields are named in two tables, so that a field added to Hart later must be
// put in one of them (a test enumerates Hart's own fields): that is what keeps snapshots complete.
import { VREG_BLOCK_BYTES } from './memory.js';
import { flushTlb, selectTlb } from './mmu.js';
import { HartError } from './defs.js';
import type { Hart } from './hart.js';
import type { HpmState } from './hpm.js';

/** the typed arrays of the counter state (hpm.ts), saved in this order */
const HPM_ARRAYS = ['eventLo', 'eventHi', 'valLo', 'valHi', 'countedAt', 'classRetired'] as const satisfies readonly (keyof HpmState)[];

/** State values (the snapshot's vocabulary, src/vmm/snapshot encodes them). */
export type StateValue = null | boolean | number | string | bigint | Uint8Array | StateValue[] | StateObject;
export interface StateObject { [key: string]: StateValue }

/** Number and boolean fields of Hart that are state, saved as they are. */
export const HART_STATE_FIELDS = [
  'pcLo', 'pcHi', 'mode', 'instret', 'flags', 'sliceRetired', 'trapsTaken', 'trapMark', 'trapRepeats',
  'lastTrapPcLo', 'lastTrapPcHi', 'lastTrapCause', 'stormPcLo', 'stormPcHi', 'stormCause', 'stormInterrupt',
  'mepcLo', 'mepcHi', 'sepcLo', 'sepcHi', 'mtvalLo', 'mtvalHi', 'stvalLo', 'stvalHi', 'mcauseLo', 'mcauseHi',
  'scauseLo', 'scauseHi', 'mtvecLo', 'mtvecHi', 'stvecLo', 'stvecHi', 'mscratchLo', 'mscratchHi', 'sscratchLo',
  'sscratchHi', 'satpLo', 'satpHi', 'medeleg', 'mideleg', 'mie', 'mip', 'menvcfgLo', 'menvcfgHi', 'senvcfgLo',
  'mcounteren', 'scounteren', 'mcountinhibit', 'stimecmpLo', 'stimecmpHi', 'stimecmp', 'mtimecmp',
  'mstatusHi', 'hstatus', 'hedeleg', 'hideleg', 'hcounteren', 'htvalLo', 'htvalHi', 'htinstLo', 'htinstHi',
  'mtval2Lo', 'mtval2Hi', 'mtinstLo', 'mtinstHi', 'hgatpLo', 'hgatpHi', 'henvcfgLo', 'henvcfgHi',
  'htimedeltaLo', 'htimedeltaHi', 'htimedelta', 'vsstatus', 'vstvecLo', 'vstvecHi', 'vsscratchLo', 'vsscratchHi',
  'vsepcLo', 'vsepcHi', 'vscauseLo', 'vscauseHi', 'vstvalLo', 'vstvalHi', 'vsatpLo', 'vsatpHi',
  'vstimecmpLo', 'vstimecmpHi', 'vstimecmp', 'hlv', 'twoStage', 'cycleOffset', 'instretOffset', 'clockMark',
  'reservation', 'pendCause', 'pendTvalLo', 'pendTvalHi', 'pendGpa', 'pendTinst', 'trapCause',
  'mmioDestKind', 'mmioDestReg', 'mmioSigned', 'mmioIlen', 'mmioPending', 'curIlen',
  'pmLen', 'pmSext', 'senvcfgHi', 'mseccfgHi', 'hstatusHi', 'cycleHeld', 'instretHeld', 'modeSince',
] as const;

/**
 * Hart fields that are not saved field by field, with why: configuration the restoring machine is built with,
 * state saved in another form (below), caches rebuilt after a restore, and instrumentation.
 */
export const HART_NOT_STATE: Readonly<Record<string, string>> = {
  mem: 'config', hartId: 'config', hypervisor: 'config', timebaseHz: 'config', clock: 'config', vlen: 'config',
  jitEnabled: 'config', jitHot: 'config', warmupAfter: 'config', alignTrap: 'config (HartOptions.misaligned)', stateOff: 'config', tlbBlock: 'config', guestClock: 'the VM saves it',
  x: 'saved as bytes', fr: 'saved as bytes', fpCsr: 'saved as bytes', pmpcfg: 'saved as bytes', pmpaddr: 'saved as bytes',
  vec: 'saved as its own record', mmio: 'saved as its own record', trapTval: 'saved as a bigint',
  isa: 'the vCPU sets it', decoder: 'derived from the ISA', execTable: 'derived', misalignMask: 'derived from the ISA',
  hasH: 'derived from the ISA', stateen: 'derived from the ISA',
  mstateenHi: 'saved in the counters record', hstateenHi: 'saved in the counters record', hpm: 'saved in the counters record', labels: 'derived from the ISA (profile labels)', viewGeneration: 'cache', decoded: 'cache', decodedPages: 'cache',
  tlbSets: 'cache', tlbFetchFn: 'cache', tlbLevels: 'cache', tlbSetBase: 'cache', tlbLevel: 'cache', tlbTag: 'cache',
  tlbOff: 'cache', pwcTagLo: 'cache', pwcTagHi: 'cache', pwcTable: 'cache', lastLevel: 'cache', superpageRegions: 'cache',
  bigLeaves: 'cache', stopRequested: 'a request to the running loop', breakpointPcs: 'debugger',
  breakpointOffsets: 'debugger', instrument: 'instrumentation', profile: 'instrumentation',
  tracer: 'instrumentation', traceW: 'instrumentation', traceRaw: 'instrumentation', tracePending: 'instrumentation',
  harvestScratch: 'scratch', decodeScratch: 'scratch', csrHi: 'scratch within one instruction',
  ldHi: 'scratch within one instruction', slowLo: 'scratch within one instruction', jitCounting: 'cache', jitPages: 'cache', jitHeat: 'cache', jitArrivals: 'cache',
  jitImports: 'cache', jitState: 'scratch (exit words of translated code)', jitPcLo: 'scratch', jitPcHi: 'scratch',
  jitN: 'scratch', jitPreCounted: 'scratch', jitBase: 'scratch', jitTable: 'cache', jitFreeIndices: 'cache',
  jitEnter: 'cache', jitNextIndex: 'cache', jitStats: 'statistics', jitGeneration: 'cache',
  jitAsync: 'config', jitOptHot: 'config', jitPending: 'cache', jitCompiling: 'cache', tlbSetIndex: 'cache', fillPa: 'scratch within one instruction', emptiedPages: 'cache',
};

const VEC_FIELDS = ['vstart', 'vl', 'vill', 'vsew', 'vlmul', 'vta', 'vma', 'vxrm', 'vxsat'] as const;

type Fields = Record<string, number | boolean>;

function copyBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

function numbers(obj: Fields, names: readonly string[]): Uint8Array {
  const out = new Float64Array(names.length);
  names.forEach((n, i) => { const v = obj[n]!; out[i] = typeof v === 'boolean' ? (v ? 1 : 0) : v; });
  return new Uint8Array(out.buffer);
}

function setNumbers(obj: Fields, names: readonly string[], bytes: Uint8Array, what: string): void {
  if (bytes.length !== names.length * 8) throw new HartError(`${what}: ${bytes.length / 8} fields, expected ${names.length}`);
  const v = new Float64Array(bytes.slice().buffer);
  names.forEach((n, i) => { obj[n] = typeof obj[n] === 'boolean' ? v[i] !== 0 : v[i]!; });
}

function field(s: StateObject, key: string, what: string): StateValue {
  const v = s[key];
  if (v === undefined) throw new HartError(`${what}: no '${key}'`);
  return v;
}
function bytesField(s: StateObject, key: string, len: number, what: string): Uint8Array {
  const v = field(s, key, what);
  if (!(v instanceof Uint8Array) || v.length !== len) throw new HartError(`${what}: '${key}' is not ${len} bytes`);
  return v;
}

export function saveHartState(h: Hart): StateObject {
  h.refreshViews();
  const f = h as unknown as Fields;
  const vec = h.vec;
  const state: StateObject = {
    fields: HART_STATE_FIELDS.join(','),
    values: numbers(f, HART_STATE_FIELDS),
    x: copyBytes(h.x), f: copyBytes(h.fr),
    // mstatus, fflags, frm and V live in the state block beside the registers (JIT_CSR)
    csr: copyBytes(new Int32Array([h.mstatus, h.fflags, h.frm, h.virt])),
    pmpcfg: copyBytes(h.pmpcfg), pmpaddr: copyBytes(h.pmpaddr),
    trapTval: h.trapTval,
    mmio: { addr: h.mmio.addr, size: h.mmio.size, isWrite: h.mmio.isWrite, data: h.mmio.data.slice() },
    counters: {
      stateen: copyBytes(new Int32Array([...h.mstateenHi, ...h.hstateenHi])),
      hpm: HPM_ARRAYS.map((k) => copyBytes(h.hpm[k])), active: h.hpm.active,
    },
    vec: vec === null ? null : {
      values: numbers(vec as unknown as Fields, VEC_FIELDS),
      regs: copyBytes(new Uint8Array(h.mem.memory.buffer, h.mem.vregBlock(h.stateOff), VREG_BLOCK_BYTES)),
    },
  };
  return state;
}

/** Puts a saved state into a hart whose ISA is already set (the vCPU sets it first); drops every cache. */
export function loadHartState(h: Hart, s: StateObject): void {
  const what = `hart ${h.hartId} state`;
  if (field(s, 'fields', what) !== HART_STATE_FIELDS.join(',')) throw new HartError(`${what}: saved with another set of fields`);
  const vs = field(s, 'vec', what);
  if ((vs === null) !== (h.vec === null)) throw new HartError(`${what}: the vector unit ${vs === null ? 'is absent from the snapshot' : 'is in the snapshot but not in this hart'}`);
  h.refreshViews();
  const f = h as unknown as Fields;
  const values = bytesField(s, 'values', HART_STATE_FIELDS.length * 8, what);
  const x = bytesField(s, 'x', h.x.byteLength, what), fr = bytesField(s, 'f', h.fr.byteLength, what);
  const csr = new Int32Array(bytesField(s, 'csr', 16, what).slice().buffer);
  const pmpcfg = bytesField(s, 'pmpcfg', h.pmpcfg.byteLength, what), pmpaddr = bytesField(s, 'pmpaddr', h.pmpaddr.byteLength, what);
  const tval = field(s, 'trapTval', what);
  const mmio = field(s, 'mmio', what) as StateObject;
  if (typeof tval !== 'bigint' || typeof mmio !== 'object' || mmio === null) throw new HartError(`${what}: trapTval or mmio damaged`);
  const mmioData = bytesField(mmio, 'data', 8, what);
  const counters = field(s, 'counters', what) as StateObject;
  const hpmSaved = counters?.['hpm'];
  if (typeof counters !== 'object' || counters === null || !Array.isArray(hpmSaved) || hpmSaved.length !== HPM_ARRAYS.length
      || typeof counters['active'] !== 'number') throw new HartError(`${what}: counters damaged`);
  const stateenSaved = bytesField(counters, 'stateen', 32, what);
  const hpmBytes = HPM_ARRAYS.map((k, i) => {
    const b = hpmSaved[i];
    if (!(b instanceof Uint8Array) || b.length !== h.hpm[k].byteLength) throw new HartError(`${what}: counters '${k}' damaged`);
    return b;
  });
  // everything is checked: now change the hart
  setNumbers(f, HART_STATE_FIELDS, values, what);
  new Uint8Array(h.x.buffer, h.x.byteOffset, h.x.byteLength).set(x);
  new Uint8Array(h.fr.buffer, h.fr.byteOffset, h.fr.byteLength).set(fr);
  h.mstatus = csr[0]!; h.fflags = csr[1]!; h.frm = csr[2]!; h.virt = csr[3] as 0 | 1;
  new Uint8Array(h.pmpcfg.buffer).set(pmpcfg);
  new Uint8Array(h.pmpaddr.buffer).set(pmpaddr);
  h.trapTval = tval;
  h.mmio.addr = mmio['addr'] as number; h.mmio.size = mmio['size'] as 1 | 2 | 4 | 8; h.mmio.isWrite = mmio['isWrite'] === true;
  h.mmio.data.set(mmioData);
  const stateen = new Int32Array(stateenSaved.slice().buffer);
  h.mstateenHi.set(stateen.subarray(0, 4)); h.hstateenHi.set(stateen.subarray(4, 8));
  HPM_ARRAYS.forEach((k, i) => new Uint8Array(h.hpm[k].buffer).set(hpmBytes[i]!));
  h.hpm.active = counters['active'] as number;
  if (vs !== null && h.vec !== null) {
    const v = vs as StateObject;
    setNumbers(h.vec as unknown as Fields, VEC_FIELDS, bytesField(v, 'values', VEC_FIELDS.length * 8, what), what);
    new Uint8Array(h.mem.memory.buffer, h.mem.vregBlock(h.stateOff), VREG_BLOCK_BYTES).set(bytesField(v, 'regs', VREG_BLOCK_BYTES, what));
  }
  h.stopRequested = false;
  // caches: decoded and translated code, TLBs and the page-walk cache
  const flags = h.flags;
  for (const p of h.decodedPages) { h.decoded[p]!.fill(0); h.dropJit(p); }
  h.jitArrivals = []; // arrivals in the code the memory held before
  flushTlb(h);
  selectTlb(h);
  h.flags = flags; // the flushes ask the running slice to look again (F_BREAK): no slice runs, a new one will
  // an LR reservation waits with the memory between run() calls, as it does after any run() (GuestMemory)
  if (h.reservation >= 0) h.mem.parkReservation(h, h.reservation);
  else h.mem.takeReservation(h);
}
