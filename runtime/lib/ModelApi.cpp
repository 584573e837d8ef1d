//===- ModelApi.cpp - Embedding a Loom-compiled model (C API) -------------===//

#include "loom/loom_model.h"

#include "loom/Session.h"

#include <atomic>
#include <string>
#include <string_view>

using namespace loom;

struct loom_model {
  std::unique_ptr<Session> session;
  /// Set while a call runs the instance: a second thread's call is refused
  /// instead of racing on the KV cache and the scratch state.
  std::atomic<bool> busy{false};
};

namespace {
/// Holds an instance for one call, if no other thread holds it.
class Hold {
public:
  explicit Hold(loom_model &model)
      : model(model), held(!model.busy.exchange(true)) {}
  ~Hold() {
    if (held)
      model.busy.store(false);
  }
  Hold(const Hold &) = delete;
  Hold &operator=(const Hold &) = delete;
  explicit operator bool() const { return held; }

private:
  loom_model &model;
  bool held;
};

/// The message of a call that found its instance held by another thread.
std::string inUse(const char *function) {
  return std::string(function) +
         ": the instance is in use by another thread (an instance serves one "
         "call at a time; open one per thread)";
}
} // namespace

/// Records `message` for loom_last_error() and returns `result`.
template <typename T> static T failWith(const std::string &message, T result) {
  setLastError(message);
  return result;
}

extern "C" {

loom_model *loom_model_open(const loom_model_def *model,
                            const char *weights_path, int64_t max_seq,
                            int64_t num_threads) {
  if (!model || !weights_path)
    return failWith<loom_model *>("loom_model_open: null model or weights path",
                                  nullptr);
  Expected<std::unique_ptr<Session>> session =
      Session::open(*model, weights_path, max_seq, num_threads);
  if (!session)
    return failWith<loom_model *>(session.getError(), nullptr);
  return new loom_model{std::move(*session)};
}

loom_model *loom_model_open_on(const loom_model_def *model,
                               const char *weights_path, int64_t max_seq,
                               int64_t num_threads, const char *device) {
  if (!model || !weights_path)
    return failWith<loom_model *>(
        "loom_model_open_on: null model or weights path", nullptr);
  std::string_view name = device ? device : "";
  SessionOptions options;
  options.cpuInstead = "loom_model_open_on with \"cpu\"";
  if (name.empty())
    options.device = model->device ? Device::Cuda : Device::Cpu;
  else if (name == "cuda")
    options.device = Device::Cuda;
  else if (name != "cpu")
    return failWith<loom_model *>("loom_model_open_on: the device must be "
                                  "\"cpu\" or \"cuda\", got '" +
                                      std::string(name) + "'",
                                  nullptr);
  Expected<std::unique_ptr<Session>> session =
      Session::open(*model, weights_path, max_seq, num_threads, options);
  if (!session)
    return failWith<loom_model *>(session.getError(), nullptr);
  return new loom_model{std::move(*session)};
}

const char *loom_model_device(const loom_model *model) {
  if (!model)
    return "";
  return model->session->getDeviceModel() ? "cuda" : "cpu";
}

void loom_model_close(loom_model *model) { delete model; }

const char *loom_model_name(const loom_model *model) {
  return model ? model->session->getInfo().name.c_str() : "";
}

int loom_model_is_decoder(const loom_model *model) {
  return model && model->session->getInfo().decoder ? 1 : 0;
}

int64_t loom_model_output_width(const loom_model *model) {
  return model ? model->session->getInfo().outputWidth : 0;
}

int64_t loom_model_vocab_size(const loom_model *model) {
  return model ? model->session->getInfo().vocab : 0;
}

int64_t loom_model_position(const loom_model *model) {
  return model ? model->session->getPosition() : 0;
}

int loom_model_prefill(loom_model *model, const int32_t *tokens, int64_t count,
                       float *out) {
  if (!model || !tokens || !out)
    return failWith("loom_model_prefill: null argument", -1);
  Hold hold(*model);
  if (!hold)
    return failWith(inUse("loom_model_prefill"), -1);
  model->session->reset();
  Status status = model->session->run(tokens, count, out);
  return status ? 0 : failWith(status.getError(), -1);
}

int64_t loom_model_input_width(const loom_model *model) {
  return model ? model->session->getInfo().inputWidth : 0;
}

int loom_model_prefill_features(loom_model *model, const float *features,
                                int64_t count, float *out) {
  if (!model || !features || !out)
    return failWith("loom_model_prefill_features: null argument", -1);
  Hold hold(*model);
  if (!hold)
    return failWith(inUse("loom_model_prefill_features"), -1);
  model->session->reset();
  Status status = model->session->runFeatures(features, count, out);
  return status ? 0 : failWith(status.getError(), -1);
}

int loom_model_prefill_last(loom_model *model, const int32_t *tokens,
                            int64_t count, float *out) {
  if (!model || !tokens || !out)
    return failWith("loom_model_prefill_last: null argument", -1);
  if (!model->session->getInfo().decoder)
    return failWith("loom_model_prefill_last: the model is an encoder", -1);
  Hold hold(*model);
  if (!hold)
    return failWith(inUse("loom_model_prefill_last"), -1);
  model->session->reset();
  Status status = model->session->run(tokens, count, out, /*lastRowOnly=*/true);
  return status ? 0 : failWith(status.getError(), -1);
}

int loom_model_decode(loom_model *model, int32_t token, float *out) {
  if (!model || !out)
    return failWith("loom_model_decode: null argument", -1);
  if (!model->session->getInfo().decoder)
    return failWith("loom_model_decode: the model is an encoder", -1);
  Hold hold(*model);
  if (!hold)
    return failWith(inUse("loom_model_decode"), -1);
  if (model->session->getPosition() == 0)
    return failWith("loom_model_decode: call loom_model_prefill first", -1);
  Status status = model->session->run(&token, 1, out);
  return status ? 0 : failWith(status.getError(), -1);
}

int loom_model_set_exit_threshold(loom_model *model, double threshold) {
  if (!model)
    return failWith("loom_model_set_exit_threshold: null model", -1);
  if (!(threshold >= 0 && threshold <= 1))
    return failWith("loom_model_set_exit_threshold: the threshold must be in "
                    "(0, 1], or 0 for the model's own",
                    -1);
  Hold hold(*model);
  if (!hold)
    return failWith(inUse("loom_model_set_exit_threshold"), -1);
  ExitState &exits = model->session->getEarlyExit();
  exits.thresholdOverride =
      threshold > 0 ? std::optional<double>(threshold) : std::nullopt;
  return 0;
}

int loom_model_set_full_depth(loom_model *model, int full) {
  if (!model)
    return failWith("loom_model_set_full_depth: null model", -1);
  Hold hold(*model);
  if (!hold)
    return failWith(inUse("loom_model_set_full_depth"), -1);
  model->session->getEarlyExit().fullDepth = full != 0;
  return 0;
}

double loom_model_average_depth(loom_model *model) {
  if (!model)
    return 0;
  const ExitState &exits = model->session->getEarlyExit();
  return exits.tokens ? double(exits.iterations) / double(exits.tokens) : 0;
}

} // extern "C"
