//===- Session.cpp - A compiled model bound to its weights ----------------===//

#include "loom/Session.h"

#include "loom/Kernels.h"
#include "loom/Profile.h"

#include <fmt/core.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <set>

using namespace loom;

/// Gives back the pages fully inside [data, data + bytes) (mapped memory).
static void releasePages(const void *data, size_t bytes, long pageSize) {
  auto begin = reinterpret_cast<uintptr_t>(data);
  uintptr_t end = begin + bytes;
  uintptr_t first = (begin + pageSize - 1) / pageSize * pageSize;
  uintptr_t last = end / pageSize * pageSize;
  if (last > first)
    madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED);
}

/// Maps the pages of `count` floats at `data` into the process (they may be
/// a memory-mapped file's) by reading one float a page.
static void prefault(const float *data, size_t count, long pageSize) {
  const volatile float *values = data;
  size_t step = size_t(pageSize) / sizeof(float);
  float sink = 0.0f;
  for (size_t i = 0; i < count; i += step)
    sink += values[i];
  (void)sink;
}


Expected<ModelInfo> loom::describeModel(const loom_model_def &model) {
  if (model.abi_version != LOOM_ABI_VERSION)
    return makeError(fmt::format("the model was built for runtime ABI {}, "
                                 "this runtime speaks ABI {}: rebuild it with "
                                 "this runtime's loomc",
                                 model.abi_version, LOOM_ABI_VERSION));
  if (!model.info || !model.forward)
    return makeError("the model definition lacks its description or its "
                     "entry point");
  Expected<ModelInfo> info = parseModelInfo(model.info);
  if (!info)
    return info.takeError();
  if (info->abi != LOOM_ABI_VERSION)
    return makeError(fmt::format("the model's description is for runtime ABI "
                                 "{}, this runtime speaks ABI {}",
                                 info->abi, LOOM_ABI_VERSION));
  if (info->decoder && !model.forward_last)
    return makeError("the model is a decoder but has no last-row entry point");
  if (!info->derived.empty() && !model.prepare)
    return makeError("the model has derived weights but no entry point that "
                     "computes them");
  size_t entries = info->tensors.size() + info->derived.size();
  if (info->matrix.size() != entries)
    return makeError("the model's embedded description has inconsistent "
                     "tensor lists");
  return info;
}

Expected<std::unique_ptr<Session>>
Session::open(const loom_model_def &model, const std::string &weightsPath,
              int64_t maxSeq, int64_t numThreads) {
  Expected<ModelInfo> info = describeModel(model);
  if (!info)
    return info.takeError();
  if (maxSeq < 1)
    return makeError(fmt::format("the sequence length must be at least 1, "
                                 "got {}",
                                 maxSeq));
  if (info->maxPositions > 0 && maxSeq > info->maxPositions)
    return makeError(fmt::format("a sequence of {} tokens exceeds the model's "
                                 "{} positions",
                                 maxSeq, info->maxPositions));
  if (numThreads < 0)
    return makeError(fmt::format("the thread count must not be negative, "
                                 "got {}",
                                 numThreads));
  // Half-precision matrices that only the products read stay as they are in
  // the checkpoint: they are packed (in their own or the requested type)
  // straight from the mapping, never widened to f32 in memory.
  WeightOptions options;
  if (info->weightType != WeightPolicy::F32) {
    std::vector<bool> derivedSource(info->tensors.size(), false);
    for (const std::vector<int64_t> &sources : info->derivedSources)
      for (int64_t source : sources)
        if (size_t(source) < derivedSource.size())
          derivedSource[size_t(source)] = true;
    for (size_t i = 0; i < info->tensors.size(); ++i)
      options.keepHalf.push_back(info->tensors[i].shape.size() == 2 &&
                                 (info->matrix[i] || info->storedInOut[i]) &&
                                 !info->otherUses[i] && !derivedSource[i]);
  }
  Expected<WeightSet> weights =
      WeightSet::load(weightsPath, info->tensors, options);
  if (!weights)
    return weights.takeError();
  std::unique_ptr<Session> session(new Session(
      model, std::move(*info), std::move(*weights), maxSeq, numThreads));
  if (Status status = session->loadWeights(); !status)
    return status.takeError();
  return session;
}

Session::Session(const loom_model_def &model, ModelInfo modelInfo,
                 WeightSet weightSet, int64_t maxSeq, int64_t numThreads)
    : model(model), info(std::move(modelInfo)), weights(std::move(weightSet)),
      maxSeq(maxSeq), keys(size_t(maxSeq * info.kvWidth), 0.0f),
      values(keys.size(), 0.0f), kernels(numThreads) {
  weightTable.reserve(weights.size() + info.derived.size());
  for (size_t i = 0; i < weights.size(); ++i)
    weightTable.push_back(const_cast<float *>(weights.data(i)));
  panelTypes.assign(weights.size() + info.derived.size(), WeightType::F32);
  context.weights = weightTable.data();
  context.kernels = &kernels;
}

