//===- Forward.cpp - Checking forward bodies ------------------------------===//
//
// Turns a `forward` body into a typed dataflow graph (Forward). Every value
// is token ids [seq], features [seq, width], a row [width] (an embedding row
// or a vector Param, which broadcasts over the sequence), a matrix
// [rows, width] (a matrix Param, for matmul), or a constant (a number).
// Layer calls check their input's type; block layers are instantiated here,
// with the types of their inputs. Elementwise operators and functions
// broadcast as NumPy does; reductions keep the reduced last axis as 1.
//
//===----------------------------------------------------------------------===//

#include "dsl/ElabImpl.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace loom::dsl;
using namespace loom::dsl::detail;
using llvm::SMRange;
using llvm::StringRef;

namespace {

/// The elementwise math functions, by name.
std::optional<MathFn> parseMathFn(StringRef name) {
  return llvm::StringSwitch<std::optional<MathFn>>(name)
      .Case("exp", MathFn::Exp)
      .Case("log", MathFn::Log)
      .Case("tanh", MathFn::Tanh)
      .Case("sigmoid", MathFn::Sigmoid)
      .Case("sqrt", MathFn::Sqrt)
      .Case("rsqrt", MathFn::Rsqrt)
      .Case("abs", MathFn::Abs)
      .Case("sin", MathFn::Sin)
      .Case("cos", MathFn::Cos)
      .Default(std::nullopt);
}

/// Functions of forward bodies other than activations: math functions,
/// `sum`/`mean`/`vector_norm` and `max`/`min` (reductions with one input,
/// elementwise with two), `pow`, `softmax`, `matmul` and `transpose`, and
/// the parts of an attention written out (`split_heads`, `merge_heads`,
/// `rope`, `causal`, `window`, `tril`), and mixing along the sequence
/// (`cumsum`, `positions`), `arange`, `topk` and `gather`.
llvm::ArrayRef<StringRef> getFunctionNames() {
  static const StringRef names[] = {
      "exp",     "log",    "tanh",        "sigmoid",     "sqrt",
      "rsqrt",   "abs",    "sum",         "mean",        "max",
      "min",     "pow",    "matmul",      "transpose",   "vector_norm",
      "softmax", "rope",   "split_heads", "merge_heads", "causal",
      "window",  "concat", "slice",       "split",       "rope_interleaved",
      "cumsum",  "tril",   "positions",   "sin",         "cos",
      "arange",  "topk",   "gather"};
  return names;
}

bool isFunction(StringRef name) {
  return llvm::is_contained(getFunctionNames(), name);
}

/// A value in a forward body.
struct FValue {
  enum class Kind { Invalid, Tensor, Const, Tuple };
  Kind kind = Kind::Invalid;
  /// The node of a tensor.
  unsigned node = 0;
  /// The nodes of the values of a block that returns several.
  llvm::SmallVector<unsigned, 2> nodes;
  /// The value of a constant.
  ConfigValue value;

  static FValue invalid() { return {}; }
  static FValue tensor(unsigned node) {
    FValue v;
    v.kind = Kind::Tensor;
    v.node = node;
    return v;
  }
  static FValue constant(ConfigValue value) {
    FValue v;
    v.kind = Kind::Const;
    v.value = std::move(value);
    return v;
  }
  static FValue tuple(llvm::ArrayRef<unsigned> nodes) {
    FValue v;
    v.kind = Kind::Tuple;
    v.nodes.assign(nodes.begin(), nodes.end());
    return v;
  }
  bool isInvalid() const { return kind == Kind::Invalid; }
  bool isTuple() const { return kind == Kind::Tuple; }
  bool isTensor() const { return kind == Kind::Tensor; }
  bool isConst() const { return kind == Kind::Const; }
};

class ForwardBuilder {
public:
  ForwardBuilder(Elaborator &elab, Body &body, Forward &forward)
      : elab(elab), rep(elab.rep), body(body), forward(forward) {}

  bool build(const ForwardDecl &decl, llvm::ArrayRef<ValueType> inputs);

private:
  FValue evalExpr(const Expr &expr, unsigned depth);
  FValue evalIdent(const IdentExpr &expr);
  FValue evalBinary(const BinaryExpr &expr, unsigned depth);
  FValue evalCall(const CallExpr &expr, unsigned depth);
  FValue callLayer(unsigned index, const CallExpr &call,
                   llvm::ArrayRef<FValue> args);
  FValue callBuiltin(unsigned index, const CallExpr &call, const FValue &arg);
  FValue callFunction(const CallExpr &call, llvm::ArrayRef<FValue> args);
  /// Where argument `i` of `call` is written.
  static SMRange argRangeOf(const CallExpr &call, size_t i) {
    return call.getArgs()[i].value->getRange();
  }
  /// Reports `msg` at `range`; an invalid value.
  FValue failAt(SMRange range, const llvm::Twine &msg) {
    rep.error(range, msg);
    return FValue::invalid();
  }
  /// True if `value` is a tensor of one of `kinds`; else reports "WHAT,
  /// but got ..." at `range`.
  bool expectKind(const FValue &value, llvm::ArrayRef<ValueType::Kind> kinds,
                  SMRange range, const llvm::Twine &what) {
    if (value.isTensor() && llvm::is_contained(kinds, typeOfValue(value).kind))
      return true;
    rep.error(range, what + ", but got " + describe(value));
    return false;
  }
  /// `fn(input)` on a number, computed now.
  FValue foldMath(MathFn fn, const CallExpr &call, const ConfigValue &input);
  FValue evalName(StringRef name, SMRange range);
  FValue evalIndex(const IndexExpr &expr, unsigned depth);
  /// `lhs op rhs` for an elementwise `op` (Add, Sub, Mul, Div, Max, Min,
  /// Pow), broadcasting; `what` starts the error ("cannot add").
  FValue combine(Node::Op op, FValue lhs, FValue rhs, SMRange range,
                 llvm::SMLoc at, const llvm::Twine &what);
  /// A [1] tensor holding the number `value`.
  FValue constantTensor(const ConfigValue &value, SMRange range);
  /// `reduction(x)` over the last axis: x must be features, a row or heads.
  FValue reduce(Reduction reduction, const CallExpr &call,
                llvm::ArrayRef<FValue> args);
  /// `concat`, `slice` and `split` along the last axis.
  FValue callPieces(const CallExpr &call, llvm::ArrayRef<FValue> args);
  /// `softmax` and the parts of an attention written out.
  FValue callHeadsFunction(const CallExpr &call, llvm::ArrayRef<FValue> args);
  /// `matmul(a, b)` for every kind of `a` and `b`.
  FValue matmul(const CallExpr &call, llvm::ArrayRef<FValue> args);
  /// `matmul(p, v)` with `p` softmax weights of scores: the attention that
  /// led to `p`, recognized as one op.
  FValue attend(const CallExpr &call, const FValue &probs, const FValue &v);
  /// `matmul(t, v)` with `t` scores with the future zeroed (`tril`): the
  /// causal linear attention that led to `t`, recognized as one op.
  FValue linearAttend(const CallExpr &call, const FValue &masked,
                      const FValue &v);
  /// `cumsum(x)` and `positions(x)`: along the sequence.
  FValue callSequenceFunction(const CallExpr &call,
                              llvm::ArrayRef<FValue> args);
  FValue callBlock(unsigned index, const CallExpr &call,
                   llvm::ArrayRef<FValue> args);
  /// Finds the exit gate of adaptive loop `loop` (whose result is `output`)
  /// among the body's layers and checks that it is a `Linear(width, 1)`.
  bool resolveExitGate(Layer &loop, const ValueType &output);
  /// Resolves the names of `unshared(...)` of loop `loop` against its
  /// instantiated block.
  bool resolveUnshared(Layer &loop);

  unsigned addNode(Node node) {
    forward.nodes.push_back(std::move(node));
    return forward.nodes.size() - 1;
  }
  FValue addTensor(Node::Op op, SMRange range, ValueType type) {
    Node node;
    node.op = op;
    node.range = range;
    node.kind = type.kind;
    node.width = type.width;
    node.rows = type.rows;
    return FValue::tensor(addNode(std::move(node)));
  }
  ValueType typeOfValue(const FValue &value) const {
    return typeOf(forward.nodes[value.node]);
  }
  std::string describe(const FValue &value) const {
    if (value.isTuple())
      return std::to_string(value.nodes.size()) + " values";
    return value.isConst() ? describeValue(value.value)
                           : describeType(typeOfValue(value));
  }
  /// What `name` is, if it is not a local: "a layer", "a config entry", ...
  std::string describeName(StringRef name) const;
  std::vector<StringRef> visibleNames() const;

