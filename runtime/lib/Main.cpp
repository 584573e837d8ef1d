//===- Main.cpp - The command line program of every compiled model --------===//
//
// Linked into executables made by `loomc --emit=exe`: reads the command
// line, opens an instance of the program's model (`loom_program_model`,
// which loomc defines), runs the prompt
// through the model and, for decoders, generates tokens one at a time
// reusing the KV cache.
//
//===----------------------------------------------------------------------===//

#include "loom/Cli.h"
#include "loom/Kernels.h"
#include "loom/Npy.h"
#include "loom/Profile.h"
#include "loom/Quality.h"
#include "loom/Sampler.h"
#include "loom/Session.h"

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

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

/// A calibration run over `prompt` (see `--calibrate`): windows of the
/// model's positions, each from position 0, then the statistics to
/// `options.calibrate`.
int calibrate(const char *program, const ModelInfo &info,
              const CliOptions &options, const std::vector<int64_t> &prompt) {
  int64_t total = int64_t(prompt.size());
  int64_t window =
      info.maxPositions > 0 ? std::min(total, info.maxPositions) : total;
  Expected<std::unique_ptr<Session>> session = Session::open(
      *loom_program_model, options.weights, window, options.threads);
  if (!session)
    return fail(program, session.getError());
  (*session)->startCalibration();
  std::vector<int32_t> tokens(prompt.begin(), prompt.end());
  std::vector<float> out(size_t(window * info.outputWidth));
  int64_t windows = (total + window - 1) / window;
  for (int64_t start = 0, index = 1; start < total; start += window, ++index) {
    (*session)->reset();
    int64_t count = std::min(window, total - start);
    if (Status status = (*session)->run(tokens.data() + start, count,
                                        out.data(), info.decoder);
        !status)
      return fail(program, status.getError());
    if (windows > 1)
      fmt::print(stderr, "calibration: window {}/{} ({} of {} tokens)\n", index,
                 windows, start + count, total);
  }
  if (Status status = (*session)->writeCalibration(options.calibrate); !status)
    return fail(program, status.getError());
  fmt::print(stderr, "calibration: {} tokens, statistics in {}\n", total,
             options.calibrate);
  return 0;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

int main(int argc, char **argv) {
  const char *program = argc > 0 ? argv[0] : "model";
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

  // Prompt.
  std::vector<int64_t> prompt = options.promptIds;
  if (!options.promptFile.empty()) {
    Expected<std::vector<int64_t>> ids = readTokenIdFile(options.promptFile);
    if (!ids)
      return fail(program, ids.getError());
    prompt = *ids;
  }
  if (prompt.empty() && options.bench)
    prompt.assign(128, 1);
  if (prompt.empty())
    return fail(program, "the prompt is empty: pass --prompt-ids or "
                         "--prompt-file");
  if (info.vocab > 0) {
    if (Status status = checkTokenIds(prompt, info.vocab); !status)
      return fail(program, status.getError());
  }
  if (!options.calibrate.empty())
    return calibrate(program, info, options, prompt);
  int64_t newTokens = info.decoder ? options.maxNewTokens : 0;
  int64_t seq = int64_t(prompt.size());
  int64_t maxSeq = seq + std::max<int64_t>(newTokens - 1, 0);
  if (info.maxPositions > 0 && maxSeq > info.maxPositions)
    return fail(program,
                fmt::format("{} prompt tokens + {} new tokens exceed the "
                            "model's {} positions",
                            seq, newTokens, info.maxPositions));

  auto loadStart = std::chrono::steady_clock::now();
  Expected<std::unique_ptr<Session>> session = Session::open(
      *loom_program_model, options.weights, maxSeq, options.threads);
  if (!session)
    return fail(program, session.getError());
  double loadSeconds = secondsSince(loadStart);

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
  auto decodeStart = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < newTokens; ++i) {
    int64_t next = sampler->sample(logits, size_t(info.outputWidth));
    if (next < 0)
      return fail(program, "the model produced no valid logits (all NaN)");
    generated.push_back(next);
    if (i + 1 == newTokens)
      break;
    int32_t token = int32_t(next);
    if (Status status = (*session)->run(&token, 1, row.data()); !status)
      return fail(program, status.getError());
    logits = row.data();
  }
  double decodeSeconds = secondsSince(decodeStart);
  printProfile(stderr, "decoding");

  std::string line;
  for (int64_t token : generated)
    line += (line.empty() ? "" : " ") + std::to_string(token);
  fmt::print("{}\n", line);
  if (options.bench) {
    fmt::print(stderr, "load {:.3f} s\n", loadSeconds);
    fmt::print(stderr, "prefill {} tokens: {:.1f} tokens/s\n", seq,
               seq / prefillSeconds);
    if (newTokens > 1)
      fmt::print(stderr, "decode {} tokens: {:.1f} tokens/s\n", newTokens - 1,
                 (newTokens - 1) / decodeSeconds);
  }
  return 0;
}