/// The weight type of checkpoint dtype `dtype` (F32 for anything else).
static WeightType weightTypeOf(DType dtype) {
  return dtype == DType::BF16  ? WeightType::BF16
         : dtype == DType::F16 ? WeightType::F16
                               : WeightType::F32;
}

Status Session::loadWeights() {
  size_t stored = weights.size();
  long pageSize = sysconf(_SC_PAGESIZE);
  // A matrix kept in half precision has no f32 data: the generated code
  // passes the kernels an address of a reserved (inaccessible) range of its
  // f32 size, by which they find its packed copy.
  for (size_t i = 0; i < stored; ++i) {
    if (!weights.isHalf(i))
      continue;
    size_t bytes = std::max<size_t>(
        size_t(numElements(weights.spec(i).shape).value_or(0)) *
            sizeof(float),
        1);
    void *range =
        mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (range == MAP_FAILED)
      return makeError(fmt::format("cannot reserve address space for tensor "
                                   "'{}'",
                                   weights.spec(i).name));
    derivedMemory.push_back({range, bytes});
    weightTable[i] = range;
  }
  // Each derived weight gets an anonymous mapping of its own, touched only
  // when it is computed: once packed for the kernels, its pages can be given
  // back while its address stays reserved (the kernels find packed copies
  // by address).
  for (const TensorSpec &spec : info.derived) {
    std::optional<int64_t> count = numElements(spec.shape);
    if (!count)
      return makeError(fmt::format("derived weight '{}' has an invalid shape "
                                   "{}",
                                   spec.name, formatShape(spec.shape)));
    size_t bytes = std::max<size_t>(size_t(*count) * sizeof(float), 1);
    void *memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
      return makeError(fmt::format("cannot allocate {} bytes for derived "
                                   "weight '{}'",
                                   bytes, spec.name));
    derivedMemory.push_back({memory, bytes});
    weightTable.push_back(memory);
  }
  context.weights = weightTable.data();

  // Table entries are the checkpoint's tensors, then the derived weights.
  auto specOf = [&](size_t i) -> const TensorSpec & {
    return i < stored ? weights.spec(i) : info.derived[i - stored];
  };
  auto dataOf = [&](size_t i) {
    return static_cast<const float *>(weightTable[i]);
  };
  // Half data is the checkpoint's, in its mapping, as zero-copy f32 is.
  auto fileBacked = [&](size_t i) {
    return i < stored && (weights.isZeroCopy(i) || weights.isHalf(i));
  };
  auto layoutOf = [&](size_t i) -> std::pair<const void *, WeightType> {
    if (i < stored && weights.isHalf(i))
      return {weights.rawData(i), weightTypeOf(weights.source(i).dtype)};
    return {weightTable[i], WeightType::F32};
  };
  auto elementsOf = [&](size_t i) {
    return size_t(numElements(specOf(i).shape).value_or(0));
  };

  // Which matrices get a packed copy, as {n, k}. A matrix also read in its
  // checkpoint layout (a tied embedding and LM head) is packed only if that
  // layout is the memory-mapped file, whose pages can be dropped and read
  // back a row at a time as the embedding needs them; otherwise a packed
  // copy would double its memory, and it stays where it is.
  //
  // Panels hold what the model asks for (its weight type): by default the
  // checkpoint's own type, F16 or BF16 panels halving what a decode step
  // streams; a derived weight keeps the half type its sources share.
  auto checkpointType = [&](size_t i) {
    if (i < stored)
      return weightTypeOf(weights.source(i).dtype);
    std::optional<WeightType> shared;
    for (int64_t source : info.derivedSources[i - stored]) {
      WeightType type = weightTypeOf(weights.source(size_t(source)).dtype);
      if (size_t(source) >= stored || (shared && *shared != type))
        return WeightType::F32;
      shared = type;
    }
    return shared.value_or(WeightType::F32);
  };
  std::vector<PackedShape> shapes(weightTable.size());
  for (size_t i = 0; i < weightTable.size(); ++i) {
    const TensorSpec &spec = specOf(i);
    if (spec.shape.size() != 2 || (!info.matrix[i] && !info.storedInOut[i]) ||
        (info.otherUses[i] && !fileBacked(i)))
      continue;
    switch (info.weightType) {
    case WeightPolicy::Keep:
      panelTypes[i] = checkpointType(i);
      break;
    case WeightPolicy::F32:
      panelTypes[i] = WeightType::F32;
      break;
    case WeightPolicy::F16:
      panelTypes[i] = WeightType::F16;
      break;
    case WeightPolicy::BF16:
      panelTypes[i] = WeightType::BF16;
      break;
    }
    // A matrix whose f32 layout something else reads keeps f32 panels
    // (the layouts must agree).
    if (info.otherUses[i])
      panelTypes[i] = WeightType::F32;
    shapes[i] = info.matrix[i]
                    ? PackedShape{spec.shape[0], spec.shape[1], panelTypes[i]}
                    : PackedShape{spec.shape[1], spec.shape[0], panelTypes[i]};
  }
  reservePackedMatrices(kernels, shapes);

  // Once an entry's data is final: pack it, or map in all of a matrix that
  // stays where it is (read whole for every token: map it now, not on the
  // first token's time).
  auto finish = [&](size_t i) {
    const TensorSpec &spec = specOf(i);
    auto [data, type] = layoutOf(i);
    if (shapes[i].n != 0)
      packedBytes += packConstantMatrix(
          kernels, weightTable[i], data, type, shapes[i].n, shapes[i].k,
          /*storedKN=*/!info.matrix[i], panelTypes[i]);
    else if (spec.shape.size() == 2 &&
             (info.matrix[i] || info.storedInOut[i]))
      prefault(dataOf(i), elementsOf(i), pageSize);
  };
  // Derived weights still to read each entry. An entry nothing reads any
  // more in its own layout gives its pages back: the products read the
  // packed copy, and a file's pages fault back in if something else reads
  // them (a derived weight's would read as zeros, so those stay).
  std::vector<int64_t> pending(weightTable.size(), 0);
  for (const std::vector<int64_t> &sources : info.derivedSources)
    for (int64_t source : sources)
      ++pending[size_t(source)];
  // (The pages of a copy the weight set converted are given back too: the
  // address stays allocated, so no other buffer takes it.)
  // A tensor bound twice (a tied embedding and head) shares its memory: a
  // copy's pages stay while another entry reads them.
  std::set<const void *> readElsewhere;
  for (size_t i = 0; i < weightTable.size(); ++i)
    if (info.otherUses[i] && !fileBacked(i))
      readElsewhere.insert(weightTable[i]);
  auto releaseIfUnused = [&](size_t i) {
    bool unread = info.prepareOnly[i] ||
                  (shapes[i].n != 0 && (fileBacked(i) || !info.otherUses[i]));
    if (!fileBacked(i) && readElsewhere.count(weightTable[i]))
      unread = false;
    auto [data, type] = layoutOf(i);
    if (pending[i] == 0 && unread)
      releasePages(data, elementsOf(i) * weightTypeSize(type), pageSize);
  };
  for (size_t i = 0; i < stored; ++i) {
    finish(i);
    releaseIfUnused(i);
  }
  // One derived weight at a time: computed, packed, given back.
  for (size_t d = 0; d < info.derived.size(); ++d) {
    size_t i = stored + d;
    model.prepare(&context, int64_t(d));
    finish(i);
    for (int64_t source : info.derivedSources[d]) {
      --pending[size_t(source)];
      releaseIfUnused(size_t(source));
    }
    releaseIfUnused(i);
  }
  return Status::success();
}

