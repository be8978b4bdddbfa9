// QEMU's backend/frontend spellings for what rvkvm has as one flag: `-chardev ID-defined backend` with
// `-device virtconsole|virtserialport,chardev=ID` (rvkvm's --channel), and `-fsdev local,id=ID,...` with
// `-device virtio-9p-device,fsdev=ID,mount_tag=TAG` (--9p). Backends are collected first and joined to their
// devices at the end (QEMU lets either come first); a backend no device uses, a device naming no backend, and any
// key rvkvm does not implement are one-line errors. virtio-net's -netdev/-device pair is net-options.ts's.
import { UsageError } from './errors.js';
import { parseSubOptions, type SubOptionSpec } from './suboptions.js';
import { channelName, type ChannelSpec } from './channel.js';
import { checkTag, parseFsdevOption, type ShareSpec } from './ninep-options.js';

type Chardev = Omit<ChannelSpec, 'name' | 'console'>;

export interface QemuDeviceState {
  chardevs: Map<string, { dev: Chardev; text: string }>;
  fsdevs: Map<string, { path: string; readOnly: boolean; text: string }>;
  devices: { driver: string; props: Map<string, string>; text: string; flag: string }[];
}

export const newQemuDeviceState = (): QemuDeviceState => ({ chardevs: new Map(), fsdevs: new Map(), devices: [] });

const SOCKET_OPTIONS: readonly SubOptionSpec[] = [
  { key: 'id', valueName: 'ID' }, { key: 'path', valueName: 'PATH' },
  { key: 'server', values: ['on', 'off'] }, { key: 'wait', values: ['on', 'off'] },
];
const FILE_OPTIONS: readonly SubOptionSpec[] = [
  { key: 'id', valueName: 'ID' }, { key: 'path', valueName: 'PATH' }, { key: 'append', values: ['on', 'off'] },
];

/** `-chardev socket,id=ID,path=PATH,server=on[,wait=on|off]` or `-chardev file,id=ID,path=PATH[,append=on|off]` */
function parseChardev(text: string): { id: string; dev: Chardev } {
  const [backend, ...parts] = text.split(',');
  if (backend !== 'socket' && backend !== 'file') {
    throw new UsageError(`-chardev '${text}': only the socket (a Unix socket rvkvm listens on) and file backends are supported (got '${backend ?? ''}')`);
  }
  const o = parseSubOptions('-chardev', text, parts, backend === 'socket' ? SOCKET_OPTIONS : FILE_OPTIONS);
  const id = o.get('id');
  const path = o.get('path');
  if (!id) throw new UsageError(`-chardev '${text}': id=ID is required (-device virtconsole,chardev=ID uses it)`);
  if (!path) throw new UsageError(`-chardev '${text}': path=PATH is required${backend === 'socket' ? ' (a Unix socket; TCP host=/port= are not supported)' : ''}`);
  if (backend === 'file') return { id, dev: { kind: 'file', path, ...(o.get('append') === 'on' ? { append: true } : {}) } };
  if (o.get('server') !== 'on') {
    throw new UsageError(`-chardev '${text}': server=on is required: rvkvm listens on PATH (connecting out to a socket is not supported)`);
  }
  // QEMU's default for a server socket is wait=on: the guest starts once a client is there
  return { id, dev: { kind: 'unix', path, ...(o.get('wait') !== 'off' ? { wait: true } : {}) } };
}

/** The -device drivers this file joins to a backend, and their properties. */
export const QEMU_DEVICE_DRIVERS = ['virtconsole', 'virtserialport', 'virtio-9p-device', 'virtio-serial-device'] as const;

const DEVICES: Record<string, { specs: readonly SubOptionSpec[] } | { bus: true }> = {
  virtconsole: { specs: [{ key: 'chardev', valueName: 'ID' }, { key: 'name', valueName: 'NAME' }, { key: 'id', valueName: 'ID' }] },
  virtserialport: { specs: [{ key: 'chardev', valueName: 'ID' }, { key: 'name', valueName: 'NAME' }, { key: 'id', valueName: 'ID' }] },
  'virtio-9p-device': { specs: [{ key: 'fsdev', valueName: 'ID' }, { key: 'mount_tag', valueName: 'TAG' }, { key: 'id', valueName: 'ID' }] },
  // the virtio-serial bus QEMU needs before its ports: rvkvm's virtio-console exists whenever a port does
  'virtio-serial-device': { bus: true },
  'virtio-serial': { bus: true },
};

