//===- Pipeline.cpp - loomc's compilation pipelines -----------------------===//

#include "compiler/Driver/Pipeline.h"

#include "compiler/Conversion/Passes.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;

void loom::buildLoomStructuralPipeline(OpPassManager &pm,
                                       const LoomPipelineOptions &options) {
  if (!options.mergeLayers.empty()) {
    LoomMergeLayersOptions merge;
    merge.groups.assign(options.mergeLayers.begin(), options.mergeLayers.end());
    merge.mode = options.mergeMode;
    pm.addPass(createLoomMergeLayers(merge));
  }
  if (!options.dropLayers.empty() || options.dropCount != 0) {
    LoomDropLayersOptions drop;
    drop.layers.assign(options.dropLayers.begin(), options.dropLayers.end());
    drop.count = options.dropCount;
    drop.scores.assign(options.dropScores.begin(), options.dropScores.end());
    pm.addPass(createLoomDropLayers(drop));
  }
  if (options.extractFFN != 0 || options.extractHeads != 0) {
    LoomExtractSubmodelOptions extract;
    extract.ffn = options.extractFFN;
    extract.heads = options.extractHeads;
    pm.addPass(createLoomExtractSubmodel(extract));
  }
}

void loom::buildLoomPruningPipeline(OpPassManager &pm,
                                    const LoomPipelineOptions &options) {
  if (options.pruneHeads != 0.0 || options.pruneHeadsCount != 0 ||
      !options.pruneHeadsKeep.empty()) {
    LoomPruneHeadsOptions prune;
    prune.ratio = options.pruneHeads;
    prune.count = options.pruneHeadsCount;
    prune.importance = options.pruneImportance;
    prune.keep.assign(options.pruneHeadsKeep.begin(),
                      options.pruneHeadsKeep.end());
    pm.addPass(createLoomPruneHeads(prune));
  }
  if (options.pruneFFN != 0.0 || !options.pruneFFNKeep.empty()) {
    LoomPruneFFNOptions prune;
    prune.ratio = options.pruneFFN;
    prune.importance = options.pruneImportance;
    prune.keep.assign(options.pruneFFNKeep.begin(), options.pruneFFNKeep.end());
    // Quantized down weights have rows of whole blocks.
    if (!options.quantize.empty())
      prune.multipleOf = 32;
    pm.addPass(createLoomPruneFFN(prune));
  }
}

