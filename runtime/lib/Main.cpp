//===- Main.cpp - The command line program of every compiled model --------===//
//
// Linked into executables made by `loomc --emit=exe`: reads the command
// line, opens an instance of the program's model (`loom_program_model`,
// which loomc defines), tokenizes a text prompt with the checkpoint's
// tokenizer (in the model's chat template with --chat), runs the prompt
// through the model and, for decoders, generates tokens one at a time
// reusing the KV cache, printing the text as it comes and stopping at the
// end-of-sequence token. Encoders given text print pooled sentence
// embeddings.
//
//===----------------------------------------------------------------------===//

#include "loom/Cli.h"
#include "loom/Kernels.h"
#include "loom/MappedFiles.h"
#include "loom/Npy.h"
#include "loom/Profile.h"
#include "loom/Progress.h"
#include "loom/Quality.h"
#include "loom/RandomWeights.h"
#include "loom/Sampler.h"
#include "loom/Session.h"
#include "loom/TextSettings.h"

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" {
/// The program's model, defined by loomc (LOOM_PROGRAM_MODEL_SYMBOL).
extern const loom_model_def *const loom_program_model;
}

using namespace loom;

namespace {

/// Prints `message` as an error of `program` and returns the exit code.
int fail(const char *program, const std::string &message, int code = 1) {
  fmt::print(stderr, "{}: error: {}\n", program, message);
  return code;
}

/// `--bench` on a GPU: the device, its copy bandwidth, and the share of it
/// decode reaches (the weights a step reads, once each, per second).
void printDeviceBench(cuda::DeviceModel &device, double tokensPerSecond) {
  Expected<double> bandwidth = device.measureCopyBandwidth();
  if (!bandwidth) {
    fmt::print(stderr, "gpu {}: {}\n", device.getDeviceName(),
               bandwidth.getError());
    return;
  }
  double streamed = double(device.getStreamedBytes());
  fmt::print(stderr,
             "gpu {}: copy bandwidth {:.1f} GB/s; decode reads {:.1f} MB of "
             "weights a token: {:.1f} GB/s, {:.1f}% of the copy bandwidth\n",
             device.getDeviceName(), *bandwidth / 1e9, streamed / 1e6,
             streamed * tokensPerSecond / 1e9,
             100.0 * streamed * tokensPerSecond / *bandwidth);
}

/// Removes a file when it goes out of scope.
struct RemoveOnExit {
  std::string path;
  ~RemoveOnExit() {
    if (!path.empty())
      std::remove(path.c_str());
  }
};

/// Writes seeded random weights for the program's model (both builds' tensors
/// for a program built for CUDA) to a temporary file; returns its path.
Expected<std::string> makeRandomWeights(const ModelInfo &info, uint64_t seed) {
  std::vector<const ModelInfo *> infos = {&info};
  std::optional<ModelInfo> device;
  if (loom_program_model->device) {
    Expected<ModelInfo> described = describeModel(*loom_program_model->device);
    if (!described)
      return described.takeError();
    device = std::move(*described);
    infos.push_back(&*device);
  }
  const char *tmp = std::getenv("TMPDIR");
  std::string dir = tmp && *tmp ? tmp : "/tmp";
  std::string path = dir + "/loom-random-XXXXXX.safetensors";
  int fd = mkstemps(path.data(), int(std::strlen(".safetensors")));
  if (fd < 0)
    return makeError(fmt::format("cannot create a file for the random "
                                 "weights in {}: {}",
                                 dir, std::strerror(errno)));
  close(fd);
  if (Status status = writeRandomWeights(infos, seed, path); !status) {
    std::remove(path.c_str());
    return status.takeError();
  }
  return path;
}

/// The session options that run the model where `--device` says: by
/// default on the GPU when the program was built for one.
SessionOptions runOptions(const CliOptions &options) {
  SessionOptions sessionOptions;
  bool cuda = options.device.empty() ? loom_program_model->device != nullptr
                                     : options.device == "cuda";
  sessionOptions.device = cuda ? Device::Cuda : Device::Cpu;
  return sessionOptions;
}

/// A calibration run over `prompt` (see `--calibrate`): windows of
/// `--calibrate-window` tokens or the model's positions, each from position
/// 0, then the statistics to `options.calibrate`.
int calibrate(const char *program, const ModelInfo &info,
              const CliOptions &options, const std::vector<int64_t> &prompt) {
  int64_t total = int64_t(prompt.size());
  if (options.calibrateWindow && info.maxPositions > 0 &&
      options.calibrateWindow > info.maxPositions)
    return fail(program,
                fmt::format("--calibrate-window {} exceeds the model's {} "
                            "positions",
                            options.calibrateWindow, info.maxPositions));
  int64_t longest = options.calibrateWindow ? options.calibrateWindow
                    : info.maxPositions > 0 ? info.maxPositions
                                            : total;
  int64_t window = std::min(total, longest);
  Expected<std::unique_ptr<Session>> session = Session::open(
      *loom_program_model, options.weights, window, options.threads);
  if (!session)
    return fail(program, session.getError());
  (*session)->startCalibration(options.calibrateCovariance);
  std::vector<int32_t> tokens(prompt.begin(), prompt.end());
  std::vector<float> out(size_t(window * info.outputWidth));
  int64_t windows = (total + window - 1) / window;
  Progress progress("calibration", total, "tokens");
  for (int64_t start = 0; start < total; start += window) {
    (*session)->reset();
    int64_t count = std::min(window, total - start);
    if (Status status = (*session)->run(tokens.data() + start, count,
                                        out.data(), info.decoder);
        !status)
      return fail(program, status.getError());
    progress.update(start + count);
  }
  progress.finish();
  if (Status status = (*session)->writeCalibration(options.calibrate); !status)
    return fail(program, status.getError());
  fmt::print(
      stderr, "calibration: {} tokens in {} window{} of {}, statistics in {}\n",
      total, windows, windows == 1 ? "" : "s", window, options.calibrate);
  return 0;
}

/// The ids of a text prompt: the checkpoint's tokenizer over the text, in
/// the chat template with --chat.
Expected<std::vector<int64_t>> tokenizePrompt(const CliOptions &options,
                                              const TextSettings &text,
                                              const std::string &input,
                                              std::vector<int32_t> &stopIds) {
  std::string prompt = input;
  bool addSpecialTokens = true;
  if (options.chat) {
    Expected<ChatFormat> format = ChatFormat::fromTemplate(
        text.chatTemplate, text.chatTemplateSource, *text.tokenizer);
    if (!format)
      return format.takeError();
    prompt = format->render(options.system, input);
    // The template writes the special tokens itself (BOS included).
    addSpecialTokens = false;
    if (std::optional<int32_t> end = format->getEndOfTurn())
      stopIds.push_back(*end);
  }
  Expected<std::vector<int32_t>> ids =
      text.tokenizer->encode(prompt, addSpecialTokens);
  if (!ids)
    return ids.takeError();
  return std::vector<int64_t>(ids->begin(), ids->end());
}

/// Checks that the tokenizer's ids fit the model.
Status checkTokenizerFits(const std::vector<int64_t> &ids,
                          const TextSettings &text, int64_t vocab) {
  for (int64_t id : ids)
    if (vocab > 0 && id >= vocab)
      return makeError(fmt::format(
          "the tokenizer ({}) gives token id {}, but the model's vocabulary "
          "has {} tokens: is it this model's tokenizer?",
          text.tokenizer->getSource(), id, vocab));
  return Status::success();
}

/// Writes sentence embeddings [count, width] to `path` (.npy or .json), or
/// as JSON to stdout if `path` is empty.
Status writeEmbeddings(const std::string &path,
                       const std::vector<std::vector<float>> &embeddings,
                       int64_t width) {
  if (path.size() > 4 && path.substr(path.size() - 4) == ".npy") {
    std::vector<float> flat;
    for (const std::vector<float> &row : embeddings)
      flat.insert(flat.end(), row.begin(), row.end());
    return writeNpy(path, flat.data(), {int64_t(embeddings.size()), width});
  }
  std::string json = "[";
  for (size_t i = 0; i < embeddings.size(); ++i) {
    json += i ? ",\n [" : "[";
    for (size_t j = 0; j < embeddings[i].size(); ++j)
      json += fmt::format("{}{:.9g}", j ? ", " : "", embeddings[i][j]);
    json += "]";
  }
  json += "]\n";
  if (path.empty()) {
    fmt::print("{}", json);
    return Status::success();
  }
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return makeError(fmt::format("{}: cannot create", path));
  bool ok = std::fwrite(json.data(), 1, json.size(), file) == json.size();
  ok &= std::fclose(file) == 0;
  if (!ok)
    return makeError(fmt::format("{}: cannot write", path));
  return Status::success();
}

/// An encoder given text: each input (the prompt, or each non-empty line
/// of --prompt-file) becomes one pooled sentence embedding.
int embedTexts(const char *program, const ModelInfo &info,
               const CliOptions &options, const TextSettings &text) {
  std::vector<std::string> inputs;
  if (options.promptFile.empty()) {
    inputs.push_back(*options.promptText);
  } else {
    size_t start = 0;
    const std::string &all = *options.promptText;
    while (start <= all.size()) {
      size_t end = all.find('\n', start);
      if (end == std::string::npos)
        end = all.size();
      std::string line = all.substr(start, end - start);
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      if (!line.empty())
        inputs.push_back(std::move(line));
      start = end + 1;
    }
    if (inputs.empty())
      return fail(program, fmt::format("--prompt-file {}: no non-empty lines",
                                       options.promptFile));
  }
  std::vector<std::vector<int64_t>> ids;
  int64_t longest = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<int32_t> unused;
    Expected<std::vector<int64_t>> encoded =
        tokenizePrompt(options, text, inputs[i], unused);
    if (!encoded)
      return fail(program, encoded.getError());
    if (encoded->empty())
      return fail(program, fmt::format("input {} has no tokens", i + 1));
    if (Status status = checkTokenizerFits(*encoded, text, info.vocab); !status)
      return fail(program, status.getError());
    if (info.maxPositions > 0 && int64_t(encoded->size()) > info.maxPositions)
      return fail(program,
                  fmt::format("input {} has {} tokens, more than the model's "
                              "{} positions",
                              i + 1, encoded->size(), info.maxPositions));
    if (options.printPromptIds) {
      std::string line;
      for (int64_t id : *encoded)
        line += (line.empty() ? "" : " ") + std::to_string(id);
      fmt::print(stderr, "{}\n", line);
    }
    longest = std::max<int64_t>(longest, int64_t(encoded->size()));
    ids.push_back(std::move(*encoded));
  }
  Expected<std::unique_ptr<Session>> session =
      Session::open(*loom_program_model, options.weights, longest,
                    options.threads, runOptions(options));
  if (!session)
    return fail(program, session.getError());
  Pooling pooling =
      options.pooling.value_or(text.pooling.value_or(Pooling::Mean));
  bool normalize = options.normalize || text.normalize;
  std::vector<std::vector<float>> embeddings;
  std::vector<float> hidden(size_t(longest * info.outputWidth));
  for (const std::vector<int64_t> &input : ids) {
    (*session)->reset();
    std::vector<int32_t> tokens(input.begin(), input.end());
    int64_t count = int64_t(tokens.size());
    if (Status status = (*session)->run(tokens.data(), count, hidden.data(),
                                        /*lastRowOnly=*/false);
        !status)
      return fail(program, status.getError());
    if (pooling == Pooling::None) {
      embeddings.emplace_back(hidden.begin(),
                              hidden.begin() + count * info.outputWidth);
      continue;
    }
    embeddings.push_back(poolEmbedding(hidden.data(), count, info.outputWidth,
                                       pooling, normalize));
  }
  int64_t width = info.outputWidth;
  if (pooling == Pooling::None) {
    if (embeddings.size() != 1)
      return fail(program, "--pooling none gives one row per token: give "
                           "one input (--prompt)");
    width = info.outputWidth;
    std::vector<std::vector<float>> rows;
    for (size_t i = 0; i < embeddings[0].size(); i += size_t(width))
      rows.emplace_back(embeddings[0].begin() + std::ptrdiff_t(i),
                        embeddings[0].begin() + std::ptrdiff_t(i + width));
    embeddings = std::move(rows);
  }
  if (Status status = writeEmbeddings(options.output, embeddings, width);
      !status)
    return fail(program, status.getError());
  return 0;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// For models with adaptive loops: the iterations their tokens ran. For
/// other models, that --exit-threshold and --full-depth did nothing.
void printDepth(const ExitState &state) {
  if (state.tokens == 0) {
    if (state.thresholdOverride || state.fullDepth)
      fmt::print(stderr,
                 "warning: {} has no effect: the model has no loop "
                 "that tokens leave early (exit(...))\n",
                 state.fullDepth ? "--full-depth" : "--exit-threshold");
    return;
  }
  fmt::print(stderr,
             "adaptive depth: {:.2f} iterations per token on average, {} of "
             "{} ({:.1f}%), over {} tokens\n",
             double(state.iterations) / double(state.tokens), state.iterations,
             state.maxIterations,
             100.0 * double(state.iterations) / double(state.maxIterations),
             state.tokens);
}

} // namespace

