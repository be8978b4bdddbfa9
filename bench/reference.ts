// Independent TypeScript computations of what each benchmark workload in test/guest/bench/*.c must print.
// They mirror the C algorithms (same constants, same operation order) but share no code with the guest, so a
// hart that miscomputes fails the bench instead of reporting a fast wrong answer. Keep the constants here in
// step with the C sources: a mismatch shows up as a checksum failure in test/bench/workloads.test.ts.

import { createCipheriv, createHash } from 'node:crypto';

const MASK64 = (1n << 64n) - 1n;

/** test/guest/bench/int-hashsort.c */
export const INT_PARAMS = { n: 4096, rounds: 24, seed: 0x2545f4914f6cdd1dn } as const;

export function intHashSortChecksum(p: { n: number; rounds: number; seed: bigint } = INT_PARAMS): bigint {
  let checksum = 0n;
  for (let round = 0; round < p.rounds; round++) {
    let state = (p.seed + BigInt(round) * 0x9e3779b97f4a7c15n) & MASK64;
    const values: bigint[] = new Array(p.n);
    for (let k = 0; k < p.n; k++) {
      state ^= (state << 13n) & MASK64;
      state ^= state >> 7n;
      state ^= (state << 17n) & MASK64;
      values[k] = state;
    }
    values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    checksum = (((checksum << 5n) | (checksum >> 59n)) & MASK64) ^ fnv1a64(values);
  }
  return checksum;
}

/** FNV-1a 64 over the little-endian bytes of 64-bit words, in 32-bit halves (BigInt per byte is slow). */
export function fnv1a64(words: readonly bigint[]): bigint {
  // h = hHi:hLo; prime 0x100000001b3 = 2^40 + 0x1b3
  let hLo = 0x84222325, hHi = 0xcbf29ce4;
  for (const w of words) {
    for (let b = 0; b < 8; b++) {
      hLo = (hLo ^ Number((w >> BigInt(8 * b)) & 0xffn)) >>> 0;
      // (hHi*2^32 + hLo) * (2^40 + 0x1b3) mod 2^64
      const loTimes = hLo * 0x1b3;                         // < 2^41, exact
      const newLo = loTimes % 0x100000000;
      const carry = Math.floor(loTimes / 0x100000000);
      const newHi = (Math.imul(hHi, 0x1b3) + carry + ((hLo << 8) >>> 0)) >>> 0; // hLo*2^40 contributes hLo<<8 to the high word
      hLo = newLo >>> 0; hHi = newHi;
    }
  }
  return (BigInt(hHi) << 32n) | BigInt(hLo);
}

/** test/guest/bench/fp-nbody-matmul.c */
export const FP_PARAMS = { steps: 20000, dim: 40, matmulReps: 6 } as const;

interface Body { x: number; y: number; z: number; vx: number; vy: number; vz: number; mass: number }

export function fpNbodyMatmulResults(p: { steps: number; dim: number; matmulReps: number } = FP_PARAMS): Map<string, bigint> {
  const PI = 3.141592653589793, DAYS_PER_YEAR = 365.24;
  const bodies: Body[] = [
    { x: 0, y: 0, z: 0, vx: 0, vy: 0, vz: 0, mass: 0 },
    { x: 4.84143144246472090e+00, y: -1.16032004402742839e+00, z: -1.03622044471123109e-01,
      vx: 1.66007664274403694e-03, vy: 7.69901118419740425e-03, vz: -6.90460016972063023e-05, mass: 9.54791938424326609e-04 },
    { x: 8.34336671824457987e+00, y: 4.12479856412430479e+00, z: -4.03523417114321381e-01,
      vx: -2.76742510726862411e-03, vy: 4.99852801234917238e-03, vz: 2.30417297573763929e-05, mass: 2.85885980666130812e-04 },
    { x: 1.28943695621391310e+01, y: -1.51111514016986312e+01, z: -2.23307578892655734e-01,
      vx: 2.96460137564761618e-03, vy: 2.37847173959480950e-03, vz: -2.96589568540237556e-05, mass: 4.36624404335156298e-05 },
    { x: 1.53796971148509165e+01, y: -2.59193146099879641e+01, z: 1.79258772950371181e-01,
      vx: 2.68067772490389322e-03, vy: 1.62824170038242295e-03, vz: -9.51592254519715870e-05, mass: 5.15138902046611451e-05 },
  ];
  const solarMass = 4 * PI * PI;
  bodies[0]!.mass = solarMass;
  for (let i = 1; i < bodies.length; i++) {
    const b = bodies[i]!;
    b.vx *= DAYS_PER_YEAR; b.vy *= DAYS_PER_YEAR; b.vz *= DAYS_PER_YEAR;
    b.mass *= solarMass;
  }
  let px = 0, py = 0, pz = 0;
  for (const b of bodies) { px += b.vx * b.mass; py += b.vy * b.mass; pz += b.vz * b.mass; }
  bodies[0]!.vx = -px / solarMass; bodies[0]!.vy = -py / solarMass; bodies[0]!.vz = -pz / solarMass;

  const energy = (): number => {
    let e = 0;
    for (let i = 0; i < bodies.length; i++) {
      const b = bodies[i]!;
      e += 0.5 * b.mass * (b.vx * b.vx + b.vy * b.vy + b.vz * b.vz);
      for (let j = i + 1; j < bodies.length; j++) {
        const c = bodies[j]!;
        const dx = b.x - c.x, dy = b.y - c.y, dz = b.z - c.z;
        e -= (b.mass * c.mass) / Math.sqrt(dx * dx + dy * dy + dz * dz);
      }
    }
    return e;
  };
  const before = energy();
  const dt = 0.01;
  for (let s = 0; s < p.steps; s++) {
    for (let i = 0; i < bodies.length; i++) {
      const b = bodies[i]!;
      for (let j = i + 1; j < bodies.length; j++) {
        const c = bodies[j]!;
        const dx = b.x - c.x, dy = b.y - c.y, dz = b.z - c.z;
        const d2 = dx * dx + dy * dy + dz * dz;
        const mag = dt / (d2 * Math.sqrt(d2));
        b.vx -= dx * c.mass * mag; b.vy -= dy * c.mass * mag; b.vz -= dz * c.mass * mag;
        c.vx += dx * b.mass * mag; c.vy += dy * b.mass * mag; c.vz += dz * b.mass * mag;
      }
    }
    for (const b of bodies) { b.x += dt * b.vx; b.y += dt * b.vy; b.z += dt * b.vz; }
  }
  const after = energy();

  const n = p.dim;
  const ma = new Float64Array(n * n), mb = new Float64Array(n * n), mc = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      ma[i * n + j] = (i * n + j + 1) / (n * n);
      mb[i * n + j] = ((i + 2 * j) % 7) - 3.0 + 1.0 / (i + j + 1);
    }
  }
  let sum = 0;
  for (let rep = 0; rep < p.matmulReps; rep++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += ma[i * n + k]! * mb[k * n + j]!;
        mc[i * n + j] = acc;
      }
    }
    for (let i = 0; i < n * n; i++) { sum += mc[i]!; ma[i] = mc[i]! * 0.01; }
  }
  return new Map([['energy-before', doubleBits(before)], ['energy-after', doubleBits(after)], ['matmul', doubleBits(sum)]]);
}

