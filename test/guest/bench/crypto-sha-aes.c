/* Crypto benchmark workload (bench/workloads.ts "crypto"): what `openssl speed sha256 / aes-128-cbc` spends its
   time on, in plain C as OpenSSL's generic code does it on a RISC-V without the scalar crypto extensions:
   SHA-256 (FIPS 180-4) over a 64 KiB buffer of xorshift64 bytes, chained SHA_ROUNDS times (each digest is written
   over the first 32 bytes of the buffer before the next), and AES-128-CBC (FIPS 197, T-table rounds) encrypting a
   16 KiB buffer in place AES_ROUNDS times, the CBC chain running on from one pass to the next. The S-box and
   tables are computed at start (GF(2^8) inverse and affine map), not written out. Prints "sha256 0x<first 8
   digest bytes, big endian>" and "aes 0x<last 8 ciphertext bytes, little endian>"; bench/reference.ts computes
   both with node:crypto. */
#include "htif.h"

#define SHA_BYTES 65536
#define SHA_ROUNDS 12
#define AES_BYTES 16384
#define AES_ROUNDS 12
#define SEED_SHA 0x9e3779b97f4a7c15ull
#define SEED_AES 0xd1b54a32d192ed03ull

static uint8_t shabuf[SHA_BYTES], aesbuf[AES_BYTES];

static void fill(uint8_t *p, long n, uint64_t state) {
  for (long k = 0; k < n; k += 8) {
    state ^= state << 13; state ^= state >> 7; state ^= state << 17;
    for (int b = 0; b < 8; b++) p[k + b] = (uint8_t)(state >> (8 * b));
  }
}

/* ---------------------------------------------------------------- SHA-256 */