  Elaborator &elab;
  Reporter &rep;
  Body &body;
  Forward &forward;
  llvm::StringMap<FValue> locals;
  /// The call whose several values a statement assigns (`a, b = f(x)`).
  const Expr *tupleCall = nullptr;
};

} // namespace

std::string ForwardBuilder::describeName(StringRef name) const {
  if (body.layerIndex.count(name))
    return "a layer";
  if (body.scope->lookup(name) || body.scope->poisoned.contains(name))
    return "a " + body.scope->what;
  if (parseActivation(name))
    return "an activation function";
  return "";
}

std::vector<StringRef> ForwardBuilder::visibleNames() const {
  std::vector<StringRef> names;
  for (const auto &entry : locals)
    names.push_back(entry.getKey());
  for (const auto &entry : body.layerIndex)
    names.push_back(entry.getKey());
  for (const std::string &name : body.scope->order)
    names.push_back(name);
  for (StringRef act : getActivationNames())
    names.push_back(act);
  for (StringRef fn : getFunctionNames())
    names.push_back(fn);
  return names;
}

bool ForwardBuilder::build(const ForwardDecl &decl,
                           llvm::ArrayRef<ValueType> inputs) {
  unsigned errorsBefore = rep.getNumErrors();
  for (size_t i = 0; i < decl.params.size(); ++i) {
    const ForwardDecl::Param &param = decl.params[i];
    if (param.width && llvm::StringRef(body.owner).starts_with("block"))
      rep.error(param.width->getRange(),
                "only the model's forward declares its input's width; a "
                "block's inputs take the widths of what it is called with");
    ValueType type = i < inputs.size() ? inputs[i] : ValueType::ids();
    std::string what = describeName(param.name);
    if (!what.empty())
      rep.error(param.range, "forward parameter '" + param.name +
                                 "' has the same name as " + what);
    Forward::Input input;
    input.name = param.name;
    input.isIds = type.kind == ValueType::Kind::Ids;
    input.width = type.width;
    forward.inputs.push_back(input);
    FValue value = addTensor(Node::Op::Input, param.range, type);
    forward.nodes[value.node].input = i;
    // A clashing parameter is poisoned so its uses report nothing more.
    locals[param.name] = what.empty() ? value : FValue::invalid();
  }

  const Stmt *returnStmt = nullptr;
  for (const Stmt &stmt : decl.body) {
    if (returnStmt) {
      rep.error(stmt.range, "statement after 'return' is never executed");
      break;
    }
    if (stmt.kind == Stmt::Kind::Assign) {
      std::vector<std::pair<std::string, SMRange>> targets = {
          {stmt.target, stmt.targetRange}};
      llvm::append_range(targets, stmt.moreTargets);
      bool clash = false;
      for (const auto &[target, range] : targets) {
        std::string what = describeName(target);
        if (!what.empty() && !locals.count(target)) {
          rep.error(range, "cannot assign to '" + target + "': it is " + what);
          clash = true;
        }
      }
      if (clash)
        continue;
      if (targets.size() > 1)
        tupleCall = stmt.value.get();
      FValue value = evalExpr(*stmt.value, 0);
      tupleCall = nullptr;
      if (targets.size() == 1) {
        locals[stmt.target] = value;
        continue;
      }
      size_t count = value.isTuple() ? value.nodes.size() : 1;
      if (!value.isInvalid() && count != targets.size()) {
        rep.error(stmt.value->getRange(),
                  "this is " + llvm::Twine(count) + " value" +
                      (count == 1 ? "" : "s") + ", but " +
                      llvm::Twine(targets.size()) + " names are assigned");
        value = FValue::invalid();
      }
      for (size_t i = 0; i < targets.size(); ++i)
        locals[targets[i].first] = value.isInvalid()
                                       ? FValue::invalid()
                                       : FValue::tensor(value.nodes[i]);
      continue;
    }
    returnStmt = &stmt;
    std::vector<const Expr *> returned = {stmt.value.get()};
    for (const ExprPtr &more : stmt.moreValues)
      returned.push_back(more.get());
    if (returned.size() > 1 &&
        llvm::StringRef(body.owner).starts_with("model")) {
      rep.error(stmt.moreValues.front()->getRange(),
                "the forward of " + body.owner +
                    " returns one tensor (the logits or features), but "
                    "returns " +
                    llvm::Twine(returned.size()));
      continue;
    }
    forward.results.clear();
    for (const Expr *expr : returned) {
      FValue value = evalExpr(*expr, 0);
      if (value.isInvalid())
        continue;
      if (value.isTuple() || value.isConst() ||
          typeOfValue(value).kind != ValueType::Kind::Features) {
        rep.error(expr->getRange(),
                  "'forward' must return a [seq, N] tensor of features, but "
                  "this is " +
                      describe(value));
        continue;
      }
      forward.results.push_back(value.node);
    }
    if (!forward.results.empty())
      forward.result = forward.results.front();
  }
  if (!returnStmt)
    rep.error(decl.range.Start,
              "'forward' of " + body.owner + " has no 'return'",
              {SMRange(decl.range.Start, decl.range.Start)});
  return rep.getNumErrors() == errorsBefore;
}

FValue ForwardBuilder::evalExpr(const Expr &expr, unsigned depth) {
  if (depth > 4 * 256) {
    rep.error(expr.getRange(), "expression is nested too deeply");
    return FValue::invalid();
  }
  switch (expr.getKind()) {
  case Expr::Kind::Int:
  case Expr::Kind::Float:
  case Expr::Kind::Bool:
  case Expr::Kind::String: {
    std::optional<ConfigValue> value = elab.eval.eval(expr, *body.scope);
    return value ? FValue::constant(*value) : FValue::invalid();
  }
  case Expr::Kind::Ident:
    return evalIdent(llvm::cast<IdentExpr>(expr));
  case Expr::Kind::Unary: {
    const auto &unary = llvm::cast<UnaryExpr>(expr);
    FValue operand = evalExpr(unary.getOperand(), depth + 1);
    if (operand.isInvalid())
      return operand;
    if (operand.isTensor()) {
      ValueType type = typeOfValue(operand);
      if (type.kind != ValueType::Kind::Features &&
          type.kind != ValueType::Kind::Row &&
          type.kind != ValueType::Kind::Heads) {
        rep.error(expr.getRange(), "cannot negate " + describeType(type));
        return FValue::invalid();
      }
      FValue result = addTensor(Node::Op::Math, expr.getRange(), type);
      forward.nodes[result.node].fn = MathFn::Neg;
      forward.nodes[result.node].operands = {operand.node};
      return result;
    }
    std::optional<ConfigValue> value =
        elab.eval.negate(operand.value, expr.getRange());
    return value ? FValue::constant(*value) : FValue::invalid();
  }
  case Expr::Kind::Binary:
    return evalBinary(llvm::cast<BinaryExpr>(expr), depth);
  case Expr::Kind::Call:
    return evalCall(llvm::cast<CallExpr>(expr), depth);
  case Expr::Kind::Index:
    return evalIndex(llvm::cast<IndexExpr>(expr), depth);
  }
  return FValue::invalid();
}

FValue ForwardBuilder::evalIdent(const IdentExpr &expr) {
  return evalName(expr.getName(), expr.getRange());
}

FValue ForwardBuilder::evalName(StringRef name, SMRange range) {
  auto local = locals.find(name);
  if (local != locals.end())
    return local->second;
  auto layerIt = body.layerIndex.find(name);
  if (layerIt != body.layerIndex.end()) {
    unsigned index = layerIt->second;
    const Layer &layer = body.layers[index];
    if (layer.kind == LayerKind::Param) {
      body.info[index].used = true;
      if (body.info[index].failed)
        return FValue::invalid();
      const ParamLayerSpec &spec = layer.param;
      FValue result =
          addTensor(Node::Op::Param, range,
                    spec.rows ? ValueType::matrix(spec.rows, spec.width)
                              : ValueType::row(spec.width));
      forward.nodes[result.node].layer = index;
      return result;
    }
    rep.error(range, "layer '" + name +
                         "' must be called with its input, e.g. '" + name +
                         "(x)'");
    return FValue::invalid();
  }
  if (const ConfigValue *value = body.scope->lookup(name)) {
    ConfigValue copy = *value;
    copy.range = range;
    return FValue::constant(copy);
  }
  if (body.scope->poisoned.contains(name))
    return FValue::invalid();
  if (parseActivation(name) || isFunction(name)) {
    rep.error(range, (parseActivation(name) ? "activation '" : "function '") +
                         name + "' must be called with its input, e.g. '" +
                         name + "(x)'");
    return FValue::invalid();
  }
  rep.error(range,
            "unknown name '" + name + "'" + didYouMean(name, visibleNames()));
  return FValue::invalid();
}

