// Command-line spellings of the user-mode network, parsed into one NetArgs: rvkvm's `--net user[,...]`,
// QEMU's `-nic user,...` and `-netdev user,id=ID,...` with `-device virtio-net-device,netdev=ID`, and kvmtool's
// `--network mode=user` (`-n`). Every spelling takes the same sub-options; an unknown one is an error, never
// ignored (QEMU's own options that rvkvm does not implement, such as net= or smb=, say so).
import { UsageError } from './errors.js';
import type { HostForward } from '../vmm/devices/usernet.js';
import type { HostAddress } from '../vmm/net/provider.js';

export interface NetArgs {
  restrict: boolean;
  hostForwards: HostForward[];
  /** where the guest's DNS queries go (default: the host's resolver from /etc/resolv.conf) */
  dnsForward?: HostAddress;
  mac?: string;
}

export interface NetParseState {
  net?: NetArgs | null;
  netdevs: Map<string, NetArgs>;
  devices: { netdev: string; mac?: string; flag: string }[];
}

export const newNetState = (): NetParseState => ({ netdevs: new Map(), devices: [] });

export const NET_USAGE = `  --net [user[,OPTS]]  virtio-net on a user-mode network (as QEMU's slirp): DHCP gives the guest 10.0.2.15,
                       gateway 10.0.2.2 (= the host's 127.0.0.1), DNS 10.0.2.3; guest TCP/UDP goes out through
                       host sockets. OPTS (comma-separated, also for the spellings below):
                         hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT  (repeatable; HOSTADDR
                           defaults to 127.0.0.1, GUESTADDR to 10.0.2.15)
                         restrict=on|off     on: nothing the guest opens leaves the VM (forwarders still work)
                         dnsfwd=HOST[:PORT]  resolver for the guest's DNS queries (default: /etc/resolv.conf)
  --net none           no network (default)
  -nic user,OPTS       QEMU spelling;  -netdev user,id=ID,OPTS -device virtio-net-device,netdev=ID[,mac=MAC]
  --network mode=user[,OPTS]  (-n) kvmtool spelling`;

const KNOWN = 'hostfwd, restrict, dnsfwd';
const QEMU_UNSUPPORTED = new Set(['net', 'host', 'dhcpstart', 'dns', 'ipv4', 'ipv6', 'ipv6-net', 'ipv6-host', 'ipv6-dns',
  'hostname', 'domainname', 'dnssearch', 'tftp', 'tftp-server-name', 'bootfile', 'smb', 'smbserver', 'guestfwd', 'vhostuser']);

function port(s: string, what: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new UsageError(`${what} '${s}': expected a port 1-65535`);
  return n;
}

function ipv4(s: string, what: string): string {
  if (!/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) || s.split('.').some((p) => Number(p) > 255)) {
    throw new UsageError(`${what} '${s}': expected an IPv4 address`);
  }
  return s;
}

export function parseHostForward(spec: string, flag: string): HostForward {
  // QEMU's form: the protocol field is always there but may be empty (tcp)
  const m = /^([a-z]*):([^:-]*):([^:-]*)-([^:-]*):([^:-]*)$/.exec(spec);
  if (!m) throw new UsageError(`${flag} hostfwd=${spec}: expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT`);
  const proto = m[1] || 'tcp';
  if (proto !== 'tcp' && proto !== 'udp') throw new UsageError(`${flag} hostfwd=${spec}: protocol '${proto}' is not tcp or udp`);
  return {
    proto,
    hostAddr: m[2] ? ipv4(m[2], `${flag} hostfwd host address`) : '127.0.0.1',
    hostPort: port(m[3]!, `${flag} hostfwd host port`),
    ...(m[4] ? { guestAddr: ipv4(m[4], `${flag} hostfwd guest address`) } : {}),
    guestPort: port(m[5]!, `${flag} hostfwd guest port`),
  };
}

function parseDns(v: string, flag: string): HostAddress {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(v);
  if (!m) throw new UsageError(`${flag} dnsfwd=${v}: expected HOST[:PORT]`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? port(m[2], `${flag} dnsfwd port`) : 53 };
}

/** Sub-options after the backend name; `extra` handles spelling-specific keys (id=, model=, mode=). */
function parseOpts(opts: string[], flag: string, extra: (k: string, v: string) => boolean): NetArgs {
  const out: NetArgs = { restrict: false, hostForwards: [] };
  for (const o of opts) {
    const eq = o.indexOf('=');
    const k = eq < 0 ? o : o.slice(0, eq);
    const v = eq < 0 ? '' : o.slice(eq + 1);
    if (extra(k, v)) continue;
    switch (k) {
      case 'hostfwd': out.hostForwards.push(parseHostForward(v, flag)); continue;
      case 'restrict':
        if (/^(on|yes|true)$/.test(v)) out.restrict = true;
        else if (/^(off|no|false)$/.test(v)) out.restrict = false;
        else throw new UsageError(`${flag} restrict=${v}: expected on or off`);
        continue;
      case 'dnsfwd': out.dnsForward = parseDns(v, flag); continue;
    }
    if (k === 'dns') throw new UsageError(`${flag} dns=: the guest's DNS address is fixed at 10.0.2.3 here; to choose the resolver its queries go to, use dnsfwd=HOST[:PORT]`);
    if (QEMU_UNSUPPORTED.has(k)) throw new UsageError(`${flag} ${k}=: QEMU's option is not supported by rvkvm (known: ${KNOWN})`);
    throw new UsageError(`${flag}: unknown sub-option '${o}' (known: ${KNOWN})`);
  }
  return out;
}

