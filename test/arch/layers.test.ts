// The layering rule of docs/architecture.md, checked on every source file:
// isa <- hart <- kvm <- vmm <- cli/web, and only src/cli may use Node-only modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LAYERS = ['isa', 'hart', 'kvm', 'vmm', 'cli'] as const;

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)) specs.push(m[1]);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]);
  return specs;
}

function layerOf(file: string): number {
  const rel = relative(join(root, 'src'), file).split(/[\\/]/)[0];
  return LAYERS.indexOf(rel as (typeof LAYERS)[number]);
}

const files = sources(join(root, 'src'));

test('source tree has all layers', () => {
  for (const layer of LAYERS) assert.ok(files.some((f) => layerOf(f) === LAYERS.indexOf(layer)), `src/${layer} has no source`);
});

test('imports point one way: isa <- hart <- kvm <- vmm <- cli', () => {
  const violations: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(join(root, 'src'))) continue;
      const to = layerOf(target);
      if (to > from) violations.push(`${relative(root, file)} imports ${spec} (${LAYERS[from]} -> ${LAYERS[to]})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('only src/cli uses Node-only modules (the core runs in a browser)', () => {
  const violations: string[] = [];
  for (const file of files) {
    if (LAYERS[layerOf(file)] === 'cli') continue;
    for (const spec of importsOf(file)) {
      if (spec.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'tty', 'net'].includes(spec)) {
        violations.push(`${relative(root, file)} imports ${spec}`);
      }
    }
    if (/\bprocess\.(argv|exit|stdout|stdin|env)\b|\bBuffer\.from\b/.test(readFileSync(file, 'utf8'))) {
      violations.push(`${relative(root, file)} uses a Node global`);
    }
  }
  assert.deepEqual(violations, []);
});
