//===- loomc.cpp - The Loom compiler driver -------------------------------===//
//
// loomc reads a `.loom` model, checks it, and emits one of the compilation
// stages selected with `--emit`.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/Passes.h"
#include "compiler/Driver/DiagnosticBridge.h"
#include "compiler/Driver/Manifest.h"
#include "compiler/Driver/Pipeline.h"
#include "compiler/Import/GlobalPruning.h"
#include "compiler/Import/Import.h"
#include "compiler/Import/LayerInfluence.h"
#include "compiler/Import/LowRankEnergy.h"
#include "compiler/MLIRGen/MLIRGen.h"
#include "dialects/Loom/IR/LoomDialect.h"
#include "dialects/Loom/Transforms/Passes.h"
#include "dsl/Diagnostics.h"
#include "dsl/Dot.h"
#include "dsl/Elab.h"
#include "dsl/Parser.h"
#include "runtime/include/loom/loom_abi.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/cuda/CudaTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Support/ToolUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#ifndef LOOM_VERSION
#define LOOM_VERSION "unknown"
#endif

using namespace mlir;
using namespace loom;
namespace cl = llvm::cl;

namespace {

/// The compilation stage `loomc` stops at and prints.
enum class EmitAction {
  AST,         ///< the syntax tree of the main file
  Dot,         ///< the architecture as a Graphviz graph
  Svg,         ///< the same rendered by Graphviz's `dot`
  MLIR,        ///< `loom` dialect IR
  Params,      ///< the checkpoint manifest (JSON)
  Layers,      ///< the layers, with their block influence
  Pruning,     ///< what the pruning settings keep of each layer
  Linalg,      ///< linalg on tensors, bound to the runtime
  LLVMDialect, ///< the LLVM dialect
  PTX,         ///< the device build's kernels as PTX (--target=cuda)
  LLVMIR,      ///< optimized LLVM IR
  Object,      ///< a relocatable object
  Exe,         ///< an executable linked with the runtime
  Lib,         ///< a shared library with the loom_model.h C API
  Weights,     ///< the checkpoint with every weight rewrite applied
};

cl::OptionCategory loomcCategory("loomc options");

cl::opt<std::string> inputFilename(cl::Positional,
                                   cl::desc("<input .loom file>"),
                                   cl::init("-"), cl::cat(loomcCategory));

cl::opt<std::string> outputFilename("o", cl::desc("Output file (default: -)"),
                                    cl::value_desc("file"), cl::init("-"),
                                    cl::cat(loomcCategory));

cl::opt<EmitAction> emitAction(
    "emit", cl::desc("Stage to emit:"), cl::init(EmitAction::Exe),
    cl::values(
        clEnumValN(EmitAction::AST, "ast", "the syntax tree"),
        clEnumValN(EmitAction::Dot, "dot",
                   "the architecture as a Graphviz graph"),
        clEnumValN(EmitAction::Svg, "svg",
                   "the architecture as an SVG picture (needs Graphviz)"),
        clEnumValN(EmitAction::MLIR, "mlir", "`loom` dialect IR"),
        clEnumValN(EmitAction::Params, "params",
                   "the checkpoint tensors the model reads (JSON)"),
        clEnumValN(EmitAction::Pruning, "pruning",
                   "what --prune-ffn and --prune-heads (and --prune-scope) "
                   "keep of each layer's neurons and head groups"),
        clEnumValN(EmitAction::Layers, "layers",
                   "the layers, with their block influence (from "
                   "--layer-influence) and what --drop-layers-count "
                   "removes"),
        clEnumValN(EmitAction::Linalg, "linalg",
                   "linalg on tensors bound to the runtime"),
        clEnumValN(EmitAction::LLVMDialect, "llvm-mlir", "the LLVM dialect"),
        clEnumValN(EmitAction::PTX, "ptx",
                   "with --target=cuda: the device build's kernels as PTX, "
                   "what ptxas assembles"),
        clEnumValN(EmitAction::LLVMIR, "llvm", "optimized LLVM IR"),
        clEnumValN(EmitAction::Object, "obj", "an object file"),
        clEnumValN(EmitAction::Exe, "exe", "an executable that runs the model"),
        clEnumValN(EmitAction::Lib, "lib",
                   "a shared library and its C header, loom_model.h"),
        clEnumValN(EmitAction::Weights, "weights",
                   "the checkpoint given with --weights, with every weight "
                   "rewrite applied (.safetensors)")),
    cl::cat(loomcCategory));

cl::opt<std::string>
    targetName("target",
               cl::desc("Code generation target (default cpu; --help lists "
                        "the targets there are)"),
               cl::value_desc("name"), cl::init("cpu"), cl::cat(loomcCategory));

cl::opt<std::string>
    gpuChip("gpu-chip",
            cl::desc("With --target=cuda: the GPU architecture to compile "
                     "kernels for (default sm_80, whose PTX later GPUs "
                     "also run; sm_90a for H100/H200 only)"),
            cl::value_desc("sm_NN"), cl::init(""), cl::cat(loomcCategory));

cl::opt<bool> gpuEmulate(
    "gpu-emulate",
    cl::desc("With --target=cuda: compile the kernels as host loops on host "
             "memory, for testing the target without a GPU (the program "
             "then needs a driver whose device memory is host memory)"),
    cl::init(false), cl::Hidden, cl::cat(loomcCategory));

cl::opt<bool> gpuTensorCores(
    "gpu-tensor-cores",
    cl::desc("With --target=cuda: compute the products of prompts (more "
             "than 16 rows) on the tensor cores, with f32 inputs rounded to "
             "TF32 (10 bits of mantissa) and f32 sums (default true; "
             "=false: in f32 on the CUDA cores)"),
    cl::init(true), cl::cat(loomcCategory));

cl::opt<bool> gpuElideHostWaits(
    "gpu-elide-host-waits",
    cl::desc("With --target=cuda: let the host queue the kernels of a "
             "step's next blocks and layers without waiting for the GPU, "
             "except where it reads what the GPU computed and when an "
             "entry point returns (default false until measured on a GPU)"),
    cl::init(false), cl::cat(loomcCategory));

cl::opt<std::string> mcpu("mcpu",
                          cl::desc("CPU to generate code for (default: the "
                                   "host, with all its features)"),
                          cl::value_desc("name"), cl::init("native"),
                          cl::cat(loomcCategory));

enum class Kernels { Runtime, Generated };

cl::opt<Kernels> kernels(
    "kernels", cl::desc("How linear layers are computed:"),
    cl::init(Kernels::Runtime),
    cl::values(clEnumValN(Kernels::Runtime, "runtime",
                          "the runtime's threaded matrix kernels (default)"),
               clEnumValN(Kernels::Generated, "generated",
                          "loops generated by the compiler (reference)")),
    cl::cat(loomcCategory));

cl::opt<bool> parallelLoops(
    "parallel-loops",
    cl::desc("Run generated loops (norms, activations, residuals) on the "
             "runtime's threads (default true)"),
    cl::init(true), cl::cat(loomcCategory));

cl::opt<bool> fuseQKV("fuse-qkv",
                      cl::desc("One product for each attention's q, k and v "
                               "projections (default true)"),
                      cl::init(true), cl::cat(loomcCategory));

cl::opt<bool> fuseGateUp("fuse-gate-up",
                         cl::desc("One product for each gated MLP's gate and "
                                  "up projections (default true)"),
                         cl::init(true), cl::cat(loomcCategory));

cl::opt<bool>
    fuseResidual("fuse-residual",
                 cl::desc("Start each product from the residual it is added to "
                          "(default true)"),
                 cl::init(true), cl::cat(loomcCategory));

cl::opt<bool> fuseActivation(
    "fuse-activation",
    cl::desc("Apply activations in the epilogue of the products they follow "
             "(default true)"),
    cl::init(true), cl::cat(loomcCategory));

cl::opt<bool> rollLayers(
    "roll-layers",
    cl::desc("Roll stacks of layers into loops over their weights, so that "
             "compile time stays flat in depth (default true)"),
    cl::init(true), cl::cat(loomcCategory));

cl::opt<bool> foldNorm("fold-norm",
                       cl::desc("Fold RMSNorm scales into the products that "
                                "read the norm (default false)"),
                       cl::init(false), cl::cat(loomcCategory));

cl::opt<std::string> weightType(
    "weight-type",
    cl::desc("What the program keeps weight matrices in: keep (the "
             "checkpoint's type: BF16/F16 checkpoints stream half the bytes), "
             "f32, f16 or bf16"),
    cl::value_desc("keep|f32|f16|bf16"), cl::init("keep"),
    cl::cat(loomcCategory));

cl::opt<std::string>
    quantize("quantize",
             cl::desc("Block-quantize the weights of linear layers (the "
                      "runtime's integer kernels read them): q8_0 (8.5 bits "
                      "a weight), q4_0 (4.5), q4_1 (5), q4_k (4.5, in "
                      "256-weight super-blocks) or int8 (8, one scale per "
                      "output channel); default none"),
             cl::value_desc("format"), cl::cat(loomcCategory));

cl::list<std::string> quantizeLayers(
    "quantize-layers", cl::CommaSeparated,
    cl::desc("With --quantize: the kinds of products to quantize, of "
             "attention, ffn, head, other, and embedding for the token "
             "embedding tables (default: every product, no table)"),
    cl::value_desc("kind,..."), cl::cat(loomcCategory));

cl::list<std::string> quantizeInclude(
    "quantize-include",
    cl::desc("With --quantize: quantize only weights whose checkpoint name "
             "matches this regular expression (repeatable)"),
    cl::value_desc("regex"), cl::cat(loomcCategory));

cl::list<std::string> quantizeExclude(
    "quantize-exclude",
    cl::desc("With --quantize: leave weights whose checkpoint name matches "
             "this regular expression alone (repeatable)"),
    cl::value_desc("regex"), cl::cat(loomcCategory));

cl::list<std::string> mergeLayers(
    "merge-layers",
    cl::desc("Merge groups of layers into their first by parameter merging "
             "(LaCo), each group A+B(+...), e.g. "
             "model.layers.12+model.layers.13 (comma-separated or repeated)"),
    cl::value_desc("A+B,..."), cl::CommaSeparated, cl::cat(loomcCategory));

cl::opt<std::string> mergeMode(
    "merge-mode",
    cl::desc("With --merge-layers: laco (the first layer plus the others' "
             "changes from it) or average"),
    cl::value_desc("laco|average"), cl::init("laco"), cl::cat(loomcCategory));

cl::list<std::string> dropLayers(
    "drop-layers",
    cl::desc("Remove these layers (blocks), named by their checkpoint "
             "prefix, e.g. model.layers.7 (comma-separated or repeated)"),
    cl::value_desc("name,..."), cl::CommaSeparated, cl::cat(loomcCategory));

cl::opt<std::string> pruneScope(
    "prune-scope",
    cl::desc("With --prune-ffn or --prune-heads: remove that fraction of "
             "each layer's neurons or head groups (layer), or of all the "
             "model's, each layer losing as many as its scores say (global; "
             "reads the checkpoint given with --weights at compile time)"),
    cl::value_desc("layer|global"), cl::init("layer"), cl::cat(loomcCategory));

cl::opt<unsigned> pruneHeadsCount(
    "prune-heads-count",
    cl::desc("Remove this many head groups from every attention (with "
             "--prune-scope=global: this many of the whole model's), the "
             "least important (default 0: none)"),
    cl::value_desc("groups"), cl::init(0), cl::cat(loomcCategory));

cl::opt<unsigned> dropLayersCount(
    "drop-layers-count",
    cl::desc("Remove this many layers, those of least block influence "
             "(ShortGPT) in the statistics of --layer-influence (default 0: "
             "none)"),
    cl::value_desc("count"), cl::init(0), cl::cat(loomcCategory));

cl::opt<std::string> layerInfluence(
    "layer-influence",
    cl::desc("Statistics file of a program's --calibrate run, whose "
             "LAYER.block_influence tensors --drop-layers-count and "
             "--emit=layers read"),
    cl::value_desc("path"), cl::cat(loomcCategory));

cl::opt<bool> observeLayers(
    "observe-layers",
    cl::desc("Let the program's --calibrate runs measure each layer's block "
             "influence, at the cost of a call per layer that returns at "
             "once outside them (default true)"),
    cl::init(true), cl::cat(loomcCategory));

/// The block influence read from --layer-influence, if given.
llvm::StringMap<double> influenceScores;

cl::opt<double>
    pruneFFN("prune-ffn",
             cl::desc("Remove this fraction of every feed-forward network's "
                      "neurons, the least important of each layer, in [0, 1) "
                      "(default 0: none)"),
             cl::value_desc("ratio"), cl::init(0.0), cl::cat(loomcCategory));

cl::opt<double>
    pruneHeads("prune-heads",
               cl::desc("Remove this fraction of every attention's head "
                        "groups (a key/value head and its query heads), the "
                        "least important of each layer, in [0, 1) (default "
                        "0: none)"),
               cl::value_desc("ratio"), cl::init(0.0), cl::cat(loomcCategory));

cl::opt<bool> pruneImportance(
    "prune-importance",
    cl::desc("With --prune-ffn or --prune-heads: score neurons and heads by "
             "their calibrated activations "
             "(checkpoint tensors NAME.importance, from a program's "
             "--calibrate run) instead of weight magnitude"),
    cl::init(false), cl::cat(loomcCategory));

cl::opt<int64_t> extractFFN(
    "extract-ffn",
    cl::desc("Run the MatFormer sub-model that keeps the first N neurons of "
             "every feed-forward network, from the full checkpoint (default "
             "0: all)"),
    cl::value_desc("neurons"), cl::init(0), cl::cat(loomcCategory));

cl::opt<int64_t> extractHeads(
    "extract-heads",
    cl::desc("Run the MatFormer sub-model that keeps the first N key/value "
             "head groups of every attention (with their query heads), from "
             "the full checkpoint (default 0: all)"),
    cl::value_desc("groups"), cl::init(0), cl::cat(loomcCategory));

cl::opt<int64_t> loopify(
    "loopify",
    cl::desc("Share each stack's weights among this many blocks, applied in "
             "a loop (Relaxed Recursive Transformers); they must divide the "
             "layers (default 0: none)"),
    cl::value_desc("blocks"), cl::init(0), cl::cat(loomcCategory));

cl::opt<std::string> loopifyInit(
    "loopify-init",
    cl::desc("With --loopify: a shared weight is the average of the layers' "
             "weights it stands for, or the first of them"),
    cl::value_desc("average|first"), cl::init("average"),
    cl::cat(loomcCategory));

cl::opt<int64_t> loopifyRank(
    "loopify-rank",
    cl::desc("With --loopify: give each layer a LoRA delta of this rank on "
             "each shared matrix, from the SVD of its difference from the "
             "shared weight (default 0: none)"),
    cl::value_desc("rank"), cl::init(0), cl::cat(loomcCategory));

cl::opt<bool> loopifyFullRank(
    "loopify-full-rank",
    cl::desc("With --loopify: LoRA deltas of each shared matrix's full rank "
             "(its smaller side), which reproduce the original model up to "
             "rounding (a check, or a start for truncating later)"),
    cl::init(false), cl::cat(loomcCategory));

cl::opt<bool> loopifyShareVectors(
    "loopify-share-vectors",
    cl::desc("With --loopify: share the vector weights (norm scales, biases) "
             "too, instead of keeping each layer's"),
    cl::init(false), cl::cat(loomcCategory));

cl::opt<std::string> loopifyPrefix(
    "loopify-prefix",
    cl::desc("With --loopify: name the shared weights and LoRA factors as "
             "the language's relaxed recursive loop bound to this "
             "checkpoint path reads them ('loop Decoder x N lora(r) @ "
             "\"PATH\"'; with several blocks, PATH has {i}), so that "
             "--emit=weights writes its checkpoint; needs "
             "--loopify-share-vectors"),
    cl::value_desc("path"), cl::cat(loomcCategory));

cl::opt<int64_t> lowRank(
    "low-rank",
    cl::desc("Factor the weights of linear layers into two of this rank "
             "(truncated SVD at load), where that makes them smaller "
             "(default 0: none)"),
    cl::value_desc("rank"), cl::init(0), cl::cat(loomcCategory));

cl::opt<double> lowRankKeep(
    "low-rank-keep",
    cl::desc("Factor the weights of linear layers, keeping this fraction of "
             "each one's parameters, in [0, 1) (default 0: none)"),
    cl::value_desc("fraction"), cl::init(0.0), cl::cat(loomcCategory));

cl::opt<double> lowRankEnergy(
    "low-rank-energy",
    cl::desc("Factor the weights of linear layers, each at the smallest rank "
             "whose singular values keep this fraction of its squared norm, "
             "in (0, 1] (reads the checkpoint given with --weights at "
             "compile time; default 0: none)"),
    cl::value_desc("fraction"), cl::init(0.0), cl::cat(loomcCategory));

cl::opt<bool> lowRankImportance(
    "low-rank-importance",
    cl::desc("With --low-rank or --low-rank-keep: activation-aware factors "
             "(ASVD), each input channel weighed by its calibrated "
             "importance (checkpoint tensors NAME.importance, from a "
             "program's --calibrate run)"),
    cl::init(false), cl::cat(loomcCategory));

cl::opt<bool> loopifyImportance(
    "loopify-importance",
    cl::desc("With --loopify-rank: activation-aware LoRA deltas, each input "
             "channel weighed by its calibrated importance (checkpoint "
             "tensors NAME.importance, from a program's --calibrate run)"),
    cl::init(false), cl::cat(loomcCategory));

cl::list<std::string> lowRankLayers(
    "low-rank-layers", cl::CommaSeparated,
    cl::desc("With --low-rank or --low-rank-keep: the kinds of products to "
             "factor, of attention, ffn, head, other (default all)"),
    cl::value_desc("kind,..."), cl::cat(loomcCategory));

cl::list<std::string> lowRankInclude(
    "low-rank-include",
    cl::desc("With --low-rank or --low-rank-keep: factor only weights whose "
             "checkpoint name matches this regular expression (repeatable)"),
    cl::value_desc("regex"), cl::cat(loomcCategory));

cl::list<std::string> lowRankExclude(
    "low-rank-exclude",
    cl::desc("With --low-rank or --low-rank-keep: leave weights whose "
             "checkpoint name matches this regular expression alone "
             "(repeatable)"),
    cl::value_desc("regex"), cl::cat(loomcCategory));

cl::list<std::string> quantizeOverride(
    "quantize-override",
    cl::desc(
        "With --quantize: quantize the products whose weights' "
        "checkpoint names match REGEX in FORMAT instead (repeatable; the "
        "first match wins), e.g. 'down_proj=q8_0'; FORMAT:bf16 (or :int8x2, "
        ":int8) also sets how their inputs are rounded, e.g. "
        "'ffn_down=q8_0:bf16'"),
    cl::value_desc("regex=format[:inputs]"), cl::cat(loomcCategory));

cl::opt<double> smoothActivations(
    "smooth-activations",
    cl::desc("Move the range of each normed input into the weights of the "
             "products that read it, with migration strength ALPHA in [0, 1] "
             "(SmoothQuant / AWQ), from checkpoint tensors NAME.importance "
             "(what a program's --calibrate run writes); for quantized "
             "builds"),
    cl::value_desc("alpha"), cl::init(-1.0), cl::cat(loomcCategory));

cl::opt<bool> smoothAllProducts(
    "smooth-all-products",
    cl::desc("With --smooth-activations: also smooth products whose input is "
             "not a norm's (post-norm models, output and down projections), "
             "multiplying their input by 1 / s as they run"),
    cl::init(false), cl::cat(loomcCategory));

cl::opt<bool> quantizeImportance(
    "quantize-importance",
    cl::desc("With --quantize: weigh rounding errors by each input channel's "
             "importance, read from checkpoint tensors NAME.importance (what "
             "a program's --calibrate run writes)"),
    cl::init(false), cl::cat(loomcCategory));

cl::opt<bool> quantizeGptq(
    "quantize-gptq",
    cl::desc("With --quantize: round with error feedback "
             "(GPTQ), each rounding error compensated on the weights not yet "
             "rounded, from checkpoint tensors NAME.covariance (what a "
             "program's --calibrate run with --calibrate-covariance writes)"),
    cl::init(false), cl::cat(loomcCategory));

cl::opt<std::string> quantizeInputs(
    "quantize-inputs",
    cl::desc("With --quantize: round each product's input to 8 bits per block "
             "of 32 (int8, the default), to 8 bits and its rounding error to 8 "
             "more (int8x2: a second integer product, about 15 bits), or to "
             "bfloat16 (bf16: 8 significant bits per value, bfloat16 dot "
             "products on CPUs that have them)"),
    cl::value_desc("int8|int8x2|bf16"), cl::init("int8"),
    cl::cat(loomcCategory));

cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level (0-3)"),
                           cl::Prefix, cl::init(3), cl::cat(loomcCategory));

