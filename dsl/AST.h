//===- AST.h - Loom language abstract syntax tree ---------------*- C++ -*-===//
//
// The syntax tree of a `.loom` file exactly as written. Every node carries the
// source range it was parsed from so that later stages (semantic checks,
// MLIRGen) can point their diagnostics at the `.loom` source. Nothing here is
// resolved or evaluated; see Elab.h for the checked, concrete form.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DSL_AST_H
#define LOOM_DSL_AST_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace loom::dsl {

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

/// Base class of all expressions. Uses LLVM-style RTTI (`llvm::isa`,
/// `llvm::dyn_cast`) on `getKind()`.
class Expr {
public:
  enum class Kind {
    Int,
    Float,
    Bool,
    String,
    Ident,
    Unary,
    Binary,
    Call,
    Index
  };

  Expr(Kind kind, llvm::SMRange range) : kind(kind), range(range) {}
  virtual ~Expr() = default;

  Kind getKind() const { return kind; }
  /// The source text this expression was parsed from.
  llvm::SMRange getRange() const { return range; }
  llvm::SMLoc getLoc() const { return range.Start; }

private:
  Kind kind;
  llvm::SMRange range;
};

using ExprPtr = std::unique_ptr<Expr>;

/// An integer literal: `768`.
class IntExpr : public Expr {
public:
  IntExpr(int64_t value, llvm::SMRange range)
      : Expr(Kind::Int, range), value(value) {}
  int64_t getValue() const { return value; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Int; }

private:
  int64_t value;
};

/// A floating-point literal: `1e-5`, `10000.0`.
class FloatExpr : public Expr {
public:
  FloatExpr(double value, llvm::SMRange range)
      : Expr(Kind::Float, range), value(value) {}
  double getValue() const { return value; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Float; }

private:
  double value;
};

/// `true` or `false`.
class BoolExpr : public Expr {
public:
  BoolExpr(bool value, llvm::SMRange range)
      : Expr(Kind::Bool, range), value(value) {}
  bool getValue() const { return value; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Bool; }

private:
  bool value;
};

/// A string literal with escapes already decoded: `"model.layers.{i}"`.
class StringExpr : public Expr {
public:
  StringExpr(std::string value, llvm::SMRange range)
      : Expr(Kind::String, range), value(std::move(value)) {}
  llvm::StringRef getValue() const { return value; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::String; }

private:
  std::string value;
};

/// A reference to a name: a config entry, a block parameter, a layer, a local
/// value in a `forward` body, or an activation function (`silu`).
class IdentExpr : public Expr {
public:
  IdentExpr(std::string name, llvm::SMRange range)
      : Expr(Kind::Ident, range), name(std::move(name)) {}
  llvm::StringRef getName() const { return name; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Ident; }

private:
  std::string name;
};

/// A prefix operator: `-x`.
class UnaryExpr : public Expr {
public:
  UnaryExpr(char op, ExprPtr operand, llvm::SMRange range)
      : Expr(Kind::Unary, range), op(op), operand(std::move(operand)) {}
  /// The operator character, currently only '-'.
  char getOp() const { return op; }
  const Expr &getOperand() const { return *operand; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Unary; }

private:
  char op;
  ExprPtr operand;
};

/// An infix operator: `a + b`, `a - b`, `a * b`, `a / b`.
class BinaryExpr : public Expr {
public:
  BinaryExpr(char op, ExprPtr lhs, ExprPtr rhs, llvm::SMRange range,
             llvm::SMLoc opLoc)
      : Expr(Kind::Binary, range), op(op), opLoc(opLoc), lhs(std::move(lhs)),
        rhs(std::move(rhs)) {}
  /// One of '+', '-', '*', '/'.
  char getOp() const { return op; }
  /// Location of the operator token itself.
  llvm::SMLoc getOpLoc() const { return opLoc; }
  const Expr &getLHS() const { return *lhs; }
  const Expr &getRHS() const { return *rhs; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }

private:
  char op;
  llvm::SMLoc opLoc;
  ExprPtr lhs, rhs;
};

/// One argument of a call or a layer constructor: positional (`768`) or
/// keyword (`bias = false`).
struct Arg {
  /// Keyword name; empty for a positional argument.
  std::string name;
  /// Location of the keyword (invalid for positional arguments).
  llvm::SMRange nameRange;
  ExprPtr value;

  bool isKeyword() const { return !name.empty(); }
};

/// A call: `attn(attn_norm(x))`, `silu(h)`, `Decoder(dim = 512)`.
class CallExpr : public Expr {
public:
  CallExpr(std::string callee, llvm::SMRange calleeRange, std::vector<Arg> args,
           llvm::SMRange range)
      : Expr(Kind::Call, range), callee(std::move(callee)),
        calleeRange(calleeRange), args(std::move(args)) {}
  llvm::StringRef getCallee() const { return callee; }
  llvm::SMRange getCalleeRange() const { return calleeRange; }
  const std::vector<Arg> &getArgs() const { return args; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }

private:
  std::string callee;
  llvm::SMRange calleeRange;
  std::vector<Arg> args;
};

/// An element of a named value: `weight[0]`.
class IndexExpr : public Expr {
public:
  IndexExpr(std::string base, llvm::SMRange baseRange, ExprPtr index,
            llvm::SMRange range)
      : Expr(Kind::Index, range), base(std::move(base)), baseRange(baseRange),
        index(std::move(index)) {}
  llvm::StringRef getBase() const { return base; }
  llvm::SMRange getBaseRange() const { return baseRange; }
  const Expr &getIndex() const { return *index; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Index; }

private:
  std::string base;
  llvm::SMRange baseRange;
  ExprPtr index;
};

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

