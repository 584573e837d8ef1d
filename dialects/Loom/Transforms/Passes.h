//===- Passes.h - loom architecture passes ----------------------*- C++ -*-===//
//
// Architecture-level passes on the `loom` dialect (see Passes.td).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECT_LOOM_TRANSFORMS_PASSES_H
#define LOOM_DIALECT_LOOM_TRANSFORMS_PASSES_H

#include "dialects/Loom/IR/LoomOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/StringMap.h"

namespace loom {

#define GEN_PASS_DECL
#include "dialects/Loom/Transforms/Passes.h.inc"

/// Refines result types in `module` as `--loom-infer-shapes` does. Passes that
/// change weights or shapes call this to leave verifiable IR behind.
llvm::LogicalResult inferShapes(mlir::ModuleOp module);

/// Unrolls every `loom.loop` nested in `root` (inner loops first).
void unrollLoops(mlir::Operation *root);

/// Replaces `attention` by its projections around a `loom.attend`, as
/// `--loom-decompose-attention` does; returns the output projection.
mlir::Value decomposeAttention(AttentionOp attention);

/// Fuses the q, k and v projections of `attend` into one product, as
/// `--loom-fuse-qkv` does; false (and nothing changed) if they do not
/// qualify.
bool fuseQKV(AttendOp attend);

/// Folds `norm`'s scale into the products that read it, as `--loom-fold-norm`
/// does; false (and nothing changed) if it does not qualify.
bool foldNorm(RMSNormOp norm);

/// The linear layers that read `value`, in program order, if each of its
/// uses is one's input (not a residual, not anything else); else none.
std::optional<llvm::SmallVector<LinearOp>> productsReading(mlir::Value value);

/// True if the param behind the weight `w` is read other than as a linear
/// layer's weight (a tied embedding table, say): a rescaled copy of it
/// would be a second table in memory.
bool isReadElsewhere(mlir::Value w);

/// If `w` is a weight smoothed by `--loom-smooth-activations` (`w *
/// loom.smooth_scales`), that scale op; else null.
SmoothScalesOp getSmoothing(mlir::Value w);

/// Rewrites `mlp` as one gate-and-up product, `loom.glu` and the down
/// projection, as `--loom-fuse-gate-up` does; false if it does not qualify.
bool fuseGateUp(GatedMLPOp mlp);

/// Makes the product (or MLP) that `add` adds to a residual start from that
/// residual, as `--loom-fuse-residual` does; false (and nothing changed) if
/// neither operand qualifies.
bool fuseResidual(AddOp add);

/// The calibrated importance of the `k` channels of the weight `source`
/// (a value computed from params; views of a matrix are named after it)
/// that `user` reads: a `loom.weight` of the
/// checkpoint param `NAME.importance` (NAME the weight's name, as
/// `describeWeight` gives it), declared if need be; in a block, a new
/// argument each call passes for its layer. Errors at `user`.
mlir::FailureOr<mlir::Value> importanceFor(mlir::Operation *user,
                                           mlir::Value source, int64_t k,
                                           mlir::ModuleOp module,
                                           mlir::SymbolTable &symbols);

/// The calibrated `statistic` of the `k` input channels of the weight
/// `source` that `user` reads, as `importanceFor` finds the importance:
/// `importance` ([k], `NAME.importance`) or `covariance` ([k, k],
/// `NAME.covariance`).
mlir::FailureOr<mlir::Value> calibrationFor(mlir::Operation *user,
                                            mlir::Value source,
                                            llvm::StringRef statistic,
                                            int64_t k, mlir::ModuleOp module,
                                            mlir::SymbolTable &symbols);

/// Replaces `mlp` by its up product, `loom.activation` and its down product;
/// returns the down product.
LinearOp splitMLP(MLPOp mlp);

/// Replaces `mlp` by its gate and up products, `loom.activation` of the
/// gate, their `loom.mul` and the down product; returns the down product.
LinearOp splitGatedMLP(GatedMLPOp mlp);

/// Rewrites `layer` (a `loom.attention`, `loom.gated_mlp` or `loom.mlp`)
/// into separate `loom.linear` products: `decomposeAttention`,
/// `splitGatedMLP` or `splitMLP`.
void splitIntoProducts(mlir::Operation *layer);

/// The checkpoint name of the param `weight` reads (its symbol if the param
/// is not found).
std::string checkpointNameOf(WeightOp weight, mlir::SymbolTable &symbols);

/// Removes the layer `call` (one result, of its first operand's type): its
/// result becomes its first operand, and the weights only it read go.
void eraseCall(mlir::func::CallOp call);

/// The layers of a model: the block calls of its entry points (and the
/// loops in them), by the checkpoint prefix their weights share
/// (`model.layers.3`, the block's own names for its weights removed).
struct Layers {
  llvm::StringMap<llvm::SmallVector<mlir::func::CallOp>> calls;
  /// The names in the order the calls come.
  llvm::SmallVector<std::string> order;
};
Layers findLayers(mlir::ModuleOp module, mlir::SymbolTable &symbols);

/// The module attribute `--loom-observe-layers` sets: the names of the
/// layers whose blocks observe their input and output, in call order.
constexpr llvm::StringLiteral kLayersAttr = "loom.layers";

/// The indices of `order`'s layers from least to most `influence` (every
/// layer has one; of equals, the later layer first): the order in which
/// `--loom-drop-layers{count}` removes them.
llvm::SmallVector<size_t>
rankByInfluence(llvm::ArrayRef<std::string> order,
                const llvm::StringMap<double> &influence);

/// The `count` layers of `order` of least `influence` (every layer has
/// one; ties go to the later layer), in the order of `order`: what
/// `--loom-drop-layers{count}` removes.
llvm::SmallVector<std::string>
leastInfluential(llvm::ArrayRef<std::string> order,
                 const llvm::StringMap<double> &influence, unsigned count);

/// `a, b, ..., z`: layer names for a message, at most the first and last
/// few.
std::string describeLayers(llvm::ArrayRef<std::string> names);

/// Makes the product that `activation` reads apply it in its epilogue, as
/// `--loom-fuse-activation` does; false (and nothing changed) if that
/// product does not qualify.
bool fuseActivation(ActivationOp activation);

/// The name `--loom-derive-weights` gives the derived param that computes
/// `value` (a weight computation; `arguments` maps a block's arguments to
/// the values one call passes): a param's (checkpoint) name, a concatenation
/// of params as `p.{a,b}.s`, a quantization as `w.q8_0`, the kept neurons
/// of a weight as `w.pruned96`, the name its pass chose
/// (`kDerivedNameAttr`), otherwise `op(operands...)`.
std::string describeWeight(mlir::Value value, const mlir::IRMapping &arguments,
                           mlir::SymbolTable &symbols);

/// A weight computation's name chosen by the pass that wrote it (a string
/// attribute on the computation's last op), which `describeWeight` returns.
constexpr llvm::StringLiteral kDerivedNameAttr = "loom.derived_name";

/// `p.{a,b}.s` for names `p.a.s` and `p.b.s`: the longest dotted prefix and
/// suffix all `names` share, around what differs; "" if they share none.
std::string bracedName(llvm::ArrayRef<std::string> names);

#define GEN_PASS_REGISTRATION
#include "dialects/Loom/Transforms/Passes.h.inc"

} // namespace loom

#endif // LOOM_DIALECT_LOOM_TRANSFORMS_PASSES_H