cl::opt<std::string> linker("linker",
                            cl::desc("C++ compiler driver used to link "
                                     "executables (default: clang++-22)"),
                            cl::value_desc("program"), cl::cat(loomcCategory));

cl::list<std::string> defines("D", cl::Prefix,
                              cl::desc("Override a config entry"),
                              cl::value_desc("name=value"),
                              cl::cat(loomcCategory));

cl::list<std::string>
    includeDirs("I", cl::Prefix, cl::desc("Add a directory searched by import"),
                cl::value_desc("dir"), cl::cat(loomcCategory));

cl::opt<std::string> modelName("model",
                               cl::desc("Model to compile when the file "
                                        "defines several"),
                               cl::value_desc("name"), cl::cat(loomcCategory));

cl::list<std::string> weightsPath(
    "weights",
    cl::desc("Checkpoint to rewrite with --emit=weights, or to score every "
             "layer's neurons from with --prune-scope=global (a "
             ".safetensors file, an index, a directory or a .gguf file; "
             "repeat it to read several files as one, e.g. a model and its "
             "calibration statistics)"),
    cl::value_desc("path"), cl::cat(loomcCategory));

cl::opt<std::string> modelSymbol(
    "model-symbol",
    cl::desc("Name of the model's exported definition (default: "
             "loom_model_<Name>); give models linked into one program "
             "different names"),
    cl::value_desc("identifier"), cl::cat(loomcCategory));

