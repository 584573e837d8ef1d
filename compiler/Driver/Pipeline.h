//===- Pipeline.h - loomc's compilation pipelines ---------------*- C++ -*-===//

#ifndef LOOM_COMPILER_DRIVER_PIPELINE_H
#define LOOM_COMPILER_DRIVER_PIPELINE_H

#include "targets/Target.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace loom {

/// Options of Loom's pipelines: what `loomc` exposes as flags and `loom-opt`
/// as pipeline options (`--loom-cpu-pipeline="fuse-qkv=false"`).
struct LoomPipelineOptions
    : public mlir::PassPipelineOptions<LoomPipelineOptions> {
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("Code generation target"),
                             llvm::cl::init("cpu")};
  Option<bool> fuseQKV{*this, "fuse-qkv",
                       llvm::cl::desc("One product for each attention's q, k "
                                      "and v projections"),
                       llvm::cl::init(true)};
  Option<bool> fuseGateUp{*this, "fuse-gate-up",
                          llvm::cl::desc("One product for each gated MLP's "
                                         "gate and up projections"),
                          llvm::cl::init(true)};
  Option<bool> fuseResidual{
      *this, "fuse-residual",
      llvm::cl::desc("Start each product from the residual it is added to"),
      llvm::cl::init(true)};
  Option<bool> fuseActivation{
      *this, "fuse-activation",
      llvm::cl::desc("Apply activations in the epilogue of the products they "
                     "follow"),
      llvm::cl::init(true)};
  Option<bool> rollLayers{
      *this, "roll-layers",
      llvm::cl::desc("Roll stacks of layers into loops over their weights"),
      llvm::cl::init(true)};
  Option<bool> foldNorm{*this, "fold-norm",
                        llvm::cl::desc("Fold RMSNorm scales into the products "
                                       "that read the norm"),
                        llvm::cl::init(false)};
  Option<std::string> convertWeights{
      *this, "convert-weights",
      llvm::cl::desc("Keep the weights of linear layers and token "
                     "embedding tables in bf16 or f16, widened by generated "
                     "loops as they read them (the CUDA device build's "
                     "--weight-type; default: none)")};
  Option<std::string> quantize{
      *this, "quantize",
      llvm::cl::desc("Block-quantize the weights of linear layers: q8_0, "
                     "q4_0, q4_1, q4_k or int8 (default: none)")};
  ListOption<std::string> quantizeLayers{
      *this, "quantize-layers",
      llvm::cl::desc("Kinds of products to quantize: attention, ffn, head, "
                     "other (default: all)")};
  ListOption<std::string> quantizeInclude{
      *this, "quantize-include",
      llvm::cl::desc("Quantize only weights whose name matches one of these "
                     "regular expressions")};
  ListOption<std::string> quantizeOverride{
      *this, "quantize-override",
      llvm::cl::desc("PATTERN=FORMAT[:int8|:int8x2|:bf16]: quantize the "
                     "products whose weights' names match PATTERN in FORMAT "
                     "instead, their inputs rounded so where given")};
  Option<double> smoothActivations{
      *this, "smooth-activations",
      llvm::cl::desc("Smooth the inputs of products that read a norm with "
                     "this migration strength in [0, 1] "
                     "(--loom-smooth-activations; negative: off)"),
      llvm::cl::init(-1.0)};
  Option<bool> smoothAllProducts{
      *this, "smooth-all-products",
      llvm::cl::desc("With smooth-activations: also smooth products whose "
                     "input is not a norm's (their input times 1 / s at run "
                     "time)"),
      llvm::cl::init(false)};
  Option<bool> quantizeImportance{
      *this, "quantize-importance",
      llvm::cl::desc("Weigh rounding errors by the importance of each input "
                     "channel (checkpoint tensors NAME.importance, from a "
                     "calibration run)"),
      llvm::cl::init(false)};
  Option<bool> quantizeGptq{
      *this, "quantize-gptq",
      llvm::cl::desc("Round with error feedback (GPTQ) from the inputs' "
                     "covariance (checkpoint tensors NAME.covariance)"),
      llvm::cl::init(false)};
  Option<std::string> quantizeInputs{
      *this, "quantize-inputs",
      llvm::cl::desc("How each quantized product rounds its input: int8 "
                     "(8 bits per block), int8x2 (its error rounded again) "
                     "or bf16"),
      llvm::cl::init("int8")};
  ListOption<std::string> mergeLayers{
      *this, "merge-layers",
      llvm::cl::desc("Groups of layers to merge into their first, each "
                     "A+B(+...) (LaCo)")};
  Option<std::string> mergeMode{
      *this, "merge-mode",
      llvm::cl::desc("How merged weights combine: laco or average"),
      llvm::cl::init("laco")};
  ListOption<std::string> dropLayers{
      *this, "drop-layers",
      llvm::cl::desc("Remove these layers, named by their checkpoint prefix "
                     "(e.g. model.layers.7)")};
  Option<unsigned> dropCount{
      *this, "drop-count",
      llvm::cl::desc("Remove this many layers, those of least block "
                     "influence (see drop-scores)"),
      llvm::cl::init(0)};
  ListOption<std::string> dropScores{
      *this, "drop-scores",
      llvm::cl::desc("With drop-count: each layer's block influence, "
                     "NAME=VALUE")};
  Option<bool> observeLayers{
      *this, "observe-layers",
      llvm::cl::desc("Let calibration runs measure each layer's block "
                     "influence"),
      llvm::cl::init(true)};
  Option<double> pruneFFN{
      *this, "prune-ffn",
      llvm::cl::desc("Remove this fraction of every feed-forward network's "
                     "neurons, the least important of each layer (0: none)"),
      llvm::cl::init(0.0)};
  Option<double> pruneHeads{
      *this, "prune-heads",
      llvm::cl::desc("Remove this fraction of every attention's head groups, "
                     "the least important of each layer (0: none)"),
      llvm::cl::init(0.0)};
  Option<unsigned> pruneHeadsCount{
      *this, "prune-heads-count",
      llvm::cl::desc("Remove this many head groups from every attention "
                     "(0: none)"),
      llvm::cl::init(0)};
  ListOption<std::string> pruneHeadsKeep{
      *this, "prune-heads-keep",
      llvm::cl::desc("Per attention, WO=G: the attention whose output "
                     "weight is WO keeps G head groups (global pruning)")};
  ListOption<std::string> pruneFFNKeep{
      *this, "prune-ffn-keep",
      llvm::cl::desc("Per network, DOWN=N: the network whose down weight is "
                     "DOWN keeps N neurons (global pruning)")};
  Option<bool> pruneImportance{
      *this, "prune-importance",
      llvm::cl::desc("Score neurons and heads by calibrated activations "
                     "(checkpoint tensors NAME.importance) instead of weight "
                     "magnitude"),
      llvm::cl::init(false)};
  Option<int64_t> extractFFN{
      *this, "extract-ffn",
      llvm::cl::desc("Keep the first this many neurons of every "
                     "feed-forward network: a MatFormer sub-model (0: all)"),
      llvm::cl::init(0)};
  Option<int64_t> extractHeads{
      *this, "extract-heads",
      llvm::cl::desc("Keep the first this many key/value head groups of "
                     "every attention: a MatFormer sub-model (0: all)"),
      llvm::cl::init(0)};
  Option<int64_t> loopify{
      *this, "loopify",
      llvm::cl::desc("Share each stack's weights among this many blocks "
                     "applied in a loop (0: none)"),
      llvm::cl::init(0)};
  Option<std::string> loopifyInit{
      *this, "loopify-init",
      llvm::cl::desc("Shared weights from the layers they stand for: "
                     "average or first"),
      llvm::cl::init("average")};
  Option<int64_t> loopifyRank{
      *this, "loopify-rank",
      llvm::cl::desc("Rank of each layer's LoRA delta on the shared "
                     "matrices (0: none)"),
      llvm::cl::init(0)};
  Option<bool> loopifyFullRank{
      *this, "loopify-full-rank",
      llvm::cl::desc("LoRA deltas of each shared matrix's full rank (the "
                     "original model, up to rounding)"),
      llvm::cl::init(false)};
  Option<bool> loopifyShareVectors{
      *this, "loopify-share-vectors",
      llvm::cl::desc("Share vector weights (norm scales, biases) too"),
      llvm::cl::init(false)};
  Option<std::string> loopifyPrefix{
      *this, "loopify-prefix",
      llvm::cl::desc("Name the shared weights and deltas as a relaxed "
                     "recursive loop bound to this path reads them")};
  Option<int64_t> lowRank{
      *this, "low-rank",
      llvm::cl::desc("Factor the selected linear layers' weights into two "
                     "of this rank by truncated SVD (0: none)"),
      llvm::cl::init(0)};
  Option<double> lowRankKeep{
      *this, "low-rank-keep",
      llvm::cl::desc("Factor the selected linear layers' weights, keeping "
                     "this fraction of each one's parameters (0: none)"),
      llvm::cl::init(0.0)};
  ListOption<std::string> lowRankRanks{
      *this, "low-rank-ranks",
      llvm::cl::desc("Per weight, NAME=R: factor the selected product whose "
                     "weight is NAME at rank R")};
  Option<bool> lowRankImportance{
      *this, "low-rank-importance",
      llvm::cl::desc("Activation-aware factors: weigh input channels by "
                     "their calibrated importance (NAME.importance)"),
      llvm::cl::init(false)};
  Option<bool> loopifyImportance{
      *this, "loopify-importance",
      llvm::cl::desc("Activation-aware LoRA deltas: weigh input channels by "
                     "their calibrated importance (NAME.importance)"),
      llvm::cl::init(false)};
  ListOption<std::string> lowRankLayers{
      *this, "low-rank-layers",
      llvm::cl::desc("Kinds of products to factor: attention, ffn, head, "
                     "other (default: all)")};
  ListOption<std::string> lowRankInclude{
      *this, "low-rank-include",
      llvm::cl::desc("Factor only weights whose name matches one of these "
                     "regular expressions")};
  ListOption<std::string> lowRankExclude{
      *this, "low-rank-exclude",
      llvm::cl::desc("Do not factor weights whose name matches one of these "
                     "regular expressions")};
  ListOption<std::string> quantizeExclude{
      *this, "quantize-exclude",
      llvm::cl::desc("Do not quantize weights whose name matches one of "
                     "these regular expressions")};
  Option<bool> runtimeKernels{
      *this, "runtime-kernels",
      llvm::cl::desc("Call the runtime's kernels for products and attention "
                     "(otherwise everything is generated loops)"),
      llvm::cl::init(true)};
  Option<std::string> weightType{
      *this, "weight-type",
      llvm::cl::desc("What weight matrices are kept in at run time: keep "
                     "(the checkpoint's type), f32, f16 or bf16"),
      llvm::cl::init("keep")};
  Option<bool> parallelLoops{
      *this, "parallel-loops",
      llvm::cl::desc("Run generated loops on the runtime's threads"),
      llvm::cl::init(true)};
  Option<std::string> modelSymbol{
      *this, "model-symbol",
      llvm::cl::desc("Name of the exported model definition (default: "
                     "loom_model_<Name>)")};
  Option<bool> program{*this, "program",
                       llvm::cl::desc("Also define loom_program_model (for "
                                      "executables)"),
                       llvm::cl::init(false)};
  Option<std::string> deviceModelSymbol{
      *this, "device-model-symbol",
      llvm::cl::desc("The exported definition of the model's device build, "
                     "which the definition points to (default: none)")};
  Option<std::string> gpuChip{
      *this, "gpu-chip",
      llvm::cl::desc("Device targets: the architecture kernels are compiled "
                     "for (default: the target's)")};
  Option<bool> gpuAssembly{
      *this, "gpu-assembly",
      llvm::cl::desc("Device targets: embed the kernels' assembly (PTX) "
                     "instead of their binary"),
      llvm::cl::init(false)};
  Option<bool> gpuTensorCores{
      *this, "gpu-tensor-cores",
      llvm::cl::desc("Device targets: compute the products of many rows on "
                     "the tensor cores (TF32 for f32)"),
      llvm::cl::init(true)};
  Option<bool> gpuElideHostWaits{
      *this, "gpu-elide-host-waits",
      llvm::cl::desc("Device targets: let the host run ahead of the GPU "
                     "where it reads nothing the GPU computed"),
      llvm::cl::init(false)};
  Option<bool> emulateGpu{
      *this, "emulate-gpu",
      llvm::cl::desc("Device targets: run the kernels as host loops on host "
                     "memory (tests without a GPU)"),
      llvm::cl::init(false)};
};

