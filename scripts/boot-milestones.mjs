// Measures where the page's boot milestones (web/src/boot-progress.ts) fall in a boot of the bundled guest:
// boots it as the page does (same initramfs, --clock icount so the count does not depend on host speed) and
// prints the instructions retired at each milestone and as a fraction of those at the init marker.
// usage: npm run build && node scripts/boot-milestones.mjs [--net] [--smp N]
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guestManifest } from '../web/serve.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { Machine } = await import(join(root, 'dist/src/vmm/machine.js'));
const { buildInitramfs, modulesFor } = await import(join(root, 'dist/src/vmm/initramfs.js'));
const { BootProgress } = await import(join(root, 'dist/web/src/boot-progress.js'));

const args = process.argv.slice(2);
const net = args.includes('--net');
const smpAt = args.indexOf('--smp');
const smp = smpAt >= 0 ? Number(args[smpAt + 1]) : 1;
const dir = process.env.RVKVM_GUEST_DIR ?? resolve(root, '../shared/guest');
const manifest = guestManifest(dir);
const initrd = buildInitramfs({
  busybox: readFileSync(join(dir, manifest.busybox)),
  modules: manifest.modules.map((name) => ({ name, data: readFileSync(join(dir, 'modules', name)) })),
  commands: ['poweroff -f'],
  ...(net ? { setup: { modules: modulesFor(['net']), dhcp: true } } : {}),
});
const progress = new BootProgress(null);
const decoder = new TextDecoder();
let m;
m = new Machine({
  kernel: readFileSync(join(dir, manifest.kernel)), initrd, clock: 'icount', smp, net,
  console: (bytes) => progress.feed(decoder.decode(bytes, { stream: true }), m.instructions),
});
while (!progress.done) {
  const s = m.step(5_000_000, 200);
  if (s.kind !== 'running' && s.kind !== 'idle') throw new Error(`the guest stopped before the init marker: ${s.kind}`);
}
const total = progress.seenAt.at(-1).instructions;
for (const { phase, instructions } of progress.seenAt) {
  console.log(`${phase.padEnd(22)} ${String(instructions).padStart(12)}  ${(instructions / total).toFixed(3)}`);
}
