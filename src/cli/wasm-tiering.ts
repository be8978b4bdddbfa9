// V8 compiles WebAssembly with its baseline compiler (Liftoff) and later recompiles hot functions with TurboFan
// on background threads. rvkvm's translated code is one large function per guest page (src/hart/jit.ts), and
// TurboFan takes ~25 ms per page (Liftoff ~4 ms) while the guest keeps moving to new pages: measured on the
// Debian boot (2 cores), tier-up cost more than it gained (11 s vs 5 s to power-off). Node lets the CLI keep
// Liftoff's code; a browser cannot, so there a higher translation threshold matters more.
import { setFlagsFromString } from 'node:v8';

/** Must run before the first WebAssembly compile. */
export function keepBaselineWasmCode(): void {
  setFlagsFromString('--liftoff-only');
}