static const uint32_t K256[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror32(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int t = 0; t < 16; t++) w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
  for (int t = 16; t < 64; t++) {
    uint32_t s0 = ror32(w[t - 15], 7) ^ ror32(w[t - 15], 18) ^ (w[t - 15] >> 3);
    uint32_t s1 = ror32(w[t - 2], 17) ^ ror32(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int t = 0; t < 64; t++) {
    uint32_t t1 = hh + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) + K256[t] + w[t];
    uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

/* n a multiple of 64 here; the padding block is built separately */
static void sha256(const uint8_t *p, long n, uint8_t out[32]) {
  uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  for (long k = 0; k < n; k += 64) sha256_block(h, p + k);
  uint8_t pad[64] = { 0x80 };
  uint64_t bits = (uint64_t)n * 8;
  for (int b = 0; b < 8; b++) pad[63 - b] = (uint8_t)(bits >> (8 * b));
  sha256_block(h, pad);
  for (int k = 0; k < 8; k++) for (int b = 0; b < 4; b++) out[4 * k + b] = (uint8_t)(h[k] >> (24 - 8 * b));
}

/* ---------------------------------------------------------------- AES-128 */

static uint8_t sbox[256];
static uint32_t te0[256], te1[256], te2[256], te3[256];

static uint8_t xtime(uint8_t x) { return (uint8_t)((x << 1) ^ ((x >> 7) * 0x1b)); }

static void aes_tables(void) {
  /* walk GF(2^8)* with generator 3 (p) and its inverse (q): p * q = 1 */
  uint8_t p = 1, q = 1;
  do {
    p = p ^ xtime(p);
    q ^= q << 1; q ^= q << 2; q ^= q << 4; if (q & 0x80) q ^= 0x09;
    uint8_t x = q ^ (uint8_t)((q << 1) | (q >> 7)) ^ (uint8_t)((q << 2) | (q >> 6)) ^
                (uint8_t)((q << 3) | (q >> 5)) ^ (uint8_t)((q << 4) | (q >> 4));
    sbox[p] = x ^ 0x63;
  } while (p != 1);
  sbox[0] = 0x63;
  for (int k = 0; k < 256; k++) {
    uint8_t s = sbox[k], s2 = xtime(s), s3 = s2 ^ s;
    uint32_t t = (uint32_t)s2 | (uint32_t)s << 8 | (uint32_t)s << 16 | (uint32_t)s3 << 24; /* column bytes, little endian */
    te0[k] = t; te1[k] = t << 8 | t >> 24; te2[k] = t << 16 | t >> 16; te3[k] = t << 24 | t >> 8;
  }
}

static void aes128_expand(const uint8_t key[16], uint32_t rk[44]) {
  for (int k = 0; k < 4; k++) rk[k] = (uint32_t)key[4 * k] | (uint32_t)key[4 * k + 1] << 8 | (uint32_t)key[4 * k + 2] << 16 | (uint32_t)key[4 * k + 3] << 24;
  uint8_t rcon = 1;
  for (int k = 4; k < 44; k++) {
    uint32_t t = rk[k - 1];
    if (k % 4 == 0) {
      t = (uint32_t)sbox[(t >> 8) & 0xff] | (uint32_t)sbox[(t >> 16) & 0xff] << 8 | (uint32_t)sbox[t >> 24] << 16 | (uint32_t)sbox[t & 0xff] << 24;
      t ^= rcon; rcon = xtime(rcon);
    }
    rk[k] = rk[k - 4] ^ t;
  }
}

/* one block in place; state words are columns, bytes little endian */
static void aes128_encrypt(const uint32_t rk[44], uint8_t *blk) {
  uint32_t s[4], t[4];
  for (int c = 0; c < 4; c++)
    s[c] = ((uint32_t)blk[4 * c] | (uint32_t)blk[4 * c + 1] << 8 | (uint32_t)blk[4 * c + 2] << 16 | (uint32_t)blk[4 * c + 3] << 24) ^ rk[c];
  for (int r = 1; r < 10; r++) {
    for (int c = 0; c < 4; c++)
      t[c] = te0[s[c] & 0xff] ^ te1[(s[(c + 1) & 3] >> 8) & 0xff] ^ te2[(s[(c + 2) & 3] >> 16) & 0xff] ^ te3[s[(c + 3) & 3] >> 24] ^ rk[4 * r + c];
    for (int c = 0; c < 4; c++) s[c] = t[c];
  }
  for (int c = 0; c < 4; c++) {
    uint32_t v = (uint32_t)sbox[s[c] & 0xff] | (uint32_t)sbox[(s[(c + 1) & 3] >> 8) & 0xff] << 8 |
                 (uint32_t)sbox[(s[(c + 2) & 3] >> 16) & 0xff] << 16 | (uint32_t)sbox[s[(c + 3) & 3] >> 24] << 24;
    v ^= rk[40 + c];
    for (int b = 0; b < 4; b++) blk[4 * c + b] = (uint8_t)(v >> (8 * b));
  }
}

int main(void) {
  uint8_t digest[32] = { 0 };
  fill(shabuf, SHA_BYTES, SEED_SHA);
  for (int r = 0; r < SHA_ROUNDS; r++) {
    for (int k = 0; k < 32; k++) shabuf[k] = digest[k];
    sha256(shabuf, SHA_BYTES, digest);
  }
  uint64_t d = 0;
  for (int k = 0; k < 8; k++) d = d << 8 | digest[k];
  puts_htif("sha256 ");
  put_hex(d);

  aes_tables();
  uint8_t keyiv[32];
  fill(keyiv, 32, SEED_AES ^ SEED_SHA);
  uint32_t rk[44];
  aes128_expand(keyiv, rk);
  fill(aesbuf, AES_BYTES, SEED_AES);
  uint8_t chain[16];
  for (int k = 0; k < 16; k++) chain[k] = keyiv[16 + k];
  for (int r = 0; r < AES_ROUNDS; r++) {
    for (long k = 0; k < AES_BYTES; k += 16) {
      for (int b = 0; b < 16; b++) aesbuf[k + b] ^= chain[b];
      aes128_encrypt(rk, aesbuf + k);
      for (int b = 0; b < 16; b++) chain[b] = aesbuf[k + b];
    }
  }
  uint64_t a = 0;
  for (int k = 0; k < 8; k++) a |= (uint64_t)aesbuf[AES_BYTES - 8 + k] << (8 * k);
  puts_htif("aes ");
  put_hex(a);
  return 0;
}
