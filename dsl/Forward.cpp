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
      .Default(std::nullopt);
}

/// Functions of forward bodies other than activations: math functions,
/// `sum`/`mean`/`vector_norm` and `max`/`min` (reductions with one input,
/// elementwise with two), `pow`, `matmul` and `transpose`.
llvm::ArrayRef<StringRef> getFunctionNames() {
  static const StringRef names[] = {
      "exp",   "log", "tanh",   "sigmoid",   "sqrt",
      "rsqrt", "abs", "sum",    "mean",      "max",
      "min",   "pow", "matmul", "transpose", "vector_norm"};
  return names;
}

bool isFunction(StringRef name) {
  return llvm::is_contained(getFunctionNames(), name);
}

/// A value in a forward body.
struct FValue {
  enum class Kind { Invalid, Tensor, Const };
  Kind kind = Kind::Invalid;
  /// The node of a tensor.
  unsigned node = 0;
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
  bool isInvalid() const { return kind == Kind::Invalid; }
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
  /// `fn(x)` or `reduction(x)`: x must be features or a row.
  FValue reduce(Reduction reduction, const CallExpr &call,
                llvm::ArrayRef<FValue> args);
  FValue callBlock(unsigned index, const CallExpr &call,
                   llvm::ArrayRef<FValue> args);
  /// Finds the exit gate of adaptive loop `loop` (whose result is `output`)
  /// among the body's layers and checks that it is a `Linear(width, 1)`.
  bool resolveExitGate(Layer &loop, const ValueType &output);

