//===- Builtins.cpp - The built-in layers ---------------------------------===//
//
// The table of built-in layers with their parameters, the matching of call
// arguments to parameters (shared with block parameters), and the checks and
// defaults that turn a declaration into a concrete `Layer`.
//
//===----------------------------------------------------------------------===//

#include "dsl/ElabImpl.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"

using namespace loom::dsl;
using namespace loom::dsl::detail;
using llvm::SMRange;
using llvm::StringRef;

llvm::StringRef loom::dsl::stringifyActivation(Activation act) {
  switch (act) {
  case Activation::Relu:
    return "relu";
  case Activation::Gelu:
    return "gelu";
  case Activation::GeluTanh:
    return "gelu_tanh";
  case Activation::Silu:
    return "silu";
  }
  return "unknown";
}

std::optional<Activation> loom::dsl::detail::parseActivation(StringRef name) {
  return llvm::StringSwitch<std::optional<Activation>>(name)
      .Case("relu", Activation::Relu)
      .Case("gelu", Activation::Gelu)
      .Case("gelu_tanh", Activation::GeluTanh)
      .Case("silu", Activation::Silu)
      .Default(std::nullopt);
}

llvm::ArrayRef<StringRef> loom::dsl::detail::getActivationNames() {
  static const StringRef names[] = {"relu", "gelu", "gelu_tanh", "silu"};
  return names;
}

//===----------------------------------------------------------------------===//
// Argument matching
//===----------------------------------------------------------------------===//

bool loom::dsl::detail::matchArgs(StringRef callee,
                                  llvm::ArrayRef<ParamSpec> params,
                                  const std::vector<Arg> &args,
                                  SMRange calleeRange, Reporter &rep,
                                  std::vector<const Arg *> &out) {
  out.assign(params.size(), nullptr);
  unsigned numPositional =
      llvm::count_if(params, [](const ParamSpec &p) { return p.positional; });
  llvm::StringMap<unsigned> index;
  for (size_t i = 0; i < params.size(); ++i)
    index.try_emplace(params[i].name, i);
  unsigned position = 0;
  bool ok = true;
  for (const Arg &arg : args) {
    if (!arg.isKeyword()) {
      if (position >= numPositional) {
        std::string names;
        for (const ParamSpec &p : params)
          if (p.positional)
            names += (names.empty() ? "" : ", ") + p.name.str();
        rep.error(arg.value->getRange(),
                  callee + " takes " +
                      (numPositional == 0
                           ? llvm::Twine("no positional arguments")
                           : "at most " + llvm::Twine(numPositional) +
                                 " positional argument" +
                                 (numPositional == 1 ? "" : "s") + " (" +
                                 names + ")") +
                      "; pass the others by name");
        return false;
      }
      out[position++] = &arg;
      continue;
    }
    auto it = index.find(arg.name);
    if (it == index.end()) {
      std::vector<StringRef> names;
      for (const ParamSpec &p : params)
        names.push_back(p.name);
      std::string hint = didYouMean(arg.name, names);
      if (hint.empty()) {
        hint = "; its parameters are ";
        for (size_t i = 0; i < params.size(); ++i)
          hint += (i ? ", " : "") + params[i].name.str();
        if (params.empty())
          hint = "; it takes no arguments";
      }
      rep.error(arg.nameRange,
                callee + " has no parameter '" + arg.name + "'" + hint);
      ok = false;
      continue;
    }
    unsigned i = it->second;
    if (out[i]) {
      rep.error(arg.nameRange, "argument '" + arg.name + "' of " + callee +
                                   " is given twice (positionally and by "
                                   "name)");
      ok = false;
      continue;
    }
    out[i] = &arg;
  }
  if (!ok)
    return false;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].required && !out[i]) {
      rep.error(calleeRange, callee + " is missing the required argument '" +
                                 params[i].name + "'");
      ok = false;
    }
  }
  return ok;
}

//===----------------------------------------------------------------------===//
// The table of built-in layers
//===----------------------------------------------------------------------===//