cl::opt<bool> noLocations("no-locations",
                          cl::desc("Do not print .loom source locations in "
                                   "emitted IR"),
                          cl::init(false), cl::cat(loomcCategory));

cl::opt<bool> splitInputFile(
    "split-input-file",
    cl::desc("Compile each '// -----' separated chunk of the input "
             "independently (for tests)"),
    cl::init(false), cl::cat(loomcCategory));

cl::opt<bool> verifyDiagnostics(
    "verify-diagnostics",
    cl::desc("Check diagnostics against expected-* comments (for tests)"),
    cl::init(false), cl::cat(loomcCategory));

/// Parses the `-D name=value` flags. Reports malformed ones and fails.
LogicalResult parseDefines(dsl::ElabOptions &options) {
  for (const std::string &define : defines) {
    auto [name, value] = llvm::StringRef(define).split('=');
    name = name.trim();
    if (name.empty() || !llvm::StringRef(define).contains('=')) {
      llvm::WithColor::error(llvm::errs(), "loomc")
          << "-D expects name=value, got '" << define << "'\n";
      return failure();
    }
    options.overrides.emplace_back(name.str(), value.trim().str());
  }
  return success();
}

/// Prints `module` with the user's printing flags.
void printModule(ModuleOp module, llvm::raw_ostream &os) {
  OpPrintingFlags flags;
  if (!noLocations)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  module->print(os, flags);
  os << "\n";
}