  unsigned addNode(Node node) {
    forward.nodes.push_back(std::move(node));
    return forward.nodes.size() - 1;
  }
  FValue addTensor(Node::Op op, SMRange range, ValueType type) {
    Node node;
    node.op = op;
    node.range = range;
    node.isIds = type.kind == ValueType::Kind::Ids;
    node.isRow = type.kind == ValueType::Kind::Row;
    node.isMatrix = type.kind == ValueType::Kind::Matrix;
    node.width = type.width;
    node.rows = type.rows;
    return FValue::tensor(addNode(std::move(node)));
  }
  ValueType typeOfValue(const FValue &value) const {
    return typeOf(forward.nodes[value.node]);
  }
  std::string describe(const FValue &value) const {
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
      std::string what = describeName(stmt.target);
      if (!what.empty() && !locals.count(stmt.target)) {
        rep.error(stmt.targetRange,
                  "cannot assign to '" + stmt.target + "': it is " + what);
        continue;
      }
      locals[stmt.target] = evalExpr(*stmt.value, 0);
      continue;
    }
    returnStmt = &stmt;
    FValue value = evalExpr(*stmt.value, 0);
    if (value.isInvalid())
      continue;
    if (value.isConst() ||
        typeOfValue(value).kind != ValueType::Kind::Features) {
      rep.error(stmt.value->getRange(),
                "'forward' must return a [seq, N] tensor of features, but "
                "this is " +
                    describe(value));
      continue;
    }
    forward.result = value.node;
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
          type.kind != ValueType::Kind::Row) {
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
  if (!base.isTensor() || type.kind != ValueType::Kind::Row) {
    rep.error(expr.getBaseRange(),
              "only a vector (a Param(n) or a row) can be indexed, but '" +
                  expr.getBase() + "' is " + describe(base));
    return FValue::invalid();
  }
  int64_t i = index.value.intValue;
  if (i < 0 || i >= type.width) {
    rep.error(indexRange, "index " + llvm::Twine(i) + " is out of range for '" +
                              expr.getBase() + "', " + describeType(type));
    return FValue::invalid();
  }
  FValue result =
      addTensor(Node::Op::Element, expr.getRange(), ValueType::row(1));
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
  if (a.width != b.width && a.width != 1 && b.width != 1)
    return fail(describeBoth() + ": the widths differ (and neither is 1)");
  int64_t width = a.width == 1 ? b.width : a.width;
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
  if (!act)
    return callFunction(call, args);

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
  auto argRange = [&](size_t i) { return call.getArgs()[i].value->getRange(); };
  auto arity = [&](size_t min, size_t max, llvm::StringRef form) {
    if (args.size() >= min && args.size() <= max)
      return true;
    rep.error(calleeRange, "'" + callee + "' takes " + form + ", but " +
                               llvm::Twine(args.size()) +
                               (args.size() == 1 ? " was" : " were") +
                               " given");
    return false;
  };
  /// A tensor of features or a row, else an error at argument `i`.
  auto elementwiseInput = [&](size_t i) {
    if (args[i].isTensor()) {
      ValueType::Kind kind = typeOfValue(args[i]).kind;
      if (kind == ValueType::Kind::Features || kind == ValueType::Kind::Row)
        return true;
    }
    rep.error(argRange(i), "'" + callee +
                               "' expects a [seq, N] tensor or a row, but "
                               "got " +
                               describe(args[i]));
    return false;
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
  if (callee == "transpose") {
    if (!arity(1, 1, "one input"))
      return FValue::invalid();
    if (!args[0].isTensor() ||
        typeOfValue(args[0]).kind != ValueType::Kind::Matrix) {
      rep.error(argRange(0), "'transpose' takes a matrix (a Param(k, n)), but "
                             "got " +
                                 describe(args[0]) +
                                 "; transposing activations (which mixes "
                                 "tokens) is not supported yet");
      return FValue::invalid();
    }
    ValueType type = typeOfValue(args[0]);
    FValue result = addTensor(Node::Op::Transpose, call.getRange(),
                              ValueType::matrix(type.width, type.rows));
    forward.nodes[result.node].operands = {args[0].node};
    return result;
  }
  // matmul
  if (!arity(2, 2, "two inputs"))
    return FValue::invalid();
  if (!args[0].isTensor() ||
      typeOfValue(args[0]).kind != ValueType::Kind::Features) {
    rep.error(argRange(0), "the first input of 'matmul' must be a [seq, K] "
                           "tensor, but got " +
                               describe(args[0]));
    return FValue::invalid();
  }
  ValueType x = typeOfValue(args[0]);
  if (!args[1].isTensor() ||
      typeOfValue(args[1]).kind != ValueType::Kind::Matrix) {
    rep.error(argRange(1),
              "the second input of 'matmul' must be a matrix [K, N] (a "
              "Param(k, n), or its transpose), but got " +
                  describe(args[1]) +
                  (args[1].isTensor() && typeOfValue(args[1]).kind ==
                                             ValueType::Kind::Features
                       ? "; products of two activations (which mix tokens) "
                         "are not supported yet"
                       : ""));
    return FValue::invalid();
  }
  ValueType w = typeOfValue(args[1]);
  if (w.rows != x.width) {
    rep.error(call.getRange().Start,
              "'matmul' cannot multiply " + describeType(x) + " by " +
                  describeType(w) + ": " + llvm::Twine(x.width) +
                  " columns against " + llvm::Twine(w.rows) + " rows",
              {call.getRange()});
    return FValue::invalid();
  }
  FValue result = addTensor(Node::Op::MatMul, call.getRange(),
                            ValueType::features(w.width));
  forward.nodes[result.node].operands = {args[0].node, args[1].node};
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
                              type.kind != ValueType::Kind::Row)) {
    rep.error(inputRange, "'" + callee +
                              "' reduces a [seq, N] tensor or a row, but got " +
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
    int64_t rank = type.kind == ValueType::Kind::Features ? 2 : 1;
    int64_t value = axis.value.intValue;
    if (value < -rank || value >= rank) {
      rep.error(axisRange, "axis " + llvm::Twine(value) +
                               " is out of range for " + describeType(type) +
                               " (" + llvm::Twine(rank) + " axes)");
      return FValue::invalid();
    }
    if (value != -1 && value != rank - 1) {
      rep.error(axisRange, "'" + callee +
                               "' over axis 0, the sequence, mixes tokens, "
                               "which forward bodies cannot express yet; "
                               "reduce the last axis (-1)");
      return FValue::invalid();
    }
  }
  ValueType result = type.kind == ValueType::Kind::Features
                         ? ValueType::features(1)
                         : ValueType::row(1);
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
  if (repeated && numParams != 1) {
    rep.error(call.getCalleeRange(),
              "'" + name + "' repeats block '" + decl.name +
                  "', which must then take exactly one input, but its "
                  "forward takes " +
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
  if (!block || block->forward.result >= block->forward.nodes.size())
    return FValue::invalid();
  layer.blockUse.block = block;
  info.inputTypes = types;
  ValueType output = typeOf(block->forward.nodes[block->forward.result]);
  if (repeated && output != types[0]) {
    rep.error(call.getRange(),
              "'" + name + "' repeats block '" + decl.name +
                  "', so the block must return what it takes, but it takes " +
                  describeType(types[0]) + " and returns " +
                  describeType(output));
    return FValue::invalid();
  }
  if (layer.blockUse.exit == BlockUseSpec::Exit::Gate &&
      !resolveExitGate(layer, output))
    return FValue::invalid();
  FValue result = addTensor(Node::Op::CallLayer, call.getRange(), output);
  forward.nodes[result.node].layer = index;
  for (const FValue &arg : args)
    forward.nodes[result.node].operands.push_back(arg.node);
  return result;
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
