//===- Forward.cpp - Checking forward bodies ------------------------------===//
//
// Turns a `forward` body into a typed dataflow graph (Forward). Every value
// is token ids [seq], features [seq, width], a row [width] (an embedding row
// that broadcasts in `+`), or a constant (a number, usable as a scale). Layer
// calls check their input's type; block layers are instantiated here, with
// the types of their inputs.
//
//===----------------------------------------------------------------------===//

#include "dsl/ElabImpl.h"

#include "llvm/ADT/STLExtras.h"

using namespace loom::dsl;
using namespace loom::dsl::detail;
using llvm::SMRange;
using llvm::StringRef;

namespace {

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
    node.width = type.width;
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
      rep.error(expr.getRange(),
                "cannot negate a tensor: '-' is not supported on tensors");
      return FValue::invalid();
    }
    std::optional<ConfigValue> value =
        elab.eval.negate(operand.value, expr.getRange());
    return value ? FValue::constant(*value) : FValue::invalid();
  }
  case Expr::Kind::Binary:
    return evalBinary(llvm::cast<BinaryExpr>(expr), depth);
  case Expr::Kind::Call:
    return evalCall(llvm::cast<CallExpr>(expr), depth);
  }
  return FValue::invalid();
}

FValue ForwardBuilder::evalIdent(const IdentExpr &expr) {
  StringRef name = expr.getName();
  auto local = locals.find(name);
  if (local != locals.end())
    return local->second;
  if (body.layerIndex.count(name)) {
    rep.error(expr.getRange(), "layer '" + name +
                                   "' must be called with its input, e.g. '" +
                                   name + "(x)'");
    return FValue::invalid();
  }
  if (const ConfigValue *value = body.scope->lookup(name)) {
    ConfigValue copy = *value;
    copy.range = expr.getRange();
    return FValue::constant(copy);
  }
  if (body.scope->poisoned.contains(name))
    return FValue::invalid();
  if (parseActivation(name)) {
    rep.error(expr.getRange(), "activation '" + name +
                                   "' must be called with its input, e.g. '" +
                                   name + "(x)'");
    return FValue::invalid();
  }
  rep.error(expr.getRange(),
            "unknown name '" + name + "'" + didYouMean(name, visibleNames()));
  return FValue::invalid();
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
  auto fail = [&](const llvm::Twine &msg) {
    rep.error(expr.getOpLoc(), msg, {range});
    return FValue::invalid();
  };
  if (op == '-' || op == '/')
    return fail("operator '" + llvm::Twine(op) +
                "' is not supported on tensors (only '+', elementwise '*' "
                "and scaling by a number)");

  if (lhs.isConst() || rhs.isConst()) {
    const FValue &tensor = lhs.isTensor() ? lhs : rhs;
    const FValue &scalar = lhs.isTensor() ? rhs : lhs;
    ValueType type = typeOfValue(tensor);
    if (op == '+')
      return fail("cannot add " + describe(scalar) + " to a tensor " +
                  describeType(type) + "; '+' needs two tensors");
    if (!isNumber(scalar.value))
      return fail("cannot scale a tensor by " + describe(scalar));
    if (type.kind != ValueType::Kind::Features)
      return fail("cannot scale " + describeType(type) +
                  "; only [seq, N] tensors can be scaled");
    FValue result = addTensor(Node::Op::Scale, range, type);
    forward.nodes[result.node].factor = toDouble(scalar.value);
    forward.nodes[result.node].operands = {tensor.node};
    return result;
  }

  ValueType a = typeOfValue(lhs), b = typeOfValue(rhs);
  StringRef verb = op == '+' ? "add" : "multiply";
  if (a.kind == ValueType::Kind::Ids || b.kind == ValueType::Kind::Ids)
    return fail("cannot " + verb + " " + describeType(a) + " and " +
                describeType(b) +
                ": token ids must go through an embedding first");
  if (op == '*' &&
      (a.kind == ValueType::Kind::Row || b.kind == ValueType::Kind::Row))
    return fail("cannot multiply " + describeType(a) + " and " +
                describeType(b) + ": a row can only be added");
  if (a.kind == ValueType::Kind::Row && b.kind == ValueType::Kind::Row)
    return fail("cannot add two rows; add a row to a [seq, N] tensor");
  if (a.width != b.width)
    return fail("cannot " + verb + " " + describeType(a) + " and " +
                describeType(b) + ": the widths differ");
  FValue result = addTensor(op == '+' ? Node::Op::Add : Node::Op::Mul, range,
                            ValueType::features(a.width));
  forward.nodes[result.node].operands = {lhs.node, rhs.node};
  return result;
}

FValue ForwardBuilder::evalCall(const CallExpr &call, unsigned depth) {
  StringRef callee = call.getCallee();
  SMRange calleeRange = call.getCalleeRange();
  auto layerIt = body.layerIndex.find(callee);
  std::optional<Activation> act = parseActivation(callee);

  if (layerIt == body.layerIndex.end() && !act) {
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
    return callLayer(layerIt->second, call, args);
  }

  // An activation function.
  if (!ok)
    return FValue::invalid();
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
