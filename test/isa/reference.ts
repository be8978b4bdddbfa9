// Loads the shared reference JSON (../shared/reference relative to the project root) for table-driven tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Compiled to dist/test/isa/reference.js: the project root is three levels up.
const referenceDir = new URL('../../../../shared/reference/', import.meta.url);

export function reference<T = any>(file: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(file, referenceDir)), 'utf8')) as T;
}

export const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
