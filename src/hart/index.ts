// The hart layer's public API (docs/architecture.md, "Hart contract").
export { GuestMemory, MemoryError, type SyncMmio } from './memory.js';
export { Hart, Exit, HartError, type HartOptions, type MmioRequest, type JitStats, type TrapLoop } from './hart.js';
export { Clint } from './clint.js';
export { GuestClock, type ClockKind } from './clock.js';
export { HART_STATE_FIELDS, HART_NOT_STATE, type StateValue, type StateObject } from './snapshot.js';
