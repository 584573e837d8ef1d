//===- Runtime.cpp - The runtime's C ABI ----------------------------------===//

#include "loom/Runtime.h"

#include "loom/Sampler.h"
#include "loom/ThreadPool.h"
#include "loom/Weights.h"

#include <new>

using namespace loom;

struct loom_weights {
  WeightSet set;
};

struct loom_sampler {
  Sampler sampler;
};

struct loom_thread_pool {
  explicit loom_thread_pool(int64_t numThreads) : pool(numThreads) {}
  ThreadPool pool;
};

static thread_local std::string lastError;

void loom::setLastError(std::string message) { lastError = std::move(message); }

static void setError(std::string message) { setLastError(std::move(message)); }

extern "C" {

uint32_t loom_runtime_abi_version(void) { return LOOM_ABI_VERSION; }

const char *loom_last_error(void) { return lastError.c_str(); }

loom_weights *loom_weights_open(const char *path, const loom_tensor_spec *specs,
                                size_t count) {
  if (!path || (count && !specs)) {
    setError("loom_weights_open: null path or manifest");
    return nullptr;
  }
  std::vector<TensorSpec> manifest;
  manifest.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const loom_tensor_spec &spec = specs[i];
    if (!spec.name || spec.rank < 0 || (spec.rank > 0 && !spec.shape)) {
      setError("loom_weights_open: manifest entry " + std::to_string(i) +
               " has no name or an invalid shape");
      return nullptr;
    }
    manifest.push_back(
        {spec.name, std::vector<int64_t>(spec.shape, spec.shape + spec.rank)});
  }
  Expected<WeightSet> set = WeightSet::load(path, std::move(manifest));
  if (!set) {
    setError(set.getError());
    return nullptr;
  }
  return new (std::nothrow) loom_weights{std::move(*set)};
}

size_t loom_weights_count(const loom_weights *weights) {
  return weights ? weights->set.size() : 0;
}

const float *loom_weights_tensor(const loom_weights *weights, size_t index) {
  if (!weights || index >= weights->set.size()) {
    setError("loom_weights_tensor: index out of range");
    return nullptr;
  }
  return weights->set.data(index);
}

uint64_t loom_weights_total_bytes(const loom_weights *weights) {
  return weights ? weights->set.totalBytes() : 0;
}

void loom_weights_close(loom_weights *weights) { delete weights; }

loom_sampler *loom_sampler_create(double temperature, int64_t top_k,
                                  double top_p, uint64_t seed) {
  SamplerOptions options;
  options.temperature = temperature;
  options.topK = top_k;
  options.topP = top_p;
  options.seed = seed;
  Expected<Sampler> sampler = Sampler::create(options);
  if (!sampler) {
    setError(sampler.getError());
    return nullptr;
  }
  return new (std::nothrow) loom_sampler{std::move(*sampler)};
}

int64_t loom_sampler_sample(loom_sampler *sampler, const float *logits,
                            size_t count) {
  if (!sampler || (count && !logits)) {
    setError("loom_sampler_sample: null sampler or logits");
    return -1;
  }
  return sampler->sampler.sample(logits, count);
}

void loom_sampler_destroy(loom_sampler *sampler) { delete sampler; }

int64_t loom_argmax(const float *logits, size_t count) {
  if (count && !logits)
    return -1;
  return argmax(logits, count);
}

loom_thread_pool *loom_thread_pool_create(int64_t num_threads) {
  return new (std::nothrow) loom_thread_pool(num_threads);
}

int64_t loom_thread_pool_size(const loom_thread_pool *pool) {
  return pool ? pool->pool.getNumThreads() : 0;
}

void loom_parallel_for(loom_thread_pool *pool, int64_t begin, int64_t end,
                       int64_t grain,
                       void (*fn)(void *context, int64_t begin, int64_t end),
                       void *context) {
  if (!fn)
    return;
  if (!pool) {
    if (begin < end)
      fn(context, begin, end);
    return;
  }
  pool->pool.parallelFor(begin, end, grain,
                         [&](int64_t b, int64_t e) { fn(context, b, e); });
}

void loom_thread_pool_destroy(loom_thread_pool *pool) { delete pool; }

} // extern "C"
