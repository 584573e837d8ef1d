//===- kernels.cpp - Loom's runtime kernels against their ceilings --------===//
//
//   kernels [--threads N] [--rounds R] [--m M] [--shapes N:K,...]
//
// Measures the two kernels that dominate a transformer's time, each against
// a peer measured in alternation with it (the machine's speed drifts, so the
// two see the same conditions):
//
//  * GEMM (prefill): `loom::sgemmNT` on prepacked weights against OpenBLAS's
//    `cblas_sgemm` (A * B^T, row-major) for M prompt rows and each N x K
//    weight shape (default: the small Llama's projections at M = 512).
//  * GEMV (decode): one token's worth of matrix-vector products over every
//    weight of the small Llama (12 layers of q, k, v, o, gate, up, down, and
//    the LM head; 400 MB, more than any cache) against a read-only pass of
//    the same number of bytes on the same threads (the bandwidth ceiling).
//
// Prints one JSON object. Threads for OpenBLAS come from the environment
// (OPENBLAS_NUM_THREADS, OPENBLAS_CORETYPE), as bench.py sets them.
//
//===----------------------------------------------------------------------===//

#include "loom/Kernels.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace loom;

namespace {

/// The kernels' threads and packed weights (`--threads`, set in main).
int64_t kernelThreads = 0;
KernelState &kernels() {
  static KernelState state(kernelThreads);
  return state;
}

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Lets the other library's threads go idle before the next measurement.
void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(50)); }

std::vector<float> randomMatrix(size_t count, unsigned seed) {
  std::vector<float> values(count);
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float &value : values)
    value = uniform(generator);
  return values;
}

/// Seconds per call of `fn`, the best over calls filling about `budget` s.
template <typename Fn> double bestTime(Fn fn, double budget) {
  fn(); // warm-up
  double best = 1e30, spent = 0.0;
  for (int i = 0; i < 3 || spent < budget; ++i) {
    double start = now();
    fn();
    double elapsed = now() - start;
    best = std::min(best, elapsed);
    spent += elapsed;
  }
  return best;
}

struct Shape {
  int64_t n, k;
};

void printSamples(const char *name, const std::vector<double> &values,
                  bool last) {
  std::printf("\"%s\": [", name);
  for (size_t i = 0; i < values.size(); ++i)
    std::printf("%s%.2f", i ? ", " : "", values[i]);
  std::printf("]%s", last ? "" : ", ");
}

/// GFLOP/s of Loom and OpenBLAS for C[m, n] += A[m, k] * B[n, k]^T.
void gemm(int64_t m, Shape shape, int rounds) {
  int64_t n = shape.n, k = shape.k;
  std::vector<float> a = randomMatrix(size_t(m * k), 1);
  // Enough weight copies (64 MiB) that each call reads its weights from
  // memory, as a model's layers do.
  size_t copies = std::max<size_t>(1, (size_t(64) << 20) / size_t(n * k * 4));
  std::vector<std::vector<float>> bs;
  for (size_t i = 0; i < copies; ++i) {
    bs.push_back(randomMatrix(size_t(n * k), unsigned(2 + i)));
    packConstantMatrix(kernels(), bs.back().data(), n, k);
  }
  size_t next = 0;
  std::vector<float> c(size_t(m * n));
  double flops = 2.0 * double(m) * double(n) * double(k);
  std::vector<double> loomRates, blasRates;
  for (int round = 0; round < rounds; ++round) {
    double loomTime = bestTime(
        [&] {
          const float *b = bs[next++ % copies].data();
          sgemmNT(kernels(), m, n, k, a.data(), k, b, k, c.data(), n);
        },
        0.2);
    settle();
    double blasTime = bestTime(
        [&] {
          const float *b = bs[next++ % copies].data();
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(m), int(n),
                      int(k), 1.0f, a.data(), int(k), b, int(k), 1.0f, c.data(),
                      int(n));
        },
        0.2);
    settle();
    loomRates.push_back(flops / loomTime * 1e-9);
    blasRates.push_back(flops / blasTime * 1e-9);
  }
  clearPackedMatrices(kernels());
  std::printf("{\"m\": %lld, \"n\": %lld, \"k\": %lld, ", (long long)m,
              (long long)n, (long long)k);
  printSamples("loom_gflops", loomRates, false);
  printSamples("openblas_gflops", blasRates, true);
  std::printf("}");
}

