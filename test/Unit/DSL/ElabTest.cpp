//===- ElabTest.cpp - Tests of elaboration --------------------------------===//

#include "DSLTestUtils.h"

#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

using namespace loom::dsl;
using namespace loom::dsl::test;

namespace {

const ConfigValue *findConfig(const Model &model, llvm::StringRef name) {
  for (const auto &[key, value] : model.config)
    if (key == name)
      return &value;
  return nullptr;
}

TEST(Elab, ConfigEvaluation) {
  Harness h;
  auto model = h.elab(R"(
    model M {
      config {
        dim = 64
        heads = 4
        head_dim = dim / heads
        ratio = dim / 3.0
        neg = -(2 - 5) * 2
        name = "x"
        flag = false
      }
      e = Embedding(10, dim)
      forward(t) { return e(t) }
    })");
  ASSERT_TRUE(model) << h.all();
  EXPECT_EQ(findConfig(*model, "head_dim")->intValue, 16);
  EXPECT_EQ(findConfig(*model, "ratio")->kind, ConfigValue::Kind::Float);
  EXPECT_NEAR(findConfig(*model, "ratio")->floatValue, 64 / 3.0, 1e-12);
  EXPECT_EQ(findConfig(*model, "neg")->intValue, 6);
  EXPECT_EQ(findConfig(*model, "name")->stringValue, "x");
  EXPECT_FALSE(findConfig(*model, "flag")->boolValue);
}

TEST(Elab, OverridesReplaceExpressionsAndPropagate) {
  Harness h;
  ElabOptions options;
  options.overrides = {{"dim", "128"},   {"eps", "1e-6"}, {"name", "\"y\""},
                       {"flag", "true"}, {"act", "relu"}, {"dim", "256"}};
  auto model = h.elab(R"(
    model M {
      config {
        dim = 64
        hidden = 4 * dim
        eps = 1e-5
        name = "x"
        flag = false
        act = "gelu"
      }
      e = Embedding(10, dim)
      m = MLP(dim, hidden, act = act)
      forward(t) { x = e(t) return m(x) }
    })",
                      options);
  ASSERT_TRUE(model) << h.all();
  EXPECT_EQ(findConfig(*model, "dim")->intValue, 256); // The last one wins.
  EXPECT_EQ(findConfig(*model, "hidden")->intValue, 1024);
  EXPECT_DOUBLE_EQ(findConfig(*model, "eps")->floatValue, 1e-6);
  EXPECT_EQ(findConfig(*model, "name")->stringValue, "y");
  EXPECT_TRUE(findConfig(*model, "flag")->boolValue);
  EXPECT_EQ(model->layers[1].mlp.act, Activation::Relu);
  EXPECT_EQ(model->layers[1].mlp.hidden, 1024);
}

TEST(Elab, OverrideErrors) {
  const std::pair<const char *, const char *> cases[] = {
      {"nope", "sets unknown config entry 'nope' of model 'M'; its entries "
               "are: dim"},
      {"dmi", "did you mean 'dim'?"},
  };
  for (const auto &[name, message] : cases) {
    Harness h;
    ElabOptions options;
    options.overrides = {{name, "1"}};
    EXPECT_FALSE(h.elab("model M { config { dim = 8 } e = Embedding(4, dim) "
                        "forward(t) { return e(t) } }",
                        options));
    EXPECT_TRUE(h.has(message)) << h.all();
    EXPECT_TRUE(h.has("1:11: error: command-line option '-D ")) << h.all();
  }
  for (const char *bad : {"12abc", "", "\"open", "1e", "a b"}) {
    Harness h;
    ElabOptions options;
    options.overrides = {{"dim", bad}};
    EXPECT_FALSE(h.elab("model M { config { dim = 8 } }", options)) << bad;
    EXPECT_TRUE(h.has("has an invalid value")) << bad << ": " << h.all();
  }
}

