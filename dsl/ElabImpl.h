//===- ElabImpl.h - Internals of Loom elaboration ---------------*- C++ -*-===//
//
// Shared by Elab.cpp (files, imports, models, blocks, layers), ConfigEval.cpp
// (constant expressions), Builtins.cpp (the built-in layers) and Forward.cpp
// (forward bodies). Not part of the public interface of LoomDSL.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DSL_ELABIMPL_H
#define LOOM_DSL_ELABIMPL_H

#include "dsl/AST.h"
#include "dsl/Diagnostics.h"
#include "dsl/Elab.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Twine.h"

#include <set>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace loom::dsl::detail {

//===----------------------------------------------------------------------===//
// Reporting
//===----------------------------------------------------------------------===//

/// Forwards diagnostics to a DiagnosticEngine, dropping exact repeats (same
/// location and message), which arise when a block is instantiated several
/// times. A note is dropped with the diagnostic it belongs to.
class Reporter {
public:
  explicit Reporter(DiagnosticEngine &diags) : diags(diags) {}

  void error(llvm::SMLoc loc, const llvm::Twine &msg,
             llvm::ArrayRef<llvm::SMRange> ranges = {});
  void error(llvm::SMRange range, const llvm::Twine &msg) {
    error(range.Start, msg, {range});
  }
  void warning(llvm::SMLoc loc, const llvm::Twine &msg,
               llvm::ArrayRef<llvm::SMRange> ranges = {});
  void note(llvm::SMLoc loc, const llvm::Twine &msg);
  /// Errors so far, including dropped repeats.
  unsigned getNumErrors() const { return numErrors; }
  DiagnosticEngine &getEngine() { return diags; }

private:
  bool isNew(llvm::SMLoc loc, const std::string &msg);

  DiagnosticEngine &diags;
  std::set<std::pair<const char *, std::string>> seen;
  bool lastDropped = false;
  unsigned numErrors = 0;
};

/// Returns "; did you mean 'x'?" for the candidate closest to `name`, or ""
/// when none is close enough.
std::string didYouMean(llvm::StringRef name,
                       llvm::ArrayRef<llvm::StringRef> candidates);

//===----------------------------------------------------------------------===//
// Constant values and expressions
//===----------------------------------------------------------------------===//

/// "integer", "number", "bool" or "string".
llvm::StringRef describeKind(ConfigValue::Kind kind);
/// The value as written in the language: `768`, `1e-05`, `true`, `"x"`.
std::string formatValue(const ConfigValue &value);
/// E.g. "integer 768" or "string \"x\"".
std::string describeValue(const ConfigValue &value);
ConfigValue makeInt(int64_t v, llvm::SMRange range = {});
ConfigValue makeFloat(double v, llvm::SMRange range = {});
/// The numeric value of an int or float.
double toDouble(const ConfigValue &value);
bool isNumber(const ConfigValue &value);

/// Parses the value of a command-line override `name=value`: an integer, a
/// float, `true`/`false`, a quoted string or a bare word (a string).
std::optional<ConfigValue> parseOverrideValue(llvm::StringRef text);

/// Names visible to constant expressions: the config of a model, or the
/// parameters of a file-level block.
struct ConstScope {
  /// "config entry" or "parameter of block 'X'".
  std::string what;
  llvm::StringMap<ConfigValue> values;
  /// Names in definition order, for suggestions.
  std::vector<std::string> order;
  /// Declared but not yet defined (later config entries).
  llvm::StringSet<> later;
  /// Names whose definition failed; uses are silently invalid.
  llvm::StringSet<> poisoned;

  void define(llvm::StringRef name, ConfigValue value) {
    values[name] = std::move(value);
    order.push_back(name.str());
  }
  const ConfigValue *lookup(llvm::StringRef name) const {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  }
};

/// Evaluates constant expressions (config entries, layer arguments, counts).
class ConstEvaluator {
public:
  explicit ConstEvaluator(Reporter &rep) : rep(rep) {}

