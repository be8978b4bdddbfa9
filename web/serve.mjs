// Serves the built page (build/web/) and the bundled Debian guest (../shared/guest, or RVKVM_GUEST_DIR) under
// /guest/, with /guest/manifest.json naming its kernel, busybox and modules. Localhost only.
// usage: node web/serve.mjs [--port N] [--host H]     (port 0 picks a free one; the URL is printed)
import { createServer } from 'node:http';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const siteDir = join(root, 'build/web');
const guestDir = process.env.RVKVM_GUEST_DIR ?? resolve(root, '../shared/guest');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.json': 'application/json', '.png': 'image/png',
};

function parseArgs(argv) {
  const opts = { port: 8080, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--port' && v !== undefined && /^\d+$/.test(v) && Number(v) < 65536) { opts.port = Number(v); i++; }
    else if (a === '--host' && v !== undefined) { opts.host = v; i++; }
    else throw new Error(`serve: bad argument '${a}${v !== undefined ? ' ' + v : ''}' (usage: node web/serve.mjs [--port N] [--host H])`);
  }
  return opts;
}

/** The guest directory's kernel (*.Image), busybox (busybox-*) and modules (modules/*.ko). */
export function guestManifest(dir) {
  if (!existsSync(dir)) throw new Error(`guest directory ${dir} does not exist (set RVKVM_GUEST_DIR)`);
  const names = readdirSync(dir);
  const one = (what, test) => {
    const found = names.filter(test);
    if (found.length !== 1) throw new Error(`guest directory ${dir}: expected one ${what}, found ${found.length}`);
    return found[0];
  };
  const modDir = join(dir, 'modules');
  return {
    kernel: one('kernel (*.Image)', (n) => n.endsWith('.Image')),
    busybox: one('busybox (busybox-*)', (n) => n.startsWith('busybox-')),
    modules: existsSync(modDir) ? readdirSync(modDir).filter((n) => n.endsWith('.ko')).sort() : [],
  };
}

/** Maps a URL path to a file inside base, or null if it would leave base. */
function within(base, urlPath) {
  const p = normalize(join(base, decodeURIComponent(urlPath)));
  return p === base || p.startsWith(base + sep) ? p : null;
}

function sendFile(res, file) {
  let st;
  try { st = statSync(file); } catch { st = null; }
  if (!st || !st.isFile()) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n'); return; }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': st.size,
    'cache-control': 'no-cache',
  });
  createReadStream(file).pipe(res);
}

/** Serves the page from `site` (default build/web) and the guest. */
export function startServer({ port = 8080, host = '127.0.0.1', site = siteDir } = {}) {
  const server = createServer((req, res) => {
    let path;
    try { path = new URL(req.url ?? '/', 'http://localhost').pathname; } catch { path = '/'; }
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return; }
    try {
      if (path === '/guest/manifest.json') {
        const body = JSON.stringify(guestManifest(guestDir));
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' }).end(body);
        return;
      }
      const file = path.startsWith('/guest/')
        ? within(guestDir, path.slice('/guest/'.length))
        : within(site, path === '/' ? 'index.html' : path.slice(1));
      if (!file) { res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden\n'); return; }
      sendFile(res, file);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e instanceof Error ? e.message : e}\n`);
    }
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolvePromise(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    if (!existsSync(join(siteDir, 'index.html'))) throw new Error(`${siteDir} has no index.html: run 'node web/build.mjs' first (or 'npm run web')`);
    const server = await startServer(parseArgs(process.argv.slice(2)));
    const { address, port } = server.address();
    console.log(`rvkvm web: serving build/web and ${guestDir} at http://${address}:${port}/`);
  } catch (e) {
    console.error(`rvkvm web: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