FValue ForwardBuilder::evalIndex(const IndexExpr &expr, unsigned depth) {
  FValue base = evalName(expr.getBase(), expr.getBaseRange());
  FValue index = evalExpr(expr.getIndex(), depth + 1);
  if (base.isInvalid() || index.isInvalid())
    return FValue::invalid();
  SMRange indexRange = expr.getIndex().getRange();
  if (!index.isConst() || index.value.kind != ConfigValue::Kind::Int) {
    rep.error(indexRange, "an index must be a constant integer, but this is " +
                              describe(index));
    return FValue::invalid();
  }
  ValueType type = base.isTensor() ? typeOfValue(base) : ValueType();
  bool matrix = base.isTensor() && type.kind == ValueType::Kind::Matrix;
  if (!base.isTensor() || (type.kind != ValueType::Kind::Row && !matrix)) {
    rep.error(expr.getBaseRange(),
              "only a vector (a Param(n) or a row) or a matrix (its rows) "
              "can be indexed, but '" +
                  expr.getBase() + "' is " + describe(base));
    return FValue::invalid();
  }
  int64_t i = index.value.intValue;
  if (i < 0 || i >= (matrix ? type.rows : type.width)) {
    rep.error(indexRange, "index " + llvm::Twine(i) + " is out of range for '" +
                              expr.getBase() + "', " + describeType(type));
    return FValue::invalid();
  }
  FValue result = addTensor(Node::Op::Element, expr.getRange(),
                            ValueType::row(matrix ? type.width : 1));
  forward.nodes[result.node].row = i;
  forward.nodes[result.node].operands = {base.node};
  return result;
}

FValue ForwardBuilder::constantTensor(const ConfigValue &value, SMRange range) {
  FValue result = addTensor(Node::Op::Constant, range, ValueType::row(1));
  forward.nodes[result.node].factor = toDouble(value);
  return result;
}

FValue ForwardBuilder::combine(Node::Op op, FValue lhs, FValue rhs,
                               SMRange range, llvm::SMLoc at,
                               const llvm::Twine &what) {
  auto fail = [&](const llvm::Twine &msg) {
    rep.error(at, msg, {range});
    return FValue::invalid();
  };
  // Attention scores are scaled by numbers, and nothing else.
  auto isScores = [&](const FValue &v) {
    return v.isTensor() &&
           (typeOfValue(v).kind == ValueType::Kind::Scores ||
            typeOfValue(v).kind == ValueType::Kind::LinearScores);
  };
  const FValue &number = isScores(lhs) ? rhs : lhs;
  if (((op == Node::Op::Div && isScores(lhs)) ||
       (op == Node::Op::Mul && (isScores(lhs) || isScores(rhs)))) &&
      number.isConst() && isNumber(number.value) &&
      toDouble(number.value) != 0.0) {
    const FValue &scores = isScores(lhs) ? lhs : rhs;
    double factor = toDouble(number.value);
    FValue result = addTensor(Node::Op::Scale, range, typeOfValue(scores));
    forward.nodes[result.node].factor =
        op == Node::Op::Div ? 1.0 / factor : factor;
    forward.nodes[result.node].operands = {scores.node};
    return result;
  }
  for (const FValue *side : {&lhs, &rhs})
    if (side->isTensor() && isAttentionPart(typeOfValue(*side).kind))
      return fail(what + " " + describe(lhs) + " and " + describe(rhs) +
                  ": the parts of an attention are only scaled by a "
                  "number, masked, normalized with softmax and multiplied "
                  "with the values (see 'Attention written out' in "
                  "docs/language.md)");
  // A number is a [1] tensor; a product with one stays a scale.
  for (FValue *side : {&lhs, &rhs}) {
    if (!side->isConst())
      continue;
    const FValue &other = side == &lhs ? rhs : lhs;
    if (!isNumber(side->value))
      return fail(what + " " + describe(lhs) + " and " + describe(rhs) +
                  ": only numbers combine with tensors");
    if (op == Node::Op::Mul && other.isTensor() &&
        typeOfValue(other).kind != ValueType::Kind::Ids &&
        typeOfValue(other).kind != ValueType::Kind::Matrix) {
      FValue result = addTensor(Node::Op::Scale, range, typeOfValue(other));
      forward.nodes[result.node].factor = toDouble(side->value);
      forward.nodes[result.node].operands = {other.node};
      return result;
    }
    *side = constantTensor(
        side->value, side->value.range.isValid() ? side->value.range : range);
  }
  ValueType a = typeOfValue(lhs), b = typeOfValue(rhs);
  auto describeBoth = [&]() -> std::string {
    return (what + " " + describeType(a) + " and " + describeType(b)).str();
  };
  if (a.kind == ValueType::Kind::Ids || b.kind == ValueType::Kind::Ids)
    return fail(describeBoth() +
                ": token ids must go through an embedding first");
  if (a.kind == ValueType::Kind::Matrix || b.kind == ValueType::Kind::Matrix)
    return fail(describeBoth() +
                ": a matrix is used only by matmul and transpose");
  bool aHeads = a.kind == ValueType::Kind::Heads,
       bHeads = b.kind == ValueType::Kind::Heads;
  // A [seq, 1] column (one number a token, as `positions` gives) applies to
  // every head; wider features do not.
  auto wideFeatures = [](const ValueType &type) {
    return type.kind == ValueType::Kind::Features && type.width != 1;
  };
  if ((aHeads || bHeads) && (wideFeatures(a) || wideFeatures(b)))
    return fail(describeBoth() +
                ": merge the heads (merge_heads) or split the features "
                "(split_heads) first");
  if (aHeads && bHeads && a.rows != b.rows)
    return fail(describeBoth() + ": the numbers of heads differ");
  if (a.width != b.width && a.width != 1 && b.width != 1)
    return fail(describeBoth() + ": the widths differ (and neither is 1)");
  int64_t width = a.width == 1 ? b.width : a.width;
  if (aHeads || bHeads) {
    FValue result =
        addTensor(op, range,
                  ValueType::heads(ValueType::Kind::Heads,
                                   aHeads ? a.rows : b.rows, width));
    forward.nodes[result.node].operands = {lhs.node, rhs.node};
    return result;
  }
  bool features = a.kind == ValueType::Kind::Features ||
                  b.kind == ValueType::Kind::Features;
  FValue result = addTensor(
      op, range, features ? ValueType::features(width) : ValueType::row(width));
  forward.nodes[result.node].operands = {lhs.node, rhs.node};
  return result;
}

FValue ForwardBuilder::evalBinary(const BinaryExpr &expr, unsigned depth) {
  FValue lhs = evalExpr(expr.getLHS(), depth + 1);
  FValue rhs = evalExpr(expr.getRHS(), depth + 1);
  if (lhs.isInvalid() || rhs.isInvalid())
    return FValue::invalid();
  char op = expr.getOp();
  SMRange range = expr.getRange();
  if (lhs.isConst() && rhs.isConst()) {
    std::optional<ConfigValue> value =
        elab.eval.applyBinary(op, lhs.value, rhs.value, expr.getOpLoc(), range);
    return value ? FValue::constant(*value) : FValue::invalid();
  }
  switch (op) {
  case '+':
    return combine(Node::Op::Add, lhs, rhs, range, expr.getOpLoc(),
                   "cannot add");
  case '-':
    return combine(Node::Op::Sub, lhs, rhs, range, expr.getOpLoc(),
                   "cannot subtract");
  case '*':
    return combine(Node::Op::Mul, lhs, rhs, range, expr.getOpLoc(),
                   "cannot multiply");
  default:
    return combine(Node::Op::Div, lhs, rhs, range, expr.getOpLoc(),
                   "cannot divide");
  }
}

