// The hart's per-host-page arrays (decoded instructions, translations) and how they grow.
/**
 * `pages[index] = value` for the per-host-page arrays (decoded, jitPages), growing them by push: V8 turns an
 * array written far past its end (a guest's first code page is tens of thousands of pages in) into a dictionary,
 * whose every lookup is a hash probe; grown element by element it stays a packed array.
 */
export function setPageSlot<T>(pages: (T | undefined)[], index: number, value: T): void {
  while (pages.length <= index) pages.push(undefined);
  pages[index] = value;
}