/**
 * One of -chardev, -fsdev or a -device this file knows at args[i]: how many arguments it used (0: not one of them;
 * another parser may take it, e.g. -device virtio-net-device).
 */
export function parseQemuDeviceFlag(args: readonly string[], i: number, st: QemuDeviceState): number {
  const a = args[i]!;
  if (a !== '-chardev' && a !== '-fsdev' && a !== '-device' && a !== '--device') return 0;
  const text = args[i + 1];
  if (text === undefined) throw new UsageError(`${a} needs a value`);
  if (a === '-chardev') {
    const { id, dev } = parseChardev(text);
    if (st.chardevs.has(id)) throw new UsageError(`-chardev '${text}': id=${id} is defined twice`);
    st.chardevs.set(id, { dev, text });
    return 2;
  }
  if (a === '-fsdev') {
    const f = parseFsdevOption(text);
    if (st.fsdevs.has(f.id)) throw new UsageError(`-fsdev '${text}': id=${f.id} is defined twice`);
    st.fsdevs.set(f.id, { path: f.path, readOnly: f.readOnly, text });
    return 2;
  }
  const [driver, ...parts] = text.split(',');
  const row = DEVICES[driver ?? ''];
  if (!row) return 0;
  if ('bus' in row) {
    if (parts.length > 0) parseSubOptions(a, text, parts, [{ key: 'id', valueName: 'ID' }]);
    return 2;
  }
  st.devices.push({ driver: driver!, props: parseSubOptions(a, text, parts, row.specs), text, flag: a });
  return 2;
}

/** The channels and shares the -device lines make, in their order; every backend must be used exactly once. */
export function finishQemuDevices(st: QemuDeviceState, channelsBefore: number): { channels: ChannelSpec[]; shares: ShareSpec[] } {
  const channels: ChannelSpec[] = [];
  const shares: ShareSpec[] = [];
  const usedChardevs = new Set<string>();
  const usedFsdevs = new Set<string>();
  for (const d of st.devices) {
    if (d.driver === 'virtio-9p-device') {
      const id = d.props.get('fsdev');
      if (!id) throw new UsageError(`${d.flag} '${d.text}': fsdev=ID of a -fsdev local,id=ID,... is required`);
      const fs = st.fsdevs.get(id);
      if (!fs) throw new UsageError(`${d.flag} '${d.text}': no -fsdev with id=${id}`);
      if (usedFsdevs.has(id)) throw new UsageError(`${d.flag} '${d.text}': -fsdev id=${id} is used by another device already`);
      const tag = d.props.get('mount_tag');
      if (!tag) throw new UsageError(`${d.flag} '${d.text}': mount_tag=TAG is required`);
      usedFsdevs.add(id);
      shares.push({ path: fs.path, tag: checkTag(d.flag, d.text, tag), readOnly: fs.readOnly });
      continue;
    }
    const id = d.props.get('chardev');
    if (!id) throw new UsageError(`${d.flag} '${d.text}': chardev=ID of a -chardev is required`);
    const cd = st.chardevs.get(id);
    if (!cd) throw new UsageError(`${d.flag} '${d.text}': no -chardev with id=${id}`);
    if (usedChardevs.has(id)) throw new UsageError(`${d.flag} '${d.text}': -chardev id=${id} is used by another device already`);
    usedChardevs.add(id);
    const name = channelName(d.flag, d.text, d.props.get('name'), channelsBefore + channels.length + 1);
    channels.push({ ...cd.dev, name, ...(d.driver === 'virtconsole' ? { console: true } : {}) });
  }
  for (const [id, c] of st.chardevs) {
    if (!usedChardevs.has(id)) throw new UsageError(`-chardev '${c.text}': not attached to a device: add -device virtconsole,chardev=${id}`);
  }
  for (const [id, f] of st.fsdevs) {
    if (!usedFsdevs.has(id)) throw new UsageError(`-fsdev '${f.text}': not attached to a device: add -device virtio-9p-device,fsdev=${id},mount_tag=TAG`);
  }
  return { channels, shares };
}
