//===- Cli.cpp - The compiled program's command line ----------------------===//

#include "loom/Cli.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace loom {

namespace {
/// Which programs accept a flag.
enum class Applies { All, Decoder, Encoder };

enum class FlagId {
  Weights,
  Prompt,
  PromptFile,
  PromptIds,
  PromptIdsFile,
  InputFeatures,
  Tokenizer,
  Chat,
  System,
  IgnoreEos,
  Pooling,
  Normalize,
  PrintPromptIds,
  MaxNewTokens,
  Temperature,
  TopK,
  TopP,
  Seed,
  Threads,
  Device,
  RandomWeights,
  ExitThreshold,
  FullDepth,
  Bench,
  Output,
  Logits,
  CompareLogits,
  Calibrate,
  CalibrateCovariance,
  CalibrateWindow,
  ExportWeights,
  Help,
  Version,
};

struct FlagSpec {
  FlagId id;
  std::string_view longName;  // With the leading "--".
  std::string_view shortName; // With the leading "-", or empty.
  std::string_view metavar;   // Empty for a flag without a value.
  Applies applies;
  std::string_view help;
};
} // namespace

static constexpr FlagSpec flagTable[] = {
    {FlagId::Weights, "--weights", "", "PATH", Applies::All,
     "checkpoint: a .safetensors file, a model.safetensors.index.json, or a "
     "directory holding either; repeat it to read several files as one (a "
     "model and its calibration statistics)"},
    {FlagId::Prompt, "--prompt", "-p", "TEXT", Applies::All,
     "input text, tokenized with the checkpoint's tokenizer"},
    {FlagId::PromptFile, "--prompt-file", "", "PATH", Applies::All,
     "read the input text from a file (encoders: one input per line)"},
    {FlagId::PromptIds, "--prompt-ids", "", "IDS", Applies::All,
     "input token ids, e.g. \"1 2 3\" (spaces or commas)"},
    {FlagId::PromptIdsFile, "--prompt-ids-file", "", "PATH", Applies::All,
     "read the input token ids from a file"},
    {FlagId::InputFeatures, "--input-features", "", "PATH", Applies::All,
     "models that take float features: a float32 .npy file of [rows, "
     "width], one row per input position"},
    {FlagId::Tokenizer, "--tokenizer", "", "PATH", Applies::All,
     "tokenizer.json, a directory holding one, or a GGUF file (default: "
     "found next to the weights)"},
    {FlagId::Chat, "--chat", "", "", Applies::Decoder,
     "wrap the prompt in the model's chat template (ChatML, Llama 3)"},
    {FlagId::System, "--system", "", "TEXT", Applies::Decoder,
     "with --chat: the system message (default: the template's)"},
    {FlagId::IgnoreEos, "--ignore-eos", "", "", Applies::Decoder,
     "generate all -n tokens instead of stopping at end-of-sequence"},
    {FlagId::Pooling, "--pooling", "", "MODE", Applies::Encoder,
     "text inputs: mean, cls or none (default: the checkpoint's "
     "1_Pooling/config.json, else mean)"},
    {FlagId::Normalize, "--normalize", "", "", Applies::Encoder,
     "L2-normalize the pooled embeddings (default: if modules.json has a "
     "Normalize module)"},
    {FlagId::PrintPromptIds, "--print-prompt-ids", "", "", Applies::All,
     "print the prompt's token ids to stderr"},
    {FlagId::MaxNewTokens, "--max-new-tokens", "-n", "N", Applies::Decoder,
     "number of tokens to generate (default 32)"},
    {FlagId::Temperature, "--temperature", "", "F", Applies::Decoder,
     "sampling temperature, 0 = greedy (default 0, or 1 with --top-k/--top-p)"},
    {FlagId::TopK, "--top-k", "", "N", Applies::Decoder,
     "sample from the N most likely tokens (default 0 = all)"},
    {FlagId::TopP, "--top-p", "", "F", Applies::Decoder,
     "nucleus sampling: smallest set with probability >= F, in (0, 1] "
     "(default 1)"},
    {FlagId::Seed, "--seed", "", "N", Applies::Decoder,
     "random seed for sampling (default 0)"},
    {FlagId::Threads, "--threads", "", "N", Applies::All,
     "worker threads (default: $LOOM_NUM_THREADS, else all cores)"},
    {FlagId::RandomWeights, "--random-weights", "", "SEED", Applies::All,
     "run on seeded random weights instead of a checkpoint (benchmarks of "
     "large models without a file)"},
    {FlagId::Device, "--device", "", "NAME", Applies::All,
     "where the model runs: cpu, or cuda (an NVIDIA GPU; programs built "
     "with loomc --target=cuda, whose default it is)"},
    {FlagId::ExitThreshold, "--exit-threshold", "", "T", Applies::All,
     "loops with 'exit(...)': the threshold in (0, 1] tokens leave at "
     "(default: the model's)"},
    {FlagId::FullDepth, "--full-depth", "", "", Applies::All,
     "loops with 'exit(...)': every token runs every iteration"},
    {FlagId::Bench, "--bench", "", "", Applies::All,
     "time the run and print throughput"},
    {FlagId::Output, "--output", "-o", "PATH", Applies::Encoder,
     "write the output to a float32 .npy file or a .json file (text inputs: "
     "the embeddings; default: JSON on stdout)"},
    {FlagId::Logits, "--logits", "", "PATH", Applies::Decoder,
     "write the prompt's logits [prompt, vocab] as a float32 .npy file"},
    {FlagId::CompareLogits, "--compare-logits", "", "PATH", Applies::Decoder,
     "compare the prompt's logits with those in PATH (another build's "
     "--logits, e.g. unquantized): perplexity, KL divergence, same top-1"},
    {FlagId::Calibrate, "--calibrate", "", "PATH", Applies::All,
     "a calibration run: run the input (in windows of the model's positions, "
     "or of --calibrate-window tokens) "
     "and write each product's input statistics to a .safetensors file, for "
     "loomc --quantize-importance; then exit"},
    {FlagId::CalibrateCovariance, "--calibrate-covariance", "", "",
     Applies::All,
     "with --calibrate: also write each product's input covariance (k x k "
     "floats a product), for loomc --quantize-gptq"},
    {FlagId::CalibrateWindow, "--calibrate-window", "", "N", Applies::All,
     "with --calibrate: run the input in windows of N tokens, each from "
     "position 0 (at most the model's positions, the default)"},
    {FlagId::ExportWeights, "--export-weights", "", "PATH", Applies::All,
     "write the weights the model reads, derived ones computed, to a "
     ".safetensors file this program loads directly, and exit"},
    {FlagId::Help, "--help", "-h", "", Applies::All, "print this help"},
    {FlagId::Version, "--version", "", "", Applies::All, "print the version"},
};

