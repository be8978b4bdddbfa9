// A minimal flattened-device-tree writer for the KVM boot smoke test (independent of src/vmm on purpose:
// the test checks the KVM layer, not the VMM's device tree code).
export interface DtNode { name: string; props: [string, Uint8Array][]; children: DtNode[] }

const enc = new TextEncoder();
export const cells = (...v: number[]): Uint8Array => {
  const b = new Uint8Array(4 * v.length);
  const dv = new DataView(b.buffer);
  v.forEach((x, i) => dv.setUint32(4 * i, x >>> 0));
  return b;
};
export const str = (...s: string[]): Uint8Array => enc.encode(s.map((x) => x + '\0').join(''));
export const empty = (): Uint8Array => new Uint8Array(0);

export function writeFdt(root: DtNode): Uint8Array {
  const struct: number[] = [];
  const strings: number[] = [];
  const stringOff = new Map<string, number>();
  const u32 = (v: number): void => { struct.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255); };
  const bytes = (b: Uint8Array): void => { struct.push(...b); while (struct.length % 4) struct.push(0); };
  const node = (n: DtNode): void => {
    u32(1);
    bytes(str(n.name));
    for (const [name, value] of n.props) {
      let off = stringOff.get(name);
      if (off === undefined) { off = strings.length; stringOff.set(name, off); strings.push(...str(name)); }
      u32(3); u32(value.length); u32(off); bytes(value);
    }
    n.children.forEach(node);
    u32(2);
  };
  node(root);
  u32(9);
  const offRsv = 40, offStruct = offRsv + 16, offStrings = offStruct + struct.length;
  const total = offStrings + strings.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  [0xd00dfeed, total, offStruct, offStrings, offRsv, 17, 16, 0, strings.length, struct.length].forEach((v, i) => dv.setUint32(4 * i, v));
  out.set(struct, offStruct);
  out.set(strings, offStrings);
  return out;
}