/// A model whose input is float features: one forward pass over the rows
/// of `--input-features`, its output written as an encoder's is.
static int runFeatures(const char *program, const ModelInfo &info,
                       const CliOptions &options) {
  if (options.inputFeatures.empty())
    return fail(program, fmt::format("this model takes float features ({} a "
                                     "row): pass --input-features PATH.npy",
                                     info.inputWidth));
  Expected<NpyArray> read = readNpy(options.inputFeatures);
  if (!read)
    return fail(program, read.getError());
  const NpyArray &features = *read;
  if (features.shape.size() != 2 || features.shape[1] != info.inputWidth ||
      features.shape[0] < 1)
    return fail(program,
                fmt::format("{} holds an array of shape {}, but the model "
                            "takes [rows, {}] (at least one row)",
                            options.inputFeatures, formatShape(features.shape),
                            info.inputWidth));
  int64_t seq = features.shape[0];
  if (info.maxPositions > 0 && seq > info.maxPositions)
    return fail(program, fmt::format("{} rows exceed the model's {} positions",
                                     seq, info.maxPositions));
  auto loadStart = std::chrono::steady_clock::now();
  Expected<std::unique_ptr<Session>> session =
      Session::open(*loom_program_model, options.weights, seq, options.threads,
                    runOptions(options));
  if (!session)
    return fail(program, session.getError());
  double loadSeconds = secondsSince(loadStart);
  std::vector<float> output(size_t(seq * info.outputWidth));
  auto start = std::chrono::steady_clock::now();
  if (Status status =
          (*session)->runFeatures(features.data.data(), seq, output.data());
      !status)
    return fail(program, status.getError());
  double seconds = secondsSince(start);
  std::string path = !options.output.empty() ? options.output : options.logits;
  if (!path.empty()) {
    if (Status status = writeNpy(path, output.data(), {seq, info.outputWidth});
        !status)
      return fail(program, status.getError());
  } else if (!options.bench) {
    fmt::print("{} rows -> [{}, {}] outputs (use --output PATH.npy to save "
               "them)\n",
               seq, seq, info.outputWidth);
  }
  if (options.bench)
    fmt::print(stderr, "load {:.3f} s, forward {} rows: {:.1f} rows/s\n",
               loadSeconds, seq, seq / seconds);
  return 0;
}