namespace {

enum class ParamType { Size, Number, Bool, String, Name, Layout, Act };

struct BuiltinParam {
  StringRef name;
  ParamType type;
  bool positional;
  bool required;
};

struct BuiltinDef {
  StringRef name;
  LayerKind kind;
  std::vector<BuiltinParam> params;
};

const std::vector<BuiltinDef> &getBuiltinTable() {
  using T = ParamType;
  static const std::vector<BuiltinDef> table = {
      {"Embedding",
       LayerKind::Embedding,
       {{"vocab", T::Size, true, true}, {"dim", T::Size, true, true}}},
      {"PositionalEmbedding",
       LayerKind::PositionalEmbedding,
       {{"max_positions", T::Size, true, true}, {"dim", T::Size, true, true}}},
      {"Linear",
       LayerKind::Linear,
       {{"in", T::Size, true, true},
        {"out", T::Size, true, true},
        {"bias", T::Bool, true, false},
        {"layout", T::Layout, false, false}}},
      {"LayerNorm",
       LayerKind::LayerNorm,
       {{"dim", T::Size, true, true},
        {"eps", T::Number, true, false},
        {"bias", T::Bool, true, false}}},
      {"RMSNorm",
       LayerKind::RMSNorm,
       {{"dim", T::Size, true, true}, {"eps", T::Number, true, false}}},
      {"Attention",
       LayerKind::Attention,
       {{"dim", T::Size, true, true},
        {"heads", T::Size, true, true},
        {"kv_heads", T::Size, true, false},
        {"head_dim", T::Size, false, false},
        {"causal", T::Bool, false, false},
        {"rope", T::Number, false, false},
        {"rope_interleaved", T::Bool, false, false},
        {"bias", T::Bool, false, false},
        {"out_bias", T::Bool, false, false},
        {"layout", T::Layout, false, false},
        {"qkv", T::String, false, false},
        {"q", T::Name, false, false},
        {"k", T::Name, false, false},
        {"v", T::Name, false, false},
        {"o", T::Name, false, false},
        {"qk_norm", T::Bool, false, false},
        {"qk_norm_eps", T::Number, false, false},
        {"window", T::Size, false, false}}},
      {"MLP",
       LayerKind::MLP,
       {{"dim", T::Size, true, true},
        {"hidden", T::Size, true, true},
        {"act", T::Act, true, false},
        {"bias", T::Bool, false, false},
        {"layout", T::Layout, false, false},
        {"up", T::Name, false, false},
        {"down", T::Name, false, false}}},
      {"MoE",
       LayerKind::MoE,
       {{"dim", T::Size, true, true},
        {"hidden", T::Size, true, true},
        {"experts", T::Size, true, true},
        {"top_k", T::Size, true, true},
        {"act", T::Act, true, false},
        {"renormalize", T::Bool, false, false},
        {"router", T::Name, false, false},
        {"expert_prefix", T::Name, false, false},
        {"gate", T::Name, false, false},
        {"up", T::Name, false, false},
        {"down", T::Name, false, false},
        {"shared", T::Size, false, false},
        {"shared_prefix", T::Name, false, false},
        {"shared_gate", T::String, false, false}}},
      {"GatedMLP",
       LayerKind::GatedMLP,
       {{"dim", T::Size, true, true},
        {"hidden", T::Size, true, true},
        {"act", T::Act, true, false},
        {"bias", T::Bool, false, false},
        {"layout", T::Layout, false, false},
        {"gate", T::Name, false, false},
        {"up", T::Name, false, false},
        {"down", T::Name, false, false}}},
      {"Param",
       LayerKind::Param,
       {{"d0", T::Size, true, true}, {"d1", T::Size, true, false}}},
  };
  return table;
}

const BuiltinDef *lookupBuiltinDef(StringRef name) {
  for (const BuiltinDef &def : getBuiltinTable())
    if (def.name == name)
      return &def;
  return nullptr;
}

/// The evaluated, type-checked arguments of one built-in layer declaration.
class BuiltinArgs {
public:
  BuiltinArgs(const BuiltinDef &def, const LayerDecl &decl, Reporter &rep)
      : def(def), decl(decl), rep(rep) {}

  /// Matches, evaluates and type-checks all arguments.
  bool bind(const ConstScope &scope, ConstEvaluator &eval);