/// `name = expr` inside a `config { ... }` section.
struct ConfigEntry {
  std::string name;
  llvm::SMRange nameRange;
  ExprPtr value;
};

/// A declared parameter of a top-level block: `block Decoder(dim, eps = 1e-5)`.
struct BlockParam {
  std::string name;
  llvm::SMRange nameRange;
  /// Default value; null when the parameter is required.
  ExprPtr defaultValue;
};

/// A layer declaration in a model or block body:
///
///   name = Callee(args)                      @ "binding"
///   name = Block[count]                      @ "model.layers.{i}"
///   name = loop Block x count                @ "model.shared"
///   name = loop Block[count] x loopCount     @ "model.middle.{i}"
///   name = loop Block x count lora(rank)      @ "model.shared"
///   name = loop Block x count exit(gate = g, threshold = 0.5) @ "model"
///   name = loop Block x count unshared(norm1, norm2) @ "model.shared"
///
/// `Callee` is a built-in layer (`Linear`, `Attention`, ...) or a block.
struct LayerDecl {
  std::string name;
  llvm::SMRange nameRange;
  /// True for `loop ...` declarations (weights shared across iterations).
  bool isLoop = false;
  llvm::SMLoc loopLoc;
  std::string callee;
  llvm::SMRange calleeRange;
  /// Constructor arguments; empty when written without parentheses.
  std::vector<Arg> args;
  /// True when the constructor was written with parentheses, even empty ones.
  bool hasParens = false;
  /// `[count]`: number of stacked copies with distinct weights; null if absent.
  ExprPtr stackCount;
  /// `x count` after a `loop`: number of iterations; null if absent.
  ExprPtr loopCount;
  /// `lora(rank)` after a loop's count: each iteration's low-rank delta on
  /// the shared matrices; null if absent.
  ExprPtr loraRank;
  llvm::SMLoc loraLoc;
  /// `exit(...)` after a loop's count: how a token leaves the loop early
  /// (`gate = layer` or `converge`, and `threshold = t`); empty if absent.
  std::vector<Arg> exitArgs;
  /// `exit` (the keyword) when written; invalid otherwise.
  llvm::SMRange exitRange;
  /// `unshared(a, b, ...)` after a loop's count: layers of the looped block
  /// that each iteration has its own copy of; empty if absent.
  std::vector<Arg> unsharedArgs;
  /// `unshared` (the keyword) when written; invalid otherwise.
  llvm::SMRange unsharedRange;
  /// `@ "binding"`: checkpoint name (template) of this layer; absent when not
  /// written, in which case the layer's own name is used.
  std::optional<std::string> binding;
  llvm::SMRange bindingRange;
  /// The whole declaration.
  llvm::SMRange range;
};

/// A statement of a `forward` body.
struct Stmt {
  enum class Kind { Assign, Return };
  Kind kind;
  /// Assigned name (for Assign).
  std::string target;
  llvm::SMRange targetRange;
  /// Further names of `a, b = block(x, y)`, which assigns each value a block
  /// returns.
  std::vector<std::pair<std::string, llvm::SMRange>> moreTargets;
  ExprPtr value;
  /// Further values of `return a, b` (a block returning several values).
  std::vector<ExprPtr> moreValues;
  llvm::SMRange range;
};

/// `forward(x, ...) { statements }`.
struct ForwardDecl {
  struct Param {
    std::string name;
    llvm::SMRange range;
    /// `forward(x[width])`: the model's input is float features of this
    /// width rather than token ids; null if absent.
    std::shared_ptr<Expr> width;
  };
  std::vector<Param> params;
  std::vector<Stmt> body;
  llvm::SMRange range;
};

/// `block Name(params) { layers; forward }`, at file level or inside a model.
struct BlockDecl {
  std::string name;
  llvm::SMRange nameRange;
  /// Declared parameters; only file-level blocks may have them.
  std::vector<BlockParam> params;
  bool hasParamList = false;
  std::vector<LayerDecl> layers;
  std::optional<ForwardDecl> forward;
  llvm::SMRange range;
};

/// `model Name { config; blocks; layers; forward }`.
struct ModelDecl {
  std::string name;
  llvm::SMRange nameRange;
  std::vector<ConfigEntry> config;
  /// Location of the `config` keyword, invalid when there is no config.
  llvm::SMLoc configLoc;
  std::vector<std::unique_ptr<BlockDecl>> blocks;
  std::vector<LayerDecl> layers;
  std::optional<ForwardDecl> forward;
  llvm::SMRange range;
};

/// `import "path.loom"`.
struct ImportDecl {
  std::string path;
  llvm::SMRange range;
};

/// One parsed `.loom` file.
struct File {
  /// The llvm::SourceMgr buffer this file was parsed from.
  unsigned bufferId = 0;
  /// The source manager holding the buffer (set by parseFile); used to print
  /// line:column positions.
  const llvm::SourceMgr *sourceMgr = nullptr;
  std::vector<ImportDecl> imports;
  std::vector<std::unique_ptr<BlockDecl>> blocks;
  std::vector<std::unique_ptr<ModelDecl>> models;
};

} // namespace loom::dsl

#endif // LOOM_DSL_AST_H