FValue ForwardBuilder::evalCall(const CallExpr &call, unsigned depth) {
  StringRef callee = call.getCallee();
  SMRange calleeRange = call.getCalleeRange();
  auto layerIt = body.layerIndex.find(callee);
  std::optional<Activation> act = parseActivation(callee);

  bool function = isFunction(callee);
  if (layerIt == body.layerIndex.end() && !act && !function) {
    std::string what;
    if (locals.count(callee))
      what = "a value";
    else if (body.scope->lookup(callee))
      what = "a " + body.scope->what;
    if (!what.empty()) {
      rep.error(calleeRange,
                "'" + callee + "' is " + what + ", not a layer or function");
      return FValue::invalid();
    }
    if (isBuiltin(callee) || elab.lookupBlock(callee, body.model)) {
      rep.error(calleeRange,
                "'" + callee + "' is a " +
                    (isBuiltin(callee) ? "layer type" : "block") +
                    "; declare a layer with it (e.g. 'name = " + callee +
                    "(...)') and call the layer by its name");
      return FValue::invalid();
    }
    rep.error(calleeRange, "unknown layer or function '" + callee + "'" +
                               didYouMean(callee, visibleNames()));
    return FValue::invalid();
  }

  std::vector<FValue> args;
  bool ok = true;
  for (const Arg &arg : call.getArgs()) {
    if (arg.isKeyword()) {
      rep.error(arg.nameRange, "'" + callee +
                                   "' takes its inputs by position; keyword "
                                   "arguments are only for declarations");
      ok = false;
      continue;
    }
    FValue value = evalExpr(*arg.value, depth + 1);
    ok &= !value.isInvalid();
    args.push_back(value);
  }

  if (layerIt != body.layerIndex.end()) {
    body.info[layerIt->second].used = true;
    if (!ok || body.info[layerIt->second].failed)
      return FValue::invalid();
    if (body.layers[layerIt->second].kind == LayerKind::Block) {
      FValue result = callBlock(layerIt->second, call, args);
      if (result.isTuple() && &call != tupleCall) {
        rep.error(
            call.getRange(),
            "'" + callee + "' returns " + llvm::Twine(result.nodes.size()) +
                " values; assign them to as many names ('a, b = " + callee +
                "(...)')");
        return FValue::invalid();
      }
      return result;
    }
    if (body.layers[layerIt->second].kind == LayerKind::Param) {
      rep.error(calleeRange, "'" + callee +
                                 "' is a Param, a value: use it in an "
                                 "expression (e.g. 'x * " +
                                 callee + "' or 'matmul(x, " + callee +
                                 ")') instead of calling it");
      return FValue::invalid();
    }
    return callLayer(layerIt->second, call, args);
  }
  if (!ok)
    return FValue::invalid();
  if (!act) {
    FValue result = callFunction(call, args);
    if (result.isTuple() && &call != tupleCall) {
      rep.error(call.getRange(),
                "'" + callee + "' returns " + llvm::Twine(result.nodes.size()) +
                    " values; assign them to as many names ('a, b = " + callee +
                    "(...)')");
      return FValue::invalid();
    }
    return result;
  }

  // An activation function.
  if (args.size() != 1) {
    rep.error(calleeRange, "'" + callee + "' takes one input, but " +
                               llvm::Twine(args.size()) + " were given");
    return FValue::invalid();
  }
  if (args[0].isConst() ||
      typeOfValue(args[0]).kind != ValueType::Kind::Features) {
    rep.error(call.getArgs()[0].value->getRange(),
              "'" + callee + "' expects a [seq, N] tensor, but got " +
                  describe(args[0]));
    return FValue::invalid();
  }
  FValue result =
      addTensor(Node::Op::Activation, call.getRange(), typeOfValue(args[0]));
  forward.nodes[result.node].act = *act;
  forward.nodes[result.node].operands = {args[0].node};
  return result;
}

FValue ForwardBuilder::callFunction(const CallExpr &call,
                                    llvm::ArrayRef<FValue> args) {
  StringRef callee = call.getCallee();
  SMRange calleeRange = call.getCalleeRange();
  auto argRange = [&](size_t i) { return argRangeOf(call, i); };
  auto arity = [&](size_t min, size_t max, llvm::StringRef form) {
    if (args.size() >= min && args.size() <= max)
      return true;
    rep.error(calleeRange, "'" + callee + "' takes " + form + ", but " +
                               llvm::Twine(args.size()) +
                               (args.size() == 1 ? " was" : " were") +
                               " given");
    return false;
  };
  /// Features, a row or heads, else an error at argument `i`.
  auto elementwiseInput = [&](size_t i) {
    return expectKind(args[i],
                      {ValueType::Kind::Features, ValueType::Kind::Row,
                       ValueType::Kind::Heads},
                      argRange(i),
                      "'" + callee +
                          "' expects a [seq, N] tensor, a row or "
                          "heads");
  };

  if (std::optional<MathFn> fn = parseMathFn(callee)) {
    if (!arity(1, 1, "one input"))
      return FValue::invalid();
    if (args[0].isConst() && isNumber(args[0].value))
      return foldMath(*fn, call, args[0].value);
    if (!elementwiseInput(0))
      return FValue::invalid();
    FValue result =
        addTensor(Node::Op::Math, call.getRange(), typeOfValue(args[0]));
    forward.nodes[result.node].fn = *fn;
    forward.nodes[result.node].operands = {args[0].node};
    return result;
  }
  if (callee == "max" || callee == "min") {
    if (!arity(1, 2, "one input (a reduction) or two (elementwise)"))
      return FValue::invalid();
    if (args.size() == 1)
      return reduce(callee == "max" ? Reduction::Max : Reduction::Min, call,
                    args);
    return combine(callee == "max" ? Node::Op::Max : Node::Op::Min, args[0],
                   args[1], call.getRange(), calleeRange.Start,
                   "'" + callee + "' cannot take");
  }
  if (callee == "sum" || callee == "mean" || callee == "vector_norm") {
    if (!arity(1, 2, "an input and optionally the axis"))
      return FValue::invalid();
    return reduce(callee == "sum"    ? Reduction::Sum
                  : callee == "mean" ? Reduction::Mean
                                     : Reduction::Norm2,
                  call, args);
  }
  if (callee == "pow") {
    if (!arity(2, 2, "two inputs (the base and the exponent)") ||
        !elementwiseInput(0))
      return FValue::invalid();
    return combine(Node::Op::Pow, args[0], args[1], call.getRange(),
                   calleeRange.Start, "'pow' cannot take");
  }
  if (callee == "matmul") {
    if (!arity(2, 2, "two inputs"))
      return FValue::invalid();
    return matmul(call, args);
  }
  if (callee == "concat" || callee == "slice" || callee == "split")
    return callPieces(call, args);
  if (callee == "cumsum" || callee == "positions")
    return callSequenceFunction(call, args);
  if (callee == "topk") {
    if (!arity(2, 2, "an input and k"))
      return FValue::invalid();
    if (!elementwiseInput(0))
      return FValue::invalid();
    ValueType type = typeOfValue(args[0]);
    const FValue &k = args[1];
    if (!k.isConst() || k.value.kind != ConfigValue::Kind::Int ||
        k.value.intValue < 1)
      return failAt(argRange(1), "'topk' needs a positive integer k, but "
                                 "this is " +
                                     describe(k));
    if (k.value.intValue > type.width)
      return failAt(call.getRange(), "'topk' cannot take the " +
                                         llvm::Twine(k.value.intValue) +
                                         " largest of " + describeType(type) +
                                         ": its last "
                                         "axis has " +
                                         llvm::Twine(type.width) + " elements");
    if (type.width > 4096)
      return failAt(argRange(0), "'topk' selects along axes of at most 4096 "
                                 "elements (routers, heads), but " +
                                     describeType(type) + " has " +
                                     llvm::Twine(type.width));
    type.width = k.value.intValue;
    llvm::SmallVector<unsigned, 2> nodes;
    for (int64_t part : {0, 1}) {
      FValue value = addTensor(Node::Op::TopK, call.getRange(), type);
      forward.nodes[value.node].operands = {args[0].node};
      forward.nodes[value.node].row = part;
      nodes.push_back(value.node);
    }
    return FValue::tuple(nodes);
  }
  if (callee == "gather") {
    if (!arity(2, 2, "an input and indices"))
      return FValue::invalid();
    if (!elementwiseInput(0) || !elementwiseInput(1))
      return FValue::invalid();
    ValueType from = typeOfValue(args[0]), at = typeOfValue(args[1]);
    if (from.kind != at.kind || from.rows != at.rows)
      return failAt(call.getRange(), "'gather' takes indices of the kind of "
                                     "its input, but got " +
                                         describeType(at) + " for " +
                                         describeType(from));
    FValue result = addTensor(Node::Op::Gather, call.getRange(), at);
    forward.nodes[result.node].operands = {args[0].node, args[1].node};
    return result;
  }
  if (callee == "arange") {
    if (!arity(1, 1, "one input (the length)"))
      return FValue::invalid();
    const FValue &n = args[0];
    if (!n.isConst() || n.value.kind != ConfigValue::Kind::Int ||
        n.value.intValue < 1 || n.value.intValue > (int64_t(1) << 24))
      return failAt(argRange(0), "'arange' needs a positive integer length "
                                 "(at most 2^24), but this is " +
                                     describe(n));
    return addTensor(Node::Op::Range, call.getRange(),
                     ValueType::row(n.value.intValue));
  }
  return callHeadsFunction(call, args);
}