  /// Evaluates `expr` in `scope`; reports and returns nullopt on error.
  std::optional<ConfigValue> eval(const Expr &expr, const ConstScope &scope,
                                  unsigned depth = 0);
  /// Applies `lhs op rhs` to two constants. Integers stay integers (and
  /// must divide exactly); any float operand makes a float.
  std::optional<ConfigValue> applyBinary(char op, const ConfigValue &lhs,
                                         const ConfigValue &rhs,
                                         llvm::SMLoc opLoc,
                                         llvm::SMRange range);
  std::optional<ConfigValue> negate(const ConfigValue &value,
                                    llvm::SMRange range);
  /// Evaluates `expr` to a positive integer (a size or count); `what`
  /// describes it in errors ("the stack count of 'blocks'").
  std::optional<int64_t> evalPositiveInt(const Expr &expr,
                                         const ConstScope &scope,
                                         const llvm::Twine &what);

private:
  Reporter &rep;
};

//===----------------------------------------------------------------------===//
// Arguments and built-in layers
//===----------------------------------------------------------------------===//

/// A parameter of something called with arguments (built-in layer, block).
struct ParamSpec {
  llvm::StringRef name;
  /// May be given positionally (else keyword-only).
  bool positional = true;
  bool required = true;
};

/// Matches `args` to `params`: `out[i]` is the argument for `params[i]` or
/// null. `callee` names the callee in errors ("'Linear'", "block 'B'").
bool matchArgs(llvm::StringRef callee, llvm::ArrayRef<ParamSpec> params,
               const std::vector<Arg> &args, llvm::SMRange calleeRange,
               Reporter &rep, std::vector<const Arg *> &out);

/// Parses an activation name (`relu`, `gelu`, `gelu_tanh`, `silu`).
std::optional<Activation> parseActivation(llvm::StringRef name);
/// The names of all activation functions.
llvm::ArrayRef<llvm::StringRef> getActivationNames();

/// The built-in layer types' names: `Embedding`, `Linear`, ...
llvm::ArrayRef<llvm::StringRef> getBuiltinNames();
/// True if `name` is a built-in layer type.
bool isBuiltin(llvm::StringRef name);
/// Builds `layer` (kind and spec) from the declaration of a built-in layer
/// `decl.callee`, evaluating arguments in `scope`. Returns false on error.
bool buildBuiltinLayer(const LayerDecl &decl, const ConstScope &scope,
                       ConstEvaluator &eval, Reporter &rep, Layer &layer);

//===----------------------------------------------------------------------===//
// Values of forward bodies
//===----------------------------------------------------------------------===//

/// The type of a tensor value in a forward body.
struct ValueType {
  using Kind = ValueKind;
  Kind kind = Kind::Features;
  int64_t width = 0;
  /// Rows of a matrix.
  int64_t rows = 0;

  static ValueType ids() { return {Kind::Ids, 0}; }
  static ValueType features(int64_t w) { return {Kind::Features, w}; }
  static ValueType row(int64_t w) { return {Kind::Row, w}; }
  static ValueType matrix(int64_t r, int64_t w) { return {Kind::Matrix, w, r}; }
  static ValueType heads(Kind kind, int64_t h, int64_t w) {
    return {kind, w, h};
  }
  bool operator==(const ValueType &o) const {
    return kind == o.kind && width == o.width && rows == o.rows;
  }
  bool operator!=(const ValueType &o) const { return !(*this == o); }
};

/// "token ids [seq]", "[seq, 768]", "a row [768]", "a matrix [64, 768]",
/// "heads [12, seq, 64]", ...
std::string describeType(const ValueType &type);
ValueType typeOf(const Node &node);

//===----------------------------------------------------------------------===//
// The elaborator
//===----------------------------------------------------------------------===//

/// What a layer of a body refers to, beyond its elaborated `Layer`.
struct BodyLayer {
  const LayerDecl *decl = nullptr;
  /// The declaration failed to elaborate; uses are silently invalid.
  bool failed = false;
  bool used = false;
  /// For block layers: the block and its parameter values.
  const BlockDecl *block = nullptr;
  std::vector<std::pair<std::string, ConfigValue>> blockArgs;
  /// Input types of the first call of a block layer.
  std::vector<ValueType> inputTypes;
};

