//===- ProductSelection.h - Which products a weight rewrite applies to ---===//
//
// The passes that rewrite the weights of products (quantization, low-rank
// factorization) choose them alike: by what the product computes, found
// from the graph, and by the checkpoint names of the weights it reads.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TRANSFORMS_PRODUCTSELECTION_H
#define LOOM_TRANSFORMS_PRODUCTSELECTION_H

#include "dialects/Loom/IR/LoomOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/Support/Regex.h"

#include <optional>
#include <string>

namespace loom {

/// What a product computes in the model.
enum class ProductKind { Attention, Ffn, Head, Other, Embedding };

/// The kind of `linear`, from the graph rather than from names: a product
/// that feeds attention or reads its output is an attention projection, one
/// that feeds or reads an activation is a feed-forward one, a product the
/// entry point returns is the head.
ProductKind classifyProduct(LinearOp linear);

/// The checkpoint names `value` is computed from, once per way of calling
/// its function (a block called per layer gives one list per layer).
llvm::SmallVector<llvm::SmallVector<std::string>>
namesPerCall(mlir::Value value, mlir::ModuleOp module,
             mlir::SymbolTable &symbols);

/// The checkpoint names `value`, in the function `call` calls, is computed
/// from in that call; none when the call's own function is called several
/// ways (a block called from a block).
std::optional<llvm::SmallVector<std::string>>
namesInCall(mlir::Value value, mlir::func::CallOp call, mlir::ModuleOp module,
            mlir::SymbolTable &symbols);

/// Chooses products by kind (a pass's `layers` option: attention, ffn, head,
/// other, and for some passes embedding; all but embedding when empty) and by
/// regular expressions searched in their weights' checkpoint names (`include`:
/// one must match when any are given; `exclude`: none may). A product in a
/// block reads other names in each call but is rewritten alike in every call,
/// so its calls must agree.
class ProductSelection {
public:
  /// Parses the options of `pass` (named in errors, at `module`), which
  /// does what `verb` says to the products it selects ("quantize", and
  /// "quantized" as `participle`). With `embeddings`, the kind `embedding`
  /// (token embedding tables) may be named too; it is never a default.
  static mlir::FailureOr<ProductSelection>
  parse(mlir::ModuleOp module, llvm::StringRef pass, llvm::StringRef verb,
        llvm::StringRef participle, llvm::ArrayRef<std::string> layers,
        llvm::ArrayRef<std::string> include,
        llvm::ArrayRef<std::string> exclude, bool embeddings = false);

  /// Whether a product of `kind` at `op` whose weight is `weight` is
  /// selected; an error at `op` when its calls disagree.
  mlir::FailureOr<bool> selects(mlir::Operation *op, ProductKind kind,
                                mlir::Value weight);
  /// `selects` for a `loom.linear`, of its classified kind.
  mlir::FailureOr<bool> selects(LinearOp linear) {
    return selects(linear, classifyProduct(linear), linear.getW());
  }

  /// Whether a product of `kind` reading `names` (one call's) is selected;
  /// records nothing.
  bool selectsNames(ProductKind kind, llvm::ArrayRef<std::string> names) {
    return kinds.test(unsigned(kind)) && matches(names, /*record=*/false);
  }

  /// Warns, at the module, of each include pattern that matched no selected
  /// product (a pattern with a typo).
  void warnUnmatched();

  mlir::SymbolTable &getSymbols() { return symbols; }

private:
  ProductSelection(mlir::ModuleOp module, llvm::StringRef pass,
                   llvm::StringRef verb, llvm::StringRef participle)
      : module(module), symbols(module), pass(pass.str()), verb(verb.str()),
        participle(participle.str()) {}

  /// Whether the names of one call pass the patterns; records which include
  /// patterns matched when `record`.
  bool matches(llvm::ArrayRef<std::string> names, bool record);

  mlir::ModuleOp module;
  mlir::SymbolTable symbols;
  std::string pass, verb, participle;
  llvm::SmallBitVector kinds;
  llvm::SmallVector<llvm::Regex> include, exclude;
  /// The include patterns as written, and which matched.
  llvm::SmallVector<std::string> includeTexts;
  llvm::SmallVector<bool> includeMatched;
};

} // namespace loom

#endif // LOOM_TRANSFORMS_PRODUCTSELECTION_H