export function doubleBits(d: number): bigint {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, d, true);
  return v.getBigUint64(0, true);
}

/** test/guest/bench/mem-sv39-user.c */
export const MEM_PARAMS = {
  arenaPages: 2048, pageBytes: 4096, nodeBytes: 64, lcgMul: 1103515245, lcgInc: 12345,
  chaseSteps: 1_000_000, stridePasses: 32,
} as const;

export function memSv39Checksum(p: typeof MEM_PARAMS = MEM_PARAMS): bigint {
  const nodes = (p.arenaPages * p.pageBytes) / p.nodeBytes;
  const next = (j: number): number => (j * p.lcgMul + p.lcgInc) % nodes; // j * lcgMul < 2^53: exact
  const payload = (j: number): number => Math.imul(j, 2654435761) >>> 0;
  let sum = 0, j = 0;
  for (let s = 0; s < p.chaseSteps; s++) {
    sum = (Math.imul(sum, 33) + payload(j)) >>> 0;
    j = next(j);
  }
  const nodesPerPage = p.pageBytes / p.nodeBytes;
  for (let pass = 0; pass < p.stridePasses; pass++) {
    for (let page = 0; page < p.arenaPages; page++) {
      // the 32-bit word at the start of node (page * nodesPerPage + pass): the low half of its next_va,
      // whose high half is the window base 2^32
      const word = (next(page * nodesPerPage + pass) * p.nodeBytes) >>> 0;
      sum = (sum ^ ((word + page) >>> 0)) >>> 0;
    }
  }
  return BigInt(sum);
}

/** test/guest/bench/crypto-sha-aes.c */
export const CRYPTO_PARAMS = {
  shaBytes: 65536, shaRounds: 12, aesBytes: 16384, aesRounds: 12,
  seedSha: 0x9e3779b97f4a7c15n, seedAes: 0xd1b54a32d192ed03n,
} as const;

/** xorshift64 words as little-endian bytes, as the C's fill() */
function xorshiftBytes(n: number, seed: bigint): Buffer {
  const out = Buffer.alloc(n);
  let s = seed;
  for (let k = 0; k < n; k += 8) {
    s ^= (s << 13n) & MASK64; s ^= s >> 7n; s ^= (s << 17n) & MASK64;
    out.writeBigUInt64LE(s, k);
  }
  return out;
}

/** sha256 and aes lines of the crypto workload, by Node's own SHA-256 and AES-128-CBC (OpenSSL) */
export function cryptoShaAesResults(p: typeof CRYPTO_PARAMS = CRYPTO_PARAMS): Map<string, bigint> {
  const buf = xorshiftBytes(p.shaBytes, p.seedSha);
  let digest = Buffer.alloc(32);
  for (let r = 0; r < p.shaRounds; r++) {
    digest.copy(buf, 0);
    digest = createHash('sha256').update(buf).digest();
  }
  const keyiv = xorshiftBytes(32, p.seedAes ^ p.seedSha);
  const cipher = createCipheriv('aes-128-cbc', keyiv.subarray(0, 16), keyiv.subarray(16, 32)).setAutoPadding(false);
  let data = xorshiftBytes(p.aesBytes, p.seedAes);
  for (let r = 0; r < p.aesRounds; r++) data = cipher.update(data); // the CBC chain runs on, as in the C
  return new Map([['sha256', digest.readBigUInt64BE(0)], ['aes', data.readBigUInt64LE(p.aesBytes - 8)]]);
}
