// V8 compiles WebAssembly with its baseline compiler (Liftoff) and, left alone, recompiles hot functions with
// TurboFan on background threads. rvkvm's translated code is one large function per guest page (src/hart/jit.ts):
// V8's tiering budget is spent by code size between back edges, so nearly every translated page reached it, and
// TurboFan takes ~25 ms per page (Liftoff ~4 ms) while the guest keeps moving to new pages: measured on the Debian
// boot (2 cores), V8's own tier-up cost more than it gained (11 s vs 5 s to power-off). So the CLI keeps Liftoff
// only, and chooses itself which pages are worth TurboFan: the hart compiles a page again through
// setOptimizingCompiler's function once translated code has run long in it (JIT_OPT_PER_BYTE), and that function
// lifts --liftoff-only for that one synchronous compile. A browser cannot set flags; there V8's tiering decides.
// RVKVM_NO_OPT=1 in the environment leaves every page on Liftoff (for paired measurements of the two).
import { setFlagsFromString } from 'node:v8';
import { setOptimizingCompiler } from '../hart/jit.js';

/**
 * TurboFan for this module alone. V8 reads the flags when it compiles a function, which Node's default lazy
 * compilation does at its first call: so the compile is made eager for this module, and it is synchronous.
 */
export function compileOptimized(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module {
  setFlagsFromString('--no-liftoff-only');
  setFlagsFromString('--no-liftoff');
  setFlagsFromString('--no-wasm-lazy-compilation');
  try {
    return new WebAssembly.Module(bytes);
  } finally {
    setFlagsFromString('--wasm-lazy-compilation');
    setFlagsFromString('--liftoff');
    setFlagsFromString('--liftoff-only');
  }
}

/** Must run before the first WebAssembly compile. */
export function keepBaselineWasmCode(): void {
  setFlagsFromString('--liftoff-only');
  if (process.env['RVKVM_NO_OPT'] === undefined) setOptimizingCompiler(compileOptimized);
}
