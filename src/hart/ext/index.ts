// Every extension's encodings and semantics, gathered for the decoder and the hart's dispatch table.
import type { InsnDef } from '../decode.js';
import type { Semantics } from './enc.js';
import * as rv64i from './rv64i.js';
import * as m from './m.js';
import * as a from './a.js';
import * as zca from './zca.js';
import * as zcb from './zcb.js';
import * as zcmop from './zcmop.js';
import * as zimop from './zimop.js';
import * as zba from './zba.js';
import * as zbb from './zbb.js';
import * as zbs from './zbs.js';
import * as zbc from './zbc.js';
import * as zicond from './zicond.js';
import * as system from './system.js';
import * as fd from './fd.js';
import * as zfh from './zfh.js';
import * as hyp from './h.js';
import * as vmem from './v-mem.js';
import * as vint from './v-int.js';
import * as vfp from './v-fp.js';
import * as zvbb from './v-zvbb.js';
import * as zvkned from './v-zvkned.js';
import * as zvknh from './v-zvknh.js';
import * as zvkg from './v-zvkg.js';
import * as zvksed from './v-zvksed.js';
import * as zvksh from './v-zvksh.js';

export const ALL_ENCODINGS: readonly InsnDef[] = [
  ...rv64i.encodings, ...m.encodings, ...a.encodings, ...zca.encodings, ...zcb.encodings, ...zcmop.encodings,
  ...zimop.encodings, ...zba.encodings, ...zbb.encodings, ...zbs.encodings, ...zbc.encodings, ...zicond.encodings,
  ...system.encodings, ...fd.encodings, ...zfh.encodings, ...hyp.encodings, ...vmem.encodings, ...vint.encodings, ...vfp.encodings,
  ...zvbb.encodings, ...zvkned.encodings, ...zvknh.encodings, ...zvkg.encodings, ...zvksed.encodings, ...zvksh.encodings,
];

export const ALL_SEMANTICS: Semantics = [
  ...m.semantics, ...a.semantics, ...zimop.semantics, ...zba.semantics, ...zbb.semantics, ...zbs.semantics,
  ...zbc.semantics, ...zicond.semantics, ...system.semantics, ...fd.semantics, ...zfh.semantics, ...hyp.semantics, ...vmem.semantics, ...vint.semantics, ...vfp.semantics,
  ...zvbb.semantics, ...zvkned.semantics, ...zvknh.semantics, ...zvkg.semantics, ...zvksed.semantics, ...zvksh.semantics,
];