  bool has(StringRef name) const { return values.count(name); }
  int64_t getInt(StringRef name, int64_t otherwise) const {
    auto it = values.find(name);
    return it == values.end() ? otherwise : it->second.intValue;
  }
  double getNumber(StringRef name, double otherwise) const {
    auto it = values.find(name);
    return it == values.end() ? otherwise : toDouble(it->second);
  }
  bool getBool(StringRef name, bool otherwise) const {
    auto it = values.find(name);
    return it == values.end() ? otherwise : it->second.boolValue;
  }
  std::string getString(StringRef name, StringRef otherwise) const {
    auto it = values.find(name);
    return it == values.end() ? otherwise.str() : it->second.stringValue;
  }
  /// Where argument `name` was written (the layer type when it was not).
  SMRange rangeOf(StringRef name) const {
    auto it = ranges.find(name);
    return it == ranges.end() ? decl.calleeRange : it->second;
  }
  /// Reports `msg` at argument `name` and returns false.
  bool fail(StringRef name, const llvm::Twine &msg) const {
    rep.error(rangeOf(name), "'" + decl.name + "' (" + def.name + "): " + msg);
    return false;
  }

private:
  bool check(const BuiltinParam &param, const Arg &arg, const ConstScope &scope,
             ConstEvaluator &eval);

  const BuiltinDef &def;
  const LayerDecl &decl;
  Reporter &rep;
  llvm::StringMap<ConfigValue> values;
  llvm::StringMap<SMRange> ranges;
};

} // namespace

bool BuiltinArgs::bind(const ConstScope &scope, ConstEvaluator &eval) {
  std::vector<ParamSpec> specs;
  for (const BuiltinParam &p : def.params)
    specs.push_back({p.name, p.positional, p.required});
  std::vector<const Arg *> matched;
  std::string callee = ("'" + def.name + "'").str();
  if (!matchArgs(callee, specs, decl.args, decl.calleeRange, rep, matched))
    return false;
  bool ok = true;
  for (size_t i = 0; i < def.params.size(); ++i)
    if (matched[i])
      ok &= check(def.params[i], *matched[i], scope, eval);
  return ok;
}

bool BuiltinArgs::check(const BuiltinParam &param, const Arg &arg,
                        const ConstScope &scope, ConstEvaluator &eval) {
  SMRange range = arg.value->getRange();
  ranges[param.name] = range;
  auto typeError = [&](const ConfigValue &value, const llvm::Twine &expected) {
    rep.error(range, "argument '" + param.name + "' of '" + def.name +
                         "' must be " + expected + ", but is " +
                         describeValue(value));
    return false;
  };

  // `act = silu`: an activation is written as a bare name.
  if (param.type == ParamType::Act) {
    if (const auto *ident = llvm::dyn_cast<IdentExpr>(arg.value.get())) {
      if (parseActivation(ident->getName())) {
        ConfigValue value;
        value.kind = ConfigValue::Kind::String;
        value.stringValue = ident->getName().str();
        values[param.name] = value;
        return true;
      }
      if (!scope.lookup(ident->getName())) {
        rep.error(range,
                  "unknown activation '" + ident->getName() + "'" +
                      didYouMean(ident->getName(), getActivationNames()) +
                      " (activations: relu, gelu, gelu_tanh, silu)");
        return false;
      }
    }
  }

  std::optional<ConfigValue> value = eval.eval(*arg.value, scope);
  if (!value)
    return false;
  switch (param.type) {
  case ParamType::Size:
    if (value->kind != ConfigValue::Kind::Int || value->intValue <= 0)
      return typeError(*value, "a positive integer");
    break;
  case ParamType::Number:
    if (!isNumber(*value))
      return typeError(*value, "a number");
    break;
  case ParamType::Bool:
    if (value->kind != ConfigValue::Kind::Bool)
      return typeError(*value, "true or false");
    break;
  case ParamType::String:
    if (value->kind != ConfigValue::Kind::String)
      return typeError(*value, "a string");
    break;
  case ParamType::Name:
    if (value->kind != ConfigValue::Kind::String || value->stringValue.empty())
      return typeError(*value, "a non-empty string");
    break;
  case ParamType::Layout:
    if (value->kind != ConfigValue::Kind::String ||
        (value->stringValue != "out_in" && value->stringValue != "in_out"))
      return typeError(*value, "\"out_in\" or \"in_out\"");
    break;
  case ParamType::Act:
    if (value->kind != ConfigValue::Kind::String ||
        !parseActivation(value->stringValue))
      return typeError(*value, "an activation (relu, gelu, gelu_tanh, silu)");
    break;
  }
  values[param.name] = *value;
  return true;
}

