// Spellings of a shared host folder: kvmtool's `--9p DIR[,TAG][,ro]` and QEMU's
// `-virtfs local,path=DIR,mount_tag=TAG,security_model=none[,readonly=on][,id=ID]`. Only what rvkvm serves is
// accepted: security_model=none (files stay the host user's; the guest's chown changes nothing), and the other
// models are refused in one line, as an unknown key is.
import { parseSubOptions, type SubOptionSpec } from './suboptions.js';
import { UsageError } from './errors.js';
import { MOUNT_TAG_RE } from '../vmm/devices/virtio-9p.js';

export interface ShareSpec {
  path: string;
  tag: string;
  readOnly: boolean;
}

/** kvmtool's tag when none is given. */
export const DEFAULT_9P_TAG = 'kvm_9p';

function checkTag(flag: string, text: string, tag: string): string {
  if (!MOUNT_TAG_RE.test(tag)) throw new UsageError(`${flag} '${text}': mount tag '${tag}' must be 1..31 of A-Z a-z 0-9 _ . -`);
  return tag;
}

/** `--9p DIR[,TAG][,ro]` */
export function parse9pOption(text: string): ShareSpec {
  const [path, ...rest] = text.split(',');
  if (!path) throw new UsageError(`--9p '${text}': expected DIR[,TAG][,ro]`);
  let tag = DEFAULT_9P_TAG;
  if (rest.length > 0 && rest[0] !== 'ro' && !rest[0]!.includes('=')) tag = checkTag('--9p', text, rest.shift()!);
  const o = parseSubOptions('--9p', text, rest, [{ key: 'ro' }]);
  return { path, tag, readOnly: o.has('ro') };
}

const VIRTFS_OPTIONS: readonly SubOptionSpec[] = [
  { key: 'security_model', values: ['none'], notYet: ['mapped-xattr', 'mapped-file', 'passthrough', 'mapped'] },
  { key: 'readonly', values: ['on', 'off'] },
];
/** Keys that take any value (checked here). */
const VIRTFS_FREE = ['path', 'mount_tag', 'id'] as const;

/** `-virtfs local,path=DIR,mount_tag=TAG,security_model=none[,readonly=on|off][,id=ID]` */
export function parseVirtfsOption(text: string): ShareSpec {
  const [driver, ...parts] = text.split(',');
  if (driver !== 'local') {
    throw new UsageError(`-virtfs '${text}': only the 'local' file system driver is supported (got '${driver ?? ''}')`);
  }
  const free = new Map<string, string>();
  const rest: string[] = [];
  for (const p of parts) {
    const eq = p.indexOf('=');
    const key = eq < 0 ? p : p.slice(0, eq);
    if ((VIRTFS_FREE as readonly string[]).includes(key)) {
      if (eq < 0 || eq === p.length - 1) throw new UsageError(`-virtfs '${text}': '${key}' needs a value`);
      free.set(key, p.slice(eq + 1));
    } else rest.push(p);
  }
  let o: Map<string, string>;
  try {
    o = parseSubOptions('-virtfs', text, rest, VIRTFS_OPTIONS);
  } catch (e) {
    const m = (e as Error).message;
    throw new UsageError(m.includes('unknown option') ? m.replace('(accepted: ', '(accepted: path=DIR, mount_tag=TAG, id=ID, ') : m);
  }
  const path = free.get('path');
  const tag = free.get('mount_tag');
  if (!path) throw new UsageError(`-virtfs '${text}': path=DIR is required`);
  if (!tag) throw new UsageError(`-virtfs '${text}': mount_tag=TAG is required`);
  if (!o.has('security_model')) {
    throw new UsageError(`-virtfs '${text}': security_model= is required, as QEMU has it (rvkvm serves security_model=none)`);
  }
  return { path, tag: checkTag('-virtfs', text, tag), readOnly: o.get('readonly') === 'on' };
}
