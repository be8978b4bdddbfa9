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

export function checkTag(flag: string, text: string, tag: string): string {
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

/** The `local` driver's keys, as -virtfs and -fsdev share them; `own` are the flag's own (mount_tag=, id=). */
const LOCAL_OPTIONS: readonly SubOptionSpec[] = [
  { key: 'path', valueName: 'DIR' },
  { key: 'security_model', values: ['none'], notYet: ['mapped-xattr', 'mapped-file', 'passthrough', 'mapped'] },
  { key: 'readonly', values: ['on', 'off'] },
];

/** `local,path=DIR,security_model=none[,readonly=on|off]` plus `own` keys: the options, path and read-only flag. */
function parseLocalFs(flag: string, text: string, own: readonly SubOptionSpec[]): { o: Map<string, string>; path: string; readOnly: boolean } {
  const [driver, ...parts] = text.split(',');
  if (driver !== 'local') {
    throw new UsageError(`${flag} '${text}': only the 'local' file system driver is supported (got '${driver ?? ''}')`);
  }
  const o = parseSubOptions(flag, text, parts, [LOCAL_OPTIONS[0]!, ...own, ...LOCAL_OPTIONS.slice(1)]);
  const path = o.get('path');
  if (!path) throw new UsageError(`${flag} '${text}': path=DIR is required`);
  if (!o.has('security_model')) {
    throw new UsageError(`${flag} '${text}': security_model= is required, as QEMU has it (rvkvm serves security_model=none)`);
  }
  return { o, path, readOnly: o.get('readonly') === 'on' };
}

/** `-virtfs local,path=DIR,mount_tag=TAG,security_model=none[,readonly=on|off][,id=ID]` */
export function parseVirtfsOption(text: string): ShareSpec {
  const { o, path, readOnly } = parseLocalFs('-virtfs', text, [{ key: 'mount_tag', valueName: 'TAG' }, { key: 'id', valueName: 'ID' }]);
  const tag = o.get('mount_tag');
  if (!tag) throw new UsageError(`-virtfs '${text}': mount_tag=TAG is required`);
  return { path, tag: checkTag('-virtfs', text, tag), readOnly };
}

/** `-fsdev local,id=ID,path=DIR,security_model=none[,readonly=on|off]`: a share without its tag, which the
 *  `-device virtio-9p-device,fsdev=ID,mount_tag=TAG` that uses it gives. */
export function parseFsdevOption(text: string): { id: string; path: string; readOnly: boolean } {
  const { o, path, readOnly } = parseLocalFs('-fsdev', text, [{ key: 'id', valueName: 'ID' }]);
  const id = o.get('id');
  if (!id) throw new UsageError(`-fsdev '${text}': id=ID is required (-device virtio-9p-device,fsdev=ID,mount_tag=TAG uses it)`);
  return { id, path, readOnly };
}