FValue ForwardBuilder::callSequenceFunction(const CallExpr &call,
                                            llvm::ArrayRef<FValue> args) {
  StringRef callee = call.getCallee();
  if (args.size() != 1)
    return failAt(call.getCalleeRange(),
                  "'" + callee + "' takes one input, but " +
                      llvm::Twine(args.size()) +
                      (args.size() == 1 ? " was" : " were") + " given");
  if (callee == "cumsum") {
    if (!expectKind(args[0],
                    {ValueType::Kind::Features, ValueType::Kind::Heads},
                    argRangeOf(call, 0),
                    "'cumsum' sums along the sequence: it takes a [seq, N] "
                    "tensor or heads"))
      return FValue::invalid();
    FValue result =
        addTensor(Node::Op::CumSum, call.getRange(), typeOfValue(args[0]));
    forward.nodes[result.node].operands = {args[0].node};
    return result;
  }
  // positions
  if (!expectKind(args[0],
                  {ValueType::Kind::Ids, ValueType::Kind::Features,
                   ValueType::Kind::Heads},
                  argRangeOf(call, 0),
                  "'positions' numbers the tokens of a sequence: it takes "
                  "token ids, a [seq, N] tensor or heads"))
    return FValue::invalid();
  FValue result =
      addTensor(Node::Op::Positions, call.getRange(), ValueType::features(1));
  forward.nodes[result.node].operands = {args[0].node};
  return result;
}

FValue ForwardBuilder::callPieces(const CallExpr &call,
                                  llvm::ArrayRef<FValue> args) {
  StringRef callee = call.getCallee();
  auto argRange = [&](size_t i) { return argRangeOf(call, i); };
  /// Argument `i` as a constant integer at least `least`.
  auto integer = [&](size_t i, int64_t least, int64_t &out) {
    const FValue &v = args[i];
    if (v.isConst() && v.value.kind == ConfigValue::Kind::Int &&
        v.value.intValue >= least) {
      out = v.value.intValue;
      return true;
    }
    rep.error(argRange(i), "'" + callee + "' needs " +
                               (least > 0 ? "a positive" : "a non-negative") +
                               " integer here, but this is " + describe(v));
    return false;
  };
  /// Features or a row, else an error at argument `i`.
  auto piece = [&](size_t i) {
    return expectKind(
        args[i], {ValueType::Kind::Features, ValueType::Kind::Row}, argRange(i),
        "'" + callee +
            "' takes [seq, N] tensors or rows (along "
            "their last axis)");
  };

  if (callee == "concat") {
    if (args.size() < 2)
      return failAt(call.getCalleeRange(), "'concat' takes two inputs or more");
    int64_t width = 0;
    for (size_t i = 0; i < args.size(); ++i) {
      if (!piece(i))
        return FValue::invalid();
      ValueType type = typeOfValue(args[i]);
      if (type.kind != typeOfValue(args[0]).kind)
        return failAt(argRange(i), "'concat' joins values of one kind, but "
                                   "this is " +
                                       describeType(type) + " after " +
                                       describe(args[0]));
      width += type.width;
    }
    ValueType type = typeOfValue(args[0]);
    type.width = width;
    FValue result = addTensor(Node::Op::Concat, call.getRange(), type);
    for (const FValue &arg : args)
      forward.nodes[result.node].operands.push_back(arg.node);
    return result;
  }
  if (args.empty() || !piece(0))
    return FValue::invalid();
  ValueType type = typeOfValue(args[0]);
  auto slice = [&](int64_t start, int64_t size) {
    ValueType out = type;
    out.width = size;
    FValue value = addTensor(Node::Op::Slice, call.getRange(), out);
    forward.nodes[value.node].operands = {args[0].node};
    forward.nodes[value.node].row = start;
    return value;
  };
  if (callee == "slice") {
    if (args.size() != 3)
      return failAt(call.getCalleeRange(),
                    "'slice' takes an input, a start and a size");
    int64_t start = 0, size = 0;
    if (!integer(1, 0, start) || !integer(2, 1, size))
      return FValue::invalid();
    if (start + size > type.width)
      return failAt(call.getRange(), "'slice' of " + describeType(type) +
                                         " from " + llvm::Twine(start) +
                                         " of size " + llvm::Twine(size) +
                                         " runs past its " +
                                         llvm::Twine(type.width) + " elements");
    return slice(start, size);
  }
  // split
  if (args.size() < 3)
    return failAt(call.getCalleeRange(),
                  "'split' takes an input and two sizes or more");
  llvm::SmallVector<int64_t> sizes;
  int64_t total = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    int64_t size = 0;
    if (!integer(i, 1, size))
      return FValue::invalid();
    sizes.push_back(size);
    total += size;
  }
  if (total != type.width)
    return failAt(call.getRange(),
                  "'split' sizes add up to " + llvm::Twine(total) + ", but " +
                      describeType(type) + " has " + llvm::Twine(type.width));
  llvm::SmallVector<unsigned, 2> nodes;
  int64_t start = 0;
  for (int64_t size : sizes) {
    nodes.push_back(slice(start, size).node);
    start += size;
  }
  return FValue::tuple(nodes);
}