function userSpec(spec: string, flag: string, extra: (k: string, v: string) => boolean = () => false): NetArgs | null {
  const [backend, ...opts] = spec.split(',');
  if (backend === 'none' && opts.length === 0) return null;
  if (backend !== 'user') throw new UsageError(`${flag} '${backend}': only the user-mode network is supported (user or none)`);
  return parseOpts(opts, flag, extra);
}

/**
 * One network flag at args[i]: how many arguments it used (0: not a network flag). Multiple NICs are not
 * supported: a second one is an error.
 */
export function parseNetFlag(args: readonly string[], i: number, st: NetParseState): number {
  const a = args[i]!;
  const value = (): string => {
    const v = args[i + 1];
    if (v === undefined) throw new UsageError(`${a} needs a value`);
    return v;
  };
  const set = (n: NetArgs | null, flag: string): void => {
    if (st.net !== undefined && n !== null && st.net !== null) throw new UsageError(`${flag}: only one network device is supported`);
    st.net = n;
  };
  if (a === '--net' || a.startsWith('--net=')) {
    const inline = a.startsWith('--net=') ? a.slice(6) : undefined;
    const next = args[i + 1];
    const spec = inline ?? (next !== undefined && !next.startsWith('-') ? next : 'user');
    set(userSpec(spec, '--net'), '--net');
    return inline === undefined && spec === next ? 2 : 1;
  }
  if (a === '-nic' || a === '--nic') {
    set(userSpec(value(), a, (k, v) => {
      if (k !== 'model') return false;
      if (!/^virtio(-net(-device)?)?$/.test(v)) throw new UsageError(`${a} model=${v}: only virtio-net-device is supported`);
      return true;
    }), a);
    return 2;
  }
  if (a === '--network' || a === '-n') {
    let mode: string | undefined;
    const opts = value().split(',').filter((o) => {
      if (!o.startsWith('mode=')) return true;
      mode = o.slice(5);
      return false;
    });
    if (mode === 'none') { set(null, a); return 2; }
    if (mode !== 'user') throw new UsageError(`${a} mode=${mode ?? ''}: only mode=user (or none) is supported`);
    set(parseOpts(opts, a, () => false), a);
    return 2;
  }
  if (a === '-netdev' || a === '--netdev') {
    let id: string | undefined;
    const n = userSpec(value(), a, (k, v) => {
      if (k !== 'id') return false;
      id = v;
      return true;
    });
    if (!n) throw new UsageError(`${a} none: nothing to define`);
    if (!id) throw new UsageError(`${a} ${args[i + 1]}: needs id=NAME (used by -device virtio-net-device,netdev=NAME)`);
    st.netdevs.set(id, n);
    return 2;
  }
  if (a === '-device' || a === '--device') {
    const [driver, ...props] = value().split(',');
    if (!/^virtio-net(-device)?$/.test(driver!)) return 0; // not a network device: another flag's parser may take it
    let netdev: string | undefined;
    let mac: string | undefined;
    for (const p of props) {
      const [k, v] = [p.slice(0, p.indexOf('=') < 0 ? p.length : p.indexOf('=')), p.slice(p.indexOf('=') + 1)];
      if (k === 'netdev') netdev = v;
      else if (k === 'mac') mac = v;
      else throw new UsageError(`${a} ${driver}: unknown property '${p}' (known: netdev, mac)`);
    }
    if (!netdev) throw new UsageError(`${a} ${driver}: needs netdev=ID of a -netdev user,id=ID`);
    st.devices.push({ netdev, ...(mac ? { mac } : {}), flag: a });
    return 2;
  }
  return 0;
}

/** The network after all flags: -device entries resolved against -netdev definitions. */
export function finishNet(st: NetParseState): NetArgs | null {
  const used = new Set<string>();
  for (const d of st.devices) {
    const n = st.netdevs.get(d.netdev);
    if (!n) throw new UsageError(`${d.flag} virtio-net-device,netdev=${d.netdev}: no -netdev with id=${d.netdev}`);
    if (st.net) throw new UsageError(`${d.flag} virtio-net-device: only one network device is supported`);
    st.net = { ...n, ...(d.mac ? { mac: d.mac } : {}) };
    used.add(d.netdev);
  }
  for (const id of st.netdevs.keys()) {
    if (!used.has(id)) throw new UsageError(`-netdev id=${id} is not attached to a device: add -device virtio-net-device,netdev=${id}`);
  }
  return st.net ?? null;
}
