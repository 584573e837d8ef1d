/* Times the generated kernel of gemm.mlir: checks 64 entries against a
 * double-precision dot product, then reports the best of 20 calls in
 * GFLOP/s. Threads: LOOM_NUM_THREADS (the runtime's pool). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} MemRef2D;

void _mlir_ciface_gemm(MemRef2D *a, MemRef2D *b, MemRef2D *c);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(void) {
  const int64_t m = 512, n = 2048, k = 768;
  float *a = aligned_alloc(64, sizeof(float) * m * k);
  float *b = aligned_alloc(64, sizeof(float) * k * n);
  float *c = aligned_alloc(64, sizeof(float) * m * n);
  for (int64_t i = 0; i < m * k; ++i)
    a[i] = (float)((i * 7) % 13) / 13 - 0.5f;
  for (int64_t i = 0; i < k * n; ++i)
    b[i] = (float)((i * 5) % 11) / 11 - 0.5f;
  for (int64_t i = 0; i < m * n; ++i)
    c[i] = 0.0f;
  MemRef2D ma = {a, a, 0, {m, k}, {k, 1}}, mb = {b, b, 0, {k, n}, {n, 1}},
           mc = {c, c, 0, {m, n}, {n, 1}};
  _mlir_ciface_gemm(&ma, &mb, &mc);
  double error = 0.0;
  for (int t = 0; t < 64; ++t) {
    int64_t i = (t * 37) % m, j = (t * 101) % n;
    double sum = 0.0;
    for (int64_t p = 0; p < k; ++p)
      sum += (double)a[i * k + p] * b[p * n + j];
    double d = sum > c[i * n + j] ? sum - c[i * n + j] : c[i * n + j] - sum;
    error = d > error ? d : error;
  }
  if (error > 1e-3) {
    fprintf(stderr, "generated gemm: wrong result (error %g)\n", error);
    return 1;
  }
  double best = 1e30;
  for (int r = 0; r < 20; ++r) {
    double start = now();
    _mlir_ciface_gemm(&ma, &mb, &mc);
    double seconds = now() - start;
    best = seconds < best ? seconds : best;
  }
  printf("generated 512x2048x768: %.1f GFLOP/s (max error %.2g)\n",
         2.0 * m * n * k / best * 1e-9, error);
  return 0;
}
