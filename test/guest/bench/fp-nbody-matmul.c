/* Floating-point benchmark workload (bench/workloads.ts "fp"): a 5-body gravitational simulation in double
   (STEPS steps, energy before and after) and MATMUL_REPS products of DIM x DIM double matrices.
   Prints the raw bits of both energies and of the matrix checksum; the bench recomputes them in TypeScript
   (bench/reference.ts) with the same operation order. fp-contract is off so GCC emits no fused
   multiply-add: JavaScript's doubles then give bit-identical results. */
#include "htif.h"
/* after the include: the pragma re-derives options, which would let GCC turn htif.h's loops into libc calls */
#pragma GCC optimize("fp-contract=off")

#define STEPS 20000
#define DIM 40
#define MATMUL_REPS 6
#define BODIES 5

static const double PI = 3.141592653589793;
static const double DAYS_PER_YEAR = 365.24;

struct body { double x, y, z, vx, vy, vz, mass; };

/* Sun, Jupiter, Saturn, Uranus, Neptune (the usual n-body initial state) */
static struct body bodies[BODIES] = {
  { 0, 0, 0, 0, 0, 0, 0 },
  { 4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
    1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05, 9.54791938424326609e-04 },
  { 8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
    -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05, 2.85885980666130812e-04 },
  { 1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
    2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05, 4.36624404335156298e-05 },
  { 1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
    2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05, 5.15138902046611451e-05 },
};

#if defined(__riscv)
static double sqrt_d(double v) { double r; __asm__("fsqrt.d %0, %1" : "=f"(r) : "f"(v)); return r; }
#else /* the bench's native build (bench/native): the host's correctly rounded square root */
static double sqrt_d(double v) { return __builtin_sqrt(v); }
#endif

static void init_bodies(void) {
  double solar_mass = 4 * PI * PI;
  bodies[0].mass = solar_mass;
  for (int i = 1; i < BODIES; i++) {
    bodies[i].vx *= DAYS_PER_YEAR; bodies[i].vy *= DAYS_PER_YEAR; bodies[i].vz *= DAYS_PER_YEAR;
    bodies[i].mass *= solar_mass;
  }
  double px = 0, py = 0, pz = 0;
  for (int i = 0; i < BODIES; i++) {
    px += bodies[i].vx * bodies[i].mass; py += bodies[i].vy * bodies[i].mass; pz += bodies[i].vz * bodies[i].mass;
  }
  bodies[0].vx = -px / solar_mass; bodies[0].vy = -py / solar_mass; bodies[0].vz = -pz / solar_mass;
}

static double energy(void) {
  double e = 0;
  for (int i = 0; i < BODIES; i++) {
    struct body *b = &bodies[i];
    e += 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
    for (int j = i + 1; j < BODIES; j++) {
      struct body *c = &bodies[j];
      double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
      e -= (b->mass * c->mass) / sqrt_d(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

static void advance(double dt) {
  for (int i = 0; i < BODIES; i++) {
    struct body *b = &bodies[i];
    for (int j = i + 1; j < BODIES; j++) {
      struct body *c = &bodies[j];
      double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
      double d2 = dx * dx + dy * dy + dz * dz;
      double mag = dt / (d2 * sqrt_d(d2));
      b->vx -= dx * c->mass * mag; b->vy -= dy * c->mass * mag; b->vz -= dz * c->mass * mag;
      c->vx += dx * b->mass * mag; c->vy += dy * b->mass * mag; c->vz += dz * b->mass * mag;
    }
  }
  for (int i = 0; i < BODIES; i++) {
    struct body *b = &bodies[i];
    b->x += dt * b->vx; b->y += dt * b->vy; b->z += dt * b->vz;
  }
}

static double ma[DIM][DIM], mb[DIM][DIM], mc[DIM][DIM];

static double matmul_checksum(void) {
  for (int i = 0; i < DIM; i++)
    for (int j = 0; j < DIM; j++) {
      ma[i][j] = (double)(i * DIM + j + 1) / (double)(DIM * DIM);
      mb[i][j] = (double)((i + 2 * j) % 7) - 3.0 + 1.0 / (double)(i + j + 1);
    }
  double sum = 0;
  for (int rep = 0; rep < MATMUL_REPS; rep++) {
    for (int i = 0; i < DIM; i++)
      for (int j = 0; j < DIM; j++) {
        double acc = 0;
        for (int k = 0; k < DIM; k++) acc += ma[i][k] * mb[k][j];
        mc[i][j] = acc;
      }
    /* feed the product back in (scaled) so each repetition computes something new */
    for (int i = 0; i < DIM; i++)
      for (int j = 0; j < DIM; j++) { sum += mc[i][j]; ma[i][j] = mc[i][j] * 0.01; }
  }
  return sum;
}

static uint64_t bits(double d) { union { double d; uint64_t u; } v = { d }; return v.u; }

int main(void) {
  init_bodies();
  double before = energy();
  for (int s = 0; s < STEPS; s++) advance(0.01);
  double after = energy();
  double mat = matmul_checksum();
  /* physics sanity, independent of the bench's recomputation: energy stays within 1e-3 (relative) */
  double drift = (after - before) / before;
  CHECK(2, drift < 1e-3 && drift > -1e-3);
  puts_htif("energy-before "); put_hex(bits(before));
  puts_htif("energy-after "); put_hex(bits(after));
  puts_htif("matmul "); put_hex(bits(mat));
  return 0;
}
