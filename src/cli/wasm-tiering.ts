// V8 compiles WebAssembly with its baseline compiler (Liftoff) and, left alone, recompiles hot functions with
// TurboFan on background threads. rvkvm's translated code is one large function per guest page (src/hart/jit.ts):
// V8's tiering budget is spent by code size between back edges, so nearly every translated page reached it, and
// TurboFan takes ~25 ms per page (Liftoff ~4 ms) while the guest keeps moving to new pages: measured on the Debian
// boot (2 cores), V8's own tier-up cost more than it gained (11 s vs 5 s to power-off). So the CLI keeps Liftoff
// only, and chooses itself which pages are worth TurboFan: the hart translates a page again, as its optimizing
// translation, once translated code has run long in it (JIT_OPT_PER_BYTE), and that translation asks for TurboFan
// in its compilationHints section, which V8 honours even under --liftoff-only, synchronously and in the
// background alike (a flag flipped around one compile could only be synchronous). A browser cannot set flags;
// there V8's tiering decides. RVKVM_NO_OPT=1 in the environment leaves every page on Liftoff (for paired
// measurements of the two).
import { setFlagsFromString } from 'node:v8';
import { ENGINE_COMPILE, setOptimizingCompiler } from '../hart/jit.js';

/** Must run before the first WebAssembly compile. */
export function keepBaselineWasmCode(): void {
  setFlagsFromString('--liftoff-only');
  setFlagsFromString('--experimental-wasm-compilation-hints');
  if (process.env['RVKVM_NO_OPT'] === undefined) setOptimizingCompiler(ENGINE_COMPILE);
}