llvm::ArrayRef<StringRef> loom::dsl::detail::getBuiltinNames() {
  static const std::vector<StringRef> names = [] {
    std::vector<StringRef> result;
    for (const BuiltinDef &def : getBuiltinTable())
      result.push_back(def.name);
    return result;
  }();
  return names;
}

bool loom::dsl::detail::isBuiltin(StringRef name) {
  return lookupBuiltinDef(name) != nullptr;
}

static bool buildAttention(const BuiltinArgs &args, AttentionSpec &spec) {
  spec.dim = args.getInt("dim", 0);
  spec.heads = args.getInt("heads", 0);
  spec.kvHeads = args.getInt("kv_heads", spec.heads);
  if (spec.kvHeads > spec.heads)
    return args.fail("kv_heads", "kv_heads (" + llvm::Twine(spec.kvHeads) +
                                     ") must not exceed heads (" +
                                     llvm::Twine(spec.heads) + ")");
  if (spec.heads % spec.kvHeads != 0)
    return args.fail("kv_heads", "heads (" + llvm::Twine(spec.heads) +
                                     ") must be a multiple of kv_heads (" +
                                     llvm::Twine(spec.kvHeads) + ")");
  if (args.has("head_dim")) {
    spec.headDim = args.getInt("head_dim", 0);
  } else {
    if (spec.dim % spec.heads != 0)
      return args.fail("heads", "dim (" + llvm::Twine(spec.dim) +
                                    ") is not divisible by heads (" +
                                    llvm::Twine(spec.heads) +
                                    "); pass head_dim explicitly");
    spec.headDim = spec.dim / spec.heads;
  }
  spec.causal = args.getBool("causal", true);
  if (args.has("rope")) {
    double theta = args.getNumber("rope", 0);
    if (!(theta > 0))
      return args.fail("rope", "the RoPE base 'rope' must be positive");
    if (spec.headDim % 2 != 0)
      return args.fail("rope", "RoPE needs an even head_dim, but head_dim is " +
                                   llvm::Twine(spec.headDim));
    spec.ropeTheta = theta;
  }
  spec.ropeInterleaved = args.getBool("rope_interleaved", false);
  if (spec.ropeInterleaved && !spec.ropeTheta)
    return args.fail("rope_interleaved",
                     "'rope_interleaved' needs RoPE: give 'rope' its base");
  spec.qkvBias = args.getBool("bias", false);
  spec.outBias = args.getBool("out_bias", spec.qkvBias);
  spec.transposed = args.getString("layout", "out_in") == "in_out";
  spec.qkv = args.getString("qkv", "");
  for (StringRef sub : {"q", "k", "v"})
    if (!spec.qkv.empty() && args.has(sub))
      return args.fail(sub, "'" + sub +
                                "' cannot be combined with a fused 'qkv' "
                                "projection");
  spec.q = args.getString("q", "q_proj");
  spec.k = args.getString("k", "k_proj");
  spec.v = args.getString("v", "v_proj");
  spec.o = args.getString("o", "o_proj");
  spec.qkNorm = args.getBool("qk_norm", false);
  if (args.has("qk_norm_eps")) {
    if (!spec.qkNorm)
      return args.fail("qk_norm_eps", "'qk_norm_eps' is the epsilon of "
                                      "qk-norm: add 'qk_norm = true'");
    spec.qkNormEps = args.getNumber("qk_norm_eps", 0);
    if (!(spec.qkNormEps >= 0))
      return args.fail("qk_norm_eps", "'qk_norm_eps' must not be negative");
  }
  if (args.has("window")) {
    if (!spec.causal)
      return args.fail("window", "a sliding 'window' limits how far back a "
                                 "token looks and needs causal attention");
    spec.window = args.getInt("window", 0);
  }
  return true;
}

