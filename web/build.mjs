// Bundles the page and its worker with esbuild into build/web/ (run from anywhere).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(webDir, '..');
export const outDir = join(root, 'build/web');

/** Builds into `dir` (default build/web; tests running side by side each build into their own). */
export async function buildWeb({ quiet = false, dir = outDir } = {}) {
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: { main: join(webDir, 'src/main.ts'), worker: join(webDir, 'src/worker.ts') },
    outdir: dir,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    sourcemap: true,
    logLevel: quiet ? 'warning' : 'info',
  });
  copyFileSync(join(webDir, 'index.html'), join(dir, 'index.html'));
  copyFileSync(join(webDir, 'style.css'), join(dir, 'style.css'));
  copyFileSync(join(root, 'node_modules/@xterm/xterm/css/xterm.css'), join(dir, 'xterm.css'));
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildWeb();
  } catch (e) {
    console.error(`web build failed: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