FValue ForwardBuilder::callHeadsFunction(const CallExpr &call,
                                         llvm::ArrayRef<FValue> args) {
  StringRef callee = call.getCallee();
  auto argRange = [&](size_t i) { return argRangeOf(call, i); };
  bool rope = callee == "rope" || callee == "rope_interleaved";
  size_t expected =
      callee == "split_heads" || rope || callee == "window" ? 2 : 1;
  // `tril` zeroes the future of scores (linear attention); `causal` and
  // `window` hide it from a softmax.
  if (args.size() != expected)
    return failAt(call.getCalleeRange(),
                  "'" + callee + "' takes " +
                      (expected == 1 ? "one input" : "two inputs") + ", but " +
                      llvm::Twine(args.size()) +
                      (args.size() == 1 ? " was" : " were") + " given");
  ValueType type = args[0].isTensor() ? typeOfValue(args[0]) : ValueType();
  auto is = [&](ValueType::Kind kind) {
    return args[0].isTensor() && type.kind == kind;
  };
  /// The second input as a positive integer.
  auto positive = [&](int64_t &out) {
    const FValue &v = args[1];
    if (v.isConst() && v.value.kind == ConfigValue::Kind::Int &&
        v.value.intValue > 0) {
      out = v.value.intValue;
      return true;
    }
    rep.error(argRange(1), "the second input of '" + callee +
                               "' must be a positive integer, but is " +
                               describe(v));
    return false;
  };
  auto result = [&](Node::Op op, ValueType out) {
    FValue value = addTensor(op, call.getRange(), out);
    forward.nodes[value.node].operands = {args[0].node};
    return value;
  };

  if (callee == "softmax") {
    if (is(ValueType::Kind::Scores))
      return result(Node::Op::Softmax,
                    ValueType::heads(ValueType::Kind::Probs, type.rows, 0));
    if (is(ValueType::Kind::Features) || is(ValueType::Kind::Row) ||
        is(ValueType::Kind::Heads))
      return result(Node::Op::Softmax, type);
    return failAt(argRange(0), "'softmax' takes attention scores, a [seq, N] "
                               "tensor, a row or heads, but got " +
                                   describe(args[0]));
  }
  if (callee == "transpose") {
    if (is(ValueType::Kind::Matrix))
      return result(Node::Op::Transpose,
                    ValueType::matrix(type.width, type.rows));
    if (is(ValueType::Kind::Heads) || is(ValueType::Kind::RopedHeads))
      return result(
          Node::Op::Transpose,
          ValueType::heads(ValueType::Kind::HeadsT, type.rows, type.width));
    return failAt(argRange(0), "'transpose' takes a matrix (a Param(k, n)) or "
                               "heads (the keys of an attention), but got " +
                                   describe(args[0]));
  }
  if (callee == "split_heads") {
    int64_t heads = 0;
    if (!is(ValueType::Kind::Features))
      return failAt(argRange(0), "'split_heads' takes a [seq, N] tensor, but "
                                 "got " +
                                     describe(args[0]));
    if (!positive(heads))
      return FValue::invalid();
    if (type.width % heads != 0)
      return failAt(call.getRange(), "'split_heads' cannot split " +
                                         describeType(type) + " into " +
                                         llvm::Twine(heads) +
                                         " heads: the width is not a multiple "
                                         "of it");
    return result(
        Node::Op::SplitHeads,
        ValueType::heads(ValueType::Kind::Heads, heads, type.width / heads));
  }
  if (callee == "merge_heads") {
    if (!is(ValueType::Kind::Heads))
      return failAt(argRange(0),
                    "'merge_heads' takes heads, but got " + describe(args[0]));
    return result(Node::Op::MergeHeads,
                  ValueType::features(type.rows * type.width));
  }
  if (rope) {
    if (!is(ValueType::Kind::Heads))
      return failAt(argRange(0), "'" + callee + "' takes heads, but got " +
                                     describe(args[0]));
    const FValue &theta = args[1];
    if (!theta.isConst() || !isNumber(theta.value) ||
        !(toDouble(theta.value) > 0))
      return failAt(argRange(1), "the RoPE base of '" + callee +
                                     "' must be a positive number, but is " +
                                     describe(theta));
    if (type.width % 2 != 0)
      return failAt(argRange(0), "'" + callee +
                                     "' needs heads of even width, but they "
                                     "are " +
                                     describeType(type));
    FValue value =
        result(Node::Op::Rope, ValueType::heads(ValueType::Kind::RopedHeads,
                                                type.rows, type.width));
    forward.nodes[value.node].theta = toDouble(theta.value);
    forward.nodes[value.node].interleaved = callee == "rope_interleaved";
    return value;
  }
  if (callee == "tril") {
    if (!is(ValueType::Kind::Scores))
      return failAt(argRange(0), "'tril' zeroes the future of attention "
                                 "scores (matmul(q, transpose(k))), but got " +
                                     describe(args[0]));
    return result(
        Node::Op::Tril,
        ValueType::heads(ValueType::Kind::LinearScores, type.rows, 0));
  }
  // causal, window
  if (!is(ValueType::Kind::Scores))
    return failAt(argRange(0), "'" + callee +
                                   "' masks attention scores (matmul(q, "
                                   "transpose(k))), but got " +
                                   describe(args[0]));
  int64_t window = 0;
  if (callee == "window" && !positive(window))
    return FValue::invalid();
  FValue value = result(Node::Op::Mask, type);
  forward.nodes[value.node].causal = true;
  forward.nodes[value.node].window = window;
  return value;
}

FValue ForwardBuilder::matmul(const CallExpr &call,
                              llvm::ArrayRef<FValue> args) {
  auto argRange = [&](size_t i) { return argRangeOf(call, i); };
  ValueType a = args[0].isTensor() ? typeOfValue(args[0]) : ValueType();
  ValueType b = args[1].isTensor() ? typeOfValue(args[1]) : ValueType();
  bool aTensor = args[0].isTensor(), bTensor = args[1].isTensor();
  // Queries times transposed keys: scores.
  if (aTensor && (a.kind == ValueType::Kind::Heads ||
                  a.kind == ValueType::Kind::RopedHeads)) {
    if (!bTensor || b.kind != ValueType::Kind::HeadsT)
      return failAt(argRange(1), "the second input of 'matmul' with heads "
                                 "(the queries) must be transposed heads "
                                 "(transpose(k)), but got " +
                                     describe(args[1]));
    if (a.width != b.width)
      return failAt(call.getRange(),
                    "'matmul' cannot take the scores of " + describeType(a) +
                        " and " + describeType(b) +
                        ": queries and keys must have the same width");
    if (a.rows % b.rows != 0)
      return failAt(call.getRange(),
                    "'matmul' cannot take the scores of " + describeType(a) +
                        " and " + describeType(b) +
                        ": the query heads must be a multiple of the key "
                        "heads");
    FValue value =
        addTensor(Node::Op::Scores, call.getRange(),
                  ValueType::heads(ValueType::Kind::Scores, a.rows, 0));
    // The keys themselves, not their transposed view.
    forward.nodes[value.node].operands = {
        args[0].node, forward.nodes[args[1].node].operands[0]};
    return value;
  }
  // Softmax weights times values: the attention.
  if (aTensor && a.kind == ValueType::Kind::Probs)
    return attend(call, args[0], args[1]);
  if (aTensor && a.kind == ValueType::Kind::LinearScores)
    return linearAttend(call, args[0], args[1]);
  if (aTensor && a.kind == ValueType::Kind::Scores)
    return failAt(argRange(0), "attention scores must go through softmax "
                               "(or tril, for causal linear attention) "
                               "before they weigh the values");
  if (!aTensor || a.kind != ValueType::Kind::Features)
    return failAt(argRange(0), "the first input of 'matmul' must be a [seq, K] "
                               "tensor, heads or attention weights, but got " +
                                   describe(args[0]));
  if (!bTensor || b.kind != ValueType::Kind::Matrix)
    return failAt(
        argRange(1),
        "the second input of 'matmul' with a [seq, K] tensor must be "
        "a matrix [K, N] (a Param(k, n), or its transpose), but got " +
            describe(args[1]) +
            (bTensor && b.kind == ValueType::Kind::Features
                 ? "; to mix tokens, write attention (split_heads, "
                   "matmul(q, transpose(k)), softmax)"
                 : ""));
  if (b.rows != a.width) {
    rep.error(call.getRange().Start,
              "'matmul' cannot multiply " + describeType(a) + " by " +
                  describeType(b) + ": " + llvm::Twine(a.width) +
                  " columns against " + llvm::Twine(b.rows) + " rows",
              {call.getRange()});
    return FValue::invalid();
  }
  FValue result = addTensor(Node::Op::MatMul, call.getRange(),
                            ValueType::features(b.width));
  forward.nodes[result.node].operands = {args[0].node, args[1].node};
  return result;
}

FValue ForwardBuilder::attend(const CallExpr &call, const FValue &probs,
                              const FValue &v) {
  auto fail = [&](const llvm::Twine &msg) {
    rep.error(call.getRange(), msg);
    return FValue::invalid();
  };
  // Back from the softmax to the scores: scales and masks on the way.
  double scale = 1.0;
  bool causal = false;
  int64_t window = 0;
  unsigned index = forward.nodes[probs.node].operands[0];
  while (forward.nodes[index].op != Node::Op::Scores) {
    const Node &node = forward.nodes[index];
    if (node.op == Node::Op::Scale) {
      scale *= node.factor;
    } else {
      causal = true;
      if (node.window)
        window = window ? std::min(window, node.window) : node.window;
    }
    index = node.operands[0];
  }
  const Node &scores = forward.nodes[index];
  const Node &q = forward.nodes[scores.operands[0]];
  const Node &k = forward.nodes[scores.operands[1]];
  bool qRoped = q.op == Node::Op::Rope, kRoped = k.op == Node::Op::Rope;
  if (qRoped != kRoped ||
      (qRoped && (q.theta != k.theta || q.interleaved != k.interleaved)))
    return fail("the queries and keys of an attention must both be rotated "
                "by 'rope' (or both by 'rope_interleaved') with the same "
                "base, or neither");
  ValueType keys = typeOf(k);
  ValueType values = v.isTensor()
                         ? typeOfValue(v)
                         : ValueType::heads(ValueType::Kind::Ids, 0, 0);
  if (!v.isTensor() || values.kind != ValueType::Kind::Heads)
    return fail("the values of an attention (the second input of 'matmul' "
                "with attention weights) must be heads, but got " +
                describe(v));
  if (values.rows != keys.rows || values.width != keys.width)
    return fail("the values " + describeType(values) +
                " must have the heads and width of the keys " +
                describeType(keys));
  // Copied before the new node moves the nodes.
  llvm::SmallVector<unsigned, 3> operands = {
      qRoped ? q.operands[0] : scores.operands[0],
      kRoped ? k.operands[0] : scores.operands[1], v.node};
  double theta = qRoped ? q.theta : 0.0;
  bool interleaved = qRoped && q.interleaved;
  int64_t heads = q.rows;
  FValue result =
      addTensor(Node::Op::Attend, call.getRange(),
                ValueType::heads(ValueType::Kind::Heads, heads, keys.width));
  Node &node = forward.nodes[result.node];
  node.operands.assign(operands.begin(), operands.end());
  node.factor = scale;
  node.causal = causal;
  node.window = window;
  node.theta = theta;
  node.interleaved = interleaved;
  return result;
}

