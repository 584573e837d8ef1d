//===- Session.cpp - A compiled model bound to its weights ----------------===//

#include "loom/Session.h"
#include "loom/Progress.h"

#include "loom/Half.h"
#include "loom/Kernels.h"
#include "loom/Profile.h"
#include "loom/Quant.h"
#include "loom/SafetensorsWriter.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
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
              int64_t maxSeq, int64_t numThreads,
              const SessionOptions &sessionOptions) {
  return open(model, std::vector<std::string>{weightsPath}, maxSeq, numThreads,
              sessionOptions);
}

Expected<std::unique_ptr<Session>>
Session::open(const loom_model_def &hostModel,
              const std::vector<std::string> &weightsPaths, int64_t maxSeq,
              int64_t numThreads, const SessionOptions &requested) {
  // On a GPU, the session binds the device build: its prepare computes the
  // derived weights on the host, in the layouts its kernels read, which
  // are then copied to the device.
  SessionOptions sessionOptions = requested;
  bool onDevice = requested.device == Device::Cuda;
  if (onDevice && !hostModel.device)
    return makeError("this model was built for the CPU only: build it with "
                     "`loomc --target=cuda` to run it on a GPU, or run it "
                     "with --device=cpu");
  if (onDevice)
    sessionOptions.keepLayouts = true;
  const loom_model_def &model = onDevice ? *hostModel.device : hostModel;
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
  // The KV cache is allocated whole: refuse one the machine cannot hold
  // (rather than fail in the allocator, or overflow computing its size).
  uint64_t physical =
      uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE));
  double cacheBytes = 2.0 * double(maxSeq) * double(info->kvWidth) * 4.0;
  if (!onDevice && info->kvWidth > 0 && cacheBytes > double(physical))
    return makeError(fmt::format(
        "a KV cache for {} positions needs {:.1f} GiB, more than the {:.1f} "
        "GiB of memory of this machine: use a shorter prompt or fewer new "
        "tokens (-n)",
        maxSeq, cacheBytes / double(1 << 30), double(physical) / (1 << 30)));
  Expected<std::shared_ptr<Checkpoint>> checkpoint =
      Checkpoint::open(weightsPaths);
  if (!checkpoint)
    return checkpoint.takeError();

  // The table: the checkpoint tensors the model reads, then its derived
  // weights. A checkpoint written for the model (`loomc --emit=weights`)
  // holds derived weights already, by name: those are read, not computed,
  // and tensors read only to derive them need not be there.
  size_t stored = info->tensors.size();
  size_t entries = stored + info->derived.size();
  std::vector<bool> derivedInCheckpoint(info->derived.size(), false);
  // A quantization of a checkpoint tensor that the checkpoint stores in that
  // very format (a GGUF file's Q4_1 matrix for a q4_1 product) reads the
  // stored bytes, under the source's name, instead of decoding them and
  // rounding them again.
  std::vector<std::string> storedAs(info->derived.size());
  for (size_t d = 0; d < info->derived.size(); ++d) {
    // A weight converted to half precision is always converted here: the
    // checkpoint's copy would be read as f32.
    if (info->derived[d].floatType != DType::F32)
      continue;
    derivedInCheckpoint[d] = (*checkpoint)->find(info->derived[d].name);
    if (derivedInCheckpoint[d] || !info->derivedQuantizes[d] ||
        size_t(info->derivedSources[d].front()) >= stored)
      continue;
    const TensorSpec &source =
        info->tensors[size_t(info->derivedSources[d].front())];
    const TensorInfo *tensor = (*checkpoint)->find(source.name);
    if (tensor && quantFormatOf(tensor->dtype) == info->derived[d].quant &&
        tensor->shape == info->derived[d].shape) {
      derivedInCheckpoint[d] = true;
      storedAs[d] = source.name;
    }
  }
  // What must be there, from the last entry back (a derived weight reads
  // only earlier entries): what the entry points read, and the sources of
  // every derived weight that is computed.
  std::vector<bool> needed(entries, false), derivedSource(entries, false);
  for (size_t i = entries; i-- > 0;) {
    needed[i] = needed[i] || !info->prepareOnly[i];
    if (i < stored || !needed[i] || derivedInCheckpoint[i - stored])
      continue;
    for (int64_t source : info->derivedSources[i - stored]) {
      needed[size_t(source)] = true;
      derivedSource[size_t(source)] = true;
    }
  }

  // Half-precision matrices that only the products read stay as they are in
  // the checkpoint: they are packed (in their own or the requested type)
  // straight from the mapping, never widened to f32 in memory. A tensor
  // bound under several entries is kept half only if every one allows it.
  std::vector<TensorSpec> specs;
  std::vector<int64_t> bound(entries, -1);
  std::vector<bool> keepHalf;
  std::map<std::string, bool> halfByName;
  for (size_t i = 0; i < entries; ++i) {
    bool isDerived = i >= stored;
    if (!needed[i] || (isDerived && !derivedInCheckpoint[i - stored]))
      continue;
    bound[i] = int64_t(specs.size());
    specs.push_back(isDerived ? info->derived[i - stored] : info->tensors[i]);
    if (isDerived && !storedAs[i - stored].empty())
      specs.back().name = storedAs[i - stored];
    bool half = info->weightType != WeightPolicy::F32 &&
                !sessionOptions.keepLayouts && specs.back().shape.size() == 2 &&
                (info->matrix[i] || info->storedInOut[i] || info->rows[i]) &&
                !info->otherUses[i] && !derivedSource[i];
    keepHalf.push_back(half);
    auto [it, inserted] = halfByName.try_emplace(specs.back().name, half);
    it->second = it->second && half;
  }
  WeightOptions options;
  for (size_t s = 0; s < specs.size(); ++s)
    options.keepHalf.push_back(keepHalf[s] && halfByName[specs[s].name]);
  Expected<WeightSet> weights =
      WeightSet::load(std::shared_ptr<const Checkpoint>(std::move(*checkpoint)),
                      std::move(specs), options);
  if (!weights)
    return weights.takeError();
  std::unique_ptr<Session> session(new Session(model, std::move(*info),
                                               std::move(*weights), maxSeq,
                                               numThreads, !onDevice));
  session->bound = std::move(bound);
  session->needed = std::move(needed);
  session->keepLayouts = sessionOptions.keepLayouts;
  if (Status status = session->loadWeights(); !status)
    return status.takeError();
  if (onDevice)
    if (Status status = session->moveToDevice(sessionOptions.cpuInstead);
        !status)
      return status.takeError();
  return session;
}