static bool appliesTo(const FlagSpec &flag, const ProgramInfo &info) {
  if (flag.applies == Applies::All)
    return true;
  return (flag.applies == Applies::Encoder) == info.isEncoder;
}

static const FlagSpec *lookupFlag(std::string_view name) {
  for (const FlagSpec &flag : flagTable)
    if (flag.longName == name ||
        (!flag.shortName.empty() && flag.shortName == name))
      return &flag;
  return nullptr;
}

static bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

/// A path with something before its extension `suffix`.
static bool hasExtension(std::string_view path, std::string_view suffix) {
  return path.size() > suffix.size() && endsWith(path, suffix);
}

Expected<std::vector<int64_t>> parseTokenIds(std::string_view text,
                                             std::string_view source) {
  std::vector<int64_t> ids;
  size_t position = 0;
  while (position < text.size()) {
    size_t start = text.find_first_not_of(" \t\r\n,", position);
    if (start == std::string_view::npos)
      break;
    size_t stop = text.find_first_of(" \t\r\n,", start);
    if (stop == std::string_view::npos)
      stop = text.size();
    std::string_view word = text.substr(start, stop - start);
    std::optional<int64_t> id = parseInt(word);
    if (!id || *id < 0)
      return makeError(fmt::format(
          "{}: '{}' (token {}) is not a token id; token ids are non-negative "
          "integers",
          source, word, ids.size() + 1));
    ids.push_back(*id);
    position = stop;
  }
  return ids;
}

/// The contents of the file `path` named by `flag`.
static Expected<std::string> readWholeFile(std::string_view flag,
                                           const std::string &path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream)
    return makeError(fmt::format("{} {}: cannot open: {}", flag, path,
                                 std::strerror(errno)));
  std::string text((std::istreambuf_iterator<char>(stream)),
                   std::istreambuf_iterator<char>());
  if (stream.bad())
    return makeError(fmt::format("{} {}: cannot read: {}", flag, path,
                                 std::strerror(errno)));
  return text;
}

Expected<std::vector<int64_t>> readTokenIdFile(const std::string &path) {
  Expected<std::string> text = readWholeFile("--prompt-ids-file", path);
  if (!text)
    return text.takeError();
  return parseTokenIds(*text, path);
}

