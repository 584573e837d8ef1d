//===- RobustnessTest.cpp - The front end never crashes or hangs ----------===//
//
// Feeds truncated examples, random bytes and mutated sources through parsing
// and elaboration. Every input must either elaborate or fail with at least
// one error; none may crash, assert or hang.
//
//===----------------------------------------------------------------------===//

#include "DSLTestUtils.h"

#include "gtest/gtest.h"

#include <random>

using namespace loom::dsl;
using namespace loom::dsl::test;

namespace {

std::string readExample(llvm::StringRef name) {
  auto buffer = llvm::MemoryBuffer::getFile(examplePath(name));
  return buffer ? (*buffer)->getBuffer().str() : std::string();
}

/// Elaborates `source` as a file in examples/ (so that imports resolve);
/// checks that failure comes with an error.
void check(llvm::StringRef source) {
  Harness h;
  unsigned id = h.srcMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, examplePath("fuzz.loom")),
      llvm::SMLoc());
  std::unique_ptr<Model> model =
      elaborate(h.srcMgr, id, ElabOptions(), h.diags);
  if (!model)
    ASSERT_TRUE(h.diags.hadError()) << "failed silently on:\n" << source.str();
  else
    ASSERT_FALSE(h.diags.hadError());
}

TEST(Robustness, EveryPrefixOfEveryExample) {
  for (const char *name : {"llama.loom", "gpt2.loom", "bert.loom",
                           "hyperloop.loom", "looped.loom", "common.loom"}) {
    std::string source = readExample(name);
    ASSERT_FALSE(source.empty()) << name;
    for (size_t len = 0; len <= source.size(); ++len)
      check(llvm::StringRef(source).take_front(len));
  }
}

TEST(Robustness, EverySuffixOfLlama) {
  std::string source = readExample("llama.loom");
  for (size_t start = 0; start <= source.size(); ++start)
    check(llvm::StringRef(source).drop_front(start));
}

TEST(Robustness, RandomBytes) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(rng() % 200, '\0');
    for (char &c : bytes)
      c = static_cast<char>(rng());
    check(bytes);
  }
}

TEST(Robustness, RandomTokenSoup) {
  static const char *pieces[] = {"model",     "block",     "config",
                                 "forward",   "return",    "loop",
                                 "x",         "import",    "M",
                                 "B",         "Linear",    "Embedding",
                                 "Attention", "RMSNorm",   "dim",
                                 "t",         "(",         ")",
                                 "{",         "}",         "[",
                                 "]",         ",",         ";",
                                 "=",         "@",         "+",
                                 "-",         "*",         "/",
                                 "1",         "0",         "2.5",
                                 "\"s\"",     "\"a.{i}\"", "true",
                                 "\n",        " ",         "\"common.loom\""};
  std::mt19937 rng(42);
  for (int i = 0; i < 3000; ++i) {
    std::string source;
    int n = rng() % 60;
    for (int j = 0; j < n; ++j) {
      source += pieces[rng() % std::size(pieces)];
      source += ' ';
    }
    check(source);
  }
}

TEST(Robustness, MutatedExamples) {
  std::mt19937 rng(7);
  for (const char *name : {"llama.loom", "bert.loom", "hyperloop.loom"}) {
    std::string source = readExample(name);
    for (int i = 0; i < 1500; ++i) {
      std::string mutated = source;
      int edits = 1 + rng() % 3;
      for (int e = 0; e < edits; ++e) {
        size_t pos = rng() % mutated.size();
        switch (rng() % 3) {
        case 0:
          mutated.erase(pos, 1 + rng() % 8);
          break;
        case 1:
          mutated.insert(pos, 1, "(){}[]=@+-*/,;x0\"."[rng() % 19]);
          break;
        default:
          mutated[pos] = "0123456789abcxyz_ "[rng() % 18];
          break;
        }
        if (mutated.empty())
          break;
      }
      check(mutated);
    }
  }
}

TEST(Robustness, HugeNumbersAndCounts) {
  check("model M { config { a = 9223372036854775807 + 1 } forward(t) { "
        "return t } }");
  check("model M { config { a = -9223372036854775807 - 2 } }");
  check("model M { config { a = 99999999999999999999999 } }");
  check("model M { block B { forward(x) { return x } } e = Embedding(4, 4) "
        "s = B[9223372036854775807] @ \"s.{i}\" forward(t) { return "
        "s(e(t)) } }");
  check("model M { e = Embedding(9223372036854775807, 9223372036854775807) "
        "forward(t) { return e(t) * 1e308 * 1e308 } }");
}

TEST(Robustness, DeepBlockNesting) {
  // B0 uses B1 uses ... B199: too deep, reported, not a stack overflow.
  std::string source;
  for (int i = 0; i < 200; ++i)
    source += "block B" + std::to_string(i) + " { inner = B" +
              std::to_string(i + 1) + " forward(x) { return inner(x) } }\n";
  source += "block B200 { forward(x) { return x } }\n";
  source += "model M { e = Embedding(4, 4) b = B0 forward(t) { return "
            "b(e(t)) } }";
  Harness h;
  EXPECT_FALSE(h.elab(source));
  EXPECT_TRUE(h.has("nested too deeply")) << h.all();
}

} // namespace
