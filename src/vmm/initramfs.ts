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
  'udhcpc', 'wget', 'nc', 'nslookup', 'printf', 'readlink',
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
  /** What the default /init sets up before INIT_MARKER: modules for the VM's devices, mounts, DHCP. */
  setup?: GuestSetup;
}

/**
 * The bundled guest's kernel modules in the order they load (the guest README's): each one's dependencies come
 * before it. Which of them a VM needs follows from its devices (DEVICE_MODULES).
 */
export const MODULE_ORDER: readonly string[] = [
  'virtio_mmio', 'virtio_blk', 'crc32c_generic', 'crc16', 'mbcache', 'jbd2', 'ext4',
  'failover', 'net_failover', 'virtio_net', 'virtio-rng', 'netfs', '9pnet', '9pnet_virtio', '9p',
];

/** The modules each kind of device needs in the bundled guest (virtio-console is built into its kernel). */
export const DEVICE_MODULES = {
  disk: ['virtio_mmio', 'virtio_blk', 'crc32c_generic', 'crc16', 'mbcache', 'jbd2', 'ext4'],
  net: ['virtio_mmio', 'failover', 'net_failover', 'virtio_net'],
  rng: ['virtio_mmio', 'virtio-rng'],
  ninep: ['virtio_mmio', 'netfs', '9pnet', '9pnet_virtio', '9p'],
} as const satisfies Record<string, readonly string[]>;

/** The modules for a set of devices, each once, in MODULE_ORDER. */
export function modulesFor(devices: readonly (keyof typeof DEVICE_MODULES)[]): string[] {
  const want = new Set<string>(devices.flatMap((d) => DEVICE_MODULES[d]));
  return MODULE_ORDER.filter((m) => want.has(m));
}

export interface GuestMount {
  /** a block device (/dev/vda) or, for type 9p, the mount tag */
  source: string;
  type: 'disk' | '9p';
  target: string;
  readOnly?: boolean;
}

export interface GuestSetup {
  /** modules (names without .ko), loaded in this order; one already loaded is skipped */
  modules: readonly string[];
  mounts?: readonly GuestMount[];
  /** configure eth0 by DHCP (busybox udhcpc) */
  dhcp?: boolean;
}

/** Words the setup puts into a shell script: plain characters only, so no quoting can go wrong. */
const SAFE_WORD = /^[A-Za-z0-9_.\/-]+$/;

/** The /init lines for a GuestSetup; each step says what it did (or that it failed) in one console line. */
export function setupScript(setup: GuestSetup): string[] {
  const lines: string[] = [];
  for (const w of [...setup.modules, ...(setup.mounts ?? []).flatMap((m) => [m.source, m.target])]) {
    if (!SAFE_WORD.test(w)) throw new VmmError(`initramfs: '${w}' is not a plain module, device or path name`);
  }
  for (const m of setup.mounts ?? []) {
    if (!m.target.startsWith('/')) throw new VmmError(`initramfs: mount point '${m.target}' is not an absolute path`);
  }
  if (setup.modules.length > 0) {
    lines.push('rvkvm_loaded=');
    for (const m of setup.modules) {
      // /proc/modules spells names with '_'; a module some earlier step loaded is not loaded twice
      lines.push(`grep -q '^${m.replace(/-/g, '_')} ' /proc/modules || insmod /lib/modules/${m}.ko && rvkvm_loaded="$rvkvm_loaded ${m}" || echo "rvkvm-init: insmod ${m} failed"`);
    }
    lines.push('echo "rvkvm-init: loaded$rvkvm_loaded"');
  }
  for (const m of setup.mounts ?? []) {
    const ro = m.readOnly ? ' -o ro' : '';
    const cmd = m.type === '9p'
      ? `mount -t 9p -o trans=virtio,version=9p2000.L${m.readOnly ? ',ro' : ''} ${m.source} ${m.target}`
      : `mount${ro} ${m.source} ${m.target}`;
    const what = m.type === '9p' ? `9p folder ${m.source}` : m.source;
    lines.push(`mkdir -p ${m.target} && ${cmd} && echo "rvkvm-init: mounted ${what} on ${m.target}${m.readOnly ? ' (read-only)' : ''}" || echo "rvkvm-init: could not mount ${what} on ${m.target}"`);
  }
  if (setup.dhcp) {
    lines.push(
      'ip link set eth0 up',
      'if udhcpc -i eth0 -s /etc/udhcpc.script -q -n -t 5 >/dev/null 2>&1; then ' +
        'echo "rvkvm-init: eth0 configured by DHCP: $(cat /tmp/rvkvm-lease)"; else echo "rvkvm-init: DHCP on eth0 got no lease"; fi',
    );
  }
  return lines;
}

/** udhcpc's hook for setup.dhcp: address, default route and resolver from the lease. */
export const UDHCPC_SCRIPT = [
  '#!/bin/sh',
  'case "$1" in',
  'bound|renew)',
  '  ip addr flush dev $interface',
  '  ip addr add $ip/${mask:-24} dev $interface',
  '  [ -n "$router" ] && ip route add default via ${router%% *} dev $interface',
  '  : > /etc/resolv.conf; for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done',
  '  echo "$ip gateway ${router%% *} dns $dns" > /tmp/rvkvm-lease ;;',
  'esac',
  'exit 0',
  '',
].join('\n');

/**
 * The default /init: mounts proc, sys and devtmpfs, prints INIT_MARKER, then runs `commands` (and powers
 * off) or, without commands, an interactive shell on the console (and powers off when it exits).
 */
export function defaultInitScript(
  commands?: readonly string[], opts: { virtioConsole?: boolean; channels?: number; setup?: GuestSetup } = {},
): string {
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
  if (opts.setup) lines.push(...setupScript(opts.setup)); // after the console moved to hvc0: its lines show there
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
  const init = inputs.init ?? defaultInitScript(inputs.commands, {
    virtioConsole: inputs.virtioConsole === true, channels: inputs.channels ?? 0, ...(inputs.setup ? { setup: inputs.setup } : {}),
  });
  if (inputs.setup?.dhcp) cpio.file('etc/udhcpc.script', new TextEncoder().encode(UDHCPC_SCRIPT), 0o755);
  cpio.file('init', new TextEncoder().encode(init), 0o755);
  return cpio.finish();
}