/// The output file of the current invocation (binary stages write to it).
llvm::ToolOutputFile *outputFile = nullptr;

/// `<prefix>/<name>` where loomc is `<prefix>/bin/loomc`: the runtime
/// libraries are in `lib`, the embedding header in `include/loom`.
std::string installDir(llvm::StringRef name) {
  std::string self = llvm::sys::fs::getMainExecutable(
      nullptr, reinterpret_cast<void *>(&installDir));
  llvm::SmallString<256> dir(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(self)));
  llvm::sys::path::append(dir, name);
  return std::string(dir);
}

/// The name of the model's exported definition in `module`.
std::string exportedSymbol(ModuleOp module) {
  if (!modelSymbol.empty())
    return modelSymbol;
  auto model = module->getAttrOfType<StringAttr>("loom.model");
  return LOOM_MODEL_SYMBOL_PREFIX +
         (model ? model.getValue() : llvm::StringRef("model")).str();
}

/// Writes the embedding headers next to the library at `libraryPath`: the
/// C API (loom_model.h) and `<library>.h`, which declares the model's
/// definition `symbol`.
LogicalResult writeModelHeaders(llvm::StringRef libraryPath,
                                llvm::StringRef symbol) {
  auto fail = [](llvm::StringRef path, std::error_code ec) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "cannot write '" << path << "': " << ec.message() << "\n";
    return failure();
  };
  llvm::SmallString<256> source(installDir("include"));
  llvm::sys::path::append(source, "loom", "loom_model.h");
  llvm::SmallString<256> target(llvm::sys::path::parent_path(libraryPath));
  llvm::sys::path::append(target, "loom_model.h");
  if (std::error_code ec = llvm::sys::fs::copy_file(source, target))
    return fail(target, ec);

  llvm::SmallString<256> header(libraryPath);
  llvm::sys::path::replace_extension(header, "h");
  std::error_code ec;
  llvm::raw_fd_ostream os(header, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return fail(header, ec);
  std::string guard = "LOOM_MODEL_HEADER_" + llvm::StringRef(symbol).upper();
  os << "/* Generated by loomc: the model in "
     << llvm::sys::path::filename(libraryPath) << ". */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include \"loom_model.h\"\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/** Pass to loom_model_open. */\n"
     << "extern const struct loom_model_def " << symbol << ";\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return success();
}

/// `--emit=weights`: links the model into a temporary program and has it
/// write the rewritten checkpoint (the program's --export-weights), so the
/// derived weights are computed by the very code that would compute them at
/// load.
LogicalResult rewriteWeights(llvm::StringRef objectPath) {
  llvm::SmallString<128> programPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("loom-weights", "", programPath)) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "cannot create a temporary program: " << ec.message() << "\n";
    return failure();
  }
  llvm::FileRemover removeProgram(programPath);
  if (failed(linkModel(objectPath, programPath, LinkKind::Executable,
                       installDir("lib"), linker)))
    return failure();
  // Its messages read as loomc's.
  llvm::SmallVector<llvm::StringRef> args = {"loomc"};
  for (const std::string &path : weightsPath) {
    args.push_back("--weights");
    args.push_back(path);
  }
  args.push_back("--export-weights");
  args.push_back(outputFilename);
  std::string message;
  int status = llvm::sys::ExecuteAndWait(programPath, args, std::nullopt, {}, 0,
                                         0, &message);
  if (status != 0) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "rewriting the weights in '" << llvm::join(weightsPath, "', '")
        << "' failed" << (message.empty() ? "" : ": " + message) << "\n";
    return failure();
  }
  return success();
}

/// Renders the architecture picture of `model` with Graphviz's `dot`.
LogicalResult renderSvg(const dsl::Model &model, llvm::raw_ostream &os) {
  auto error = []() -> llvm::raw_ostream & {
    return llvm::WithColor::error(llvm::errs(), "loomc");
  };
  llvm::ErrorOr<std::string> dot = llvm::sys::findProgramByName("dot");
  if (!dot) {
    error() << "--emit=svg runs Graphviz's `dot`, which is not installed "
               "(apt-get install graphviz); --emit=dot writes the graph "
               "itself\n";
    return failure();
  }
  llvm::SmallString<128> graphPath, svgPath;
  if (llvm::sys::fs::createTemporaryFile("loomc", "dot", graphPath) ||
      llvm::sys::fs::createTemporaryFile("loomc", "svg", svgPath)) {
    error() << "cannot create temporary files for --emit=svg\n";
    return failure();
  }
  llvm::FileRemover removeGraph(graphPath), removeSvg(svgPath);
  {
    std::error_code ec;
    llvm::raw_fd_ostream graph(graphPath, ec);
    if (ec) {
      error() << graphPath << ": " << ec.message() << "\n";
      return failure();
    }
    dsl::writeDot(model, graph);
  }
  std::string message;
  int status =
      llvm::sys::ExecuteAndWait(*dot, {*dot, "-Tsvg", graphPath, "-o", svgPath},
                                std::nullopt, {}, 0, 0, &message);
  if (status != 0) {
    error() << "Graphviz's dot failed"
            << (message.empty() ? "" : ": " + message) << "\n";
    return failure();
  }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> svg =
      llvm::MemoryBuffer::getFile(svgPath);
  if (!svg) {
    error() << svgPath << ": " << svg.getError().message() << "\n";
    return failure();
  }
  os << (*svg)->getBuffer();
  return success();
}

