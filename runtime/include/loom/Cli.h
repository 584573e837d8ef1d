//===- Cli.h - The compiled program's command line --------------*- C++ -*-===//
//
// Every program `loomc` builds takes the same flags:
//
//   ./model --weights DIR_OR_FILE --prompt "text" -n 32 --temperature 0.8
//   ./model --weights DIR_OR_FILE --prompt-ids "1 2 3"
//
// Flags take their value as the next argument or after `=`. Parsing checks
// everything it can without the model (numbers, ranges, token ids being
// integers); the program checks the rest (ids below the vocabulary size).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_CLI_H
#define LOOM_CLI_H

#include "loom/Sampler.h"
#include "loom/TextSettings.h"

namespace loom {

/// What the program is, for the usage text and the flags it accepts.
struct ProgramInfo {
  /// The model's name, e.g. `Llama`.
  std::string modelName = "model";
  /// The version printed by `--version`.
  std::string version = "0.1.0";
  /// Encoders run one forward pass and write `--output`; decoders generate.
  bool isEncoder = false;
  /// Used when `--weights` is absent; if empty, `--weights` is required.
  std::string defaultWeights;
};

/// The parsed command line.
struct CliOptions {
  /// `--weights PATH` (repeatable): a .safetensors file, an index, or a
  /// directory; several are read as one checkpoint.
  std::vector<std::string> weights;
  /// `--prompt-ids "1 2 3"` or the contents of `--prompt-ids-file PATH`.
  std::vector<int64_t> promptIds;
  /// `--prompt-ids-file PATH`, if given (its ids are already in
  /// `promptIds`).
  std::string promptIdsFile;
  /// `--input-features PATH.npy`: float features for models that take them.
  std::string inputFeatures;
  /// `--prompt TEXT` or the contents of `--prompt-file PATH`: text for the
  /// tokenizer.
  std::optional<std::string> promptText;
  /// `--prompt-file PATH`, if given (its text is already in `promptText`).
  std::string promptFile;
  /// `--tokenizer PATH`: a tokenizer.json, a directory, or a GGUF file;
  /// empty: found next to the weights.
  std::string tokenizer;
  /// `--chat` (decoders): wrap the prompt in the model's chat template.
  bool chat = false;
  /// `--system TEXT` (with `--chat`): the system message.
  std::string system;
  /// `--ignore-eos` (decoders): generate all `-n` tokens.
  bool ignoreEos = false;
  /// `--pooling mean|cls|none` (encoders); unset: the checkpoint's.
  std::optional<Pooling> pooling;
  /// `--normalize` (encoders): L2-normalize the pooled embedding.
  bool normalize = false;
  /// `--print-prompt-ids`: print the prompt's token ids to stderr.
  bool printPromptIds = false;
  /// `-n N`, `--max-new-tokens N` (decoders): tokens to generate, >= 0.
  int64_t maxNewTokens = 32;
  /// `--temperature`, `--top-k`, `--top-p`, `--seed`. The temperature is 0
  /// (greedy) unless given, or 1 if only top-k/top-p are given.
  SamplerOptions sampling;
  /// `--threads N`: 0 means `LOOM_NUM_THREADS` or all hardware threads.
  int64_t threads = 0;
  /// `--random-weights SEED`: run on seeded random weights (then
  /// `weights` is empty).
  std::optional<uint64_t> randomWeights;
  /// `--device cpu|cuda`; empty: cuda for programs built for CUDA, else
  /// cpu.
  std::string device;
  /// `--exit-threshold T`: overrides the threshold of the model's adaptive
  /// loops (`exit(...)`), in (0, 1].
  std::optional<double> exitThreshold;
  /// `--full-depth`: tokens never leave adaptive loops early.
  bool fullDepth = false;
  /// `--bench`: time prefill and decode and print tokens per second.
  bool bench = false;
  /// `--output PATH` (encoders): where to write the output, `.npy` or
  /// `.json`.
  std::string output;
  /// Decoders: where to write the prompt's logits as .npy (empty: nowhere).
  std::string logits;
  /// `--compare-logits PATH` (decoders): reference logits of the same
  /// prompt to compare the prompt's logits with.
  std::string compareLogits;
  /// `--calibrate PATH`: run the input as a calibration run, write the
  /// products' input statistics to PATH and exit.
  std::string calibrate;
  /// `--calibrate-covariance`: the calibration also writes each product's
  /// input covariance.
  bool calibrateCovariance = false;
  /// `--calibrate-window N`: the calibration's windows, in tokens (0: the
  /// model's positions).
  int64_t calibrateWindow = 0;
  /// `--export-weights PATH`: write the weights the model reads (derived
  /// ones computed) to PATH and exit.
  std::string exportWeights;
  /// `--help` / `-h`: print `usageText` and exit 0.
  bool help = false;
  /// `--version`: print the version and exit 0.
  bool version = false;
};

/// Parses `argv[1..argc)`. On error the message is one line (no usage; print
/// `usageText` or a hint after it). With `--help` or `--version`, the other
/// requirements (weights, prompt) are not checked.
Expected<CliOptions> parseCommandLine(int argc, const char *const *argv,
                                      const ProgramInfo &info = {});

/// The `--help` text for `programName`.
std::string usageText(const std::string &programName,
                      const ProgramInfo &info = {});

/// Parses token ids separated by spaces, tabs, newlines or commas. `source`
/// names where they came from in errors (e.g. `--prompt-ids`).
Expected<std::vector<int64_t>> parseTokenIds(std::string_view text,
                                             std::string_view source);

/// Reads and parses a file of token ids (see `parseTokenIds`).
Expected<std::vector<int64_t>> readTokenIdFile(const std::string &path);

/// Checks that every id is below `vocabSize`.
Status checkTokenIds(const std::vector<int64_t> &ids, int64_t vocabSize);

} // namespace loom

#endif // LOOM_CLI_H
