// The live panel of the extensions the guest has executed: one row per extension with its retired-instruction
// count (the execution profile `rvkvm run --profile` prints, sent by the worker about once a second) and a bar
// on a log scale (base I runs billions, a crypto op a handful: a linear bar would hide every rare one), and the
// vCPU's instruction-set extensions not executed so far.

export interface ExtensionRow {
  name: string;
  count: number;
  /** bar length 0..1: log10(count + 1) against the largest count's */
  bar: number;
}

/** Rows, largest count first; `counts` is ProfileReport.perExtension. */
export function extensionRows(counts: Readonly<Record<string, number>>): ExtensionRow[] {
  const entries = Object.entries(counts).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const top = Math.log10((entries[0]?.[1] ?? 0) + 1);
  return entries.map(([name, count]) => ({ name, count, bar: top > 0 ? Math.log10(count + 1) / top : 0 }));
}

/** The vCPU's extensions that have instructions (`withInstructions`) and none retired yet. */
export function notExecuted(withInstructions: readonly string[], counts: Readonly<Record<string, number>>): string[] {
  return withInstructions.filter((n) => !(counts[n]! > 0));
}

export function renderExtensions(
  table: HTMLElement, rest: HTMLElement, counts: Readonly<Record<string, number>> | null, withInstructions: readonly string[],
): void {
  if (counts === null) {
    table.replaceChildren();
    rest.textContent = 'the execution profile is off (tick "count executed extensions" before booting)';
    return;
  }
  const rows = extensionRows(counts);
  // reuse the rows so a once-a-second update does not rebuild the panel
  while (table.children.length > rows.length) table.lastElementChild!.remove();
  rows.forEach((r, i) => {
    let row = table.children[i] as HTMLElement | undefined;
    if (!row) {
      row = document.createElement('div');
      row.className = 'ext-row';
      const name = document.createElement('code');
      const bar = document.createElement('span');
      bar.className = 'ext-bar';
      const count = document.createElement('span');
      count.className = 'ext-count';
      row.append(name, bar, count);
      table.append(row);
    }
    row.dataset.ext = r.name;
    row.dataset.count = String(r.count);
    row.children[0]!.textContent = r.name;
    (row.children[1] as HTMLElement).style.width = `${(r.bar * 100).toFixed(1)}%`;
    row.children[2]!.textContent = r.count.toLocaleString('en-US');
  });
  const missing = notExecuted(withInstructions, counts);
  rest.textContent = missing.length ? `in the vCPU's ISA, not executed yet: ${missing.join(' ')}` : 'every extension of the vCPU has run';
}