TEST(Elab, ModelSelection) {
  const char *source = "model A { e = Embedding(4, 4) forward(t) { return "
                       "e(t) } }\nmodel B { e = Embedding(4, 8) forward(t) "
                       "{ return e(t) } }";
  {
    Harness h;
    EXPECT_FALSE(h.elab(source));
    EXPECT_TRUE(h.has("2:7: error: this file defines several models (A, "
                      "B); choose one with --model NAME"))
        << h.all();
  }
  {
    Harness h;
    ElabOptions options;
    options.modelName = "B";
    auto model = h.elab(source, options);
    ASSERT_TRUE(model) << h.all();
    EXPECT_EQ(model->name, "B");
    EXPECT_EQ(model->layers[0].embedding.dim, 8);
  }
  {
    Harness h;
    ElabOptions options;
    options.modelName = "C";
    EXPECT_FALSE(h.elab(source, options));
    EXPECT_TRUE(h.has("no model named 'C' (models in this file: A, B)"))
        << h.all();
  }
}

TEST(Elab, BlockInstancesAreSharedOrSuffixed) {
  Harness h;
  auto model = h.elab(R"(
    block Ffn(dim, hidden = 4 * dim) {
      up = Linear(dim, hidden)
      down = Linear(hidden, dim)
      forward(x) { return down(relu(up(x))) }
    }
    block Pair(dim) {
      a = Ffn(dim)
      b = Ffn(dim, hidden = 2 * dim)
      forward(x) { return b(a(x)) }
    }
    model M {
      config { dim = 16 }
      e  = Embedding(10, dim)
      f1 = Ffn(dim)
      f2 = Ffn(dim = 16, hidden = 64)
      f3 = Ffn(16, 32)
      p  = Pair(dim)[2] @ "p.{i}"
      forward(t) { return p(f3(f2(f1(e(t))))) }
    })");
  ASSERT_TRUE(model) << h.all();
  // Ffn(16, 64) is shared by f1, f2 and Pair.a; Ffn(16, 32) by f3 and Pair.b.
  ASSERT_EQ(model->blocks.size(), 3u);
  EXPECT_EQ(model->blocks[0]->name, "Ffn");
  EXPECT_EQ(model->blocks[1]->name, "Ffn_1");
  EXPECT_EQ(model->blocks[2]->name, "Pair");
  EXPECT_EQ(model->layers[1].blockUse.block, model->blocks[0].get());
  EXPECT_EQ(model->layers[2].blockUse.block, model->blocks[0].get());
  EXPECT_EQ(model->layers[3].blockUse.block, model->blocks[1].get());
  EXPECT_EQ(model->blocks[1]->layers[0].linear.out, 32);
  const Block &pair = *model->blocks[2];
  EXPECT_EQ(pair.layers[0].blockUse.block, model->blocks[0].get());
  EXPECT_EQ(pair.layers[1].blockUse.block, model->blocks[1].get());
  EXPECT_EQ(model->layers[4].blockUse.count, 2);
}

TEST(Elab, SameBlockDifferentInputWidthsAreDistinct) {
  Harness h;
  auto model = h.elab(R"(
    block Act { forward(x) { return silu(x) } }
    model M {
      e = Embedding(10, 8)
      up = Linear(8, 16)
      a = Act
      b = Act
      forward(t) { x = a(e(t)) return b(up(x)) }
    })");
  ASSERT_TRUE(model) << h.all();
  ASSERT_EQ(model->blocks.size(), 2u);
  EXPECT_EQ(model->blocks[0]->forward.inputs[0].width, 8);
  EXPECT_EQ(model->blocks[1]->forward.inputs[0].width, 16);
  EXPECT_EQ(model->blocks[1]->name, "Act_1");
}

TEST(Elab, ForwardGraph) {
  Harness h;
  auto model = h.elab(R"(
    model M {
      config { dim = 8 scale = 0.5 }
      e = Embedding(10, dim)
      pos = PositionalEmbedding(32, dim)
      seg = Embedding(2, dim)
      g = Linear(dim, dim, false)
      forward(t) {
        x = e(t) + pos(t) + seg(1)
        y = gelu_tanh(x) * g(x)
        return 2 * y * scale
      }
    })");
  ASSERT_TRUE(model) << h.all();
  const Forward &f = model->forward;
  std::vector<Node::Op> ops;
  for (const Node &n : f.nodes)
    ops.push_back(n.op);
  std::vector<Node::Op> expected = {
      Node::Op::Input,      Node::Op::CallLayer,    Node::Op::CallLayer,
      Node::Op::Add,        Node::Op::EmbeddingRow, Node::Op::Add,
      Node::Op::Activation, Node::Op::CallLayer,    Node::Op::Mul,
      Node::Op::Scale,      Node::Op::Scale};
  EXPECT_EQ(ops, expected);
  EXPECT_EQ(f.nodes[0].kind, ValueKind::Ids);
  EXPECT_EQ(f.nodes[4].row, 1);
  EXPECT_EQ(f.nodes[4].kind, ValueKind::Row);
  EXPECT_EQ(f.nodes[4].layer, 2u);
  EXPECT_EQ(f.nodes[6].act, Activation::GeluTanh);
  EXPECT_EQ(f.nodes[8].operands.size(), 2u);
  EXPECT_DOUBLE_EQ(f.nodes[9].factor, 2.0);
  EXPECT_DOUBLE_EQ(f.nodes[10].factor, 0.5);
  EXPECT_EQ(f.result, 10u);
  EXPECT_FALSE(model->layers[3].linear.bias);
}

