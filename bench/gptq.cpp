//===- gptq.cpp - GPTQ's batched updates against one error at a time ------===//
//
//   gptq [--threads N] [--shapes N:K,...] [--format q4_1]
//
// Measures `loom::quantizeWithFeedback` (GPTQ with its lazy batched updates:
// the errors of 128 columns reach the later columns through one dgemm)
// against its peer, the same rounding with each error passed on to every
// later weight as it is made (`detail::quantizeSpanWithFeedback` over whole
// rows, on the same threads, after the same factorization). The two give
// the same bytes; the benchmark checks that too. Each shape's inputs have
// correlated channels, as a layer's activations do.
//
// Build (from the repository root, after building the runtime):
//   clang++-22 -O2 -std=c++17 -Iruntime/include -Iruntime/lib bench/gptq.cpp \
//     build/lib/libLoomRuntime.a -lpcre2-8 -licuuc -lsentencepiece -lsleef \
//     -llapacke -lblas -lpthread -o build/gptq-bench
//
// Prints one JSON object. OpenBLAS picks its kernels from the CPU; where it
// does not know the CPU, OPENBLAS_CORETYPE names them.
//
//===----------------------------------------------------------------------===//

#include "loom/Kernels.h"
#include "loom/Quant.h"

#include "QuantInternal.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace loom;

namespace {

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Shape {
  int64_t n, k;
};

/// Weights and the covariance of 64 correlated input rows, plus the
/// identity (as GPTQ's damping would add).
void makeProblem(int64_t n, int64_t k, std::vector<float> &w,
                 std::vector<float> &h) {
  std::mt19937 generator(7);
  std::normal_distribution<float> normal;
  w.resize(size_t(n * k));
  for (float &value : w)
    value = normal(generator);
  int64_t samples = 64, factors = 8;
  std::vector<float> mix(size_t(factors * k)), x(size_t(samples * k));
  for (float &value : mix)
    value = normal(generator);
  for (int64_t i = 0; i < samples; ++i)
    for (int64_t p = 0; p < k; ++p) {
      float value = 0.1f * normal(generator);
      for (int64_t f = 0; f < factors; ++f)
        value += mix[size_t(f * k + p)] * float(i % (f + 2));
      x[size_t(i * k + p)] = value;
    }
  h.assign(size_t(k * k), 0.0f);
  for (int64_t p = 0; p < k; ++p)
    h[size_t(p * k + p)] = 1.0f;
  for (int64_t i = 0; i < samples; ++i)
    for (int64_t p = 0; p < k; ++p)
      for (int64_t t = 0; t < k; ++t)
        h[size_t(p * k + t)] +=
            x[size_t(i * k + p)] * x[size_t(i * k + t)] / float(samples);
}

/// Rounds every row with each error passed on at once (no batching).
void oneAtATime(ThreadPool &pool, QuantFormat format,
                const std::vector<float> &w, const std::vector<float> &h,
                int64_t n, int64_t k, uint8_t *out) {
  std::vector<double> u;
  if (Status factored = detail::gptqInverseFactor(h.data(), k, k, u);
      !factored) {
    std::fprintf(stderr, "gptq: %s\n", factored.getError().c_str());
    std::exit(1);
  }
  int64_t rowBytes = quantRowBytes(format, k);
  pool.parallelFor(0, n, 16, [&](int64_t first, int64_t last) {
    std::vector<double> row(static_cast<size_t>(k)),
        errors(static_cast<size_t>(k));
    for (int64_t r = first; r < last; ++r) {
      for (int64_t p = 0; p < k; ++p)
        row[size_t(p)] = w[size_t(r * k + p)];
      detail::quantizeSpanWithFeedback(format, row.data(), k, 0, k, u.data(),
                                       nullptr, errors.data(),
                                       out + r * rowBytes);
    }
  });
}

} // namespace

int main(int argc, char **argv) {
  int64_t threads = 2;
  std::string shapesText = "1024:1024,2048:2048,4096:4096";
  std::string formatName = "Q4_1";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc)
      threads = std::atoll(argv[++i]);
    else if (arg == "--shapes" && i + 1 < argc)
      shapesText = argv[++i];
    else if (arg == "--format" && i + 1 < argc) {
      formatName = argv[++i];
      for (char &c : formatName)
        c = char(std::toupper(static_cast<unsigned char>(c)));
    } else {
      std::fprintf(stderr, "usage: gptq [--threads N] [--shapes N:K,...] "
                           "[--format q8_0|q4_0|q4_1]\n");
      return 2;
    }
  }
  std::optional<QuantFormat> format = quantFormatFromName(formatName);
  if (!format || !quantHasFeedback(*format)) {
    std::fprintf(stderr, "gptq: no error feedback for format '%s'\n",
                 formatName.c_str());
    return 2;
  }
  std::vector<Shape> shapes;
  for (size_t at = 0; at < shapesText.size();) {
    size_t comma = shapesText.find(',', at);
    std::string item = shapesText.substr(at, comma - at);
    long long n = 0, k = 0;
    if (std::sscanf(item.c_str(), "%lld:%lld", &n, &k) != 2 || n < 1 ||
        k < 32 || k % 32) {
      std::fprintf(stderr, "gptq: bad shape '%s' (N:K, K a multiple of 32)\n",
                   item.c_str());
      return 2;
    }
    shapes.push_back({n, k});
    at = comma == std::string::npos ? shapesText.size() : comma + 1;
  }
  KernelState state(threads);
  std::printf("{\"threads\": %lld, \"format\": \"%s\", \"shapes\": [",
              (long long)threads, quantFormatName(*format));
  for (size_t s = 0; s < shapes.size(); ++s) {
    auto [n, k] = shapes[s];
    std::vector<float> w, h;
    makeProblem(n, k, w, h);
    int64_t rowBytes = quantRowBytes(*format, k);
    std::vector<uint8_t> batched(size_t(n * rowBytes)),
        serial(size_t(n * rowBytes));
    double start = now();
    Status done =
        quantizeWithFeedback(state.pool, *format, w.data(), k, n, k, h.data(),
                             k, nullptr, batched.data(), rowBytes);
    double batchedSeconds = now() - start;
    if (!done) {
      std::fprintf(stderr, "gptq: %s\n", done.getError().c_str());
      return 1;
    }
    start = now();
    oneAtATime(state.pool, *format, w, h, n, k, serial.data());
    double serialSeconds = now() - start;
    std::printf("%s{\"n\": %lld, \"k\": %lld, \"batched_s\": %.3f, "
                "\"one_at_a_time_s\": %.3f, \"speedup\": %.2f, "
                "\"same_bytes\": %s}",
                s ? ", " : "", (long long)n, (long long)k, batchedSeconds,
                serialSeconds, serialSeconds / batchedSeconds,
                batched == serial ? "true" : "false");
    std::fflush(stdout);
  }
  std::printf("]}\n");
  return 0;
}
