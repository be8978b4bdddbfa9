// `rvkvm run --channel unix:PATH[,name=NAME]`: a virtio-console port (the guest's /dev/vport0p1, ...) carried
// to a Unix socket that rvkvm listens on, for one client at a time: a host program's byte pipe into the guest
// without a network. Guest output that arrives while no client is connected is kept (up to CHANNEL_BUFFER
// bytes, then the oldest is dropped with a log line) and given to the next client; client input the guest has
// not read yet pauses the socket (Node's own flow control) rather than queueing without bound. The device holds
// client bytes until a guest program opens the port; Linux drops what reached the port when that program closes
// it unread, so a guest program should open it once for both directions (exec 3<>/dev/virtio-ports/NAME).
// `file:PATH` is the output-only kind (QEMU's -chardev file): the guest's bytes are written to PATH, nothing comes
// back. QEMU's -chardev/-device spellings (src/cli/qemu-devices.ts) make the same ChannelSpec.
import { UsageError } from './errors.js';
import { createServer, type Server, type Socket } from 'node:net';
import { closeSync, existsSync, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { parseSubOptions } from './suboptions.js';

export interface ChannelSpec {
  kind: 'unix' | 'file';
  path: string;
  name: string;
  /** a console port (QEMU's virtconsole): the guest makes it an hvc terminal as well */
  console?: boolean;
  /** unix: start the guest only once a client has connected (QEMU's server=on,wait=on) */
  wait?: boolean;
  /** file: add to the file instead of truncating it (QEMU's append=on) */
  append?: boolean;
}

const CHANNEL_BUFFER = 1 << 20;
const INPUT_HIGH_WATER = 1 << 20;

/** `unix:PATH[,name=NAME]` or `file:PATH[,name=NAME]`; the nth channel (from 1) is named `rvkvm.N` unless a name is given. */
export function parseChannelOption(text: string, n: number): ChannelSpec {
  const [head, ...parts] = text.split(',');
  const m = /^(unix|file):(.+)$/.exec(head ?? '');
  if (!m) throw new UsageError(`--channel '${text}': expected unix:PATH[,name=NAME] or file:PATH[,name=NAME]`);
  const o = parseSubOptions('--channel', text, parts, [{ key: 'name', valueName: 'NAME' }]);
  return { kind: m[1] as 'unix' | 'file', path: m[2]!, name: channelName('--channel', text, o.get('name'), n) };
}

/** A port name as the guest will see it (/dev/virtio-ports/NAME): the given one, checked, or `rvkvm.N`. */
export function channelName(flag: string, text: string, name: string | undefined, n: number): string {
  const v = name ?? `rvkvm.${n}`;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(v)) throw new UsageError(`${flag} '${text}': name '${v}' must be 1..64 of A-Z a-z 0-9 . _ -`);
  return v;
}

export interface HostChannel {
  /** Bytes the guest wrote to the port. */
  fromGuest(bytes: Uint8Array): void;
  close(): Promise<void>;
}

/**
 * Listens on spec.path (unix) or opens it for writing (file); `toGuest` feeds the port, `pending` says how much of
 * it the guest has not read. With spec.wait it resolves once the first client has connected.
 */
export async function openChannel(spec: ChannelSpec, toGuest: (bytes: Uint8Array) => void, pending: () => number,
  log: (msg: string) => void): Promise<HostChannel> {
  if (spec.kind === 'file') return openFileChannel(spec);
  if (existsSync(spec.path)) {
    if (!lstatSync(spec.path).isSocket()) throw new UsageError(`--channel: '${spec.path}' exists and is not a socket`);
    unlinkSync(spec.path); // a socket left by an earlier run
  }
  let client: Socket | null = null;
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let dropped = false;
  let poll: ReturnType<typeof setInterval> | null = null;
  let connected: () => void = () => {};
  const server: Server = createServer((sock) => {
    if (client) { sock.end(); return; } // one client at a time
    client = sock;
    connected();
    for (const b of held) sock.write(b);
    held = []; heldBytes = 0;
    sock.on('data', (d: Buffer) => {
      toGuest(new Uint8Array(d));
      if (pending() >= INPUT_HIGH_WATER && poll === null) {
        sock.pause();
        poll = setInterval(() => {
          if (pending() > INPUT_HIGH_WATER / 16) return;
          clearInterval(poll!); poll = null;
          sock.resume();
        }, 20);
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      if (poll !== null) { clearInterval(poll); poll = null; }
      client = null;
    });
  });
  await new Promise<void>((res, rej) => {
    server.once('error', (e) => rej(new UsageError(`--channel: cannot listen on '${spec.path}': ${e.message}`)));
    server.listen(spec.path, () => res());
  });
  server.unref();
  if (spec.wait) {
    log(`channel ${spec.name}: waiting for a client on ${spec.path} before the guest starts`);
    const keep = setInterval(() => {}, 1 << 30); // the unref'd server alone would let Node exit while waiting
    await new Promise<void>((r) => { connected = r; });
    clearInterval(keep);
  }
  return {
    fromGuest(bytes) {
      if (client) { client.write(bytes); return; }
      held.push(bytes.slice());
      heldBytes += bytes.length;
      while (heldBytes > CHANNEL_BUFFER && held.length > 0) {
        heldBytes -= held.shift()!.length;
        if (!dropped) { dropped = true; log(`channel ${spec.name}: no client on ${spec.path}; dropping guest output beyond ${CHANNEL_BUFFER} bytes`); }
      }
    },
    async close() {
      if (poll !== null) clearInterval(poll);
      client?.end();
      await new Promise<void>((r) => server.close(() => r()));
      try { unlinkSync(spec.path); } catch { /* already gone */ }
    },
  };
}

/** `file:PATH`: the guest's bytes go to the file (truncated first unless spec.append); the guest reads nothing. */
function openFileChannel(spec: ChannelSpec): HostChannel {
  let fd: number;
  try {
    fd = openSync(spec.path, spec.append ? 'a' : 'w');
  } catch (e) {
    throw new UsageError(`--channel: cannot open '${spec.path}' for writing: ${(e as Error).message}`);
  }
  return {
    fromGuest(bytes) { writeSync(fd, bytes); },
    async close() { closeSync(fd); },
  };
}
