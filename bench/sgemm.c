/* OpenBLAS single-precision GEMM throughput.
 *
 *   sgemm SIZE... [-r REPEATS]
 *
 * For each SIZE n, times C = A * B with n x n row-major float matrices
 * (cblas_sgemm), one untimed warm-up call then REPEATS (default 5) timed
 * calls, and prints one JSON object: per size, the GFLOP/s (2 n^3 flops)
 * of every timed call.  Threads come from OPENBLAS_NUM_THREADS and the
 * kernel choice from OPENBLAS_CORETYPE, both set by the caller.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  int repeats = 5;
  int sizes[32], count = 0;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "-r") && i + 1 < argc)
      repeats = atoi(argv[++i]);
    else if (count < 32 && atoi(argv[i]) > 0)
      sizes[count++] = atoi(argv[i]);
  }
  if (!count || repeats < 1) {
    fprintf(stderr, "usage: sgemm SIZE... [-r REPEATS]\n");
    return 2;
  }
  printf("{\"config\": \"%s\", \"threads\": %d, \"sizes\": {",
         openblas_get_config(), openblas_get_num_threads());
  for (int s = 0; s < count; ++s) {
    size_t n = (size_t)sizes[s];
    float *a = malloc(n * n * sizeof(float));
    float *b = malloc(n * n * sizeof(float));
    float *c = malloc(n * n * sizeof(float));
    if (!a || !b || !c) {
      fprintf(stderr, "sgemm: out of memory\n");
      return 1;
    }
    for (size_t i = 0; i < n * n; ++i) {
      a[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
      b[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
      c[i] = 0.0f;
    }
    int N = (int)n;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a,
                N, b, N, 0.0f, c, N);
    printf("%s\"%d\": [", s ? ", " : "", N);
    for (int r = 0; r < repeats; ++r) {
      double t0 = now();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f,
                  a, N, b, N, 0.0f, c, N);
      double t = now() - t0;
      printf("%s%.2f", r ? ", " : "", 2.0 * n * n * n / t / 1e9);
    }
    printf("]");
    fflush(stdout);
    free(a);
    free(b);
    free(c);
  }
  printf("}}\n");
  return 0;
}