Session::Session(const loom_model_def &model, ModelInfo modelInfo,
                 WeightSet weightSet, int64_t maxSeq, int64_t numThreads,
                 bool hostCaches)
    : model(model), info(std::move(modelInfo)), weights(std::move(weightSet)),
      maxSeq(maxSeq),
      keys(hostCaches ? size_t(maxSeq * info.kvWidth) : 0, 0.0f),
      values(keys.size(), 0.0f),
      states(hostCaches ? size_t(info.stateFloats) : 0, 0.0f),
      kernels(numThreads) {
  size_t entries = info.tensors.size() + info.derived.size();
  weightTable.assign(entries, nullptr);
  panelTypes.assign(entries, WeightType::F32);
  context.weights = weightTable.data();
  context.kernels = &kernels;
  context.states = states.empty() ? nullptr : states.data();
}

/// The weight type of checkpoint dtype `dtype` (F32 for anything else).
static WeightType weightTypeOf(DType dtype) {
  return dtype == DType::BF16  ? WeightType::BF16
         : dtype == DType::F16 ? WeightType::F16
                               : WeightType::F32;
}

/// The checkpoint dtype of weight type `type`.
static DType dtypeOf(WeightType type) {
  return type == WeightType::BF16  ? DType::BF16
         : type == WeightType::F16 ? DType::F16
                                   : DType::F32;
}

const TensorSpec &Session::specOf(size_t entry) const {
  size_t stored = info.tensors.size();
  return entry < stored ? info.tensors[entry] : info.derived[entry - stored];
}

