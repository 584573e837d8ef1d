//===- EarlyExit.cpp - Adaptive depth: tokens leaving a loop early --------===//

#include "loom/EarlyExit.h"
#include "loom/Kernels.h"
#include "loom/loom_abi.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace loom;

bool loom::gateExits(double logit, int64_t iteration, int64_t tripCount,
                     double threshold, double &cdf, double &survival) {
  double lambda = 1.0 / (1.0 + std::exp(-logit));
  // The last iteration takes what probability is left.
  bool last = iteration + 1 >= tripCount;
  double probability = last ? survival : lambda * survival;
  cdf += probability;
  survival *= 1.0 - lambda;
  // A threshold of 1 runs every iteration (Ouro's default), whatever the
  // sum's rounding.
  return last || (threshold < 1 && cdf >= threshold);
}

bool loom::hasConverged(const float *previous, const float *next, int64_t width,
                        double threshold) {
  double change = 0, size = 0;
  for (int64_t i = 0; i < width; ++i) {
    double d = double(next[i]) - double(previous[i]);
    change += d * d;
    size += double(previous[i]) * double(previous[i]);
  }
  // A zero row has converged only if it stays zero.
  if (size == 0)
    return change == 0;
  return std::sqrt(change / size) < threshold;
}

void ExitState::begin(int64_t rows, int64_t rule, double threshold,
                      int64_t tripCount, int64_t iterationWidth) {
  running = true;
  this->rule = rule;
  this->threshold = thresholdOverride ? *thresholdOverride : threshold;
  this->tripCount = tripCount;
  this->iterationWidth = iterationWidth;
  iteration = 0;
  done.assign(size_t(rows), 0);
  cdf.assign(size_t(rows), 0.0);
  survival.assign(size_t(rows), 1.0);
  depth.assign(size_t(rows), 0);
}

int64_t ExitState::step(int64_t iteration, const float *previous,
                        int64_t ldPrevious, const float *next, int64_t ldNext,
                        int64_t width, const float *logits, int64_t ldLogits) {
  int64_t running = 0;
  for (size_t r = 0; r < done.size(); ++r) {
    if (done[r])
      continue;
    depth[r] = int32_t(iteration + 1);
    bool exits;
    if (fullDepth)
      exits = iteration + 1 >= tripCount;
    else if (rule == LOOM_EXIT_GATE)
      exits = gateExits(logits[int64_t(r) * ldLogits], iteration, tripCount,
                        threshold, cdf[r], survival[r]);
    else
      exits = iteration + 1 >= tripCount ||
              hasConverged(previous + int64_t(r) * ldPrevious,
                           next + int64_t(r) * ldNext, width, threshold);
    done[r] = exits;
    running += !exits;
  }
  this->iteration = iteration + 1;
  return running;
}

void ExitState::end() {
  running = false;
  tokens += int64_t(depth.size());
  for (int32_t d : depth)
    iterations += d;
  maxIterations += int64_t(depth.size()) * tripCount;
}

double ExitState::effectiveThreshold(double threshold) {
  if (fullDepth)
    return 0.0;
  return thresholdOverride ? *thresholdOverride : threshold;
}

void ExitState::record(const int32_t *depths, int64_t stride, int64_t rows,
                       int64_t tripCount) {
  tokens += rows;
  for (int64_t r = 0; r < rows; ++r)
    iterations += depths[r * stride];
  maxIterations += rows * tripCount;
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

extern "C" {

void _mlir_ciface_loom_exit_begin(loom_context *context, int64_t rows,
                                  int64_t rule, double threshold,
                                  int64_t tripCount, int64_t iterationWidth) {
  context->kernels->earlyExit.begin(rows, rule, threshold, tripCount,
                                    iterationWidth);
}

int64_t _mlir_ciface_loom_exit_step(loom_context *context, int64_t iteration,
                                    MemRef<float, 2> *previous,
                                    MemRef<float, 2> *next,
                                    MemRef<float, 2> *logits,
                                    MemRef<float, 2> *out) {
  ExitState &state = context->kernels->earlyExit;
  std::vector<float> scratchBefore, scratchAfter;
  auto [before, ldBefore] = unitColumns(previous, scratchBefore);
  auto [after, ldAfter] = unitColumns(next, scratchAfter);
  const float *gate =
      logits->sizes[0] > 0 ? logits->aligned + logits->offset : nullptr;
  int64_t rows = out->sizes[0], width = out->sizes[1];
  // Tokens that had left keep their rows; the others take the new ones.
  for (int64_t r = 0; r < rows; ++r) {
    const float *source =
        state.done[size_t(r)] ? before + r * ldBefore : after + r * ldAfter;
    float *target = out->aligned + out->offset + r * out->strides[0];
    for (int64_t i = 0; i < width; ++i)
      target[i * out->strides[1]] = source[i];
  }
  return state.step(iteration, before, ldBefore, after, ldAfter, width, gate,
                    gate ? logits->strides[0] : 0);
}

void _mlir_ciface_loom_exit_end(loom_context *context) {
  context->kernels->earlyExit.end();
}

double _mlir_ciface_loom_exit_threshold(loom_context *context,
                                        double threshold) {
  return context->kernels->earlyExit.effectiveThreshold(threshold);
}

void _mlir_ciface_loom_exit_record(loom_context *context,
                                   MemRef<int32_t, 1> *depths,
                                   int64_t tripCount) {
  context->kernels->earlyExit.record(depths->aligned + depths->offset,
                                     depths->strides[0], depths->sizes[0],
                                     tripCount);
}

void _mlir_ciface_loom_write_kv(loom_context *context,
                                MemRef<float, 3> *keyCache,
                                MemRef<float, 3> *valueCache,
                                MemRef<float, 2> *keys,
                                MemRef<float, 2> *values, int64_t slot,
                                int64_t pos) {
  const ExitState &state = context->kernels->earlyExit;
  int64_t rows = keys->sizes[0], width = keys->sizes[1];
  // Inside an adaptive loop, a running token's rows also stand for the
  // iterations after this one (until it runs them), and a token that has
  // left keeps the rows of its last iteration.
  int64_t copies = state.running ? state.tripCount - state.iteration : 1;
  int64_t apart = keyCache->sizes[1] * state.iterationWidth;
  for (auto [cache, source] :
       {std::pair{keyCache, keys}, {valueCache, values}}) {
    float *base = cache->aligned + cache->offset + slot * cache->strides[0];
    for (int64_t r = 0; r < rows; ++r) {
      if (state.running && state.done[size_t(r)])
        continue;
      const float *row =
          source->aligned + source->offset + r * source->strides[0];
      for (int64_t copy = 0; copy < copies; ++copy) {
        float *target = base + copy * apart + (pos + r) * cache->strides[1];
        for (int64_t i = 0; i < width; ++i)
          target[i * cache->strides[2]] = row[i * source->strides[1]];
      }
    }
  }
}

} // extern "C"
