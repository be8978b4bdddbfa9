// The guest's initramfs: busybox with applet symlinks, kernel modules, an /init script, extra files.
import { CpioWriter } from './cpio.js';
import { VmmError } from './errors.js';

/** Printed by the default /init once userspace runs; a VMM or test waits for it on the console. */
export const INIT_MARKER = 'rvkvm-init: userspace is up';

/** Busybox applets linked into /bin (all exist in Debian's busybox-static). */
export const BUSYBOX_APPLETS: readonly string[] = [
  'sh', 'ash', 'cat', 'ls', 'echo', 'mount', 'umount', 'insmod', 'rmmod', 'lsmod', 'poweroff', 'reboot', 'halt',
  'mkdir', 'mknod', 'rm', 'cp', 'mv', 'ln', 'chmod', 'dmesg', 'uname', 'ps', 'grep', 'sed', 'awk', 'head', 'tail',
  'wc', 'sleep', 'dd', 'hexdump', 'od', 'df', 'free', 'sync', 'ping', 'ip', 'ifconfig', 'route', 'mdev', 'setsid',
  'cttyhack', 'md5sum', 'sha256sum', 'true', 'false', 'test', 'env', 'date', 'id', 'tr', 'cut', 'find', 'xargs',
  'stty', 'vi', 'less', 'more', 'top', 'kill', 'nproc', 'time', 'tee', 'touch', 'stat', 'mke2fs', 'fdisk',
  'udhcpc', 'wget', 'nc', 'nslookup', 'printf',
];

export interface InitramfsInputs {
  /** The static busybox binary (installed as /bin/busybox). */
  busybox: Uint8Array;
  /** Kernel modules, installed as /lib/modules/<name> (name must end in .ko). */
  modules?: readonly { name: string; data: Uint8Array }[];
  /** The whole /init script; when absent, defaultInitScript(commands) is used. */
  init?: string;
  /** Commands for the default /init to run instead of an interactive shell. */
  commands?: readonly string[];
  /** Extra files, e.g. test programs: path inside the guest, contents, mode (default 0755). */
  files?: readonly { path: string; data: Uint8Array; mode?: number }[];
  /** Applets to link (default BUSYBOX_APPLETS). */
  applets?: readonly string[];
  /**
   * The console is virtio-console's hvc0 (kernel console=hvc0): the default /init loads virtio_mmio.ko (the
   * transport is a module in the bundled kernel, so hvc0 does not exist when /init starts) and moves its own
   * input and output to /dev/hvc0 before anything else.
   */
  virtioConsole?: boolean;
  /** virtio-console channel ports (/dev/vport0p1..N): the default /init loads virtio_mmio.ko and waits for them. */
  channels?: number;
}

/**
 * The default /init: mounts proc, sys and devtmpfs, prints INIT_MARKER, then runs `commands` (and powers
 * off) or, without commands, an interactive shell on the console (and powers off when it exits).
 */
export function defaultInitScript(commands?: readonly string[], opts: { virtioConsole?: boolean; channels?: number } = {}): string {
  const lines = [
    '#!/bin/busybox sh',
    'export PATH=/bin:/sbin',
    'mount -t proc proc /proc',
    'mount -t sysfs sysfs /sys',
    'mount -t devtmpfs devtmpfs /dev',
  ];
  const channels = opts.channels ?? 0;
  const waitUntil = (cond: string): string => `i=0; until ${cond}; do [ $i -ge 300 ] && break; sleep 0.1; i=$((i+1)); done`;
  if (opts.virtioConsole || channels > 0) lines.push('insmod /lib/modules/virtio_mmio.ko');
  if (opts.virtioConsole) {
    // Until hvc0 exists the kernel had no console to give /init: stdin/stdout/stderr are closed. The hvc device
    // nodes appear a moment before hvc0 can be opened, so wait for an open that works.
    lines.push(waitUntil('(: </dev/hvc0) 2>/dev/null'), 'exec </dev/hvc0 >/dev/hvc0 2>&1');
  }
  if (channels > 0) {
    // What udev would do: /dev/virtio-ports/NAME for every named port (the console, port 0, has no name).
    lines.push(
      waitUntil(`[ $(ls /sys/class/virtio-ports 2>/dev/null | wc -l) -gt ${channels} ]`),
      'mkdir -p /dev/virtio-ports',
      'for p in /sys/class/virtio-ports/*; do n=$(cat $p/name 2>/dev/null); [ -n "$n" ] && ln -sf /dev/${p##*/} /dev/virtio-ports/$n; done',
    );
  }
  lines.push(`echo "${INIT_MARKER}"`);
  if (commands && commands.length > 0) lines.push(...commands);
  else lines.push('setsid cttyhack sh');
  lines.push('sync', 'poweroff -f', '');
  return lines.join('\n');
}

/** Builds the uncompressed newc archive (the kernel accepts it as is). */
export function buildInitramfs(inputs: InitramfsInputs): Uint8Array {
  if (inputs.busybox.length < 4 || inputs.busybox[0] !== 0x7f || inputs.busybox[1] !== 0x45 || inputs.busybox[2] !== 0x4c || inputs.busybox[3] !== 0x46) {
    throw new VmmError('initramfs: the busybox input is not an ELF file');
  }
  const cpio = new CpioWriter();
  for (const d of ['bin', 'sbin', 'dev', 'proc', 'sys', 'tmp', 'etc', 'root', 'mnt', 'lib/modules']) cpio.dir(d, d === 'tmp' ? 0o1777 : 0o755);
  // The kernel opens /dev/console before /init runs, i.e. before devtmpfs is mounted.
  cpio.device('dev/console', 'c', 5, 1, 0o600);
  cpio.device('dev/null', 'c', 1, 3, 0o666);
  cpio.file('bin/busybox', inputs.busybox, 0o755);
  for (const applet of inputs.applets ?? BUSYBOX_APPLETS) {
    if (applet === 'busybox' || applet.includes('/')) throw new VmmError(`initramfs: bad applet name '${applet}'`);
    cpio.symlink(`bin/${applet}`, 'busybox');
  }
  for (const m of inputs.modules ?? []) {
    if (!/^[A-Za-z0-9_.-]+\.ko$/.test(m.name)) throw new VmmError(`initramfs: module name '${m.name}' is not a plain <name>.ko`);
    cpio.file(`lib/modules/${m.name}`, m.data, 0o644);
  }
  for (const f of inputs.files ?? []) {
    if (f.path.replace(/^\/+/, '') === 'init') throw new VmmError('initramfs: /init comes from the init script, not from files');
    cpio.file(f.path, f.data, f.mode ?? 0o755);
  }
  const init = inputs.init ?? defaultInitScript(inputs.commands, { virtioConsole: inputs.virtioConsole === true, channels: inputs.channels ?? 0 });
  cpio.file('init', new TextEncoder().encode(init), 0o755);
  return cpio.finish();
}
