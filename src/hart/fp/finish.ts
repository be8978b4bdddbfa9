// Directed-rounding correction of a native round-to-nearest-even double result, given its exact error.

import { FLAG_NX, FLAG_OF, RM_RDN, RM_RMM, RM_RNE, RM_RTZ, RM_RUP, nextToward, outF64 } from './state.js';

/**
 * x is the round-to-nearest-even double of an exact value x + err (err nonzero, exact, |err| <= ulp(x)/2,
 * x finite and normal, far from the subnormal range). Writes the result for rm, returns NX (and OF when a
 * directed correction stepped to infinity).
 */
export function finishInexact(x: number, err: number, rm: number): number {
  let r = x;
  switch (rm) {
    case RM_RNE:
      outF64(x);
      return FLAG_NX;
    case RM_RTZ:
      if (x > 0 ? err < 0 : err > 0) r = nextToward(x, x > 0 ? -1 : 1);
      break;
    case RM_RDN:
      if (err < 0) r = nextToward(x, -1);
      break;
    case RM_RUP:
      if (err > 0) r = nextToward(x, 1);
      break;
    case RM_RMM:
      // differs from RNE only on a tie that RNE resolved toward zero
      if (x > 0 ? err > 0 : err < 0) {
        const away = nextToward(x, x > 0 ? 1 : -1);
        if (away - x === 2 * err) r = away;
      }
      break;
  }
  outF64(r);
  return r - r === 0 ? FLAG_NX : FLAG_NX | FLAG_OF;
}

/** As finishInexact for operations whose exact result is never a tie (division, square root). */
export function finishNoTie(x: number, errSign: number, rm: number): number {
  let r = x;
  if (rm === RM_RUP) {
    if (errSign > 0) r = nextToward(x, 1);
  } else if (rm === RM_RDN) {
    if (errSign < 0) r = nextToward(x, -1);
  } else if (rm === RM_RTZ) {
    if (x > 0 ? errSign < 0 : errSign > 0) r = nextToward(x, x > 0 ? -1 : 1);
  }
  outF64(r);
  return r - r === 0 ? FLAG_NX : FLAG_NX | FLAG_OF;
}
