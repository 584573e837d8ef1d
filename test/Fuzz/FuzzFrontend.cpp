//===- FuzzFrontend.cpp - libFuzzer harness: the .loom front end ----------===//
//
// Any bytes as a .loom file: lexed, parsed, checked and elaborated with
// every diagnostic discarded. Imports resolve from the current directory
// (run the fuzzer in an empty one).
//
//===----------------------------------------------------------------------===//

#include "dsl/Diagnostics.h"
#include "dsl/Elab.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace loom::dsl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::SourceMgr srcMgr;
  unsigned id = srcMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.loom"),
      llvm::SMLoc());
  DiagnosticEngine diags(srcMgr);
  diags.setHandler([](const Diagnostic &) {});
  ElabOptions options;
  (void)elaborate(srcMgr, id, options, diags);
  return 0;
}