Session::~Session() {
  clearPackedMatrices(kernels);
  for (auto [memory, bytes] : derivedMemory)
    munmap(memory, bytes);
}

Status Session::run(const int32_t *tokens, int64_t count, float *out,
                    bool lastRowOnly) {
  if (count < 1)
    return makeError("no tokens to run");
  if (position + count > maxSeq)
    return makeError(fmt::format("{} cached + {} new tokens exceed the "
                                 "session's {} positions",
                                 position, count, maxSeq));
  for (int64_t i = 0; i < count; ++i) {
    if (tokens[i] < 0 || (info.vocab > 0 && tokens[i] >= info.vocab))
      return makeError(fmt::format("token id {} (token {}) is outside the "
                                   "model's vocabulary of {}",
                                   tokens[i], i + 1, info.vocab));
  }
  ProfileScope profile(ProfileEntry::Forward);
  auto tokenRef =
      makeMemRef<int32_t, 1>(const_cast<int32_t *>(tokens), {count});
  auto keyRef =
      makeMemRef<float, 1>(keys.data(), {int64_t(keys.size())});
  auto valueRef =
      makeMemRef<float, 1>(values.data(), {int64_t(values.size())});
  if (lastRowOnly) {
    // `out` holds one row: only the last-row entry may write it.
    if (!model.forward_last)
      return makeError("this model has no last-row entry point (encoders "
                       "return every row)");
    auto rowRef = makeMemRef<float, 2>(out, {1, info.outputWidth});
    model.forward_last(&context, &tokenRef, position, &keyRef, &valueRef,
                       &rowRef);
  } else {
    auto outRef = makeMemRef<float, 2>(out, {count, info.outputWidth});
    model.forward(&context, &tokenRef, position, &keyRef, &valueRef, &outRef);
  }
  position += count;
  return Status::success();
}