FValue ForwardBuilder::linearAttend(const CallExpr &call, const FValue &masked,
                                    const FValue &v) {
  auto fail = [&](const llvm::Twine &msg) {
    rep.error(call.getRange(), msg);
    return FValue::invalid();
  };
  // Back from the masked scores to the scores: scales on either side of
  // `tril`.
  double scale = 1.0;
  unsigned index = masked.node;
  while (forward.nodes[index].op != Node::Op::Scores) {
    const Node &node = forward.nodes[index];
    if (node.op == Node::Op::Scale)
      scale *= node.factor;
    index = node.operands[0];
  }
  const Node &scores = forward.nodes[index];
  const Node &q = forward.nodes[scores.operands[0]];
  const Node &k = forward.nodes[scores.operands[1]];
  if (q.op == Node::Op::Rope || k.op == Node::Op::Rope)
    return fail("causal linear attention takes queries and keys as they are: "
                "'rope' is for softmax attention");
  ValueType keys = typeOf(k);
  if (!v.isTensor() || typeOfValue(v).kind != ValueType::Kind::Heads)
    return fail("the values of a linear attention (the second input of "
                "'matmul' with masked scores) must be heads, but got " +
                describe(v));
  ValueType values = typeOfValue(v);
  if (values.rows != keys.rows)
    return fail("the values " + describeType(values) +
                " must have as many heads as the keys " + describeType(keys));
  // Copied before the new node moves the nodes.
  llvm::SmallVector<unsigned, 3> operands = {scores.operands[0],
                                             scores.operands[1], v.node};
  int64_t heads = q.rows;
  FValue result =
      addTensor(Node::Op::LinearAttend, call.getRange(),
                ValueType::heads(ValueType::Kind::Heads, heads, values.width));
  Node &node = forward.nodes[result.node];
  node.operands.assign(operands.begin(), operands.end());
  node.factor = scale;
  node.causal = true;
  return result;
}

FValue ForwardBuilder::foldMath(MathFn fn, const CallExpr &call,
                                const ConfigValue &input) {
  double x = toDouble(input), y = 0.0;
  switch (fn) {
  case MathFn::Exp:
    y = std::exp(x);
    break;
  case MathFn::Log:
    y = std::log(x);
    break;
  case MathFn::Tanh:
    y = std::tanh(x);
    break;
  case MathFn::Sigmoid:
    y = 1.0 / (1.0 + std::exp(-x));
    break;
  case MathFn::Sqrt:
    y = std::sqrt(x);
    break;
  case MathFn::Rsqrt:
    y = 1.0 / std::sqrt(x);
    break;
  case MathFn::Abs:
    y = std::fabs(x);
    break;
  case MathFn::Neg:
    y = -x;
    break;
  case MathFn::Sin:
    y = std::sin(x);
    break;
  case MathFn::Cos:
    y = std::cos(x);
    break;
  }
  if (!std::isfinite(y)) {
    rep.error(call.getRange(), "'" + call.getCallee() + "' of " +
                                   describeValue(input) +
                                   " is not a finite number");
    return FValue::invalid();
  }
  ConfigValue value;
  value.kind = ConfigValue::Kind::Float;
  value.floatValue = y;
  value.range = call.getRange();
  return FValue::constant(value);
}

FValue ForwardBuilder::reduce(Reduction reduction, const CallExpr &call,
                              llvm::ArrayRef<FValue> args) {
  StringRef callee = call.getCallee();
  SMRange inputRange = call.getArgs()[0].value->getRange();
  ValueType type = args[0].isTensor() ? typeOfValue(args[0]) : ValueType();
  if (!args[0].isTensor() || (type.kind != ValueType::Kind::Features &&
                              type.kind != ValueType::Kind::Row &&
                              type.kind != ValueType::Kind::Heads)) {
    rep.error(inputRange, "'" + callee +
                              "' reduces a [seq, N] tensor, a row or heads, "
                              "but got " +
                              describe(args[0]));
    return FValue::invalid();
  }
  if (args.size() == 2) {
    SMRange axisRange = call.getArgs()[1].value->getRange();
    const FValue &axis = args[1];
    if (!axis.isConst() || axis.value.kind != ConfigValue::Kind::Int) {
      rep.error(axisRange, "the axis of '" + callee +
                               "' must be a constant integer, but is " +
                               describe(axis));
      return FValue::invalid();
    }
    int64_t rank = type.kind == ValueType::Kind::Heads      ? 3
                   : type.kind == ValueType::Kind::Features ? 2
                                                            : 1;
    int64_t value = axis.value.intValue;
    if (value < -rank || value >= rank) {
      rep.error(axisRange, "axis " + llvm::Twine(value) +
                               " is out of range for " + describeType(type) +
                               " (" + llvm::Twine(rank) + " axes)");
      return FValue::invalid();
    }
    if (value != -1 && value != rank - 1) {
      rep.error(axisRange,
                "'" + callee + "' over axis " + llvm::Twine(value) + " of " +
                    describeType(type) +
                    (type.kind == ValueType::Kind::Heads
                         ? " (the heads or the sequence)"
                         : " (the sequence)") +
                    " is not supported yet; reduce the last axis (-1)");
      return FValue::invalid();
    }
  }
  ValueType result = type;
  result.width = 1;
  FValue value = addTensor(Node::Op::Reduce, call.getRange(), result);
  forward.nodes[value.node].reduction = reduction;
  forward.nodes[value.node].operands = {args[0].node};
  return value;
}

FValue ForwardBuilder::callLayer(unsigned index, const CallExpr &call,
                                 llvm::ArrayRef<FValue> args) {
  if (body.layers[index].kind == LayerKind::Block)
    return callBlock(index, call, args);
  if (args.size() != 1) {
    rep.error(call.getCalleeRange(),
              "'" + call.getCallee() + "' takes one input, but " +
                  llvm::Twine(args.size()) + " were given");
    return FValue::invalid();
  }
  return callBuiltin(index, call, args[0]);
}

FValue ForwardBuilder::callBuiltin(unsigned index, const CallExpr &call,
                                   const FValue &arg) {
  const Layer &layer = body.layers[index];
  StringRef name = layer.name;
  SMRange argRange = call.getArgs()[0].value->getRange();

  // `segment(0)`: one row of an embedding table.
  if (layer.kind == LayerKind::Embedding && arg.isConst()) {
    if (arg.value.kind != ConfigValue::Kind::Int) {
      rep.error(argRange, "the row of embedding '" + name +
                              "' must be an integer, but is " +
                              describeValue(arg.value));
      return FValue::invalid();
    }
    int64_t row = arg.value.intValue;
    if (row < 0 || row >= layer.embedding.vocab) {
      rep.error(argRange, "row " + llvm::Twine(row) +
                              " is out of range for "
                              "embedding '" +
                              name + "' with " +
                              llvm::Twine(layer.embedding.vocab) + " rows");
      return FValue::invalid();
    }
    FValue result = addTensor(Node::Op::EmbeddingRow, call.getRange(),
                              ValueType::row(layer.embedding.dim));
    forward.nodes[result.node].layer = index;
    forward.nodes[result.node].row = row;
    return result;
  }

  ValueType expected, output;
  switch (layer.kind) {
  case LayerKind::Embedding:
  case LayerKind::PositionalEmbedding:
    expected = ValueType::ids();
    output = ValueType::features(layer.embedding.dim);
    // Positions count the rows of anything with a sequence axis.
    if (layer.kind == LayerKind::PositionalEmbedding && arg.isTensor() &&
        typeOfValue(arg).kind == ValueType::Kind::Features)
      expected = typeOfValue(arg);
    break;
  case LayerKind::Linear:
    expected = ValueType::features(layer.linear.in);
    output = ValueType::features(layer.linear.out);
    break;
  case LayerKind::LayerNorm:
  case LayerKind::RMSNorm:
    expected = output = ValueType::features(layer.norm.dim);
    break;
  case LayerKind::Attention:
    expected = output = ValueType::features(layer.attention.dim);
    break;
  case LayerKind::MLP:
  case LayerKind::GatedMLP:
    expected = output = ValueType::features(layer.mlp.dim);
    break;
  case LayerKind::MoE:
    expected = output = ValueType::features(layer.moe.dim);
    break;
  case LayerKind::Param:
  case LayerKind::Block:
    return FValue::invalid();
  }
  if (arg.isConst() || typeOfValue(arg) != expected) {
    std::string expectedText = expected.kind == ValueType::Kind::Ids
                                   ? "token ids [seq]"
                                   : "a " + describeType(expected) + " input";
    rep.error(argRange, "'" + name + "' expects " + expectedText +
                            ", but got " + describe(arg));
    return FValue::invalid();
  }
  FValue result = addTensor(Node::Op::CallLayer, call.getRange(), output);
  forward.nodes[result.node].layer = index;
  forward.nodes[result.node].operands = {arg.node};
  return result;
}