/// The layers and forward of a model or block instance under elaboration.
struct Body {
  /// "model 'Llama'" or "block 'Decoder'".
  std::string owner;
  const ConstScope *scope = nullptr;
  /// The model whose nested blocks are visible; null in file-level blocks.
  const ModelDecl *model = nullptr;
  std::vector<Layer> layers;
  std::vector<BodyLayer> info;
  llvm::StringMap<unsigned> layerIndex;
};

/// Elaborates one model; see `elaborate` in Elab.h.
class Elaborator {
public:
  Elaborator(llvm::SourceMgr &srcMgr, const ElabOptions &options,
             DiagnosticEngine &diags)
      : srcMgr(srcMgr), options(options), rep(diags), eval(rep) {}

  std::unique_ptr<Model> run(unsigned mainBufferId);

  // Files and imports (Elab.cpp).
  bool loadFile(unsigned bufferId, const std::string &path);
  std::string canonicalPath(llvm::StringRef path);

  // Models, config, blocks (Elab.cpp).
  const ModelDecl *selectModel();
  bool collectBlocks(const ModelDecl &model);
  bool checkRecursion(const ModelDecl &model);
  bool evalConfig(const ModelDecl &decl, Model &result);
  const BlockDecl *lookupBlock(llvm::StringRef name,
                               const ModelDecl *model) const;
  void elabLayers(const std::vector<LayerDecl> &decls, Body &body);
  bool elabBlockLayer(const LayerDecl &decl, const BlockDecl &block, Body &body,
                      Layer &layer, BodyLayer &info);
  bool checkBinding(const LayerDecl &decl, const Layer &layer);
  /// Reads `exit(gate = NAME | converge, threshold = T)` into `layer`; the
  /// gate's name is resolved when the loop is called.
  bool elabExit(const LayerDecl &decl, Body &body, Layer &layer);
  /// Reads `unshared(a, b, ...)` into `layer`; the names are resolved when
  /// the loop is called (against the instantiated block).
  bool elabUnshared(const LayerDecl &decl, const Body &body, Layer &layer);
  /// Instantiates `decl` for the given parameters and input types.
  const Block *
  instantiate(const BlockDecl &decl,
              const std::vector<std::pair<std::string, ConfigValue>> &params,
              const std::vector<ValueType> &inputs, llvm::SMRange useRange);
  /// Warns about unused layers and drops unused block layers (which have no
  /// input type to be instantiated with). Unused layers are not reported
  /// when `warnUnused` is false (after errors, which may cause them).
  void finishBody(Body &body, Forward &forward, bool warnUnused);

  // Forward bodies (Forward.cpp).
  bool elabForward(const ForwardDecl &decl, Body &body,
                   llvm::ArrayRef<ValueType> inputs, Forward &forward);

  llvm::SourceMgr &srcMgr;
  const ElabOptions &options;
  Reporter rep;
  ConstEvaluator eval;

  std::vector<std::unique_ptr<File>> files;
  /// Loaded files, each after the files it imports.
  std::vector<const File *> filesPostOrder;
  /// Canonical path -> loaded file.
  llvm::StringMap<const File *> filesByPath;
  /// Canonical paths of the files being loaded (for import cycles).
  std::vector<std::string> importStack;

  /// File-level blocks of all loaded files.
  llvm::StringMap<const BlockDecl *> globalBlocks;
  /// Blocks nested in the selected model.
  llvm::StringMap<const BlockDecl *> modelBlocks;

  const ModelDecl *modelDecl = nullptr;
  Model *result = nullptr;
  ConstScope modelScope;
  /// Instantiated blocks by key (declaration, parameter values, input
  /// types); null for failed instantiations.
  llvm::StringMap<const Block *> instances;
  llvm::StringSet<> blockNames;
  std::vector<const BlockDecl *> instStack;
};

} // namespace loom::dsl::detail

#endif // LOOM_DSL_ELABIMPL_H
