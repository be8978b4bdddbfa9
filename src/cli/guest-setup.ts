// What the bundled guest's /init sets up for a run: the modules of the devices rvkvm creates (so `--disk` or
// `--9p` work without insmod by hand), eth0 configured by DHCP with --net, and the mounts asked for with
// `--mount SRC[:DIR]`. rvkvm knows its devices
// when it builds the initramfs, so the init needs no probing and no kernel command line of its own.
import { modulesFor, type DEVICE_MODULES, type GuestMount, type GuestSetup } from '../vmm/initramfs.js';
import type { DiskSpec } from './disk.js';
import type { ShareSpec } from './ninep-options.js';
import { UsageError } from './errors.js';

export interface MountSpec {
  /** vda, vdb, ... or a 9p mount tag */
  source: string;
  target: string;
}

/** `SRC[:DIR]`; DIR defaults to /mnt/SRC. */
export function parseMountOption(text: string): MountSpec {
  const colon = text.indexOf(':');
  const source = colon < 0 ? text : text.slice(0, colon);
  const target = colon < 0 ? `/mnt/${source}` : text.slice(colon + 1);
  if (!/^[A-Za-z0-9_.-]{1,31}$/.test(source)) throw new UsageError(`--mount '${text}': expected SRC[:DIR], SRC a disk (vda, vdb, ...) or a 9p tag`);
  if (!/^\/[A-Za-z0-9_./-]*$/.test(target) || target.split('/').includes('..') || target === '/') {
    throw new UsageError(`--mount '${text}': the mount point must be an absolute path of plain characters, such as /mnt/host`);
  }
  return { source, target };
}

interface SetupInputs {
  diskFiles: readonly Pick<DiskSpec, 'readOnly'>[];
  shares: readonly ShareSpec[];
  mounts: readonly MountSpec[];
  /** --net (any spelling): the user-mode network, which has a DHCP server */
  net?: object | null;
  cfg: { rng?: boolean };
}

export function guestSetup(opts: SetupInputs): GuestSetup {
  const devices: (keyof typeof DEVICE_MODULES)[] = [];
  if (opts.diskFiles.length > 0) devices.push('disk');
  if (opts.net) devices.push('net');
  if (opts.shares.length > 0) devices.push('ninep');
  // the entropy device comes along whenever virtio is loaded anyway
  if (devices.length > 0 && opts.cfg.rng !== false) devices.push('rng');
  const mounts: GuestMount[] = opts.mounts.map((m) => {
    if (/^vd[a-z]$/.test(m.source)) {
      const disk = opts.diskFiles[m.source.charCodeAt(2) - 97];
      return { source: `/dev/${m.source}`, type: 'disk', target: m.target, readOnly: disk?.readOnly === true };
    }
    const share = opts.shares.find((s) => s.tag === m.source);
    return { source: m.source, type: '9p', target: m.target, readOnly: share?.readOnly === true };
  });
  // the user-mode network answers DHCP, so eth0 gets 10.0.2.15, the gateway and DNS as QEMU's slirp gives them
  return { modules: modulesFor(devices), mounts, ...(opts.net ? { dhcp: true } : {}) };
}
