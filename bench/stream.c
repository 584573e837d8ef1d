/* STREAM-style memory bandwidth with POSIX threads.
 *
 *   stream [THREADS] [MIB_PER_ARRAY] [ITERATIONS]
 *
 * Three double arrays of MIB_PER_ARRAY MiB each (default 256, far beyond any
 * last-level cache) are split evenly between THREADS threads (default 2);
 * every thread first-touches its own slice.  Each iteration runs
 *   triad:  a[i] = b[i] + s * c[i]   (counted as 24 bytes per element, the
 *                                     STREAM convention: 2 reads + 1 write;
 *                                     write-allocate traffic is not counted)
 *   read:   sum += a[i]              (8 bytes per element, read only)
 * and the threads meet at a barrier before and after every kernel, so a
 * kernel's time is the slowest thread's.  Prints one JSON object with the
 * per-iteration GB/s (1 GB = 1e9 bytes) of both kernels.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
  double *a, *b, *c;
  size_t begin, end;
  int iterations;
  double *triad_s, *read_s; /* filled by thread 0 */
  double sink;
} job;

static pthread_barrier_t barrier;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void *worker(void *arg) {
  job *j = arg;
  double *restrict a = j->a, *restrict b = j->b, *restrict c = j->c;
  const double s = 3.0;
  for (size_t i = j->begin; i < j->end; ++i) {
    a[i] = 1.0;
    b[i] = 2.0;
    c[i] = 0.5;
  }
  double sink = 0.0;
  for (int it = 0; it < j->iterations; ++it) {
    pthread_barrier_wait(&barrier);
    double t0 = now();
    for (size_t i = j->begin; i < j->end; ++i)
      a[i] = b[i] + s * c[i];
    pthread_barrier_wait(&barrier);
    double t1 = now();
    /* 16 independent partial sums: a single running sum would be bound by
       the latency of floating-point addition, not by memory. */
    double part[16] = {0};
    size_t i = j->begin;
    for (; i + 16 <= j->end; i += 16)
      for (int k = 0; k < 16; ++k)
        part[k] += a[i + k];
    for (; i < j->end; ++i)
      part[0] += a[i];
    for (int k = 0; k < 16; ++k)
      sink += part[k];
    pthread_barrier_wait(&barrier);
    double t2 = now();
    if (j->triad_s) {
      j->triad_s[it] = t1 - t0;
      j->read_s[it] = t2 - t1;
    }
  }
  j->sink = sink;
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  size_t mib = argc > 2 ? (size_t)atol(argv[2]) : 256;
  int iterations = argc > 3 ? atoi(argv[3]) : 10;
  if (threads < 1 || mib < 1 || iterations < 1) {
    fprintf(stderr, "usage: stream [THREADS] [MIB_PER_ARRAY] [ITERATIONS]\n");
    return 2;
  }
  size_t n = mib * 1024 * 1024 / sizeof(double);
  double *a = aligned_alloc(64, n * sizeof(double));
  double *b = aligned_alloc(64, n * sizeof(double));
  double *c = aligned_alloc(64, n * sizeof(double));
  double *triad_s = calloc(iterations, sizeof(double));
  double *read_s = calloc(iterations, sizeof(double));
  job *jobs = calloc(threads, sizeof(job));
  pthread_t *ids = calloc(threads, sizeof(pthread_t));
  if (!a || !b || !c || !triad_s || !read_s || !jobs || !ids) {
    fprintf(stderr, "stream: out of memory\n");
    return 1;
  }
  pthread_barrier_init(&barrier, NULL, threads);
  for (int t = 0; t < threads; ++t) {
    jobs[t] = (job){a, b, c, n * t / threads, n * (t + 1) / threads,
                    iterations, t == 0 ? triad_s : NULL,
                    t == 0 ? read_s : NULL, 0.0};
    pthread_create(&ids[t], NULL, worker, &jobs[t]);
  }
  double sink = 0.0;
  for (int t = 0; t < threads; ++t) {
    pthread_join(ids[t], NULL);
    sink += jobs[t].sink;
  }
  printf("{\"threads\": %d, \"mib_per_array\": %zu, \"checksum\": %.1f,\n",
         threads, mib, sink);
  printf(" \"triad_gbs\": [");
  for (int it = 0; it < iterations; ++it)
    printf("%s%.3f", it ? ", " : "", 3.0 * 8.0 * n / triad_s[it] / 1e9);
  printf("],\n \"read_gbs\": [");
  for (int it = 0; it < iterations; ++it)
    printf("%s%.3f", it ? ", " : "", 8.0 * n / read_s[it] / 1e9);
  printf("]}\n");
  return 0;
}
