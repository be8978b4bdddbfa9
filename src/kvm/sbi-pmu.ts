// SBI PMU in the hypervisor (SBI spec chapter "Performance Monitoring Unit Extension"), on the hart's real
// hpm counters (src/hart/hpm.ts) instead of KVM's host perf events: the guest's riscv-pmu-sbi driver configures a
// counter here, then reads it itself with hpmcounterN (mcounteren lets the guest kernel), as on KVM.
// Offered: 32 hardware counters (0 cycle, 1 time, 2 instret, 3..31 programmable; 64 bits wide) and no firmware
// counters. Only counters 3..31 are handed out, for the two general hardware events the hart counts
// (SBI_PMU_HW_CPU_CYCLES = 1 and SBI_PMU_HW_INSTRUCTIONS = 2, event type 0), with the mode filters of the
// config flags. No snapshot shared memory, no event_get_info. Overflow interrupts would need Sscofpmf in the
// guest, which KVM grants only with host Ssaia (rvkvm has none): the guest counts, it does not sample.
import type { Vcpu } from './vcpu.js';

const NUM_COUNTERS = 32;
const FIRST_PROGRAMMABLE = 3;
const MCOUNTINHIBIT = 0x320, MHPMEVENT3 = 0x323, MHPMCOUNTER3 = 0xb03, CSR_CYCLE = 0xc00;
// config_matching flags
const CFG_SKIP_MATCH = 1n, CFG_CLEAR_VALUE = 2n, CFG_AUTO_START = 4n;
/** SET_VUINH .. SET_MINH (flag bits 3..7) -> mhpmevent VUINH .. MINH (bits 58..62) */
const CFG_INHIBIT_SHIFT = 58n;
const START_SET_INIT_VALUE = 1n, STOP_RESET = 1n;

type Result = { err: number; value?: bigint };
const SUCCESS = 0, NOT_SUPPORTED = -2, INVALID_PARAM = -3, ALREADY_STARTED = -7, ALREADY_STOPPED = -8;

/** counters of (base, mask), or null if any is outside 0..31 */
function selected(base: bigint, mask: bigint): number[] | null {
  const out: number[] = [];
  for (let b = 0n; mask >> b !== 0n && b < 64n; b++) {
    if (((mask >> b) & 1n) === 0n) continue;
    const idx = base + b;
    if (idx >= BigInt(NUM_COUNTERS)) return null;
    out.push(Number(idx));
  }
  return out;
}

function inhibit(vcpu: Vcpu, idx: number, on: boolean): void {
  const h = vcpu.hart, v = h.getCsr(MCOUNTINHIBIT), bit = 1n << BigInt(idx);
  h.setCsr(MCOUNTINHIBIT, on ? v | bit : v & ~bit);
}

export function sbiPmu(vcpu: Vcpu, fid: bigint, a: readonly bigint[]): Result {
  const st = vcpu.pmu, h = vcpu.hart;
  switch (fid) {
    case 0n: return { err: SUCCESS, value: BigInt(NUM_COUNTERS) }; // num_counters
    case 1n: { // counter_get_info: CSR number, width - 1 (bits 17:12), type 0 = hardware
      if (a[0]! >= BigInt(NUM_COUNTERS)) return { err: INVALID_PARAM };
      return { err: SUCCESS, value: BigInt(CSR_CYCLE) + a[0]! | (63n << 12n) };
    }
    case 2n: { // counter_config_matching(base, mask, flags, event_idx, event_data)
      const ids = selected(a[0]!, a[1]!), flags = a[2]!, event = a[3]! & 0xfffffn;
      if (ids === null || ids.length === 0) return { err: INVALID_PARAM };
      if (event >> 16n !== 0n || (event !== 1n && event !== 2n)) return { err: NOT_SUPPORTED };
      let idx: number | undefined;
      if (flags & CFG_SKIP_MATCH) {
        idx = ids[0]!;
        if (idx < FIRST_PROGRAMMABLE || (st.inUse & (1 << idx)) === 0) return { err: INVALID_PARAM };
      } else {
        idx = ids.find((k) => k >= FIRST_PROGRAMMABLE && (st.inUse & (1 << k)) === 0);
        if (idx === undefined) return { err: NOT_SUPPORTED };
        inhibit(vcpu, idx, true);
        st.inUse |= 1 << idx;
        h.setCsr(MHPMEVENT3 + idx - 3, event | (((flags >> 3n) & 31n) << CFG_INHIBIT_SHIFT));
      }
      if (flags & CFG_CLEAR_VALUE) h.setCsr(MHPMCOUNTER3 + idx - 3, 0n);
      if (flags & CFG_AUTO_START) { st.started |= 1 << idx; inhibit(vcpu, idx, false); }
      return { err: SUCCESS, value: BigInt(idx) };
    }
    case 3n: { // counter_start(base, mask, flags, initial_value)
      const ids = selected(a[0]!, a[1]!);
      if (ids === null || ids.some((k) => (st.inUse & (1 << k)) === 0)) return { err: INVALID_PARAM };
      if (ids.some((k) => (st.started & (1 << k)) !== 0)) return { err: ALREADY_STARTED };
      for (const k of ids) {
        if (a[2]! & START_SET_INIT_VALUE) h.setCsr(MHPMCOUNTER3 + k - 3, a[3]!);
        st.started |= 1 << k;
        inhibit(vcpu, k, false);
      }
      return { err: SUCCESS };
    }
    case 4n: { // counter_stop(base, mask, flags)
      const ids = selected(a[0]!, a[1]!);
      if (ids === null || ids.some((k) => (st.inUse & (1 << k)) === 0)) return { err: INVALID_PARAM };
      if (!(a[2]! & STOP_RESET) && ids.some((k) => (st.started & (1 << k)) === 0)) return { err: ALREADY_STOPPED };
      for (const k of ids) {
        inhibit(vcpu, k, true);
        st.started &= ~(1 << k);
        if (a[2]! & STOP_RESET) { st.inUse &= ~(1 << k); h.setCsr(MHPMEVENT3 + k - 3, 0n); }
      }
      return { err: SUCCESS };
    }
    case 5n: case 6n: return { err: INVALID_PARAM }; // fw_read(_hi): there are no firmware counters
    default: return { err: NOT_SUPPORTED }; // snapshot_set_shmem, event_get_info
  }
}