int main(int argc, char **argv) {
  const char *program = argc > 0 ? argv[0] : "model";
  // A checkpoint shrinking under its mapping is reported, not a crash.
  installMappedFileFaultHandler();
  Expected<ModelInfo> described = describeModel(*loom_program_model);
  if (!described)
    return fail(program, described.getError());
  const ModelInfo &info = *described;

  ProgramInfo programInfo;
  programInfo.modelName = info.name;
  programInfo.isEncoder = !info.decoder;
  Expected<CliOptions> parsed = parseCommandLine(argc, argv, programInfo);
  if (!parsed) {
    fail(program, parsed.getError());
    fmt::print(stderr, "run '{} --help' for usage\n", program);
    return 2;
  }
  CliOptions &options = *parsed;
  if (options.help) {
    fmt::print("{}", usageText(program, programInfo));
    return 0;
  }
  if (options.version) {
    fmt::print("{} (Loom model, runtime ABI {})\n", info.name,
               LOOM_ABI_VERSION);
    return 0;
  }

  // Random weights are written to a file the sessions map like any
  // checkpoint, removed when the program ends.
  RemoveOnExit randomCheckpoint;
  if (options.randomWeights) {
    Expected<std::string> path =
        makeRandomWeights(info, *options.randomWeights);
    if (!path)
      return fail(program, path.getError());
    randomCheckpoint.path = *path;
    options.weights = {*path};
  }

  if (!options.exportWeights.empty()) {
    // The weights with every rewrite the compiler recorded applied: this
    // program (or one built the same way) maps them without recomputing.
    SessionOptions sessionOptions;
    sessionOptions.keepLayouts = true;
    Expected<std::unique_ptr<Session>> session =
        Session::open(*loom_program_model, options.weights, 1, options.threads,
                      sessionOptions);
    if (!session)
      return fail(program, session.getError());
    if (Status status = (*session)->writeWeights(options.exportWeights);
        !status)
      return fail(program, status.getError());
    return 0;
  }

  if (info.inputWidth > 0)
    return runFeatures(program, info, options);
  if (!options.inputFeatures.empty())
    return fail(program, "--input-features is for models that take float "
                         "features; this one takes token ids");

  // Prompt: token ids, or text for the checkpoint's tokenizer.
  std::vector<int64_t> prompt = options.promptIds;
  std::optional<TextSettings> text;
  std::vector<int32_t> stopIds;
  if (options.promptText) {
    Expected<TextSettings> loaded =
        loadTextSettings(options.weights, options.tokenizer);
    if (!loaded)
      return fail(program, loaded.getError());
    text = std::move(*loaded);
    if (!info.decoder && options.calibrate.empty())
      return embedTexts(program, info, options, *text);
    Expected<std::vector<int64_t>> ids =
        tokenizePrompt(options, *text, *options.promptText, stopIds);
    if (!ids)
      return fail(program, ids.getError());
    prompt = std::move(*ids);
    if (prompt.empty())
      return fail(program, "the prompt has no tokens");
    if (Status status = checkTokenizerFits(prompt, *text, info.vocab); !status)
      return fail(program, status.getError());
    stopIds.insert(stopIds.end(), text->eosIds.begin(), text->eosIds.end());
    if (options.ignoreEos)
      stopIds.clear();
  }
  if (prompt.empty() && options.bench)
    prompt.assign(128, 1);
  if (prompt.empty())
    return fail(program, "the prompt is empty: pass --prompt, --prompt-file "
                         "or --prompt-ids");
  if (info.vocab > 0) {
    if (Status status = checkTokenIds(prompt, info.vocab); !status)
      return fail(program, status.getError());
  }
  if (options.printPromptIds) {
    std::string line;
    for (int64_t id : prompt)
      line += (line.empty() ? "" : " ") + std::to_string(id);
    fmt::print(stderr, "{}\n", line);
  }
  if (!options.calibrate.empty())
    return calibrate(program, info, options, prompt);
  int64_t newTokens = info.decoder ? options.maxNewTokens : 0;
  int64_t seq = int64_t(prompt.size());
  // Positions are 32-bit in the generated code.
  constexpr int64_t kMaxPositions = int64_t(1) << 31;
  if (newTokens > kMaxPositions - seq)
    return fail(program, fmt::format("-n {}: {} prompt tokens and {} new "
                                     "tokens are more positions than a "
                                     "program handles ({})",
                                     newTokens, seq, newTokens, kMaxPositions));
  int64_t maxSeq = seq + std::max<int64_t>(newTokens - 1, 0);
  if (info.maxPositions > 0 && maxSeq > info.maxPositions)
    return fail(program,
                fmt::format("{} prompt tokens + {} new tokens exceed the "
                            "model's {} positions",
                            seq, newTokens, info.maxPositions));

  auto loadStart = std::chrono::steady_clock::now();
  Expected<std::unique_ptr<Session>> session =
      Session::open(*loom_program_model, options.weights, maxSeq,
                    options.threads, runOptions(options));
  if (!session)
    return fail(program, session.getError());
  double loadSeconds = secondsSince(loadStart);
  ExitState &earlyExit = (*session)->getEarlyExit();
  earlyExit.thresholdOverride = options.exitThreshold;
  earlyExit.fullDepth = options.fullDepth;

  // The prompt in one call (prefill, or the encoder's forward pass).
  std::vector<int32_t> tokens(prompt.begin(), prompt.end());
  // Generation needs only the last position's logits.
  bool lastRowOnly =
      info.decoder && options.logits.empty() && options.compareLogits.empty();
  // Reference logits to compare with: read (and checked) before the run.
  NpyArray reference;
  if (!options.compareLogits.empty()) {
    Expected<NpyArray> read = readNpy(options.compareLogits);
    if (!read)
      return fail(program, read.getError());
    reference = std::move(*read);
    if (reference.shape != std::vector<int64_t>{seq, info.outputWidth})
      return fail(program,
                  fmt::format("{} holds logits of shape {}, but this prompt "
                              "gives [{}, {}]: write them with --logits for "
                              "the same prompt",
                              options.compareLogits,
                              formatShape(reference.shape), seq,
                              info.outputWidth));
  }
  std::vector<float> output(size_t((lastRowOnly ? 1 : seq) * info.outputWidth));
  auto prefillStart = std::chrono::steady_clock::now();
  if (Status status =
          (*session)->run(tokens.data(), seq, output.data(), lastRowOnly);
      !status)
    return fail(program, status.getError());
  double prefillSeconds = secondsSince(prefillStart);
  printProfile(stderr, info.decoder ? "the prompt" : "the forward pass");
  resetProfile();

  if (!info.decoder) {
    if (!options.output.empty()) {
      if (Status status =
              writeNpy(options.output, output.data(), {seq, info.outputWidth});
          !status)
        return fail(program, status.getError());
    } else if (!options.bench) {
      fmt::print("{} tokens -> [{}, {}] hidden states (use --output PATH.npy "
                 "to save them)\n",
                 seq, seq, info.outputWidth);
    }
    if (options.bench)
      fmt::print(stderr, "load {:.3f} s, forward {} tokens: {:.1f} tokens/s\n",
                 loadSeconds, seq, seq / prefillSeconds);
    printDepth(earlyExit);
    return 0;
  }

  if (!options.logits.empty()) {
    if (Status status =
            writeNpy(options.logits, output.data(), {seq, info.outputWidth});
        !status)
      return fail(program, status.getError());
  }
  if (!options.compareLogits.empty())
    fmt::print("{}", formatComparison(compareLogits(reference.data.data(),
                                                    output.data(), seq,
                                                    info.outputWidth, prompt),
                                      options.compareLogits));

  // Token-by-token generation reusing the KV cache: nothing is allocated
  // per token.
  Expected<Sampler> sampler = Sampler::create(options.sampling);
  if (!sampler)
    return fail(program, sampler.getError());
  std::vector<int64_t> generated;
  generated.reserve(size_t(newTokens));
  std::vector<float> row(size_t(info.outputWidth));
  const float *logits =
      output.data() + (lastRowOnly ? 0 : (seq - 1) * info.outputWidth);
  // Text prompts print text as it is generated and stop at the end of the
  // sequence; id prompts print the ids at the end.
  std::optional<TextStream> stream;
  if (text)
    stream.emplace(*text->tokenizer);
  auto decodeStart = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < newTokens; ++i) {
    int64_t next = sampler->sample(logits, size_t(info.outputWidth));
    if (next < 0)
      return fail(program, "the model produced no valid logits (all NaN)");
    generated.push_back(next);
    if (stream) {
      if (std::find(stopIds.begin(), stopIds.end(), int32_t(next)) !=
          stopIds.end())
        break;
      std::string piece = stream->push(int32_t(next));
      if (!piece.empty()) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
      }
    }
    if (i + 1 == newTokens)
      break;
    int32_t token = int32_t(next);
    if (Status status = (*session)->run(&token, 1, row.data()); !status)
      return fail(program, status.getError());
    logits = row.data();
  }
  double decodeSeconds = secondsSince(decodeStart);
  printProfile(stderr, "decoding");

  if (stream) {
    std::string rest = stream->finish();
    fmt::print("{}\n", rest);
    std::fflush(stdout); // Before the --bench figures on stderr.
  } else {
    std::string line;
    for (int64_t token : generated)
      line += (line.empty() ? "" : " ") + std::to_string(token);
    fmt::print("{}\n", line);
  }
  int64_t decoded = std::max<int64_t>(int64_t(generated.size()) - 1, 0);
  if (options.bench) {
    fmt::print(stderr, "load {:.3f} s\n", loadSeconds);
    fmt::print(stderr, "prefill {} tokens: {:.1f} tokens/s\n", seq,
               seq / prefillSeconds);
    if (decoded > 0)
      fmt::print(stderr, "decode {} tokens: {:.1f} tokens/s\n", decoded,
                 decoded / decodeSeconds);
    if (cuda::DeviceModel *device = (*session)->getDeviceModel())
      printDeviceBench(*device, decoded > 0 ? decoded / decodeSeconds : 0.0);
  }
  printDepth(earlyExit);
  return 0;
}
