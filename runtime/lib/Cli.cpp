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
  PromptIds,
  PromptFile,
  MaxNewTokens,
  Temperature,
  TopK,
  TopP,
  Seed,
  Threads,
  Bench,
  Output,
  Logits,
  CompareLogits,
  Calibrate,
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
    {FlagId::PromptIds, "--prompt-ids", "", "IDS", Applies::All,
     "input token ids, e.g. \"1 2 3\" (spaces or commas)"},
    {FlagId::PromptFile, "--prompt-file", "", "PATH", Applies::All,
     "read the input token ids from a file"},
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
    {FlagId::Bench, "--bench", "", "", Applies::All,
     "time the run and print throughput"},
    {FlagId::Output, "--output", "", "PATH", Applies::Encoder,
     "write the output as a float32 .npy file"},
    {FlagId::Logits, "--logits", "", "PATH", Applies::Decoder,
     "write the prompt's logits [prompt, vocab] as a float32 .npy file"},
    {FlagId::CompareLogits, "--compare-logits", "", "PATH", Applies::Decoder,
     "compare the prompt's logits with those in PATH (another build's "
     "--logits, e.g. unquantized): perplexity, KL divergence, same top-1"},
    {FlagId::Calibrate, "--calibrate", "", "PATH", Applies::All,
     "a calibration run: run the input (in windows of the model's positions) "
     "and write each product's input statistics to a .safetensors file, for "
     "loomc --quantize-importance; then exit"},
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

Expected<std::vector<int64_t>> readTokenIdFile(const std::string &path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream)
    return makeError(fmt::format("--prompt-file {}: cannot open: {}", path,
                                 std::strerror(errno)));
  std::string text((std::istreambuf_iterator<char>(stream)),
                   std::istreambuf_iterator<char>());
  return parseTokenIds(text, path);
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
    if (value.empty())
      return makeError(fmt::format("{} needs a non-empty PATH", spelling));
    options.promptFile = std::string(value);
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
  case FlagId::Bench:
    options.bench = true;
    return Status::success();
  case FlagId::Output:
  case FlagId::Logits:
    if (value.size() < 5 || value.substr(value.size() - 4) != ".npy")
      return makeError(fmt::format("{} expects a path ending in .npy, got '{}'",
                                   spelling, value));
    (flag.id == FlagId::Output ? options.output : options.logits) =
        std::string(value);
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
  bool temperatureGiven = false, filterGiven = false, idsGiven = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool isFlag = arg.size() > 1 && arg[0] == '-' &&
                  !(arg[1] >= '0' && arg[1] <= '9') && arg[1] != '.';
    if (!isFlag)
      return makeError(fmt::format(
          "unexpected argument '{}' (every input is given by a flag, e.g. "
          "--prompt-ids \"{}\")",
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
    if (flag->id == FlagId::PromptIds)
      idsGiven = true;
    if (Status status = applyFlag(*flag, name, value, options, temperatureGiven,
                                  filterGiven);
        !status)
      return status.takeError();
  }

  if (options.help || options.version)
    return options;
  if (idsGiven && !options.promptFile.empty())
    return makeError("--prompt-ids and --prompt-file cannot both be given");
  if (!options.promptFile.empty()) {
    Expected<std::vector<int64_t>> ids = readTokenIdFile(options.promptFile);
    if (!ids)
      return ids.takeError();
    if (ids->empty())
      return makeError(fmt::format(
          "--prompt-file {}: the file has no token ids", options.promptFile));
    options.promptIds = std::move(*ids);
  }
  if (options.weights.empty() && !info.defaultWeights.empty())
    options.weights.push_back(info.defaultWeights);
  if (options.weights.empty())
    return makeError("missing --weights PATH (a .safetensors file, an index, "
                     "or a directory)");
  if (options.promptIds.empty() && !options.bench &&
      options.exportWeights.empty())
    return makeError(
        "missing the input: give --prompt-ids \"1 2 3\" or --prompt-file PATH");
  if (filterGiven && !temperatureGiven)
    options.sampling.temperature = 1.0;
  if (Status status = validateSamplerOptions(options.sampling); !status)
    return status.takeError();
  return options;
}

std::string usageText(const std::string &programName, const ProgramInfo &info) {
  std::string text = fmt::format(
      "{} - the {} model compiled by Loom {}\n\n"
      "usage: {} --weights PATH (--prompt-ids \"1 2 3\" | --prompt-file PATH)"
      " [options]\n\noptions:\n",
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
