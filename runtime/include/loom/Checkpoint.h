//===- Checkpoint.h - A single-file or sharded checkpoint -------*- C++ -*-===//
//
// A checkpoint is one `.safetensors` file or a Hugging Face sharded set: a
// `model.safetensors.index.json` whose `weight_map` maps each tensor name to
// the shard file (relative to the index) that holds it. `Checkpoint::open`
// accepts a file, an index, or a directory holding either.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_CHECKPOINT_H
#define LOOM_CHECKPOINT_H

#include "loom/Safetensors.h"

namespace loom {

/// All tensors of a checkpoint, by name, across its files.
class Checkpoint {
public:
  /// Opens `path`: a `.safetensors` file, a `*.index.json` file, or a
  /// directory containing `model.safetensors.index.json` or
  /// `model.safetensors` (or exactly one `*.safetensors` file).
  static Expected<std::shared_ptr<Checkpoint>> open(const std::string &path);

  /// Opens each of `paths` (as above) as one checkpoint: the union of their
  /// tensors, a name in two of them being an error (e.g. a model and its
  /// calibration statistics).
  static Expected<std::shared_ptr<Checkpoint>>
  open(const std::vector<std::string> &paths);

  /// The tensor called `name`, or null.
  const TensorInfo *find(std::string_view name) const;
  /// All tensor names, sorted.
  std::vector<std::string> getTensorNames() const;
  /// The opened files (one, or every shard).
  const std::vector<std::unique_ptr<SafetensorsFile>> &getFiles() const {
    return files;
  }
  /// The file the user named (the `.safetensors` file or the index).
  const std::string &getPath() const { return path; }
  /// What was searched, for messages: `model.safetensors`, or
  /// `model.safetensors.index.json (2 shards)`.
  std::string describe() const;

private:
  Checkpoint() = default;
  static Expected<std::shared_ptr<Checkpoint>>
  openIndex(const std::string &indexPath);

  std::string path;
  bool sharded = false;
  /// For several checkpoints opened as one: their descriptions.
  std::string composite;
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  std::unordered_map<std::string, const TensorInfo *> byName;
};

} // namespace loom

#endif // LOOM_CHECKPOINT_H