void loom::buildLoomOptimizationPipeline(OpPassManager &pm,
                                         const LoomPipelineOptions &options) {
  // Structured compression first: the fusions see the smaller model.
  buildLoomStructuralPipeline(pm, options);
  buildLoomPruningPipeline(pm, options);
  // After pruning, whose passes find the layers whole; the LoRA deltas
  // split the layers they touch into products.
  if (options.loopify != 0) {
    LoomLoopifyOptions loopify;
    loopify.blocks = options.loopify;
    loopify.init = options.loopifyInit;
    loopify.rank = options.loopifyRank;
    loopify.shareVectors = options.loopifyShareVectors;
    loopify.prefix = options.loopifyPrefix;
    loopify.importance = options.loopifyImportance;
    loopify.fullRank = options.loopifyFullRank;
    pm.addPass(createLoomLoopify(loopify));
  }
  // Once the layers are final, while their calls still name them.
  if (options.observeLayers)
    pm.addPass(createLoomObserveLayers());
  // Attention as separate projections, so that the fusions (and later
  // pruning) see them; the runtime binding decomposes it anyway.
  pm.addPass(createLoomDecomposeAttention());
  // Before the fusions: each matrix is factored on its own, and the
  // fusions leave the thin products alone.
  if (options.lowRank != 0 || options.lowRankKeep != 0.0 ||
      !options.lowRankRanks.empty()) {
    LoomLowRankOptions lowRank;
    lowRank.rank = options.lowRank;
    lowRank.keep = options.lowRankKeep;
    lowRank.ranks.assign(options.lowRankRanks.begin(),
                         options.lowRankRanks.end());
    lowRank.importance = options.lowRankImportance;
    // Quantized factors have rows of whole blocks.
    if (!options.quantize.empty())
      lowRank.multipleOf = 32;
    lowRank.layers.assign(options.lowRankLayers.begin(),
                          options.lowRankLayers.end());
    lowRank.include.assign(options.lowRankInclude.begin(),
                           options.lowRankInclude.end());
    lowRank.exclude.assign(options.lowRankExclude.begin(),
                           options.lowRankExclude.end());
    pm.addPass(createLoomLowRank(lowRank));
  }
  if (options.fuseQKV)
    pm.addPass(createLoomFuseQKV());
  if (options.fuseGateUp)
    pm.addPass(createLoomFuseGateUp());
  // After the fusions, so that one scaled weight serves q, k and v.
  if (options.foldNorm)
    pm.addPass(createLoomFoldNorm());
  // After the fusions (one scale for q, k and v), before quantization.
  if (options.smoothActivations >= 0.0) {
    LoomSmoothActivationsOptions smooth;
    smooth.alpha = options.smoothActivations;
    smooth.allProducts = options.smoothAllProducts;
    pm.addPass(createLoomSmoothActivations(smooth));
  }
  // After the gate-up fusion, whose down projection then takes the residual.
  if (options.fuseResidual)
    pm.addPass(createLoomFuseResidual());
  // After the fusions, so that a fused matrix is quantized whole.
  if (!options.quantize.empty()) {
    LoomQuantizeWeightsOptions quantize;
    quantize.format = options.quantize;
    quantize.layers.assign(options.quantizeLayers.begin(),
                           options.quantizeLayers.end());
    quantize.include.assign(options.quantizeInclude.begin(),
                            options.quantizeInclude.end());
    quantize.exclude.assign(options.quantizeExclude.begin(),
                            options.quantizeExclude.end());
    quantize.overrides.assign(options.quantizeOverride.begin(),
                              options.quantizeOverride.end());
    quantize.importance = options.quantizeImportance;
    quantize.inputs = options.quantizeInputs;
    quantize.covariance = options.quantizeGptq;
    pm.addPass(createLoomQuantizeWeights(quantize));
  }
  // After quantization: the products it left in f32.
  if (!options.convertWeights.empty()) {
    LoomConvertWeightsOptions convert;
    convert.type = options.convertWeights;
    pm.addPass(createLoomConvertWeights(convert));
  }
  // After the residual fusion, which takes only products without an
  // activation, and after quantization, which keeps it.
  if (options.fuseActivation)
    pm.addPass(createLoomFuseActivation());
  // Folds concatenations of a split's pieces (GPT-2's c_attn back to one
  // tensor) before what is left becomes derived weights.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLoomDeriveWeights());
  pm.addPass(createSymbolDCEPass());
  // Last: the passes above rewrite weights call by call.
  if (options.rollLayers)
    pm.addPass(createLoomRollLayers());
}

llvm::Expected<const loom::Target *>
loom::findTarget(const LoomPipelineOptions &options) {
  if (const Target *target = lookupTarget(options.target))
    return target;
  return llvm::createStringError(
      "unknown target '" + options.target +
      "'; the targets are: " + llvm::join(getTargetNames(), ", "));
}

loom::TargetOptions loom::getTargetOptions(const LoomPipelineOptions &options) {
  TargetOptions target;
  target.runtimeKernels = options.runtimeKernels;
  target.parallelLoops = options.parallelLoops;
  target.modelSymbol = options.modelSymbol;
  target.program = options.program;
  target.deviceModelSymbol = options.deviceModelSymbol;
  target.chip = options.gpuChip;
  target.emulateDevice = options.emulateGpu;
  target.tensorCores = options.gpuTensorCores;
  target.elideHostWaits = options.gpuElideHostWaits;
  target.deviceAssembly = options.gpuAssembly;
  return target;
}

LogicalResult
loom::buildLoomToLinalgPipeline(OpPassManager &pm,
                                const LoomPipelineOptions &options) {
  llvm::Expected<const Target *> target = findTarget(options);
  if (!target) {
    llvm::errs() << "error: " << llvm::toString(target.takeError()) << "\n";
    return failure();
  }
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLoomAddLastRowEntry());
  LoomBindRuntimeOptions bind;
  bind.packWeights = options.runtimeKernels;
  bind.weightType = options.weightType;
  pm.addPass(createLoomBindRuntime(bind));
  // The target's lowering of bound ops comes first: the generic lowering
  // turns whatever is left into generated loops.
  (*target)->buildLoomLowering(pm, getTargetOptions(options));
  pm.addPass(createConvertLoomToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  return success();
}

LogicalResult loom::buildTargetPipeline(OpPassManager &pm,
                                        const LoomPipelineOptions &options) {
  buildLoomOptimizationPipeline(pm, options);
  if (failed(buildLoomToLinalgPipeline(pm, options)))
    return failure();
  llvm::Expected<const Target *> target = findTarget(options);
  if (!target) {
    llvm::errs() << "error: " << llvm::toString(target.takeError()) << "\n";
    return failure();
  }
  return (*target)->buildLinalgLowering(pm, getTargetOptions(options));
}

