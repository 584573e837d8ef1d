//===- SafetensorsWriter.h - Writing safetensors checkpoints ----*- C++ -*-===//
//
// Writes tensors as one safetensors file (an 8-byte header length, a JSON
// header of dtypes, shapes and data offsets, then the data), e.g. the
// weights a compiled model reads with its derived weights computed
// (`loomc --emit=weights`).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_SAFETENSORSWRITER_H
#define LOOM_SAFETENSORSWRITER_H

#include "loom/Safetensors.h"

#include <map>
#include <string>
#include <vector>

namespace loom {

/// One tensor to write: its data is `numElements(shape) * dtypeSize(dtype)`
/// bytes at `data`.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void *data = nullptr;
};

/// Writes `tensors` (names unique) and `metadata` to `path`, through a
/// temporary file renamed into place, so a failed write leaves no partial
/// checkpoint behind.
Status
writeSafetensors(const std::string &path,
                 const std::vector<TensorToWrite> &tensors,
                 const std::map<std::string, std::string> &metadata = {});

} // namespace loom

#endif // LOOM_SAFETENSORSWRITER_H
