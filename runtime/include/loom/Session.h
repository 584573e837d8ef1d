//===- Session.h - A compiled model bound to its weights --------*- C++ -*-===//
//
// One instance of the model linked into this program: its description, its
// weights (bound into the generated code's weight table) and its KV cache.
// Used by the program's `main` and by the embedding C API (loom_model.h).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_SESSION_H
#define LOOM_SESSION_H

#include "loom/Model.h"
#include "loom/Support.h"
#include "loom/Weights.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loom {

/// The linked model's description (parsed once).
Expected<const ModelInfo *> getLinkedModelInfo();

class Session {
public:
  /// Binds the checkpoint at `weightsPath` to the linked model and allocates
  /// a KV cache for `maxSeq` positions. Only one session may exist at a time
  /// (the generated code reads one global weight table).
  static Expected<std::unique_ptr<Session>> open(const std::string &weightsPath,
                                                 int64_t maxSeq);
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  const ModelInfo &getInfo() const { return info; }
  const WeightSet &getWeights() const { return weights; }
  /// Positions the cache can hold.
  int64_t getMaxSeq() const { return maxSeq; }
  /// Bytes of weight matrices repacked for the kernels.
  int64_t getPackedBytes() const { return packedBytes; }
  /// Tokens processed since the last `reset` (the next token's position).
  int64_t getPosition() const { return position; }

  /// Forgets the cached tokens.
  void reset() { position = 0; }

  /// Runs `count` tokens at the current position, appends them to the
  /// cache, and writes `count * outputWidth` floats to `out` (only the last
  /// token's row, `outputWidth` floats, with `lastRowOnly`: decoders skip
  /// the other rows' LM head). Checks token ids and the cache capacity
  /// first.
  Status run(const int32_t *tokens, int64_t count, float *out,
             bool lastRowOnly = false);

private:
  Session(const ModelInfo &info, WeightSet weights, int64_t maxSeq);
  /// Repacks the weight matrices for the kernels.
  void packMatrices();

  const ModelInfo &info;
  WeightSet weights;
  int64_t maxSeq;
  int64_t position = 0;
  int64_t packedBytes = 0;
  std::vector<float> keys, values;
};

} // namespace loom

#endif // LOOM_SESSION_H