/// Registers a pipeline whose builder can fail (an unknown target): the
/// failure fails the tool, with the builder's message.
static void
registerPipeline(StringRef name, StringRef description,
                 std::function<LogicalResult(OpPassManager &,
                                             const loom::LoomPipelineOptions &)>
                     builder) {
  registerPassPipeline(
      name, description,
      [builder](OpPassManager &pm, StringRef text,
                function_ref<LogicalResult(const Twine &)> errorHandler) {
        loom::LoomPipelineOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        return builder(pm, options);
      },
      [](function_ref<void(const detail::PassOptions &)> handler) {
        handler(loom::LoomPipelineOptions());
      });
}

void loom::registerLoomPipelines() {
  registerPipeline(
      "loom-optimize-pipeline",
      "loom → loom: decompose attention, fuse projections, derive weights",
      [](OpPassManager &pm, const LoomPipelineOptions &options) {
        buildLoomOptimizationPipeline(pm, options);
        return success();
      });
  registerPipeline("loom-to-linalg-pipeline",
                   "loom → linalg on tensors bound to the runtime",
                   buildLoomToLinalgPipeline);
  registerPipeline(
      "loom-pipeline",
      "loom → LLVM dialect for the target (target=cpu): what loomc runs",
      buildTargetPipeline);
  registerPipeline(
      "loom-cpu-pipeline",
      "loom → LLVM dialect for the CPU: what loomc runs by default",
      [](OpPassManager &pm, const LoomPipelineOptions &options) {
        LoomPipelineOptions cpu;
        cpu.copyOptionValuesFrom(options);
        cpu.target = "cpu";
        return buildTargetPipeline(pm, cpu);
      });
}

LogicalResult loom::linkModel(llvm::StringRef objectPath,
                              llvm::StringRef outputPath, LinkKind kind,
                              llvm::StringRef runtimeDir,
                              llvm::StringRef linker) {
  auto error = []() -> llvm::raw_ostream & {
    return llvm::WithColor::error(llvm::errs(), "loomc");
  };
  std::string program;
  if (!linker.empty()) {
    llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName(linker);
    if (!found) {
      error() << "linker '" << linker << "' not found\n";
      return failure();
    }
    program = *found;
  } else {
    for (llvm::StringRef candidate : {"clang++-22", "clang++", "g++"}) {
      if (llvm::ErrorOr<std::string> found =
              llvm::sys::findProgramByName(candidate)) {
        program = *found;
        break;
      }
    }
    if (program.empty()) {
      error() << "no C++ linker driver found (tried clang++-22, clang++, "
                 "g++); pass --linker\n";
      return failure();
    }
  }

  auto library = [&](llvm::StringRef name) {
    llvm::SmallString<256> path(runtimeDir);
    llvm::sys::path::append(path, name);
    return std::string(path);
  };
  std::string mainLib = library("libLoomRuntimeMain.a");
  std::string modelLib = library("libLoomRuntimeModel.a");
  std::string runtimeLib = library("libLoomRuntime.a");
  for (const std::string &path : {mainLib, modelLib, runtimeLib}) {
    if (kind == LinkKind::SharedLibrary && path == mainLib)
      continue;
    if (!llvm::sys::fs::exists(path)) {
      error() << "runtime library '" << path << "' not found\n";
      return failure();
    }
  }

  llvm::SmallVector<llvm::StringRef> args = {program, objectPath};
  if (kind == LinkKind::Executable) {
    args.append({mainLib, modelLib, runtimeLib});
  } else {
    // Export the whole embedding API, not just what the model refers to.
    args.append({"-shared", "-Wl,--whole-archive", modelLib,
                 "-Wl,--no-whole-archive", runtimeLib});
  }
  // The tokenizers' libraries: PCRE2 (split patterns), ICU (Unicode
  // tables), SentencePiece; SLEEF (the products' vectorized activations);
  // LAPACKE and BLAS (the decompositions of low-rank factors, GPTQ's
  // factorizations and products).
  args.append({"-lpcre2-8", "-licuuc", "-lsentencepiece", "-lsleef",
               "-llapacke", "-lblas", "-lm", "-lpthread", "-o", outputPath});
#ifdef LOOM_LINK_SANITIZE
  // A sanitizer build's runtime is instrumented: link its sanitizers too.
  args.push_back("-fsanitize=" LOOM_LINK_SANITIZE);
#endif
  std::string message;
  int status = llvm::sys::ExecuteAndWait(program, args, /*Env=*/std::nullopt,
                                         /*Redirects=*/{}, 0, 0, &message);
  if (status != 0) {
    error() << "linking '" << outputPath << "' failed"
            << (message.empty() ? "" : ": " + message) << "\n";
    return failure();
  }
  return success();
}