Status Session::loadWeights() {
  size_t stored = info.tensors.size();
  size_t entries = weightTable.size();
  long pageSize = sysconf(_SC_PAGESIZE);
  auto elementsOf = [&](size_t i) {
    return size_t(numElements(specOf(i).shape).value_or(0));
  };
  // Entries the checkpoint provides; derived weights it does not are
  // computed below.
  auto fromCheckpoint = [&](size_t i) { return bound[i] >= 0; };
  auto computed = [&](size_t i) {
    return i >= stored && needed[i] && !fromCheckpoint(i);
  };
  auto set = [&](size_t i) { return size_t(bound[i]); };

  // Quantized weights the model computes live in one range of huge pages:
  // the products stream them whole for every token (see
  // reservePackedMatrices).
  constexpr size_t kHugePage = size_t(2) << 20;
  // Those the checkpoint holds are copied there too, to be rearranged for
  // the kernels (unless the layouts are kept as they are).
  auto inArena = [&](size_t i) {
    return specOf(i).quant &&
           (computed(i) || (fromCheckpoint(i) && !keepLayouts));
  };
  size_t quantizedBytes = 0;
  for (size_t i = 0; i < entries; ++i)
    if (inArena(i))
      quantizedBytes += (size_t(specOf(i).bytes()) + 63) / 64 * 64;
  char *quantizedArena = nullptr;
  if (quantizedBytes) {
    size_t rounded = (quantizedBytes + kHugePage - 1) / kHugePage * kHugePage;
    // Over-allocated by a page so that the range can start on a boundary.
    void *memory = mmap(nullptr, rounded + kHugePage, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
      return makeError(fmt::format("cannot allocate {} bytes for the "
                                   "quantized weights",
                                   rounded));
    derivedMemory.push_back({memory, rounded + kHugePage});
    auto address = reinterpret_cast<uintptr_t>(memory);
    quantizedArena = reinterpret_cast<char *>((address + kHugePage - 1) /
                                              kHugePage * kHugePage);
#if defined(MADV_HUGEPAGE)
    madvise(quantizedArena, rounded, MADV_HUGEPAGE);
#endif
  }
  for (size_t i = 0; i < entries; ++i) {
    if (inArena(i)) {
      weightTable[i] = quantizedArena;
      quantizedArena += (size_t(specOf(i).bytes()) + 63) / 64 * 64;
      if (fromCheckpoint(i)) {
        const void *source = weights.data(set(i));
        std::memcpy(weightTable[i], source, size_t(specOf(i).bytes()));
        releasePages(source, size_t(specOf(i).bytes()), pageSize);
      }
      continue;
    }
    if (fromCheckpoint(i)) {
      weightTable[i] = const_cast<float *>(weights.data(set(i)));
      if (!weights.isHalf(set(i)))
        continue;
      // A matrix kept in half precision has no f32 data: the generated code
      // passes the kernels an address of a reserved (inaccessible) range of
      // its f32 size, by which they find its packed copy.
    } else if (!computed(i)) {
      continue; // read only to derive weights the checkpoint holds
    }
    size_t bytes = std::max<size_t>(size_t(specOf(i).bytes()), 1);
    // A computed derived weight gets an anonymous mapping of its own,
    // touched only when it is computed: once packed, its pages can be given
    // back while its address stays reserved (the kernels find packed copies
    // by address).
    int protection = computed(i) ? PROT_READ | PROT_WRITE : PROT_NONE;
    void *memory =
        mmap(nullptr, bytes, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
      return makeError(fmt::format("cannot allocate {} bytes for weight '{}'",
                                   bytes, specOf(i).name));
    derivedMemory.push_back({memory, bytes});
    weightTable[i] = memory;
  }

  auto fileBacked = [&](size_t i) {
    return fromCheckpoint(i) &&
           (weights.isZeroCopy(set(i)) || weights.isHalf(set(i)));
  };
  auto layoutOf = [&](size_t i) -> std::pair<const void *, WeightType> {
    if (fromCheckpoint(i) && weights.isHalf(set(i)))
      return {weights.rawData(set(i)),
              weightTypeOf(weights.source(set(i)).dtype)};
    return {weightTable[i], WeightType::F32};
  };
  // The type of the checkpoint's data for an entry: a computed derived
  // weight that only moves its sources' values has the half type they share,
  // if they share one; one that computes new values is f32 (rounding it
  // would change the model's numbers).
  std::function<WeightType(size_t)> checkpointType = [&](size_t i) {
    if (fromCheckpoint(i))
      return weightTypeOf(weights.source(set(i)).dtype);
    if (!computed(i) || !info.derivedRearranges[i - stored])
      return WeightType::F32;
    std::optional<WeightType> shared;
    for (int64_t source : info.derivedSources[i - stored]) {
      WeightType type = checkpointType(size_t(source));
      if (shared && *shared != type)
        return WeightType::F32;
      shared = type;
    }
    return shared.value_or(WeightType::F32);
  };

  // Which matrices get a packed copy. A matrix also read in its checkpoint
  // layout (a tied embedding and LM head) is packed only if that layout is
  // the memory-mapped file, whose pages can be dropped and read back a row
  // at a time as the embedding needs them; otherwise a packed copy would
  // double its memory, and it stays where it is.
  //
  // Panels hold what the model asks for (its weight type): by default the
  // checkpoint's own type, F16 or BF16 panels halving what a decode step
  // streams.
  std::vector<PackedShape> shapes(entries);
  for (size_t i = 0; i < entries && !keepLayouts; ++i) {
    const TensorSpec &spec = specOf(i);
    if (!weightTable[i] || info.prepareOnly[i] || spec.shape.size() != 2 ||
        (!info.matrix[i] && !info.storedInOut[i]) ||
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
    // A matrix whose f32 layout something else reads keeps f32 panels (the
    // layouts must agree).
    if (info.otherUses[i])
      panelTypes[i] = WeightType::F32;
    shapes[i] = info.matrix[i]
                    ? PackedShape{spec.shape[0], spec.shape[1], panelTypes[i]}
                    : PackedShape{spec.shape[1], spec.shape[0], panelTypes[i]};
  }
  reservePackedMatrices(kernels, shapes);
  // A half-precision table read only by rows stays the checkpoint's data;
  // the embedding kernel finds it by its table entry.
  for (size_t i = 0; i < entries; ++i)
    if (fromCheckpoint(i) && weights.isHalf(set(i)) && shapes[i].n == 0)
      kernels.halfRows[static_cast<const float *>(weightTable[i])] = {
          weights.rawData(set(i)), weightTypeOf(weights.source(set(i)).dtype)};

  // Once an entry's data is final: pack it, or map in all of a matrix that
  // stays where it is (read whole for every token: map it now, not on the
  // first token's time).
  auto finish = [&](size_t i) {
    const TensorSpec &spec = specOf(i);
    if (spec.quant) {
      // A table read by rows (a quantized embedding, maybe the head's too)
      // keeps its rows whole; the products read it row-major then.
      if (!keepLayouts && !info.rows[i])
        interleaveQuantizedMatrix(kernels, weightTable[i], *spec.quant,
                                  spec.shape[0], spec.shape[1]);
      return;
    }
    auto [data, type] = layoutOf(i);
    if (shapes[i].n != 0)
      packedBytes += packConstantMatrix(
          kernels, weightTable[i], data, type, shapes[i].n, shapes[i].k,
          /*storedKN=*/!info.matrix[i], panelTypes[i]);
    else if (!keepLayouts && weightTable[i] && spec.shape.size() == 2 &&
             (info.matrix[i] || info.storedInOut[i]))
      prefault(static_cast<const float *>(weightTable[i]), elementsOf(i),
               pageSize);
  };
  // Derived weights still to read each entry. An entry nothing reads any
  // more in its own layout gives its pages back: the products read the
  // packed copy, and a file's pages fault back in if something else reads
  // them (a computed weight's would read as zeros, so those stay). The
  // pages of a copy the weight set converted are given back too: the
  // address stays allocated, so no other buffer takes it. A tensor bound
  // twice (a tied embedding and head) shares its memory: a copy's pages
  // stay while another entry reads them.
  std::vector<int64_t> pending(entries, 0);
  for (size_t d = 0; d < info.derived.size(); ++d)
    if (computed(stored + d))
      for (int64_t source : info.derivedSources[d])
        ++pending[size_t(source)];
  std::set<const void *> readElsewhere;
  for (size_t i = 0; i < entries; ++i)
    if (info.otherUses[i] && !fileBacked(i))
      readElsewhere.insert(weightTable[i]);
  auto releaseIfUnused = [&](size_t i) {
    if (keepLayouts || !weightTable[i])
      return;
    bool unread = info.prepareOnly[i] ||
                  (shapes[i].n != 0 && (fileBacked(i) || !info.otherUses[i]));
    if (!fileBacked(i) && readElsewhere.count(weightTable[i]))
      unread = false;
    auto [data, type] = layoutOf(i);
    if (pending[i] == 0 && unread)
      releasePages(data, elementsOf(i) * weightTypeSize(type), pageSize);
  };
  // Where an entry's values come from, for messages: its file, or the
  // weights it is computed from.
  auto originOf = [&](size_t i) -> std::string {
    if (fromCheckpoint(i) && weights.source(set(i)).file)
      return fmt::format(" in {}", weights.source(set(i)).file->getPath());
    if (i < stored)
      return std::string();
    std::vector<std::string> names;
    for (int64_t source : info.derivedSources[i - stored])
      names.push_back(fmt::format("'{}'", specOf(size_t(source)).name));
    if (names.empty())
      return std::string();
    return fmt::format(" (computed from {})", fmt::join(names, ", "));
  };
  // With --weight-type=f16, a value beyond f16's range would silently
  // become an infinity in the products' panels or a derived f16 weight.
  auto fitsHalf = [&](size_t i) -> Status {
    const TensorSpec &spec = specOf(i);
    const void *data = nullptr;
    WeightType type = WeightType::F16;
    if (computed(i) && spec.floatType == DType::F16 && !spec.quant) {
      data = weightTable[i];
    } else if (shapes[i].n != 0 && panelTypes[i] == WeightType::F16) {
      std::tie(data, type) = layoutOf(i);
      if (type == WeightType::F16)
        return Status::success();
    }
    if (!data)
      return Status::success();
    std::optional<int64_t> beyond =
        firstBeyondHalf(data, type, int64_t(elementsOf(i)));
    if (!beyond)
      return Status::success();
    // A computed f16 weight holds the infinity itself: its value may have
    // come out beyond f16's range, or a source may hold an infinity.
    if (type == WeightType::F16)
      return makeError(fmt::format(
          "weight '{}'{}: element {} is infinite in f16 (--weight-type=f16): "
          "computed beyond f16's largest magnitude, 65504, or from an "
          "infinity; where its sources are finite, build with "
          "--weight-type=bf16 or f32",
          spec.name, originOf(i), *beyond));
    std::string value = fmt::format(" ({:g})", readWeight(data, type, *beyond));
    return makeError(fmt::format(
        "weight '{}'{}: element {}{} is beyond f16's largest magnitude, "
        "65504, and would become infinite in f16 (--weight-type=f16); build "
        "with --weight-type=bf16 or f32",
        spec.name, originOf(i), *beyond, value));
  };
  // A quantized block whose scale is not finite decodes to infinities or
  // NaNs: a damaged file's block, or one the model quantized from a value
  // that is not finite or beyond what the format's scales reach.
  auto finiteScales = [&](size_t i) -> Status {
    const TensorSpec &spec = specOf(i);
    std::optional<QuantFormat> format;
    const void *data = nullptr;
    std::vector<int64_t> shape;
    if (fromCheckpoint(i)) {
      // A GGUF block tensor, or a quantized weight's bytes (U8).
      // (Read from its copy where it has one: the file's pages are given
      // back.)
      const TensorInfo &source = weights.source(set(i));
      format = spec.quant ? spec.quant : quantFormatOf(source.dtype);
      data = inArena(i) ? weightTable[i] : source.data;
      shape = spec.quant ? spec.shape : source.shape;
    } else if (computed(i) && spec.quant) {
      format = spec.quant;
      data = weightTable[i];
      shape = spec.shape;
    }
    if (!format || shape.empty())
      return Status::success();
    int64_t k = shape.back();
    int64_t rows = numElements(shape).value_or(0) / std::max<int64_t>(k, 1);
    std::optional<QuantBlockIndex> block =
        firstNonFiniteScale(*format, data, rows, k);
    if (!block)
      return Status::success();
    int64_t last = block->weight + quantBlockWeights(*format) - 1;
    if (*format == QuantFormat::Int8)
      last = k - 1;
    if (fromCheckpoint(i))
      return makeError(fmt::format(
          "tensor '{}'{}: the {} block of row {} (weights {} to {}) has a "
          "scale that is not a finite number; the file is damaged, or was "
          "quantized from a weight beyond the format's range",
          weights.source(set(i)).name, originOf(i), quantFormatName(*format),
          block->row, block->weight, last));
    return makeError(fmt::format(
        "weight '{}'{}: row {}'s weights {} to {} cannot be quantized to {}: "
        "{}",
        spec.name, originOf(i), block->row, block->weight, last,
        quantFormatName(*format),
        block->infinite ? "one is beyond what the format's half-precision "
                          "scales reach"
                        : "one is not a finite number"));
  };
  Progress progress("loading weights", int64_t(entries), "tensors");
  int64_t done = 0;
  for (size_t i = 0; i < entries; ++i) {
    if (computed(i))
      continue;
    if (Status fits = fitsHalf(i); !fits)
      return fits;
    if (Status finite = finiteScales(i); !finite)
      return finite;
    finish(i);
    releaseIfUnused(i);
    progress.update(++done);
  }
  // The rest, one at a time: computed, packed, given back.
  for (size_t d = 0; d < info.derived.size(); ++d) {
    size_t i = stored + d;
    if (!computed(i))
      continue;
    model.prepare(&context, int64_t(d));
    if (Status fits = fitsHalf(i); !fits)
      return fits;
    if (Status finite = finiteScales(i); !finite)
      return finite;
    finish(i);
    progress.update(++done);
    for (int64_t source : info.derivedSources[d]) {
      --pending[size_t(source)];
      releaseIfUnused(size_t(source));
    }
    releaseIfUnused(i);
  }
  return Status::success();
}

Status Session::writeWeights(const std::string &path) const {
  if (!keepLayouts)
    return makeError("the session's weights are packed for the kernels; open "
                     "it with keepLayouts to write them");
  // What the model's entry points read: the checkpoint tensors they use as
  // stored (any dtype), the derived weights as computed, in the half type
  // their sources share (exact: they are made of those values) or f32.
  std::vector<TensorToWrite> tensors;
  std::vector<std::vector<uint16_t>> halves;
  std::set<std::string> written;
  size_t stored = info.tensors.size();
  for (size_t i = 0; i < weightTable.size(); ++i) {
    // A tensor bound under two entries (a tied embedding and head) is
    // written once.
    if (info.prepareOnly[i] || !written.insert(specOf(i).name).second)
      continue;
    const TensorSpec &spec = specOf(i);
    if (bound[i] >= 0) {
      const TensorInfo &source = weights.source(size_t(bound[i]));
      if (std::optional<QuantFormat> format = quantFormatOf(source.dtype)) {
        // A GGUF block tensor: a quantized weight's bytes, or an f32
        // weight decoded at load.
        if (spec.quant)
          tensors.push_back(
              {spec.name,
               DType::U8,
               {spec.shape[0], quantRowBytes(*format, spec.shape[1])},
               source.data});
        else
          tensors.push_back({spec.name, DType::F32, spec.shape,
                             weights.data(size_t(bound[i]))});
        continue;
      }
      tensors.push_back({spec.name, source.dtype, source.shape, source.data});
      continue;
    }
    // A quantized weight: its format's bytes.
    if (spec.quant) {
      tensors.push_back(
          {spec.name,
           DType::U8,
           {spec.shape[0], quantRowBytes(*spec.quant, spec.shape[1])},
           weightTable[i]});
      continue;
    }
    // A computed derived weight.
    std::optional<WeightType> shared;
    bool uniform = info.derivedRearranges[i - stored];
    for (int64_t source : info.derivedSources[i - stored]) {
      WeightType type =
          bound[size_t(source)] >= 0
              ? weightTypeOf(
                    weights.source(size_t(bound[size_t(source)])).dtype)
              : WeightType::F32;
      uniform &= !shared || *shared == type;
      shared = type;
    }
    WeightType type =
        uniform ? shared.value_or(WeightType::F32) : WeightType::F32;
    const float *data = static_cast<const float *>(weightTable[i]);
    if (type == WeightType::F32) {
      tensors.push_back({spec.name, DType::F32, spec.shape, data});
      continue;
    }
    size_t count = size_t(numElements(spec.shape).value_or(0));
    std::vector<uint16_t> &bits = halves.emplace_back(count);
    for (size_t e = 0; e < count; ++e)
      writeWeight(bits.data(), type, int64_t(e), data[e]);
    tensors.push_back({spec.name, dtypeOf(type), spec.shape, bits.data()});
  }
  return writeSafetensors(
      path, tensors,
      {{"format", "pt"}, {"producer", "loom"}, {"model", info.name}});
}

void Session::startCalibration(bool covariance) {
  statistics = std::make_unique<ActivationStatistics>(covariance);
  kernels.statistics = statistics.get();
}

Status Session::writeCalibration(const std::string &path) const {
  if (!statistics)
    return makeError("no calibration run was started");
  // Each matrix under the name of the table entry generated code passes it
  // by (an entry bound twice is written once); a matrix of stacked rows
  // (fused q/k/v) under its sources' names too, for builds that read them
  // apart.
  std::vector<TensorToWrite> tensors;
  std::deque<std::vector<float>> means;
  std::set<std::string> written;
  auto add = [&](size_t entry, const std::vector<float> &mean,
                 const std::vector<float> *covariance) {
    std::string name = specOf(entry).name + ".importance";
    int64_t k = int64_t(mean.size());
    if (written.insert(name).second)
      tensors.push_back({name, DType::F32, {k}, mean.data()});
    name = specOf(entry).name + ".covariance";
    if (covariance && written.insert(name).second)
      tensors.push_back({name, DType::F32, {k, k}, covariance->data()});
  };
  const auto &sums = statistics->getSums();
  size_t checkpointEntries = info.tensors.size();
  for (size_t i = 0; i < weightTable.size(); ++i) {
    auto found = sums.find(weightTable[i]);
    if (found == sums.end() || found->second.rows == 0)
      continue;
    const ActivationStatistics::Sums &entry = found->second;
    std::vector<float> &mean = means.emplace_back(entry.squares.size());
    for (size_t p = 0; p < mean.size(); ++p)
      mean[p] = float(entry.squares[p] / double(entry.rows));
    // The covariance's mean, both triangles from the upper one.
    std::vector<float> *covariance = nullptr;
    if (!entry.covariance.empty()) {
      size_t k = mean.size();
      covariance = &means.emplace_back(k * k);
      for (size_t p = 0; p < k; ++p)
        for (size_t t = p; t < k; ++t)
          (*covariance)[p * k + t] = (*covariance)[t * k + p] =
              float(entry.covariance[p * k + t] / double(entry.rows));
    }
    add(i, mean, covariance);
    size_t derived = i - checkpointEntries;
    if (i >= checkpointEntries && derived < info.derivedStacksRows.size() &&
        info.derivedStacksRows[derived])
      for (int64_t source : info.derivedSources[derived])
        add(size_t(source), mean, covariance);
  }
  if (tensors.empty())
    return makeError("the calibration run recorded no products (a quantized "
                     "build records nothing: calibrate the unquantized one)");
  // Each observed layer's block influence, under `NAME.block_influence`
  // (a layer called more than once: over all its calls).
  std::map<std::string, ActivationStatistics::Influence> layers;
  const auto &influence = statistics->getInfluence();
  for (size_t call = 0; call < influence.size() && call < info.layers.size();
       ++call) {
    auto &layer = layers[info.layers[call]];
    layer.sum += influence[call].sum;
    layer.rows += influence[call].rows;
  }
  for (const auto &[name, layer] : layers) {
    if (layer.rows == 0)
      continue;
    std::vector<float> &value =
        means.emplace_back(1, float(layer.sum / double(layer.rows)));
    tensors.push_back(
        {name + ".block_influence", DType::F32, {1}, value.data()});
  }
  return writeSafetensors(path, tensors,
                          {{"format", "pt"},
                           {"producer", "loom calibration"},
                           {"model", info.name}});
}

Session::~Session() {
  clearPackedMatrices(kernels);
  kernels.interleavedQuantized.clear();
  for (auto [memory, bytes] : derivedMemory)
    munmap(memory, bytes);
}

Status Session::run(const int32_t *tokens, int64_t count, float *out,
                    bool lastRowOnly) {
  if (info.inputWidth != 0)
    return makeError(fmt::format("this model takes float features ({} a "
                                 "row), not token ids",
                                 info.inputWidth));
  if (count < 1)
    return makeError("no tokens to run");
  for (int64_t i = 0; i < count; ++i) {
    if (tokens[i] < 0 || (info.vocab > 0 && tokens[i] >= info.vocab))
      return makeError(fmt::format("token id {} (token {}) is outside the "
                                   "model's vocabulary of {}",
                                   tokens[i], i + 1, info.vocab));
  }
  return runEntry({tokens, count, 0}, out, lastRowOnly);
}

Status Session::runFeatures(const float *features, int64_t count, float *out,
                            bool lastRowOnly) {
  if (info.inputWidth == 0)
    return makeError("this model takes token ids, not float features");
  if (count < 1)
    return makeError("no rows of features to run");
  return runEntry({features, count, info.inputWidth}, out, lastRowOnly);
}

Status Session::moveToDevice(const std::string &cpuInstead) {
  std::vector<cuda::HostWeight> hostWeights(weightTable.size());
  for (size_t i = 0; i < weightTable.size(); ++i)
    if (weightTable[i] && !info.prepareOnly[i])
      hostWeights[i] = {weightTable[i], size_t(specOf(i).bytes()),
                        !info.rows[i] || info.matrix[i] || info.storedInOut[i],
                        specOf(i).name};
  Expected<std::unique_ptr<cuda::DeviceModel>> created =
      cuda::DeviceModel::create(model, info, hostWeights, maxSeq, cpuInstead);
  if (!created)
    return created.takeError();
  device = std::move(*created);
  return Status::success();
}

Status Session::runEntry(const cuda::EntryInput &input, float *out,
                         bool lastRowOnly) {
  int64_t count = input.count;
  if (position + count > maxSeq)
    return makeError(fmt::format("{} cached + {} new tokens exceed the "
                                 "session's {} positions",
                                 position, count, maxSeq));
  ProfileScope profile(ProfileEntry::Forward);
  // `out` holds one row with `lastRowOnly`: only the last-row entry may
  // write it.
  if (lastRowOnly && !model.forward_last)
    return makeError("this model has no last-row entry point (encoders "
                     "return every row)");
  if (device) {
    if (Status status =
            device->run(input, position, out, lastRowOnly, &kernels);
        !status)
      return status;
    position += count;
    return Status::success();
  }
  if (statistics)
    statistics->startForward();
  void *data = const_cast<void *>(input.data);
  auto tokenRef = makeMemRef<int32_t, 1>(static_cast<int32_t *>(data), {count});
  auto featureRef =
      makeMemRef<float, 2>(static_cast<float *>(data), {count, input.width});
  void *inputRef = input.width == 0 ? static_cast<void *>(&tokenRef)
                                    : static_cast<void *>(&featureRef);
  auto keyRef = makeMemRef<float, 1>(keys.data(), {int64_t(keys.size())});
  auto valueRef = makeMemRef<float, 1>(values.data(), {int64_t(values.size())});
  if (lastRowOnly) {
    // `out` holds one row: only the last-row entry may write it.
    auto rowRef = makeMemRef<float, 2>(out, {1, info.outputWidth});
    model.forward_last(&context, inputRef, position, &keyRef, &valueRef,
                       &rowRef);
  } else {
    auto outRef = makeMemRef<float, 2>(out, {count, info.outputWidth});
    model.forward(&context, inputRef, position, &keyRef, &valueRef, &outRef);
  }
  position += count;
  return Status::success();
}
