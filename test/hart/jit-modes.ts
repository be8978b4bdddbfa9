// The two translations a translator test runs under (src/hart/jit.ts): the baseline one, and the optimizing one from
// the start (HartOptions.jitOptHot 0: the page's x registers in WebAssembly locals). `modeTest` runs a test once
// in each; the optimized run must really have made optimized translations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINE_COMPILE, setOptimizingCompiler } from '../../src/hart/jit.js';
import type { JitStats } from '../../src/hart/index.js';

/** the translation of the test that is running */
export const mode = { optimized: false };

/** the Hart options that select it */
export function modeOptions(): { jitOptHot?: number } {
  return mode.optimized ? { jitOptHot: 0 } : {};
}

/** `name` once with each translation (the optimized one named so) */
export function modeTest(name: string, body: () => void): void {
  for (const optimized of [false, true]) {
    test(`${optimized ? '[optimized] ' : ''}${name}`, () => {
      mode.optimized = optimized;
      // any compile gives the code's shape; that TurboFan compiles it is jit-opt.test.ts's
      if (optimized) setOptimizingCompiler(ENGINE_COMPILE);
      try { body(); } finally { setOptimizingCompiler(null); mode.optimized = false; }
    });
  }
}

/** the translated run really ran translated code of the translation under test */
export function translated(stats: JitStats, what: string, minInstructions = 1): void {
  assert.ok(stats.pages >= 1 && stats.instructions >= minInstructions, `${what}: translated ${JSON.stringify(stats)}`);
  if (mode.optimized) assert.ok(stats.optimized >= 1, `${what}: optimized ${JSON.stringify(stats)}`);
  assert.equal(stats.failed, 0, stats.firstFailure);
}