TEST(Elab, UnusedLayersWarnAndUnusedBlocksAreDropped) {
  Harness h;
  auto model = h.elab(R"(
    block B { forward(x) { return x } }
    model M {
      e = Embedding(10, 8)
      spare = Linear(8, 8)
      b = B
      forward(t) { return e(t) }
    })");
  ASSERT_TRUE(model) << h.all();
  EXPECT_TRUE(h.has("5:7: warning: layer 'spare' is never used")) << h.all();
  EXPECT_TRUE(h.has("6:7: warning: layer 'b' is never used")) << h.all();
  ASSERT_EQ(model->layers.size(), 2u);
  EXPECT_EQ(model->layers[1].name, "spare");
  EXPECT_TRUE(model->blocks.empty());
  EXPECT_EQ(model->forward.nodes[1].layer, 0u);
}

TEST(Elab, AttentionDefaultsAndOptions) {
  Harness h;
  auto model = h.elab(R"(
    model M {
      e = Embedding(10, 64)
      a = Attention(64, 8)
      b = Attention(64, 8, 2, head_dim = 16, causal = false, rope = 500000,
                    bias = true, out_bias = false, layout = "in_out",
                    qkv = "c_attn", o = "out")
      forward(t) { x = e(t) return b(a(x)) }
    })");
  ASSERT_TRUE(model) << h.all();
  const AttentionSpec &a = model->layers[1].attention;
  EXPECT_EQ(a.kvHeads, 8);
  EXPECT_EQ(a.headDim, 8);
  EXPECT_TRUE(a.causal);
  EXPECT_FALSE(a.ropeTheta);
  EXPECT_FALSE(a.qkvBias || a.outBias || a.transposed);
  EXPECT_EQ(a.q, "q_proj");
  EXPECT_EQ(a.qkv, "");
  const AttentionSpec &b = model->layers[2].attention;
  EXPECT_EQ(b.kvHeads, 2);
  EXPECT_EQ(b.headDim, 16);
  EXPECT_FALSE(b.causal);
  EXPECT_EQ(*b.ropeTheta, 500000.0);
  EXPECT_TRUE(b.qkvBias);
  EXPECT_FALSE(b.outBias);
  EXPECT_TRUE(b.transposed);
  EXPECT_EQ(b.qkv, "c_attn");
  EXPECT_EQ(b.o, "out");
}

TEST(Elab, NormAndMlpDefaults) {
  Harness h;
  auto model = h.elab(R"(
    model M {
      e = Embedding(10, 8)
      ln = LayerNorm(8)
      rms = RMSNorm(8)
      mlp = MLP(8, 32)
      gated = GatedMLP(8, 32, gelu, bias = true)
      forward(t) { return gated(mlp(rms(ln(e(t))))) }
    })");
  ASSERT_TRUE(model) << h.all();
  EXPECT_DOUBLE_EQ(model->layers[1].norm.eps, 1e-5);
  EXPECT_TRUE(model->layers[1].norm.bias);
  EXPECT_DOUBLE_EQ(model->layers[2].norm.eps, 1e-6);
  EXPECT_FALSE(model->layers[2].norm.bias);
  EXPECT_EQ(model->layers[3].mlp.act, Activation::Gelu);
  EXPECT_TRUE(model->layers[3].mlp.bias);
  EXPECT_EQ(model->layers[4].mlp.act, Activation::Gelu);
  EXPECT_TRUE(model->layers[4].mlp.bias);
  EXPECT_EQ(model->layers[4].mlp.gate, "gate_proj");
}

