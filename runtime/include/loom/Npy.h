//===- Npy.h - Reading and writing NumPy .npy files -------------*- C++ -*-===//
//
// Encoders write their output as a `.npy` file (format version 1.0: magic,
// a padded Python-dict header, then little-endian float32 data, C order), so
// tests can load it with `numpy.load` and compare against a reference; a
// decoder reads another build's logits back to compare with its own.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_NPY_H
#define LOOM_NPY_H

#include "loom/Support.h"

namespace loom {

/// The complete .npy v1.0 header (magic, version, length, dict, padding) for
/// a C-order float32 array of `shape`; its length is a multiple of 64.
std::string npyHeader(const std::vector<int64_t> &shape);

/// Writes `data` (numel(shape) floats, C order) to `path` as a .npy file.
Status writeNpy(const std::string &path, const float *data,
                const std::vector<int64_t> &shape);

/// A float32 array read from a .npy file.
struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// Reads a C-order little-endian float32 .npy file (versions 1 to 3); any
/// other content is an error naming `path`.
Expected<NpyArray> readNpy(const std::string &path);

} // namespace loom

#endif // LOOM_NPY_H