/// `--emit=layers`: the layers of `module` in call order, with their block
/// influence and rank (1: the least) when --layer-influence gives them, and
/// those --drop-layers-count would remove.
LogicalResult writeLayerReport(ModuleOp module, llvm::raw_ostream &os) {
  SymbolTable symbols(module);
  Layers layers = findLayers(module, symbols);
  if (layers.order.empty()) {
    module.emitError("the model has no layers (block calls named by their "
                     "weights' checkpoint prefix)");
    return failure();
  }
  if (influenceScores.empty()) {
    for (const std::string &name : layers.order)
      os << name << "\n";
    return success();
  }
  for (const std::string &name : layers.order)
    if (!influenceScores.count(name)) {
      module.emitError() << "no block influence for layer '" << name << "' in "
                         << layerInfluence
                         << " (were the statistics measured on another "
                            "model?)";
      return failure();
    }
  // Rank 1 is the first a count removes.
  SmallVector<size_t> rankOf(layers.order.size());
  for (auto [rank, index] :
       llvm::enumerate(rankByInfluence(layers.order, influenceScores)))
    rankOf[index] = rank + 1;
  size_t width = 5;
  for (const std::string &name : layers.order)
    width = std::max(width, name.size());
  os << llvm::left_justify("layer", width) << "   influence  rank\n";
  for (auto [index, name] : llvm::enumerate(layers.order)) {
    size_t rank = rankOf[index];
    os << llvm::left_justify(name, width) << "  "
       << llvm::format("%10.6f", influenceScores.lookup(name)) << "  "
       << llvm::format_decimal(int64_t(rank), 4);
    if (rank <= dropLayersCount)
      os << "  removed by --drop-layers-count=" << dropLayersCount;
    os << "\n";
  }
  return success();
}

/// `--emit=pruning`: what the structural and pruning passes of `options`
/// keep of each layer's feed-forward neurons and attention head groups,
/// and the totals.
LogicalResult writePruningReport(ModuleOp module,
                                 const LoomPipelineOptions &options,
                                 llvm::raw_ostream &os) {
  PassManager pm(module.getContext());
  buildLoomStructuralPipeline(pm, options);
  buildLoomPruningPipeline(pm, options);
  if (failed(pm.run(module)))
    return failure();
  std::vector<PrunedLayer> layers = describePruning(module);
  size_t width = 6;
  for (const PrunedLayer &layer : layers)
    width = std::max(width, layer.name.size());
  os << llvm::left_justify("weight", width) << "  kind          kept    of\n";
  int64_t kept[2] = {0, 0}, total[2] = {0, 0};
  for (const PrunedLayer &layer : layers) {
    os << llvm::left_justify(layer.name, width) << "  "
       << llvm::left_justify(layer.attention ? "head groups" : "neurons", 12)
       << llvm::format_decimal(layer.kept, 6)
       << llvm::format_decimal(layer.total, 6) << "\n";
    kept[layer.attention] += layer.kept;
    total[layer.attention] += layer.total;
  }
  for (int attention : {0, 1})
    if (total[attention] != 0)
      os << (attention ? "head groups" : "neurons") << ": " << kept[attention]
         << " of " << total[attention] << " kept ("
         << llvm::format("%.1f", 100.0 * double(kept[attention]) /
                                     double(total[attention]))
         << "%)\n";
  return success();
}

/// Refuses what a device build cannot run yet, with the flag to blame.
LogicalResult checkDeviceBuild(const LoomPipelineOptions &options) {
  auto refuse = [&](StringRef flag) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--target=" << options.target.getValue() << " cannot build " << flag
        << " yet: its kernels take f32, bf16 or f16 weights only\n";
    return failure();
  };
  if (!options.quantize.empty())
    return refuse("--quantize");
  return success();
}

/// The device build's products read their weights in the half type
/// `--weight-type` names, converted at load; with `keep` or `f32`, in f32
/// (the kernels are compiled before the checkpoint's type is known).
void setDeviceWeightType(LoomPipelineOptions &options) {
  if (options.weightType == "bf16" || options.weightType == "f16")
    options.convertWeights = options.weightType.getValue();
}