/// GB/s of a decode step's matrix-vector products against a read-only pass.
void gemv(int rounds) {
  // The small Llama: per layer q, k, v, o, gate, up, down; then the LM head.
  std::vector<Shape> shapes;
  for (int layer = 0; layer < 12; ++layer)
    for (Shape shape :
         {Shape{768, 768}, Shape{256, 768}, Shape{256, 768}, Shape{768, 768},
          Shape{2048, 768}, Shape{2048, 768}, Shape{768, 2048}})
      shapes.push_back(shape);
  shapes.push_back({32000, 768});
  std::vector<std::vector<float>> weights;
  std::vector<PackedShape> reserve;
  for (Shape shape : shapes)
    reserve.push_back({shape.n, shape.k});
  reservePackedMatrices(kernels(), reserve);
  size_t bytes = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    weights.push_back(
        randomMatrix(size_t(shapes[i].n * shapes[i].k), unsigned(i + 3)));
    packConstantMatrix(kernels(), weights.back().data(), shapes[i].n,
                       shapes[i].k);
    bytes += weights.back().size() * sizeof(float);
  }
  std::vector<float> x = randomMatrix(2048, 7), y(32000);
  auto step = [&] {
    for (size_t i = 0; i < shapes.size(); ++i)
      sgemmNT(kernels(), 1, shapes[i].n, shapes[i].k, x.data(), shapes[i].k,
              weights[i].data(), shapes[i].k, y.data(), shapes[i].n);
  };
  std::vector<float> stream(bytes / sizeof(float), 1.0f);
  float sink = 0.0f;
  auto read = [&] {
    ThreadPool &pool = kernels().pool;
    int64_t total = int64_t(stream.size());
    std::vector<float> sums(64, 0.0f);
    pool.parallelFor(0, total, int64_t(1) << 16, [&](int64_t b, int64_t e) {
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (int64_t i = b; i + 4 <= e; i += 4) {
        s0 += stream[size_t(i)];
        s1 += stream[size_t(i + 1)];
        s2 += stream[size_t(i + 2)];
        s3 += stream[size_t(i + 3)];
      }
      sums[size_t(b >> 16) % 64] += s0 + s1 + s2 + s3;
    });
    sink += sums[0];
  };
  std::vector<double> gemvRates, readRates;
  for (int round = 0; round < rounds; ++round) {
    gemvRates.push_back(double(bytes) / bestTime(step, 0.5) * 1e-9);
    readRates.push_back(double(bytes) / bestTime(read, 0.5) * 1e-9);
  }
  clearPackedMatrices(kernels());
  std::printf("{\"bytes\": %zu, ", bytes);
  printSamples("loom_gbs", gemvRates, false);
  printSamples("read_gbs", readRates, true);
  std::printf(", \"sink\": %.1f}", double(sink != 0.0f));
}

} // namespace

int main(int argc, char **argv) {
  int threads = 2, rounds = 3;
  int64_t m = 512;
  std::vector<Shape> shapes = {
      {768, 768}, {256, 768}, {2048, 768}, {768, 2048}};
  bool runGemm = true, runGemv = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "kernels: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--threads")
      threads = std::atoi(next());
    else if (arg == "--rounds")
      rounds = std::max(1, std::atoi(next()));
    else if (arg == "--m")
      m = std::atoll(next());
    else if (arg == "--gemm-only")
      runGemv = false;
    else if (arg == "--gemv-only")
      runGemm = false;
    else if (arg == "--shapes") {
      shapes.clear();
      std::string list = next();
      for (size_t pos = 0; pos < list.size();) {
        size_t comma = list.find(',', pos);
        std::string item = list.substr(pos, comma - pos);
        long long n = 0, k = 0;
        if (std::sscanf(item.c_str(), "%lld:%lld", &n, &k) != 2 || n <= 0 ||
            k <= 0) {
          std::fprintf(stderr, "kernels: bad shape '%s' (want N:K)\n",
                       item.c_str());
          return 2;
        }
        shapes.push_back({n, k});
        pos = comma == std::string::npos ? list.size() : comma + 1;
      }
    } else {
      std::fprintf(stderr, "kernels: unknown option '%s'\n", arg.c_str());
      return 2;
    }
  }
  kernelThreads = threads;
  std::printf("{\"threads\": %d, \"gemm\": [", threads);
  for (size_t i = 0; runGemm && i < shapes.size(); ++i) {
    if (i)
      std::printf(", ");
    gemm(m, shapes[i], rounds);
    std::fflush(stdout);
  }
  std::printf("], \"gemv\": ");
  if (runGemv)
    gemv(rounds);
  else
    std::printf("null");
  std::printf("}\n");
  return 0;
}