Status checkTokenIds(const std::vector<int64_t> &ids, int64_t vocabSize) {
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= vocabSize)
      return makeError(fmt::format(
          "token id {} (token {}) is out of range: the vocabulary has {} "
          "tokens (ids 0 to {})",
          ids[i], i + 1, vocabSize, vocabSize - 1));
  return Status::success();
}

/// Parses a non-negative integer value for `flag`.
static Expected<int64_t> parseCount(std::string_view flag,
                                    std::string_view value, int64_t minimum) {
  std::optional<int64_t> number = parseInt(value);
  if (!number || *number < minimum)
    return makeError(fmt::format("{} expects an integer >= {}, got '{}'", flag,
                                 minimum, value));
  return *number;
}

/// Applies one flag with its value (empty for flags without one).
static Status applyFlag(const FlagSpec &flag, std::string_view spelling,
                        std::string_view value, CliOptions &options,
                        bool &temperatureGiven, bool &filterGiven) {
  switch (flag.id) {
  case FlagId::Weights:
    if (value.empty())
      return makeError(fmt::format("{} needs a non-empty PATH", spelling));
    options.weights.emplace_back(value);
    return Status::success();
  case FlagId::PromptIds: {
    Expected<std::vector<int64_t>> ids = parseTokenIds(value, spelling);
    if (!ids)
      return ids.takeError();
    if (ids->empty())
      return makeError(fmt::format("{} has no token ids", spelling));
    options.promptIds = std::move(*ids);
    return Status::success();
  }
  case FlagId::PromptFile:
  case FlagId::PromptIdsFile:
  case FlagId::Tokenizer:
    if (value.empty())
      return makeError(fmt::format("{} needs a non-empty PATH", spelling));
    (flag.id == FlagId::PromptFile      ? options.promptFile
     : flag.id == FlagId::PromptIdsFile ? options.promptIdsFile
                                        : options.tokenizer) =
        std::string(value);
    return Status::success();
  case FlagId::InputFeatures:
    if (!hasExtension(value, ".npy"))
      return makeError(fmt::format("{} expects a path ending in .npy, got '{}'",
                                   spelling, value));
    options.inputFeatures = std::string(value);
    return Status::success();
  case FlagId::Prompt:
    options.promptText = std::string(value);
    return Status::success();
  case FlagId::Chat:
    options.chat = true;
    return Status::success();
  case FlagId::System:
    options.system = std::string(value);
    return Status::success();
  case FlagId::IgnoreEos:
    options.ignoreEos = true;
    return Status::success();
  case FlagId::Pooling:
    options.pooling = parsePooling(value);
    if (!options.pooling)
      return makeError(fmt::format("{} expects mean, cls or none, got '{}'",
                                   spelling, value));
    return Status::success();
  case FlagId::Normalize:
    options.normalize = true;
    return Status::success();
  case FlagId::PrintPromptIds:
    options.printPromptIds = true;
    return Status::success();
  case FlagId::MaxNewTokens: {
    Expected<int64_t> count = parseCount(spelling, value, 0);
    if (!count)
      return count.takeError();
    options.maxNewTokens = *count;
    return Status::success();
  }
  case FlagId::Temperature: {
    std::optional<double> number = parseDouble(value);
    if (!number || *number < 0)
      return makeError(fmt::format(
          "{} expects a number >= 0 (0 is greedy), got '{}'", spelling, value));
    options.sampling.temperature = *number;
    temperatureGiven = true;
    return Status::success();
  }
  case FlagId::TopK: {
    Expected<int64_t> count = parseCount(spelling, value, 0);
    if (!count)
      return count.takeError();
    options.sampling.topK = *count;
    filterGiven = true;
    return Status::success();
  }
  case FlagId::TopP: {
    std::optional<double> number = parseDouble(value);
    if (!number || !(*number > 0 && *number <= 1))
      return makeError(fmt::format("{} expects a number in (0, 1], got '{}'",
                                   spelling, value));
    options.sampling.topP = *number;
    filterGiven = true;
    return Status::success();
  }
  case FlagId::Seed: {
    Expected<int64_t> seed = parseCount(spelling, value, 0);
    if (!seed)
      return seed.takeError();
    options.sampling.seed = static_cast<uint64_t>(*seed);
    return Status::success();
  }
  case FlagId::Threads: {
    Expected<int64_t> count = parseCount(spelling, value, 0);
    if (!count)
      return count.takeError();
    options.threads = *count;
    return Status::success();
  }
  case FlagId::RandomWeights: {
    Expected<int64_t> seed = parseCount(spelling, value, 0);
    if (!seed)
      return seed.takeError();
    options.randomWeights = static_cast<uint64_t>(*seed);
    return Status::success();
  }
  case FlagId::Device:
    if (value != "cpu" && value != "cuda")
      return makeError(
          fmt::format("{} expects cpu or cuda, got '{}'", spelling, value));
    options.device = std::string(value);
    return Status::success();
  case FlagId::ExitThreshold: {
    std::optional<double> number = parseDouble(value);
    if (!number || !(*number > 0 && *number <= 1))
      return makeError(fmt::format("{} expects a number in (0, 1], got '{}'",
                                   spelling, value));
    options.exitThreshold = *number;
    return Status::success();
  }
  case FlagId::FullDepth:
    options.fullDepth = true;
    return Status::success();
  case FlagId::Bench:
    options.bench = true;
    return Status::success();
  case FlagId::Output:
    if (!hasExtension(value, ".npy") && !hasExtension(value, ".json"))
      return makeError(
          fmt::format("{} expects a path ending in .npy or .json, got '{}'",
                      spelling, value));
    options.output = std::string(value);
    return Status::success();
  case FlagId::Logits:
    if (!hasExtension(value, ".npy"))
      return makeError(fmt::format("{} expects a path ending in .npy, got '{}'",
                                   spelling, value));
    options.logits = std::string(value);
    return Status::success();
  case FlagId::CompareLogits:
    options.compareLogits = std::string(value);
    return Status::success();
  case FlagId::Calibrate:
    if (value.size() < 13 || value.substr(value.size() - 12) != ".safetensors")
      return makeError(fmt::format("{} expects a path ending in "
                                   ".safetensors, got '{}'",
                                   spelling, value));
    options.calibrate = std::string(value);
    return Status::success();
  case FlagId::CalibrateCovariance:
    options.calibrateCovariance = true;
    return Status::success();
  case FlagId::CalibrateWindow: {
    Expected<int64_t> window = parseCount(spelling, value, 1);
    if (!window)
      return window.takeError();
    options.calibrateWindow = *window;
    return Status::success();
  }
  case FlagId::ExportWeights:
    if (value.size() < 13 || value.substr(value.size() - 12) != ".safetensors")
      return makeError(fmt::format("{} expects a path ending in "
                                   ".safetensors, got '{}'",
                                   spelling, value));
    options.exportWeights = std::string(value);
    return Status::success();
  case FlagId::Help:
    options.help = true;
    return Status::success();
  case FlagId::Version:
    options.version = true;
    return Status::success();
  }
  return Status::success();
}

