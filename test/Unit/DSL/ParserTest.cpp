//===- ParserTest.cpp - Tests of the Loom parser --------------------------===//

#include "DSLTestUtils.h"

#include "gtest/gtest.h"

using namespace loom::dsl;
using namespace loom::dsl::test;

namespace {

TEST(Parser, EmptyFile) {
  Harness h;
  std::unique_ptr<File> file = h.parse("");
  ASSERT_TRUE(file);
  EXPECT_TRUE(file->models.empty());
  EXPECT_TRUE(h.messages.empty());
}

TEST(Parser, ModelWithEverything) {
  Harness h;
  std::unique_ptr<File> file = h.parse(R"(
    import "lib.loom"
    model M {
      config { dim = 8, heads = 2; eps = 1e-5 name = "x" flag = true }
      block B {
        n = RMSNorm(dim)
        forward(x) { return n(x) }
      }
      embed = Embedding(10, dim)                @ "emb"
      s     = B[2]                              @ "s.{i}"
      l     = loop B x 3
      ls    = loop B[2] x heads * 2             @ "ls.{i}"
      a     = Attention(dim, heads, rope = 1e4, causal = false)
      forward(t) {
        x = embed(t);
        x = x + a(x) * 0.5
        return -1 * ls(l(s(x)))
      }
    }
  )");
  ASSERT_TRUE(file) << h.all();
  ASSERT_EQ(file->imports.size(), 1u);
  EXPECT_EQ(file->imports[0].path, "lib.loom");
  ASSERT_EQ(file->models.size(), 1u);
  const ModelDecl &m = *file->models[0];
  EXPECT_EQ(m.name, "M");
  EXPECT_TRUE(m.configLoc.isValid());
  ASSERT_EQ(m.config.size(), 5u);
  EXPECT_TRUE(llvm::isa<FloatExpr>(*m.config[2].value));
  EXPECT_TRUE(llvm::isa<StringExpr>(*m.config[3].value));
  EXPECT_TRUE(llvm::isa<BoolExpr>(*m.config[4].value));
  ASSERT_EQ(m.blocks.size(), 1u);
  EXPECT_FALSE(m.blocks[0]->hasParamList);
  ASSERT_EQ(m.layers.size(), 5u);
  EXPECT_EQ(*m.layers[0].binding, "emb");
  EXPECT_TRUE(m.layers[0].hasParens);
  EXPECT_TRUE(m.layers[1].stackCount);
  EXPECT_FALSE(m.layers[1].hasParens);
  EXPECT_TRUE(m.layers[2].isLoop);
  EXPECT_TRUE(m.layers[2].loopCount);
  EXPECT_FALSE(m.layers[2].binding.has_value());
  EXPECT_TRUE(m.layers[3].stackCount && m.layers[3].loopCount);
  EXPECT_TRUE(llvm::isa<BinaryExpr>(*m.layers[3].loopCount));
  ASSERT_EQ(m.layers[4].args.size(), 4u);
  EXPECT_FALSE(m.layers[4].args[1].isKeyword());
  EXPECT_EQ(m.layers[4].args[2].name, "rope");
  ASSERT_TRUE(m.forward);
  ASSERT_EQ(m.forward->body.size(), 3u);
  EXPECT_EQ(m.forward->body[2].kind, Stmt::Kind::Return);
}

TEST(Parser, FileLevelBlockWithDefaults) {
  Harness h;
  std::unique_ptr<File> file = h.parse(
      "block D(dim, hidden = 4 * dim, act = \"gelu\",) { forward(x) { return "
      "x } }");
  ASSERT_TRUE(file) << h.all();
  const BlockDecl &b = *file->blocks[0];
  EXPECT_TRUE(b.hasParamList);
  ASSERT_EQ(b.params.size(), 3u);
  EXPECT_FALSE(b.params[0].defaultValue);
  EXPECT_TRUE(b.params[1].defaultValue);
}

TEST(Parser, XIsAnIdentifierOutsideLoops) {
  Harness h;
  std::unique_ptr<File> file = h.parse(R"(
    model M {
      config { x = 2 }
      a = loop B x x
      x = Linear(2, 2)
      forward(x) { x = x return x }
    }
  )");
  ASSERT_TRUE(file) << h.all();
  const ModelDecl &m = *file->models[0];
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(llvm::cast<IdentExpr>(*m.layers[0].loopCount).getName(), "x");
  EXPECT_EQ(m.layers[1].name, "x");
}

TEST(Parser, Precedence) {
  Harness h;
  std::unique_ptr<File> file =
      h.parse("model M { config { a = 1 + 2 * 3 - -4 / (5 - 6) } }");
  ASSERT_TRUE(file) << h.all();
  const auto &top = llvm::cast<BinaryExpr>(*file->models[0]->config[0].value);
  EXPECT_EQ(top.getOp(), '-');
  const auto &lhs = llvm::cast<BinaryExpr>(top.getLHS());
  EXPECT_EQ(lhs.getOp(), '+');
  EXPECT_EQ(llvm::cast<BinaryExpr>(lhs.getRHS()).getOp(), '*');
  const auto &rhs = llvm::cast<BinaryExpr>(top.getRHS());
  EXPECT_EQ(rhs.getOp(), '/');
  EXPECT_TRUE(llvm::isa<UnaryExpr>(rhs.getLHS()));
}

TEST(Parser, PrintAST) {
  Harness h;
  std::unique_ptr<File> file = h.parse(
      "model M {\n  config { dim = 8 }\n  e = Embedding(10, dim) @ \"e\"\n"
      "  forward(t) { return e(t) }\n}\n");
  ASSERT_TRUE(file) << h.all();
  std::string text;
  llvm::raw_string_ostream os(text);
  printAST(*file, os);
  EXPECT_NE(text.find("Model M <1:7>"), std::string::npos) << text;
  EXPECT_NE(text.find("Entry dim <2:12>"), std::string::npos) << text;
  EXPECT_NE(text.find("Layer e = Embedding(...) @ \"e\" <3:3>"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Forward(t) <4:3>"), std::string::npos) << text;
  EXPECT_NE(text.find("Call e <4:23>"), std::string::npos) << text;
}

struct ErrorCase {
  const char *source;
  const char *message;
};

TEST(Parser, Errors) {
  const ErrorCase cases[] = {
      {"foo", "1:1: error: expected 'model', 'block' or 'import' at top "
              "level, found 'foo'"},
      {"model { }", "1:7: error: expected a model name"},
      {"model M {", "1:9: error: unterminated '{': model 'M'"},
      {"block B {", "1:9: error: unterminated '{': block 'B'"},
      {"model M { config { a = 1 ", "1:18: error: unterminated '{': the "
                                    "config"},
      {"model M { a = B x 2 }", "1:17: error: 'x N' repeats a block"},
      {"model M { a = loop B }", "1:22: error: expected 'x N'"},
      {"model M { block B(d) {} }", "1:18: error: block 'B' is inside a "
                                    "model and cannot have parameters"},
      {"block B { block C {} }", "1:11: error: blocks cannot be nested"},
      {"block B { config {} }", "1:11: error: 'config' is only allowed"},
      {"model M { a = L(x = 1, 2) }", "1:24: error: positional argument "
                                      "after a keyword argument"},
      {"model M { a = L(x = 1, x = 2) }", "1:24: error: argument 'x' is "
                                          "given twice"},
      {"model M { forward(t) { t + 1 } }", "1:24: error: expected a "
                                           "statement"},
      {"model M { forward(t) { return t } forward(u) { return u } }",
       "1:35: error: model 'M' has more than one 'forward'"},
      {"model M { config { a = (1 } }", "1:27: error: expected ')' to close "
                                        "'('"},
      {"model M { config { a = (1", "1:24: error: unterminated '('"},
      {"model M { a = L(1, 2", "1:16: error: unterminated '('"},
      {"import x", "1:8: error: expected a file name string after 'import'"},
      {"import \"\"", "1:1: error: import of an empty file name"},
      {"model M { model N {} }", "1:11: error: models cannot be nested"},
      {"model M { a = L @ b }", "1:19: error: expected a checkpoint name "
                                "string after '@'"},
  };
  for (const ErrorCase &c : cases) {
    Harness h;
    EXPECT_FALSE(h.parse(c.source)) << c.source;
    ASSERT_EQ(h.messages.size(), 1u) << c.source << "\n" << h.all();
    EXPECT_TRUE(llvm::StringRef(h.messages[0]).starts_with(c.message))
        << c.source << " -> " << h.messages[0];
  }
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  for (const char *open : {"(", "-", "f("}) {
    std::string deep = "model M { config { a = ";
    for (int i = 0; i < 100000; ++i)
      deep += open;
    deep += "1";
    Harness h;
    EXPECT_FALSE(h.parse(deep)) << open;
    EXPECT_TRUE(h.has("nested too deeply")) << h.all();
  }
  // Long operator chains build deep trees too.
  std::string chain = "model M { config { a = 1";
  for (int i = 0; i < 100000; ++i)
    chain += " + 1";
  chain += " } }";
  Harness h;
  EXPECT_FALSE(h.parse(chain));
  EXPECT_TRUE(h.has("nested too deeply")) << h.all();
  // Just under the limit is fine.
  std::string ok = "model M { config { a = ";
  for (unsigned i = 0; i < kMaxExprDepth - 1; ++i)
    ok += "(";
  ok += "1";
  for (unsigned i = 0; i < kMaxExprDepth - 1; ++i)
    ok += ")";
  ok += " } }";
  Harness h2;
  EXPECT_TRUE(h2.parse(ok)) << h2.all();
}

} // namespace