TEST(Elab, ErrorsAreReportedOnceAcrossInstances) {
  // The block is instantiated twice (different params); its error is not
  // repeated.
  Harness h;
  EXPECT_FALSE(h.elab(R"(
    block B(dim) {
      n = RMSNorm(dim)
      forward(x) { return n(x) + nope }
    }
    model M {
      e = Embedding(10, 8)
      a = B(8)
      b = B(dim = 8.0 / 1)
      forward(t) { return b(a(e(t))) }
    })"));
  unsigned count = 0;
  for (const std::string &m : h.messages)
    count += llvm::StringRef(m).contains("unknown name 'nope'");
  EXPECT_EQ(count, 1u) << h.all();
}

TEST(Elab, ImportsResolveRelativeAndThroughIncludeDirs) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("loom-elab", dir));
  auto write = [&](llvm::StringRef name, llvm::StringRef text) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, name);
    llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path));
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << text;
    return std::string(path);
  };
  write("lib/a.loom", "block A { forward(x) { return x } }\n");
  write("lib/b.loom", "import \"a.loom\"\nimport \"../lib/a.loom\"\n"
                      "block Bb { forward(x) { return x } }\n");
  std::string inc = write("inc/c.loom", "block C { forward(x) { return x } }");
  std::string mainPath =
      write("main.loom",
            "import \"lib/b.loom\"\nimport \"lib/a.loom\"\nimport \"c.loom\"\n"
            "model M { e = Embedding(4, 4) a = A b = Bb c = C\n"
            "forward(t) { return c(b(a(e(t)))) } }\n");
  {
    Harness h;
    ElabOptions options;
    options.includeDirs.push_back(
        std::string(llvm::sys::path::parent_path(inc)));
    unsigned id = h.addFile(mainPath);
    auto model = elaborate(h.srcMgr, id, options, h.diags);
    ASSERT_TRUE(model) << h.all();
    EXPECT_EQ(model->blocks.size(), 3u);
    EXPECT_EQ(h.srcMgr.getNumBuffers(), 4u); // main, b, a, c: a only once.
  }
  {
    Harness h;
    unsigned id = h.addFile(mainPath);
    EXPECT_FALSE(elaborate(h.srcMgr, id, ElabOptions(), h.diags));
    EXPECT_TRUE(h.has("cannot find imported file 'c.loom'")) << h.all();
  }
  llvm::sys::fs::remove_directories(dir);
}

TEST(Elab, ImportsOfSplitInputChunks) {
  // `--split-input-file` names chunks "within split at PATH:LINE offset ".
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("loom-split", dir));
  llvm::SmallString<128> lib(dir);
  llvm::sys::path::append(lib, "lib.loom");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(lib, ec);
    os << "block L { forward(x) { return x } }\n";
  }
  Harness h;
  std::string name = ("within split at " + dir + "/main.loom:12 offset ").str();
  unsigned id = h.srcMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          "import \"lib.loom\"\nmodel M { e = Embedding(4, 4) l = L "
          "forward(t) { return l(e(t)) } }",
          name),
      llvm::SMLoc());
  EXPECT_TRUE(elaborate(h.srcMgr, id, ElabOptions(), h.diags)) << h.all();
  llvm::sys::fs::remove_directories(dir);
}

TEST(Elab, StringifyActivation) {
  EXPECT_EQ(stringifyActivation(Activation::Relu), "relu");
  EXPECT_EQ(stringifyActivation(Activation::Gelu), "gelu");
  EXPECT_EQ(stringifyActivation(Activation::GeluTanh), "gelu_tanh");
  EXPECT_EQ(stringifyActivation(Activation::Silu), "silu");
}

TEST(Elab, DefaultHandlerPrintsFileLineColumn) {
  llvm::SourceMgr srcMgr;
  std::string out;
  llvm::raw_string_ostream os(out);
  // SourceMgr::PrintMessage writes to errs(); check the counting instead.
  DiagnosticEngine diags(srcMgr);
  diags.setHandler([](const Diagnostic &) {});
  diags.warning(llvm::SMLoc(), "w");
  EXPECT_FALSE(diags.hadError());
  diags.error(llvm::SMLoc(), "e");
  diags.note(llvm::SMLoc(), "n");
  EXPECT_EQ(diags.getNumErrors(), 1u);
  EXPECT_EQ(&diags.getSourceMgr(), &srcMgr);
}

} // namespace
