// Loads shared/reference JSON for the KVM tests (path resolved from this file: dist/test/kvm -> project root).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REF = new URL('../../../../shared/reference/', import.meta.url);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadRef(name: string): any {
  return JSON.parse(readFileSync(fileURLToPath(new URL(name, REF)), 'utf8'));
}

/** '6.12' / '7.3' -> the reference's version labels. */
export const REF_VERSION = { '6.12': 'v6.12.107', '7.3': 'v7.3-rc7' } as const;