/// Lowers `module` (loom IR) as far as `--emit` asks and writes the result.
LogicalResult emitLowered(ModuleOp module, llvm::raw_ostream &os) {
  if (emitAction == EmitAction::MLIR) {
    printModule(module, os);
    return success();
  }
  // The pipeline loom-opt runs as --loom-cpu-pipeline, with loomc's flags
  // as its options.
  PassManager pm(module.getContext());
  LoomPipelineOptions options;
  options.target = targetName;
  options.fuseQKV = fuseQKV;
  options.fuseGateUp = fuseGateUp;
  options.fuseResidual = fuseResidual;
  options.fuseActivation = fuseActivation;
  options.rollLayers = rollLayers;
  options.foldNorm = foldNorm;
  options.weightType = weightType;
  options.quantize = quantize;
  options.quantizeLayers = quantizeLayers;
  options.quantizeInclude = quantizeInclude;
  options.quantizeExclude = quantizeExclude;
  options.quantizeOverride = quantizeOverride;
  options.quantizeImportance = quantizeImportance;
  options.quantizeInputs = quantizeInputs;
  options.quantizeGptq = quantizeGptq;
  options.smoothActivations = smoothActivations;
  options.smoothAllProducts = smoothAllProducts;
  options.dropLayers = dropLayers;
  options.dropCount = dropLayersCount;
  for (const auto &entry : influenceScores)
    options.dropScores.addValue(entry.first().str() + "=" +
                                llvm::formatv("{0:e}", entry.second).str());
  options.observeLayers = observeLayers;
  options.pruneFFN = pruneFFN;
  options.pruneHeads = pruneHeads;
  options.pruneHeadsCount = pruneHeadsCount;
  options.pruneImportance = pruneImportance;
  options.extractFFN = extractFFN;
  options.extractHeads = extractHeads;
  options.mergeLayers = mergeLayers;
  options.mergeMode = mergeMode;
  options.loopify = loopify;
  options.loopifyInit = loopifyInit;
  options.loopifyRank = loopifyRank;
  options.loopifyFullRank = loopifyFullRank;
  options.loopifyShareVectors = loopifyShareVectors;
  options.loopifyPrefix = loopifyPrefix;
  options.lowRank = lowRank;
  options.lowRankImportance = lowRankImportance;
  options.loopifyImportance = loopifyImportance;
  options.lowRankKeep = lowRankKeep;
  options.lowRankLayers = lowRankLayers;
  options.lowRankInclude = lowRankInclude;
  options.lowRankExclude = lowRankExclude;
  options.runtimeKernels = kernels == Kernels::Runtime;
  options.parallelLoops = parallelLoops;
  std::string symbol = exportedSymbol(module);
  options.modelSymbol = symbol;
  options.program =
      emitAction == EmitAction::Exe || emitAction == EmitAction::Weights;
  if (pruneScope == "global") {
    // The counts per layer, from the layers that remain after the
    // structural passes.
    OwningOpRef<ModuleOp> structural(module.clone());
    PassManager structuralPM(module.getContext());
    buildLoomStructuralPipeline(structuralPM, options);
    if (failed(structuralPM.run(*structural)))
      return failure();
    GlobalPruningOptions global;
    global.checkpoints.assign(weightsPath.begin(), weightsPath.end());
    global.importance = pruneImportance;
    auto addCounts = [&](llvm::Expected<std::vector<std::string>> counts,
                         decltype(options.pruneFFNKeep) &keep) {
      if (!counts) {
        llvm::WithColor::error(llvm::errs(), "loomc")
            << llvm::toString(counts.takeError()) << "\n";
        return failure();
      }
      for (const std::string &count : *counts)
        keep.addValue(count);
      return success();
    };
    if (pruneHeads != 0.0 || pruneHeadsCount != 0) {
      global.ratio = pruneHeads;
      global.count = pruneHeadsCount;
      if (failed(addCounts(globalHeadCounts(*structural, global),
                           options.pruneHeadsKeep)))
        return failure();
    }
    if (pruneFFN != 0.0) {
      global.ratio = pruneFFN;
      global.count = 0;
      global.multipleOf = quantize.empty() ? 1 : 32;
      if (failed(addCounts(globalNeuronCounts(*structural, global),
                           options.pruneFFNKeep)))
        return failure();
    }
  }
  if (lowRankEnergy != 0.0) {
    // The products --loom-low-rank selects, as it selects them, then each
    // one's rank from its weight's singular values.
    OwningOpRef<ModuleOp> selected(module.clone());
    PassManager selectPM(module.getContext());
    buildLoomStructuralPipeline(selectPM, options);
    selectPM.addPass(createLoomDecomposeAttention());
    LoomLowRankOptions select;
    select.rank = 1;
    select.layers.assign(lowRankLayers.begin(), lowRankLayers.end());
    select.include.assign(lowRankInclude.begin(), lowRankInclude.end());
    select.exclude.assign(lowRankExclude.begin(), lowRankExclude.end());
    selectPM.addPass(createLoomLowRank(select));
    if (failed(selectPM.run(*selected)))
      return failure();
    llvm::Expected<std::vector<FactoredWeight>> weights =
        findFactoredWeights(*selected);
    LowRankEnergyOptions energy;
    energy.checkpoints.assign(weightsPath.begin(), weightsPath.end());
    energy.energy = lowRankEnergy;
    energy.importance = lowRankImportance;
    llvm::Expected<std::vector<std::string>> ranks =
        weights ? energyRanks(*weights, energy) : weights.takeError();
    if (!ranks) {
      llvm::WithColor::error(llvm::errs(), "loomc")
          << llvm::toString(ranks.takeError()) << "\n";
      return failure();
    }
    for (const std::string &rank : *ranks)
      options.lowRankRanks.addValue(rank);
  }
  if (emitAction == EmitAction::Pruning)
    return writePruningReport(module, options, os);
  llvm::Expected<const Target *> target = findTarget(options);
  auto reportError = [](llvm::Error error) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << llvm::toString(std::move(error)) << "\n";
    return failure();
  };
  if (!target)
    return reportError(target.takeError());
  options.gpuChip = gpuChip;
  options.emulateGpu = gpuEmulate;
  options.gpuTensorCores = gpuTensorCores;
  options.gpuElideHostWaits = gpuElideHostWaits;
  // A device target's programs hold the model twice: built for the host
  // target (which `--device=cpu` runs, and whose definition is the one
  // exported) and for the device, all generated kernels, whose definition
  // the host build's points to.
  OwningOpRef<ModuleOp> hostModule;
  StringRef hostTarget = (*target)->getHostTargetName();
  if (emitAction == EmitAction::PTX) {
    if (hostTarget.empty() || options.emulateGpu)
      return reportError(llvm::createStringError(
          "--emit=ptx prints a GPU target's kernels: use it with "
          "--target=cuda (without --gpu-emulate)"));
    if (failed(checkDeviceBuild(options)))
      return failure();
    // The device build alone, its kernels kept as assembly.
    options.gpuAssembly = true;
    options.program = false;
    options.runtimeKernels = false;
    options.parallelLoops = false;
    setDeviceWeightType(options);
  } else if (!hostTarget.empty() && emitAction != EmitAction::Linalg) {
    if (failed(checkDeviceBuild(options)))
      return failure();
    std::string deviceSymbol = symbol + "_" + options.target.getValue();
    hostModule = module.clone();
    LoomPipelineOptions hostOptions;
    hostOptions.copyOptionValuesFrom(options);
    hostOptions.target = hostTarget.str();
    hostOptions.deviceModelSymbol = deviceSymbol;
    PassManager hostPM(module.getContext());
    if (failed(applyPassManagerCLOptions(hostPM)) ||
        failed(buildTargetPipeline(hostPM, hostOptions)) ||
        failed(hostPM.run(*hostModule)))
      return failure();
    options.modelSymbol = deviceSymbol;
    options.program = false;
    options.runtimeKernels = false;
    options.parallelLoops = false;
    setDeviceWeightType(options);
  }
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  if (emitAction == EmitAction::Linalg) {
    buildLoomOptimizationPipeline(pm, options);
    if (failed(buildLoomToLinalgPipeline(pm, options)))
      return failure();
  } else if (failed(buildTargetPipeline(pm, options))) {
    return failure();
  }
  if (failed(pm.run(module))) {
    if (hostModule)
      llvm::WithColor::note(llvm::errs(), "loomc")
          << "--target=" << options.target.getValue()
          << " builds the model a second time with every op a generated "
             "kernel, and the message above is about that build: the device "
             "has no kernel for it yet\n";
    return failure();
  }
  if (emitAction == EmitAction::PTX) {
    module.walk([&](gpu::BinaryOp binary) {
      for (Attribute object : binary.getObjects())
        os << cast<gpu::ObjectAttr>(object).getObject().getValue();
    });
    return success();
  }
  if (emitAction == EmitAction::Linalg ||
      emitAction == EmitAction::LLVMDialect) {
    printModule(module, os);
    if (hostModule) {
      os << "// -----\n";
      printModule(*hostModule, os);
    }
    return success();
  }

  auto codegen = (*target)->createCodeGenerator({mcpu, optLevel});
  if (!codegen)
    return reportError(codegen.takeError());
  llvm::LLVMContext llvmContext;
  auto llvmModule = (*codegen)->translate(module, llvmContext);
  if (!llvmModule)
    return reportError(llvmModule.takeError());
  if (hostModule) {
    auto hostLLVM = (*codegen)->translate(*hostModule, llvmContext);
    if (!hostLLVM)
      return reportError(hostLLVM.takeError());
    if (llvm::Linker::linkModules(**llvmModule, std::move(*hostLLVM)))
      return reportError(llvm::createStringError(
          "cannot link the model's host and device builds"));
  }
  if (emitAction == EmitAction::LLVMIR) {
    (*llvmModule)->print(os, nullptr);
    return success();
  }
  if (emitAction == EmitAction::Object) {
    if (llvm::Error error =
            (*codegen)->emitObject(**llvmModule, outputFile->os()))
      return reportError(std::move(error));
    return success();
  }

  // An executable or a library: a temporary object linked with the runtime.
  llvm::SmallString<128> objectPath;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("loom", "o", fd, objectPath)) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "cannot create a temporary object file: " << ec.message() << "\n";
    return failure();
  }
  llvm::FileRemover removeObject(objectPath);
  {
    llvm::raw_fd_ostream objectStream(fd, /*shouldClose=*/true);
    if (llvm::Error error = (*codegen)->emitObject(**llvmModule, objectStream))
      return reportError(std::move(error));
  }
  if (emitAction == EmitAction::Exe)
    return linkModel(objectPath, outputFilename, LinkKind::Executable,
                     installDir("lib"), linker);
  if (emitAction == EmitAction::Weights)
    return rewriteWeights(objectPath);
  if (failed(linkModel(objectPath, outputFilename, LinkKind::SharedLibrary,
                       installDir("lib"), linker)))
    return failure();
  return writeModelHeaders(outputFilename, symbol);
}

/// True when the input is `loom` dialect IR rather than a .loom model.
bool isMLIRInput = false;

