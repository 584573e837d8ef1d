//===- FuzzLoomIR.cpp - libFuzzer harness: loom IR and the loom passes ----===//
//
// Any bytes as `loom` dialect IR (what loom-opt reads): parsed and
// verified; IR that verifies then goes through each `loom` pass on its own,
// and through the optimizing pipeline, on fresh copies. A pass may reject
// IR with an error, never crash on IR the verifier accepts.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomDialect.h"
#include "dialects/Loom/Transforms/Passes.h"

#include <algorithm>

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

namespace {

/// Pass pipelines each verified input goes through.
constexpr const char *kPipelines[] = {
    "loom-infer-shapes",
    "loom-unroll-loops",
    "loom-decompose-attention",
    "loom-fuse-qkv",
    "loom-fuse-gate-up",
    "loom-fuse-residual",
    "loom-fuse-activation",
    "loom-roll-layers",
    "loom-roll-layers,loom-unroll-loops,canonicalize",
    "loom-fold-norm",
    "loom-prune-ffn{ratio=0.5}",
    "loom-prune-heads{ratio=0.5}",
    "loom-low-rank{rank=4}",
    "loom-extract-submodel{ffn=2}",
    "loom-merge-layers{groups=l.0+l.1}",
    "loom-drop-layers{count=1 scores=l.0=0.5,l.1=0.25,l.2=0.75}",
    "loom-prune-ffn{keep=l.0.down=2,l.1.down=3}",
    "loom-prune-heads{count=1 keep=l.0.o=1}",
    "loom-extract-submodel{heads=1}",
    "loom-low-rank{ranks=l.0.w=1,l.1.w=2}",
    "loom-observe-layers,loom-roll-layers,loom-derive-weights",
    "loom-loopify{blocks=1}",
    "loom-loopify{blocks=1 rank=1 init=first}",
    "loom-low-rank{keep=0.5 layers=ffn}",
    "loom-derive-weights",
    "loom-quantize-weights{format=q8_0}",
    "loom-quantize-weights{format=q4_1 layers=attention,ffn}",
    "loom-quantize-weights{format=q4_k}",
    "loom-smooth-activations{all-products=true},"
    "loom-quantize-weights{format=int8 importance=true},loom-derive-weights",
    "loom-infer-shapes,loom-unroll-loops,loom-fuse-qkv,loom-fuse-gate-up,"
    "loom-fuse-residual,loom-fuse-activation,loom-fold-norm,"
    "loom-derive-weights",
};

MLIRContext &context() {
  static MLIRContext *ctx = [] {
    DialectRegistry registry;
    registry.insert<loom::LoomDialect, func::FuncDialect, arith::ArithDialect,
                    tensor::TensorDialect>();
    auto *created = new MLIRContext(registry);
    created->loadAllAvailableDialects();
    created->allowUnregisteredDialects(false);
    // Diagnostics are the expected outcome of bad input: drop them.
    created->getDiagEngine().registerHandler([](Diagnostic &) {});
    loom::registerLoomPasses();
    return created;
  }();
  return *ctx;
}

} // namespace

/// MLIR's parser recurses once per nesting level of brackets, without a
/// limit: thousands of `[` overflow the stack in MLIR itself, not in Loom.
/// Such inputs are skipped.
bool nestsTooDeeply(const uint8_t *data, size_t size) {
  int depth = 0;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '[' || data[i] == '{' || data[i] == '(' || data[i] == '<')
      ++depth;
    else if (data[i] == ']' || data[i] == '}' || data[i] == ')' ||
             data[i] == '>')
      depth = std::max(depth - 1, 0);
    if (depth > 256)
      return true;
  }
  return false;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (nestsTooDeeply(data, size))
    return 0;
  MLIRContext &ctx = context();
  ParserConfig config(&ctx);
  // As loom-opt reads a file: a NUL-terminated buffer (MLIR's lexer relies
  // on the terminator; parseSourceString over the raw bytes does not add
  // one).
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.mlir"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, config);
  if (!module || failed(verify(*module)))
    return 0;
  for (const char *pipeline : kPipelines) {
    OwningOpRef<ModuleOp> copy = cast<ModuleOp>((*module)->clone());
    PassManager pm(&ctx);
    if (failed(parsePassPipeline(pipeline, pm)))
      continue;
    // A pass that fails has reported why; one that succeeds must leave IR
    // that verifies (the pass manager checks).
    (void)pm.run(*copy);
  }
  return 0;
}