/// The passes that remove or merge whole layers (merge, drop, extract), the
/// first of `buildLoomOptimizationPipeline`: what global pruning scores
/// the remaining layers after.
void buildLoomStructuralPipeline(mlir::OpPassManager &pm,
                                 const LoomPipelineOptions &options);

/// The passes that remove neurons and head groups (prune-heads,
/// prune-ffn), after the structural ones in `buildLoomOptimizationPipeline`.
void buildLoomPruningPipeline(mlir::OpPassManager &pm,
                              const LoomPipelineOptions &options);

/// `loom` → `loom`: the architecture-level optimizations, each switched by
/// its option (`loom-optimize-pipeline`).
void buildLoomOptimizationPipeline(mlir::OpPassManager &pm,
                                   const LoomPipelineOptions &options);

/// Optimized `loom` IR → linalg on tensors bound to the runtime's calling
/// convention: bind the runtime (model context, KV cache, positions), the
/// target's own lowering of bound ops (runtime kernel calls), then every
/// layer to linalg. Blocks stay functions, so their code is emitted once.
mlir::LogicalResult
buildLoomToLinalgPipeline(mlir::OpPassManager &pm,
                          const LoomPipelineOptions &options);

/// The whole compilation, `loom` IR to the LLVM dialect of the target
/// `options.target` (`loom-pipeline`; `loom-cpu-pipeline` for the CPU):
/// optimize, bind and lower, then the target.
mlir::LogicalResult buildTargetPipeline(mlir::OpPassManager &pm,
                                        const LoomPipelineOptions &options);

/// The target named by `options.target`, or an error listing those there
/// are.
llvm::Expected<const Target *> findTarget(const LoomPipelineOptions &options);

/// What the target's passes need from `options`.
TargetOptions getTargetOptions(const LoomPipelineOptions &options);

/// Registers the pipelines above under their names (for loom-opt).
void registerLoomPipelines();

/// What `linkModel` produces.
enum class LinkKind {
  Executable,    ///< a program with the runtime's `main`
  SharedLibrary, ///< a library exporting the loom_model.h C API
};

/// Links `objectPath` with the runtime libraries found in `runtimeDir` into
/// `outputPath`, using the C++ compiler driver `linker` (empty: the first of
/// clang++-22, clang++, g++ on PATH).
mlir::LogicalResult linkModel(llvm::StringRef objectPath,
                              llvm::StringRef outputPath, LinkKind kind,
                              llvm::StringRef runtimeDir,
                              llvm::StringRef linker);

} // namespace loom

#endif // LOOM_COMPILER_DRIVER_PIPELINE_H