/// Compiles one input buffer and prints the selected stage to `os`.
LogicalResult compileBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer,
                            const dsl::ElabOptions &options,
                            llvm::raw_ostream &os) {
  llvm::SourceMgr srcMgr;
  srcMgr.setIncludeDirs(options.includeDirs);
  unsigned bufferId =
      srcMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // The CUDA target's kernels are translated to LLVM IR (NVVM) while the
  // passes run, to be compiled to PTX.
  registerAllToLLVMIRTranslations(registry);
  registry.insert<LoomDialect>();
  MLIRContext ctx(registry);
  ctx.loadDialect<LoomDialect, func::FuncDialect>();
  // A diagnostic names the place in the .loom file; the IR of the whole
  // module after it is for compiler developers (loom-opt prints it).
  ctx.printOpOnDiagnostic(false);

  // One of the two, each destroyed as what it is (MLIR's handlers have no
  // virtual destructors).
  std::optional<SourceMgrDiagnosticVerifierHandler> verifierHandler;
  std::optional<SourceMgrDiagnosticHandler> plainHandler;
  SourceMgrDiagnosticVerifierHandler *verifier = nullptr;
  if (verifyDiagnostics)
    verifier = &verifierHandler.emplace(srcMgr, &ctx);
  else
    plainHandler.emplace(srcMgr, &ctx);

  LogicalResult result = [&]() -> LogicalResult {
    dsl::DiagnosticEngine diags(srcMgr);
    DiagnosticBridge bridge(&ctx, diags);

    // `loom` dialect IR (a .mlir file) skips the front end: what passes
    // produce, or what a test writes by hand, compiles like a model.
    if (isMLIRInput) {
      if (emitAction == EmitAction::AST || emitAction == EmitAction::Dot ||
          emitAction == EmitAction::Svg) {
        llvm::WithColor::error(llvm::errs(), "loomc")
            << "--emit=ast, dot and svg need a .loom file\n";
        return failure();
      }
      OwningOpRef<ModuleOp> module =
          parseSourceFile<ModuleOp>(srcMgr, ParserConfig(&ctx));
      if (!module || failed(verify(*module)))
        return failure();
      if (emitAction == EmitAction::Params)
        return writeManifest(*module, os);
      if (emitAction == EmitAction::Layers)
        return writeLayerReport(*module, os);
      return emitLowered(*module, os);
    }

    if (emitAction == EmitAction::AST) {
      std::unique_ptr<dsl::File> file = dsl::parseFile(srcMgr, bufferId, diags);
      bridge.flush();
      if (!file)
        return failure();
      dsl::printAST(*file, os);
      return success();
    }

    std::unique_ptr<dsl::Model> model =
        dsl::elaborate(srcMgr, bufferId, options, diags);
    bridge.flush();
    if (!model || diags.hadError())
      return failure();
    if (emitAction == EmitAction::Dot) {
      dsl::writeDot(*model, os);
      return success();
    }
    if (emitAction == EmitAction::Svg)
      return renderSvg(*model, os);

    OwningOpRef<ModuleOp> module = mlirGen(ctx, *model, srcMgr);
    if (!module)
      return failure();

    if (emitAction == EmitAction::Params)
      return writeManifest(*module, os);
    if (emitAction == EmitAction::Layers)
      return writeLayerReport(*module, os);

    return emitLowered(*module, os);
  }();

  if (verifier)
    return verifier->verify();
  return result;
}

} // namespace