FValue ForwardBuilder::callBlock(unsigned index, const CallExpr &call,
                                 llvm::ArrayRef<FValue> args) {
  Layer &layer = body.layers[index];
  BodyLayer &info = body.info[index];
  const BlockDecl &decl = *info.block;
  const LayerDecl &layerDecl = *info.decl;
  StringRef name = layer.name;
  bool repeated = layerDecl.stackCount || layerDecl.isLoop;
  size_t numParams = decl.forward ? decl.forward->params.size() : 1;
  bool special = layer.blockUse.exit != BlockUseSpec::Exit::None ||
                 layer.blockUse.loraRank != 0;
  if (repeated && special && numParams != 1) {
    rep.error(call.getCalleeRange(),
              "'" + name + "' loops block '" + decl.name +
                  "' with 'exit' or 'lora', so the block must take exactly "
                  "one input, but its forward takes " +
                  llvm::Twine(numParams));
    return FValue::invalid();
  }
  if (args.size() != numParams) {
    rep.error(call.getCalleeRange(),
              "'" + name + "' (block '" + decl.name + "') takes " +
                  llvm::Twine(numParams) + " input" +
                  (numParams == 1 ? "" : "s") + ", but " +
                  llvm::Twine(args.size()) + " were given");
    return FValue::invalid();
  }
  std::vector<ValueType> types;
  for (size_t i = 0; i < args.size(); ++i) {
    SMRange argRange = call.getArgs()[i].value->getRange();
    if (args[i].isConst()) {
      rep.error(argRange, "the inputs of '" + name +
                              "' must be tensors, but this is " +
                              describe(args[i]));
      return FValue::invalid();
    }
    ValueType type = typeOfValue(args[i]);
    if (type.kind == ValueType::Kind::Row) {
      rep.error(argRange, "cannot pass " + describeType(type) + " to '" + name +
                              "'; add it to a [seq, N] tensor first");
      return FValue::invalid();
    }
    if (type.kind != ValueType::Kind::Features &&
        type.kind != ValueType::Kind::Ids) {
      rep.error(argRange, "cannot pass " + describeType(type) + " to '" + name +
                              "'; blocks take [seq, N] tensors and token "
                              "ids");
      return FValue::invalid();
    }
    types.push_back(type);
  }
  if (!info.inputTypes.empty() && info.inputTypes != types) {
    std::string before, now;
    for (size_t i = 0; i < types.size(); ++i) {
      before += (i ? ", " : "") + describeType(info.inputTypes[i]);
      now += (i ? ", " : "") + describeType(types[i]);
    }
    rep.error(call.getRange(), "'" + name + "' was called with " + before +
                                   " before and cannot also take " + now +
                                   " (a layer has one set of weights)");
    return FValue::invalid();
  }
  const Block *block =
      elab.instantiate(decl, info.blockArgs, types, call.getRange());
  if (!block || block->forward.results.empty() ||
      block->forward.result >= block->forward.nodes.size())
    return FValue::invalid();
  layer.blockUse.block = block;
  info.inputTypes = types;
  ValueType output = typeOf(block->forward.nodes[block->forward.result]);
  std::vector<ValueType> outputs;
  for (unsigned node : block->forward.results)
    outputs.push_back(typeOf(block->forward.nodes[node]));
  if (repeated && outputs != types) {
    auto list = [](llvm::ArrayRef<ValueType> values) {
      std::string text;
      for (size_t i = 0; i < values.size(); ++i)
        text += (i ? ", " : "") + describeType(values[i]);
      return text;
    };
    rep.error(call.getRange(),
              "'" + name + "' repeats block '" + decl.name +
                  "', so the block must return what it takes, but it takes " +
                  list(types) + " and returns " + list(outputs));
    return FValue::invalid();
  }
  if (layer.blockUse.exit == BlockUseSpec::Exit::Gate &&
      !resolveExitGate(layer, output))
    return FValue::invalid();
  if (!resolveUnshared(layer))
    return FValue::invalid();
  FValue result = addTensor(Node::Op::CallLayer, call.getRange(), output);
  forward.nodes[result.node].layer = index;
  for (const FValue &arg : args)
    forward.nodes[result.node].operands.push_back(arg.node);
  if (outputs.size() == 1)
    return result;
  // Several values: one node each, reading the call's.
  llvm::SmallVector<unsigned, 2> values;
  for (size_t i = 0; i < outputs.size(); ++i) {
    FValue value = addTensor(Node::Op::Result, call.getRange(), outputs[i]);
    forward.nodes[value.node].operands = {result.node};
    forward.nodes[value.node].row = int64_t(i);
    values.push_back(value.node);
  }
  return FValue::tuple(values);
}

bool ForwardBuilder::resolveUnshared(Layer &loop) {
  BlockUseSpec &use = loop.blockUse;
  const Block &block = *use.block;
  use.unshared.clear();
  bool ok = true;
  for (const auto &[name, range] : use.unsharedNames) {
    auto it = llvm::find_if(block.layers, [&, &name = name](const Layer &l) {
      return l.name == name;
    });
    if (it == block.layers.end()) {
      std::vector<StringRef> names;
      for (const Layer &l : block.layers)
        names.push_back(l.name);
      rep.error(range, "block '" + block.name + "' has no layer '" + name +
                           "'" + didYouMean(name, names));
      ok = false;
      continue;
    }
    if (it->kind == LayerKind::Block) {
      rep.error(range, "'" + name +
                           "' is a block; 'unshared' takes the looped block's "
                           "built-in layers (norms, projections, ...)");
      ok = false;
      continue;
    }
    unsigned index = unsigned(it - block.layers.begin());
    if (llvm::is_contained(use.unshared, index)) {
      rep.error(range, "'" + name + "' is named twice in 'unshared'");
      ok = false;
      continue;
    }
    use.unshared.push_back(index);
  }
  return ok;
}

bool ForwardBuilder::resolveExitGate(Layer &loop, const ValueType &output) {
  BlockUseSpec &use = loop.blockUse;
  auto it = body.layerIndex.find(use.exitGateName);
  if (it == body.layerIndex.end()) {
    std::vector<llvm::StringRef> names;
    for (const Layer &layer : body.layers)
      names.push_back(layer.name);
    rep.error(use.exitGateRange, "unknown exit gate layer '" +
                                     use.exitGateName + "'" +
                                     didYouMean(use.exitGateName, names));
    return false;
  }
  BodyLayer &info = body.info[it->second];
  info.used = true;
  if (info.failed)
    return false;
  const Layer &gate = body.layers[it->second];
  if (gate.kind != LayerKind::Linear || gate.linear.out != 1 ||
      output.kind != ValueType::Kind::Features ||
      gate.linear.in != output.width) {
    rep.error(use.exitGateRange,
              "the exit gate '" + use.exitGateName + "' of '" + loop.name +
                  "' must be a Linear(" + llvm::Twine(output.width) +
                  ", 1) (one logit per token from the loop's " +
                  describeType(output) + " result)");
    rep.note(info.decl->nameRange.Start, "the gate is declared here");
    return false;
  }
  use.exitGate = it->second;
  return true;
}

bool Elaborator::elabForward(const ForwardDecl &decl, Body &body,
                             llvm::ArrayRef<ValueType> inputs,
                             Forward &forward) {
  return ForwardBuilder(*this, body, forward).build(decl, inputs);
}
