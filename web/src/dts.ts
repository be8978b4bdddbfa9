// Device tree blob -> readable source text (dtc's /dts-v1/ syntax), using src/vmm's FDT reader.
import { parseFdt, type FdtNode } from '../../src/vmm/fdt.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A property value as a string list, or null if it is not one (every string non-empty and printable). */
function asStrings(v: Uint8Array): string[] | null {
  if (v.length === 0 || v[v.length - 1] !== 0 || v[0] === 0) return null;
  for (let i = 1; i < v.length; i++) if (v[i] === 0 && v[i - 1] === 0) return null;
  let text: string;
  try { text = decoder.decode(v.subarray(0, v.length - 1)); } catch { return null; }
  if (/[\x01-\x1f\x7f]/.test(text)) return null;
  return text.split('\0');
}

function quote(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** One property's value in dts syntax (without the name): strings, <cells> or [bytes]. */
export function formatPropertyValue(v: Uint8Array): string {
  const strings = asStrings(v);
  if (strings) return strings.map(quote).join(', ');
  if (v.length % 4 === 0) {
    const view = new DataView(v.buffer, v.byteOffset, v.length);
    const cells = Array.from({ length: v.length / 4 }, (_, i) => '0x' + view.getUint32(i * 4).toString(16));
    return `<${cells.join(' ')}>`;
  }
  return `[${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join(' ')}]`;
}

function formatNode(node: FdtNode, depth: number, out: string[]): void {
  const pad = '\t'.repeat(depth);
  out.push(`${pad}${node.name === '' ? '/' : node.name} {`);
  for (const p of node.props) {
    out.push(p.value.length === 0 ? `${pad}\t${p.name};` : `${pad}\t${p.name} = ${formatPropertyValue(p.value)};`);
  }
  for (const c of node.children) {
    out.push('');
    formatNode(c, depth + 1, out);
  }
  out.push(`${pad}};`);
}

/** The whole blob as dts text; throws the FDT reader's error for a malformed blob. */
export function dtbToDts(blob: Uint8Array): string {
  const { tree } = parseFdt(blob);
  const out = ['/dts-v1/;', ''];
  for (const r of tree.memReserve) out.push(`/memreserve/ 0x${r.address.toString(16)} 0x${r.size.toString(16)};`);
  if (tree.memReserve.length > 0) out.push('');
  formatNode(tree.root, 0, out);
  return out.join('\n') + '\n';
}