/// `loomc import PATH [-o FILE]`: writes the .loom model of a checkpoint.
int runImport(int argc, char **argv) {
  auto error = []() -> llvm::raw_ostream & {
    return llvm::WithColor::error(llvm::errs(), "loomc import");
  };
  std::string path, output = "-";
  for (int i = 2; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      llvm::outs() << "usage: loomc import PATH [-o OUT.loom]\n\n"
                      "Writes the .loom model of a checkpoint: a Hugging Face "
                      "model directory\n(config.json: llama, mistral, qwen2, "
                      "gpt2, bert) or a GGUF file (llama,\nqwen2). Without "
                      "-o, the model is printed.\n";
      return 0;
    }
    if (arg == "-o" && i + 1 < argc) {
      output = argv[++i];
    } else if (arg.starts_with("-o=")) {
      output = arg.drop_front(3).str();
    } else if (arg.starts_with("-")) {
      error() << "unknown flag '" << arg
              << "' (usage: loomc import PATH [-o OUT.loom])\n";
      return 2;
    } else if (path.empty()) {
      path = arg.str();
    } else {
      error() << "one checkpoint at a time: got '" << path << "' and '" << arg
              << "'\n";
      return 2;
    }
  }
  if (path.empty()) {
    error() << "missing the checkpoint (usage: loomc import PATH [-o "
               "OUT.loom])\n";
    return 2;
  }
  llvm::Expected<std::string> text = importModel(path);
  if (!text) {
    error() << llvm::toString(text.takeError()) << "\n";
    return 1;
  }
  std::string message;
  std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(output, &message);
  if (!file) {
    error() << message << "\n";
    return 1;
  }
  file->os() << *text;
  file->keep();
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  if (argc > 1 && llvm::StringRef(argv[1]) == "import")
    return runImport(argc, argv);
  registerAllPasses();
  cpu::registerCpuTarget();
  cuda::registerCudaTarget();
  registerLoomPasses();
  loom::registerLoomConversionPasses();
  registerMLIRContextCLOptions();
  registerAsmPrinterCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "loomc " LOOM_VERSION " (MLIR/LLVM " LLVM_VERSION_STRING ")\n";
  });
  // LLVM and MLIR register hundreds of options; show loomc's own. The MLIR
  // debugging options stay usable (and are listed by --help-hidden).
  cl::HideUnrelatedOptions(loomcCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "loomc: compile a Loom (.loom) transformer model\n\n"
      "  loomc model.loom -D layers=2 -o model   compile to an executable\n"
      "  loomc model.loom --emit=mlir             print the loom IR\n"
      "  loomc import MODEL_DIR -o model.loom     a .loom model of a Hugging "
      "Face\n"
      "                                           checkpoint (or a .gguf "
      "file)\n\n"
      "MLIR's debugging flags (--mlir-print-ir-after-all, --mlir-timing, ...)\n"
      "are accepted too; --help-hidden lists them.\n");

  dsl::ElabOptions options;
  options.modelName = modelName;
  options.includeDirs.assign(includeDirs.begin(), includeDirs.end());
  if (failed(parseDefines(options)))
    return 1;

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFilename, &errorMessage);
  if (!input) {
    llvm::WithColor::error(llvm::errs(), "loomc") << errorMessage << "\n";
    return 1;
  }
  isMLIRInput = llvm::StringRef(inputFilename).ends_with(".mlir");
  bool linked = emitAction == EmitAction::Exe ||
                emitAction == EmitAction::Lib ||
                emitAction == EmitAction::Weights;
  if (emitAction == EmitAction::Weights && weightsPath.empty()) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--emit=weights needs the checkpoint to rewrite: pass --weights "
           "PATH\n";
    return 1;
  }
  if (!llvm::is_contained({"layer", "global"}, llvm::StringRef(pruneScope))) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--prune-scope must be layer or global, got '" << pruneScope
        << "'\n";
    return 1;
  }
  bool globalPruning = pruneScope == "global";
  if (emitAction != EmitAction::Weights && !weightsPath.empty() &&
      !globalPruning && lowRankEnergy == 0.0) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--weights is only read by --emit=weights, --prune-scope=global "
           "and --low-rank-energy\n";
    return 1;
  }
  if (pruneHeadsCount != 0 && pruneHeads != 0.0) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "give --prune-heads (a ratio) or --prune-heads-count, not both\n";
    return 1;
  }
  if (globalPruning && pruneFFN == 0.0 && pruneHeads == 0.0 &&
      pruneHeadsCount == 0) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--prune-scope=global says how --prune-ffn and --prune-heads "
           "remove neurons and heads: give a ratio\n";
    return 1;
  }
  if (globalPruning && weightsPath.empty()) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--prune-scope=global scores every layer's neurons and heads at "
           "compile time: give the checkpoint with --weights PATH (and, with "
           "--prune-importance, the statistics of a --calibrate run with a "
           "second --weights)\n";
    return 1;
  }
  bool binary = emitAction == EmitAction::Object || linked;
  if (binary && splitInputFile) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--split-input-file cannot be used with --emit=obj, exe or lib\n";
    return 1;
  }
  if (linked && outputFilename == "-") {
    // Like a C compiler: `model.loom` gives `./model` or `./libmodel.so`.
    llvm::StringRef stem = llvm::sys::path::stem(inputFilename);
    std::string base =
        stem.empty() || inputFilename == "-" ? std::string("a") : stem.str();
    outputFilename = emitAction == EmitAction::Exe
                         ? (base == "a" ? std::string("a.out") : base)
                     : emitAction == EmitAction::Weights ? base + ".safetensors"
                                                         : "lib" + base + ".so";
  }
  if (!llvm::is_contained({"keep", "f32", "f16", "bf16"},
                          llvm::StringRef(weightType))) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--weight-type must be keep, f32, f16 or bf16, got '" << weightType
        << "'\n";
    return 1;
  }
  if (!quantize.empty() &&
      !llvm::is_contained({"q8_0", "q4_0", "q4_1", "q4_k", "int8"},
                          llvm::StringRef(quantize))) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--quantize must be q8_0, q4_0, q4_1, q4_k or int8, got '"
        << quantize << "'\n";
    return 1;
  }
  if (smoothActivations.getNumOccurrences() &&
      !(smoothActivations >= 0.0 && smoothActivations <= 1.0)) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--smooth-activations must be in [0, 1], got " << smoothActivations
        << "\n";
    return 1;
  }
  if (smoothAllProducts && smoothActivations < 0.0) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--smooth-all-products needs --smooth-activations=ALPHA\n";
    return 1;
  }
  if (quantize.empty() &&
      (!quantizeLayers.empty() || !quantizeInclude.empty() ||
       !quantizeExclude.empty() || !quantizeOverride.empty() ||
       quantizeImportance || quantizeInputs.getNumOccurrences() ||
       quantizeGptq)) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--quantize-layers, --quantize-include, --quantize-exclude, "
           "--quantize-override, --quantize-importance, --quantize-gptq and "
           "--quantize-inputs need --quantize=FORMAT\n";
    return 1;
  }
  if (!loom::symbolizeQuantInputs(quantizeInputs)) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--quantize-inputs must be int8, int8x2 or bf16, got '"
        << quantizeInputs << "'\n";
    return 1;
  }
  if (dropLayersCount != 0 && !dropLayers.empty()) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "give the layers to remove (--drop-layers) or their count "
           "(--drop-layers-count), not both\n";
    return 1;
  }
  if (dropLayersCount != 0 && layerInfluence.empty()) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--drop-layers-count removes the layers of least block influence: "
           "give the statistics of a --calibrate run with "
           "--layer-influence=PATH\n";
    return 1;
  }
  if (!layerInfluence.empty()) {
    llvm::Expected<llvm::StringMap<double>> scores =
        readLayerInfluence(layerInfluence);
    if (!scores) {
      llvm::WithColor::error(llvm::errs(), "loomc")
          << llvm::toString(scores.takeError()) << "\n";
      return 1;
    }
    influenceScores = std::move(*scores);
  }
  if (pruneImportance && pruneFFN == 0.0 && pruneHeads == 0.0 &&
      pruneHeadsCount == 0) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--prune-importance scores what --prune-ffn or --prune-heads "
           "removes: give one of them\n";
    return 1;
  }
  if (loopify == 0 &&
      (loopifyInit.getNumOccurrences() || loopifyRank || loopifyFullRank ||
       loopifyShareVectors || loopifyImportance || !loopifyPrefix.empty())) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--loopify-init, --loopify-rank, --loopify-full-rank, "
           "--loopify-share-vectors, --loopify-importance and "
           "--loopify-prefix describe what "
           "--loopify=BLOCKS shares: give it\n";
    return 1;
  }
  if (loopifyImportance && loopifyRank == 0 && !loopifyFullRank) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--loopify-importance weighs the LoRA deltas of --loopify-rank: "
           "give a rank\n";
    return 1;
  }
  if (lowRankEnergy != 0.0) {
    auto fail = [](const char *message) {
      llvm::WithColor::error(llvm::errs(), "loomc") << message << "\n";
      return 1;
    };
    if (!(lowRankEnergy > 0.0 && lowRankEnergy <= 1.0))
      return fail("--low-rank-energy must be in (0, 1]");
    if (lowRank != 0 || lowRankKeep != 0.0)
      return fail("give one of --low-rank, --low-rank-keep and "
                  "--low-rank-energy");
    if (weightsPath.empty())
      return fail("--low-rank-energy reads each weight's singular values at "
                  "compile time: give the checkpoint with --weights PATH "
                  "(and, with --low-rank-importance, the statistics of a "
                  "--calibrate run with a second --weights)");
    if (pruneFFN != 0.0 || pruneHeads != 0.0 || pruneHeadsCount != 0 ||
        loopify != 0 || extractFFN != 0 || extractHeads != 0)
      return fail("--low-rank-energy reads the checkpoint's weights as they "
                  "are: it does not combine with pruning, --extract-* or "
                  "--loopify yet");
  }
  if (lowRank == 0 && lowRankKeep == 0.0 && lowRankEnergy == 0.0 &&
      (!lowRankLayers.empty() || !lowRankInclude.empty() ||
       !lowRankExclude.empty() || lowRankImportance)) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--low-rank-layers, --low-rank-include, --low-rank-exclude and "
           "--low-rank-importance describe what --low-rank or "
           "--low-rank-keep factors: give one of them\n";
    return 1;
  }
  if (optLevel > 3) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "-O" << optLevel << " is not an optimization level (0-3)\n";
    return 1;
  }
  if (!lookupTarget(targetName)) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "unknown target '" << targetName
        << "'; the targets are: " << llvm::join(getTargetNames(), ", ") << "\n";
    return 1;
  }
  // Linked outputs are written by the linker, not through this stream.
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(
      linked ? std::string("-") : std::string(outputFilename), &errorMessage);
  outputFile = output.get();
  if (!output) {
    llvm::WithColor::error(llvm::errs(), "loomc") << errorMessage << "\n";
    return 1;
  }

  auto process = [&](std::unique_ptr<llvm::MemoryBuffer> chunk,
                     llvm::raw_ostream &os) {
    return compileBuffer(std::move(chunk), options, os);
  };
  LogicalResult result =
      splitInputFile
          ? splitAndProcessBuffer(std::move(input), process, output->os(),
                                  kDefaultSplitMarker, kDefaultSplitMarker)
          : process(std::move(input), output->os());
  if (failed(result))
    return 1;
  output->keep();
  return 0;
}