/// The error for an unknown flag, with the closest known one.
static Error unknownFlag(std::string_view name, const ProgramInfo &info) {
  std::vector<std::string> names;
  for (const FlagSpec &flag : flagTable) {
    if (!appliesTo(flag, info))
      continue;
    names.emplace_back(flag.longName);
    if (!flag.shortName.empty())
      names.emplace_back(flag.shortName);
  }
  std::string message = fmt::format("unknown flag '{}'", name);
  if (std::optional<std::string> guess = closestMatch(name, names))
    message += fmt::format("; did you mean '{}'?", *guess);
  return makeError(message);
}

Expected<CliOptions> parseCommandLine(int argc, const char *const *argv,
                                      const ProgramInfo &info) {
  CliOptions options;
  bool temperatureGiven = false, filterGiven = false;
  /// The input flags given, in order (at most one may be).
  std::vector<std::string_view> inputs;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool isFlag = arg.size() > 1 && arg[0] == '-' &&
                  !(arg[1] >= '0' && arg[1] <= '9') && arg[1] != '.';
    if (!isFlag)
      return makeError(fmt::format(
          "unexpected argument '{}' (every input is given by a flag, e.g. "
          "--prompt \"{}\")",
          arg, arg));
    std::string_view name = arg;
    std::optional<std::string_view> inlineValue;
    if (size_t equals = arg.find('='); equals != std::string_view::npos) {
      name = arg.substr(0, equals);
      inlineValue = arg.substr(equals + 1);
    }
    const FlagSpec *flag = lookupFlag(name);
    if (!flag)
      return unknownFlag(name, info);
    if (!appliesTo(*flag, info))
      return makeError(
          fmt::format("{} is only for {} models; this program ({}) is {}", name,
                      info.isEncoder ? "decoder" : "encoder", info.modelName,
                      info.isEncoder ? "an encoder" : "a decoder"));

    std::string_view value;
    if (flag->metavar.empty()) {
      if (inlineValue)
        return makeError(fmt::format("{} takes no value", name));
    } else if (inlineValue) {
      value = *inlineValue;
    } else {
      if (i + 1 >= argc)
        return makeError(
            fmt::format("{} needs a value ({})", name, flag->metavar));
      std::string_view next = argv[i + 1];
      if (startsWith(next, "--"))
        return makeError(fmt::format("{} needs a value ({}), got the flag '{}'",
                                     name, flag->metavar, next));
      value = next;
      ++i;
    }
    if (flag->id == FlagId::Prompt || flag->id == FlagId::PromptFile ||
        flag->id == FlagId::PromptIds || flag->id == FlagId::PromptIdsFile ||
        flag->id == FlagId::InputFeatures)
      inputs.push_back(flag->longName);
    if (Status status = applyFlag(*flag, name, value, options, temperatureGiven,
                                  filterGiven);
        !status)
      return status.takeError();
  }

  if (options.help || options.version)
    return options;
  for (size_t i = 1; i < inputs.size(); ++i)
    if (inputs[i] != inputs[0])
      return makeError(fmt::format("{} and {} cannot both be given: the input "
                                   "is text or token ids, from one place",
                                   inputs[0], inputs[i]));
  if (!options.promptIdsFile.empty()) {
    Expected<std::vector<int64_t>> ids = readTokenIdFile(options.promptIdsFile);
    if (!ids)
      return ids.takeError();
    if (ids->empty())
      return makeError(fmt::format("--prompt-ids-file {}: the file has no "
                                   "token ids",
                                   options.promptIdsFile));
    options.promptIds = std::move(*ids);
  }
  if (!options.promptFile.empty()) {
    Expected<std::string> text =
        readWholeFile("--prompt-file", options.promptFile);
    if (!text)
      return text.takeError();
    options.promptText = std::move(*text);
  }
  if (options.promptText && options.promptText->empty())
    return makeError(fmt::format("{} is empty",
                                 options.promptFile.empty()
                                     ? "--prompt"
                                     : "--prompt-file " + options.promptFile));
  bool textInput = options.promptText.has_value();
  if (options.chat && !textInput)
    return makeError("--chat needs a text prompt (--prompt or --prompt-file)");
  if (!options.system.empty() && !options.chat)
    return makeError("--system is the system message of --chat; add --chat");
  if ((options.pooling || options.normalize) && !textInput)
    return makeError(
        fmt::format("{} applies to text inputs (--prompt or "
                    "--prompt-file)",
                    options.pooling ? "--pooling" : "--normalize"));
  if (options.randomWeights && !options.weights.empty())
    return makeError("--random-weights and --weights exclude each other");
  if (options.weights.empty() && !info.defaultWeights.empty() &&
      !options.randomWeights)
    options.weights.push_back(info.defaultWeights);
  if (options.weights.empty() && !options.randomWeights)
    return makeError("missing --weights PATH (a .safetensors file, an index, "
                     "or a directory)");
  if (options.promptIds.empty() && !textInput && !options.bench &&
      options.exportWeights.empty() && options.inputFeatures.empty())
    return makeError("missing the input: give --prompt \"text\", "
                     "--prompt-file PATH, or token ids with --prompt-ids "
                     "\"1 2 3\"");
  if (options.calibrateCovariance && options.calibrate.empty())
    return makeError("--calibrate-covariance needs --calibrate PATH");
  if (options.calibrateWindow && options.calibrate.empty())
    return makeError("--calibrate-window needs --calibrate PATH");
  if (options.fullDepth && options.exitThreshold)
    return makeError("--full-depth runs every iteration; --exit-threshold "
                     "sets when tokens leave early: give one");
  if (filterGiven && !temperatureGiven)
    options.sampling.temperature = 1.0;
  if (Status status = validateSamplerOptions(options.sampling); !status)
    return status.takeError();
  return options;
}

std::string usageText(const std::string &programName, const ProgramInfo &info) {
  std::string text = fmt::format(
      "{} - the {} model compiled by Loom {}\n\n"
      "usage: {} --weights PATH (--prompt TEXT | --prompt-file PATH | "
      "--prompt-ids \"1 2 3\") [options]\n\noptions:\n",
      programName, info.modelName, info.version, programName);
  for (const FlagSpec &flag : flagTable) {
    if (!appliesTo(flag, info))
      continue;
    std::string spelling;
    if (!flag.shortName.empty())
      spelling = fmt::format("{}, ", flag.shortName);
    spelling += flag.longName;
    if (!flag.metavar.empty())
      spelling += fmt::format(" {}", flag.metavar);
    text += fmt::format("  {:<26} {}\n", spelling, flag.help);
  }
  text += "\nValues may also be written --flag=value. The environment variable"
          "\nLOOM_NUM_THREADS sets the default thread count.\n";
  return text;
}

} // namespace loom
