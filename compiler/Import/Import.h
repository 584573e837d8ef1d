//===- Import.h - .loom models from Hugging Face and GGUF checkpoints -----===//
//
// `loomc import PATH` writes the `.loom` model of a checkpoint: a Hugging
// Face model directory (its `config.json`, for the llama, mistral, qwen2,
// gpt2 and bert model types) or a GGUF file (the llama architecture). The
// sizes come from the configuration, the tensor names from the checkpoint
// itself (prefixes, biases, a tied LM head), so the written file compiles
// and runs that checkpoint as it is.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_IMPORT_IMPORT_H
#define LOOM_COMPILER_IMPORT_IMPORT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace loom {

/// The `.loom` text of the checkpoint at `path` (a model directory, its
/// `config.json`, or a `.gguf` file). Errors name the file and the entry
/// (an unsupported `model_type`, a feature the language cannot express).
llvm::Expected<std::string> importModel(llvm::StringRef path);

} // namespace loom

#endif // LOOM_COMPILER_IMPORT_IMPORT_H
