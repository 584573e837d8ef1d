//===- ExamplesTest.cpp - The example models elaborate --------------------===//

#include "DSLTestUtils.h"

#include "gtest/gtest.h"

using namespace loom::dsl;
using namespace loom::dsl::test;

namespace {

std::unique_ptr<Model> elabExample(Harness &h, llvm::StringRef name,
                                   const ElabOptions &options = {}) {
  unsigned id = h.addFile(examplePath(name));
  EXPECT_NE(id, 0u) << name.str();
  if (!id)
    return nullptr;
  return elaborate(h.srcMgr, id, options, h.diags);
}

TEST(Examples, AllParseAndElaborateWithoutDiagnostics) {
  for (const char *name : {"bert.loom", "gpt2.loom", "hyperloop.loom",
                           "llama.loom", "looped.loom"}) {
    Harness h;
    std::unique_ptr<Model> model = elabExample(h, name);
    EXPECT_TRUE(model) << name << ":\n" << h.all();
    EXPECT_TRUE(h.messages.empty()) << name << ":\n" << h.all();
  }
}

TEST(Examples, CommonHasNoModel) {
  Harness h;
  EXPECT_FALSE(elabExample(h, "common.loom"));
  EXPECT_TRUE(h.has("defines no 'model'")) << h.all();
}

TEST(Examples, Llama) {
  Harness h;
  std::unique_ptr<Model> model = elabExample(h, "llama.loom");
  ASSERT_TRUE(model) << h.all();
  EXPECT_EQ(model->name, "Llama");
  ASSERT_EQ(model->config.size(), 8u);
  EXPECT_EQ(model->config[0].first, "vocab");
  EXPECT_EQ(model->config[0].second.intValue, 32000);
  EXPECT_EQ(model->config[7].second.kind, ConfigValue::Kind::Float);
  ASSERT_EQ(model->layers.size(), 4u);
  EXPECT_EQ(model->layers[0].kind, LayerKind::Embedding);
  EXPECT_EQ(model->layers[0].binding, "model.embed_tokens");
  const Layer &blocks = model->layers[1];
  EXPECT_EQ(blocks.kind, LayerKind::Block);
  EXPECT_EQ(blocks.blockUse.count, 12);
  EXPECT_FALSE(blocks.blockUse.loop);
  EXPECT_EQ(blocks.binding, "model.layers.{i}");
  ASSERT_EQ(model->blocks.size(), 1u);
  const Block &decoder = *model->blocks[0];
  EXPECT_EQ(blocks.blockUse.block, &decoder);
  EXPECT_EQ(decoder.name, "Decoder");
  ASSERT_EQ(decoder.layers.size(), 4u);
  const AttentionSpec &attn = decoder.layers[1].attention;
  EXPECT_EQ(attn.heads, 12);
  EXPECT_EQ(attn.kvHeads, 4);
  EXPECT_EQ(attn.headDim, 64);
  EXPECT_TRUE(attn.causal);
  ASSERT_TRUE(attn.ropeTheta.has_value());
  EXPECT_EQ(*attn.ropeTheta, 10000.0);
  EXPECT_FALSE(attn.qkvBias);
  EXPECT_EQ(decoder.layers[3].kind, LayerKind::GatedMLP);
  EXPECT_EQ(decoder.layers[3].mlp.act, Activation::Silu);
  EXPECT_FALSE(decoder.layers[3].mlp.bias);
  EXPECT_EQ(decoder.layers[0].norm.eps, 1e-5);
  // The forward: input, embed, blocks, norm, head.
  const Forward &fwd = model->forward;
  ASSERT_EQ(fwd.inputs.size(), 1u);
  EXPECT_TRUE(fwd.inputs[0].isIds);
  ASSERT_EQ(fwd.nodes.size(), 5u);
  EXPECT_EQ(fwd.result, 4u);
  EXPECT_EQ(fwd.nodes[4].width, 32000);
  EXPECT_EQ(fwd.nodes[2].layer, 1u);
  // The decoder's forward: x + attn(attn_norm(x)) ...
  ASSERT_EQ(decoder.forward.inputs.size(), 1u);
  EXPECT_EQ(decoder.forward.inputs[0].width, 768);
  EXPECT_EQ(decoder.forward.nodes[decoder.forward.result].op, Node::Op::Add);
}

TEST(Examples, LlamaOverrides) {
  Harness h;
  ElabOptions options;
  options.overrides = {{"dim", "512"},
                       {"heads", "8"},
                       {"layers", "2"},
                       {"rope_theta", "500000"}};
  std::unique_ptr<Model> model = elabExample(h, "llama.loom", options);
  ASSERT_TRUE(model) << h.all();
  EXPECT_EQ(model->layers[1].blockUse.count, 2);
  EXPECT_EQ(model->blocks[0]->layers[1].attention.headDim, 64);
  EXPECT_EQ(*model->blocks[0]->layers[1].attention.ropeTheta, 500000.0);
  EXPECT_EQ(model->forward.nodes[1].width, 512);
}

TEST(Examples, Gpt2) {
  Harness h;
  std::unique_ptr<Model> model = elabExample(h, "gpt2.loom");
  ASSERT_TRUE(model) << h.all();
  ASSERT_EQ(model->layers.size(), 5u);
  EXPECT_EQ(model->layers[4].binding, "transformer.wte");
  EXPECT_FALSE(model->layers[4].linear.bias);
  const Block &block = *model->blocks[0];
  EXPECT_EQ(block.name, "Block");
  const AttentionSpec &attn = block.layers[1].attention;
  EXPECT_EQ(attn.qkv, "c_attn");
  EXPECT_EQ(attn.o, "c_proj");
  EXPECT_TRUE(attn.transposed);
  EXPECT_TRUE(attn.qkvBias);
  EXPECT_TRUE(attn.outBias);
  EXPECT_FALSE(attn.ropeTheta.has_value());
  EXPECT_EQ(block.layers[3].mlp.hidden, 3072);
  EXPECT_EQ(block.layers[3].mlp.act, Activation::GeluTanh);
  EXPECT_EQ(block.layers[0].binding, "ln_1");
  EXPECT_TRUE(block.layers[0].norm.bias);
}

TEST(Examples, BertSegmentRow) {
  Harness h;
  std::unique_ptr<Model> model = elabExample(h, "bert.loom");
  ASSERT_TRUE(model) << h.all();
  ASSERT_EQ(model->layers.size(), 5u);
  bool sawRow = false;
  for (const Node &node : model->forward.nodes)
    if (node.op == Node::Op::EmbeddingRow) {
      sawRow = true;
      EXPECT_EQ(node.kind, ValueKind::Row);
      EXPECT_EQ(node.row, 0);
      EXPECT_EQ(node.width, 768);
      EXPECT_EQ(model->layers[node.layer].name, "segment");
    }
  EXPECT_TRUE(sawRow);
  const Block &enc = *model->blocks[0];
  EXPECT_FALSE(enc.layers[0].attention.causal);
  EXPECT_EQ(enc.layers[0].attention.q, "self.query");
  EXPECT_EQ(enc.layers[2].binding, "");
  EXPECT_EQ(enc.layers[1].norm.eps, 1e-12);
}

TEST(Examples, HyperloopSharesOneBlock) {
  Harness h;
  std::unique_ptr<Model> model = elabExample(h, "hyperloop.loom");
  ASSERT_TRUE(model) << h.all();
  ASSERT_EQ(model->layers.size(), 6u);
  ASSERT_EQ(model->blocks.size(), 1u);
  const Layer &middle = model->layers[2];
  EXPECT_TRUE(middle.blockUse.loop);
  EXPECT_EQ(middle.blockUse.count, 2);
  EXPECT_EQ(middle.blockUse.iterations, 3);
  EXPECT_EQ(middle.blockUse.block, model->layers[1].blockUse.block);
  EXPECT_EQ(model->blocks[0]->layers[1].attention.kvHeads, 4);
}

TEST(Examples, Looped) {
  Harness h;
  std::unique_ptr<Model> model = elabExample(h, "looped.loom");
  ASSERT_TRUE(model) << h.all();
  const Layer &shared = model->layers[1];
  EXPECT_TRUE(shared.blockUse.loop);
  EXPECT_EQ(shared.blockUse.count, 1);
  EXPECT_EQ(shared.blockUse.iterations, 4);
  EXPECT_EQ(shared.binding, "model.shared");
}

} // namespace