bool loom::dsl::detail::buildBuiltinLayer(const LayerDecl &decl,
                                          const ConstScope &scope,
                                          ConstEvaluator &eval, Reporter &rep,
                                          Layer &layer) {
  const BuiltinDef *def = lookupBuiltinDef(decl.callee);
  if (!def)
    return false;
  layer.kind = def->kind;
  BuiltinArgs args(*def, decl, rep);
  if (!args.bind(scope, eval))
    return false;
  switch (def->kind) {
  case LayerKind::Embedding:
    layer.embedding.vocab = args.getInt("vocab", 0);
    layer.embedding.dim = args.getInt("dim", 0);
    return true;
  case LayerKind::PositionalEmbedding:
    layer.embedding.vocab = args.getInt("max_positions", 0);
    layer.embedding.dim = args.getInt("dim", 0);
    return true;
  case LayerKind::Linear:
    layer.linear.in = args.getInt("in", 0);
    layer.linear.out = args.getInt("out", 0);
    layer.linear.bias = args.getBool("bias", true);
    layer.linear.transposed = args.getString("layout", "out_in") == "in_out";
    return true;
  case LayerKind::LayerNorm:
  case LayerKind::RMSNorm: {
    bool isLayerNorm = def->kind == LayerKind::LayerNorm;
    layer.norm.dim = args.getInt("dim", 0);
    layer.norm.eps = args.getNumber("eps", isLayerNorm ? 1e-5 : 1e-6);
    layer.norm.bias = isLayerNorm && args.getBool("bias", true);
    if (!(layer.norm.eps > 0))
      return args.fail("eps", "eps must be positive");
    return true;
  }
  case LayerKind::Attention:
    return buildAttention(args, layer.attention);
  case LayerKind::MLP:
  case LayerKind::GatedMLP: {
    bool gated = def->kind == LayerKind::GatedMLP;
    MLPSpec &spec = layer.mlp;
    spec.dim = args.getInt("dim", 0);
    spec.hidden = args.getInt("hidden", 0);
    spec.act = *parseActivation(args.getString("act", gated ? "silu" : "gelu"));
    spec.bias = args.getBool("bias", !gated);
    spec.transposed = args.getString("layout", "out_in") == "in_out";
    spec.gate = args.getString("gate", "gate_proj");
    spec.up = args.getString("up", "up_proj");
    spec.down = args.getString("down", "down_proj");
    return true;
  }
  case LayerKind::MoE: {
    MoESpec &spec = layer.moe;
    spec.dim = args.getInt("dim", 0);
    spec.hidden = args.getInt("hidden", 0);
    spec.experts = args.getInt("experts", 0);
    spec.topK = args.getInt("top_k", 0);
    if (spec.topK > spec.experts)
      return args.fail("top_k", "top_k (" + llvm::Twine(spec.topK) +
                                    ") must not exceed experts (" +
                                    llvm::Twine(spec.experts) + ")");
    spec.act = *parseActivation(args.getString("act", "silu"));
    spec.renormalize = args.getBool("renormalize", true);
    spec.router = args.getString("router", "gate");
    spec.expertPrefix = args.getString("expert_prefix", "experts");
    spec.gate = args.getString("gate", "w1");
    spec.up = args.getString("up", "w3");
    spec.down = args.getString("down", "w2");
    for (StringRef name : {"shared_prefix", "shared_gate"})
      if (args.has(name) && !args.has("shared"))
        return args.fail(name, "'" + name +
                                   "' names a shared expert's tensors: give "
                                   "its hidden size with 'shared'");
    spec.sharedHidden = args.has("shared") ? args.getInt("shared", 0) : 0;
    spec.sharedPrefix = args.getString("shared_prefix", "shared_expert");
    spec.sharedGate = args.getString("shared_gate", "shared_expert_gate");
    return true;
  }
  case LayerKind::Param:
    if (args.has("d1")) {
      layer.param.rows = args.getInt("d0", 0);
      layer.param.width = args.getInt("d1", 0);
    } else {
      layer.param.width = args.getInt("d0", 0);
    }
    return true;
  case LayerKind::Block:
    break;
  }
  return false;
}
