//===- Dot.cpp - Architecture pictures of elaborated models ---------------===//

#include "dsl/Dot.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <string>

using namespace loom::dsl;
using llvm::formatv;

namespace {

/// `text` as the body of a DOT string (quotes and backslashes escaped, new
/// lines as `\n`).
std::string escape(llvm::StringRef text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

/// `prefix` + `.` + `name`, without a dot where either is empty.
std::string join(llvm::StringRef prefix, llvm::StringRef name) {
  if (prefix.empty())
    return name.str();
  if (name.empty())
    return prefix.str();
  return (prefix + "." + name).str();
}

/// A width as a shape: `[seq, 768]`, `[seq] ids`, `[768]`.
std::string shapeOf(const Node &node) {
  switch (node.kind) {
  case ValueKind::Ids:
    return "[seq] ids";
  case ValueKind::Features:
    return formatv("[seq, {0}]", node.width).str();
  case ValueKind::Row:
    return formatv("[{0}]", node.width).str();
  case ValueKind::Matrix:
    return formatv("[{0}, {1}]", node.rows, node.width).str();
  case ValueKind::Heads:
  case ValueKind::RopedHeads:
    return formatv("[{0}, seq, {1}]", node.rows, node.width).str();
  case ValueKind::HeadsT:
    return formatv("[{0}, {1}, seq]", node.rows, node.width).str();
  case ValueKind::Scores:
  case ValueKind::Probs:
  case ValueKind::LinearScores:
    return formatv("[{0}, seq, seq]", node.rows).str();
  }
  return "";
}

std::string formatNumber(double value) {
  return formatv("{0}", llvm::format("%g", value)).str();
}

/// The tensors of `layer` under `prefix`, one per line (for tooltips).
std::string tensorList(const Layer &layer, llvm::StringRef prefix) {
  std::string base = join(prefix, layer.binding);
  std::string out;
  auto add = [&](llvm::StringRef sub, llvm::StringRef name, bool present) {
    if (present)
      out += join(join(base, sub), name) + "\n";
  };
  switch (layer.kind) {
  case LayerKind::Embedding:
  case LayerKind::PositionalEmbedding:
    add("", "weight", true);
    break;
  case LayerKind::Linear:
    add("", "weight", true);
    add("", "bias", layer.linear.bias);
    break;
  case LayerKind::LayerNorm:
  case LayerKind::RMSNorm:
    add("", "weight", true);
    add("", "bias", layer.norm.bias);
    break;
  case LayerKind::Attention: {
    const AttentionSpec &a = layer.attention;
    std::vector<std::string> inputs =
        a.qkv.empty() ? std::vector<std::string>{a.q, a.k, a.v}
                      : std::vector<std::string>{a.qkv};
    for (const std::string &sub : inputs) {
      add(sub, "weight", true);
      add(sub, "bias", a.qkvBias);
    }
    add(a.o, "weight", true);
    add(a.o, "bias", a.outBias);
    break;
  }
  case LayerKind::MLP:
  case LayerKind::GatedMLP: {
    const MLPSpec &m = layer.mlp;
    if (layer.kind == LayerKind::GatedMLP) {
      add(m.gate, "weight", true);
      add(m.gate, "bias", m.bias);
    }
    add(m.up, "weight", true);
    add(m.up, "bias", m.bias);
    add(m.down, "weight", true);
    add(m.down, "bias", m.bias);
    break;
  }
  case LayerKind::MoE: {
    const MoESpec &m = layer.moe;
    add(m.router, "weight", true);
    for (const std::string &part : {m.gate, m.up, m.down})
      add(m.expertPrefix + ".{0.." + std::to_string(m.experts - 1) + "}." +
              part,
          "weight", true);
    break;
  }
  case LayerKind::Param:
    out += base + "\n";
    break;
  case LayerKind::Block:
    out += join(base, "...") + "\n";
    break;
  }
  if (!out.empty())
    out.pop_back();
  return out;
}

/// What a layer is, with its sizes.
std::string describe(const Layer &layer) {
  switch (layer.kind) {
  case LayerKind::Embedding:
    return formatv("Embedding {0} × {1}", layer.embedding.vocab,
                   layer.embedding.dim);
  case LayerKind::PositionalEmbedding:
    return formatv("PositionalEmbedding {0} × {1}", layer.embedding.vocab,
                   layer.embedding.dim);
  case LayerKind::Linear:
    return formatv("Linear {0} → {1}{2}", layer.linear.in, layer.linear.out,
                   layer.linear.bias ? ", bias" : "");
  case LayerKind::LayerNorm:
    return formatv("LayerNorm {0}", layer.norm.dim);
  case LayerKind::RMSNorm:
    return formatv("RMSNorm {0}", layer.norm.dim);
  case LayerKind::Attention: {
    const AttentionSpec &a = layer.attention;
    std::string text = formatv("Attention {0} heads", a.heads).str();
    if (a.kvHeads != a.heads)
      text += formatv(" ({0} kv)", a.kvHeads).str();
    text +=
        formatv(" × {0}\n{1}", a.headDim, a.causal ? "causal" : "bidirectional")
            .str();
    if (a.ropeTheta)
      text += ", RoPE " + formatNumber(*a.ropeTheta);
    return text;
  }
  case LayerKind::MLP:
  case LayerKind::GatedMLP:
    return formatv("{0} {1} → {2} → {1}, {3}",
                   layer.kind == LayerKind::GatedMLP ? "GatedMLP" : "MLP",
                   layer.mlp.dim, layer.mlp.hidden,
                   stringifyActivation(layer.mlp.act));
  case LayerKind::MoE:
    return formatv("MoE {0} experts {1} → {2} → {1}, top {3}, {4}",
                   layer.moe.experts, layer.moe.dim, layer.moe.hidden,
                   layer.moe.topK, stringifyActivation(layer.moe.act));
  case LayerKind::Param:
    if (layer.param.rows)
      return formatv("Param {0} × {1}", layer.param.rows, layer.param.width);
    return formatv("Param {0}", layer.param.width);
  case LayerKind::Block: {
    const BlockUseSpec &use = layer.blockUse;
    std::string name = use.block->name;
    // Adaptive depth: the rule on its own line.
    if (use.exit != BlockUseSpec::Exit::None) {
      BlockUseSpec plain = use;
      plain.exit = BlockUseSpec::Exit::None;
      Layer shown = layer;
      shown.blockUse = plain;
      return formatv("{0}\n(tokens leave early: {1} {2})", describe(shown),
                     use.exit == BlockUseSpec::Exit::Gate
                         ? "exit gate '" + use.exitGateName + "' ≥"
                         : std::string("change <"),
                     use.exitThreshold);
    }
    if (use.loop && use.count > 1)
      return formatv("loop {0}[{1}] × {2}\n(weights shared across loops)", name,
                     use.count, use.iterations);
    if (use.loop && use.loraRank != 0)
      return formatv("loop {0} × {1}\n(one set of weights, a rank-{2} "
                     "LoRA delta per iteration)",
                     name, use.iterations, use.loraRank);
    if (use.loop)
      return formatv("loop {0} × {1}\n(one set of weights)", name,
                     use.iterations);
    if (use.count > 1)
      return formatv("{0} × {1}\n(distinct weights)", name, use.count);
    return name;
  }
  }
  return "";
}

/// The function a node applies: "max", "exp", "mean", "matmul", ...
std::string functionLabel(const Node &node) {
  switch (node.op) {
  case Node::Op::Max:
    return "max";
  case Node::Op::Min:
    return "min";
  case Node::Op::Pow:
    return "pow";
  case Node::Op::MatMul:
    return "matmul";
  case Node::Op::Transpose:
    return "transpose";
  case Node::Op::SplitHeads:
    return formatv("split_heads {0}", node.rows).str();
  case Node::Op::MergeHeads:
    return "merge_heads";
  case Node::Op::Rope:
    return (node.interleaved ? "rope_interleaved " : "rope ") +
           formatNumber(node.theta);
  case Node::Op::Scores:
    return "q · kᵀ";
  case Node::Op::Mask:
    return node.window ? formatv("window {0}", node.window).str() : "causal";
  case Node::Op::Softmax:
    return "softmax";
  case Node::Op::Tril:
    return "tril";
  case Node::Op::CumSum:
    return "cumsum";
  case Node::Op::TopK:
    return formatv("topk {0}{1}", node.width, node.row ? " (indices)" : "")
        .str();
  case Node::Op::Gather:
    return "gather";
  case Node::Op::Positions:
    return "positions";
  case Node::Op::Math: {
    static const char *const names[] = {"exp",  "log",   "tanh", "sigmoid",
                                        "sqrt", "rsqrt", "abs",  "−",
                                        "sin",  "cos"};
    return names[unsigned(node.fn)];
  }
  case Node::Op::Reduce: {
    static const char *const names[] = {"sum", "mean", "max", "min",
                                        "vector_norm"};
    return names[unsigned(node.reduction)];
  }
  default:
    return "";
  }
}

/// Fill colours by kind of layer.
const char *colorOf(LayerKind kind) {
  switch (kind) {
  case LayerKind::Embedding:
  case LayerKind::PositionalEmbedding:
  case LayerKind::Linear:
    return "#e8e8e8";
  case LayerKind::LayerNorm:
  case LayerKind::RMSNorm:
    return "#fff2b3";
  case LayerKind::Attention:
    return "#cfe2ff";
  case LayerKind::MLP:
  case LayerKind::GatedMLP:
  case LayerKind::MoE:
    return "#d4f0d4";
  case LayerKind::Param:
    return "#f5e6c8";
  case LayerKind::Block:
    return "#e6dcf5";
  }
  return "white";
}

class DotWriter {
public:
  DotWriter(const Model &model, llvm::raw_ostream &os) : model(model), os(os) {}

  void write() {
    std::string config;
    for (const auto &[name, value] : model.config) {
      std::string text;
      switch (value.kind) {
      case ConfigValue::Kind::Int:
        text = std::to_string(value.intValue);
        break;
      case ConfigValue::Kind::Float:
        text = formatNumber(value.floatValue);
        break;
      case ConfigValue::Kind::Bool:
        text = value.boolValue ? "true" : "false";
        break;
      case ConfigValue::Kind::String:
        text = value.stringValue;
        break;
      }
      config +=
          formatv("{0}{1} = {2}", config.empty() ? "" : ", ", name, text).str();
    }
    os << "digraph \"" << escape(model.name) << "\" {\n"
       << "  compound = true;\n  rankdir = TB;\n  newrank = true;\n"
       << "  label = \"" << escape(model.name + "\n" + config) << "\";\n"
       << "  labelloc = t;\n  fontname = \"Helvetica\";\n"
       << "  node [shape = box, style = \"rounded,filled\", fillcolor = "
          "white, fontname = \"Helvetica\", fontsize = 11];\n"
       << "  edge [fontname = \"Helvetica\", fontsize = 9, color = "
          "\"#555555\"];\n";
    // The model's own graph first (on the left), then each block once.
    for (const std::unique_ptr<Block> &block : model.blocks)
      blockIds[block.get()] = "b" + std::to_string(blockIds.size());
    writeGraph(model.forward, model.layers, "m", "  ");
    for (const std::unique_ptr<Block> &block : model.blocks) {
      const std::string &scope = blockIds[block.get()];
      os << "  subgraph \"cluster_" << scope << "\" {\n"
         << "    label = \"block " << escape(block->name) << "\";\n"
         << "    style = \"rounded,dashed\";\n    color = \"#8a6fbf\";\n";
      writeGraph(block->forward, block->layers, scope, "    ");
      os << "  }\n";
    }
    os << "}\n";
  }

private:
  /// The nodes and edges of one forward body; node ids start with `scope`.
  void writeGraph(const Forward &forward, const std::vector<Layer> &layers,
                  const std::string &scope, const char *indent) {
    auto nodeId = [&](unsigned index) {
      return formatv("{0}_{1}", scope, index).str();
    };
    for (unsigned i = 0; i < forward.nodes.size(); ++i) {
      const Node &node = forward.nodes[i];
      std::string label, attributes;
      switch (node.op) {
      case Node::Op::Input: {
        const Forward::Input &input = forward.inputs[node.input];
        label = input.name;
        attributes = "shape = ellipse, fillcolor = \"#ffffff\"";
        break;
      }
      case Node::Op::CallLayer: {
        const Layer &layer = layers[node.layer];
        label = layer.name + "\n" + describe(layer);
        if (!layer.binding.empty())
          label += "\n@ \"" + layer.binding + "\"";
        attributes = formatv("fillcolor = \"{0}\", tooltip = \"{1}\"",
                             colorOf(layer.kind), escape(tensorList(layer, "")))
                         .str();
        if (layer.kind == LayerKind::Block)
          attributes += ", shape = box3d, style = filled";
        break;
      }
      case Node::Op::Activation:
        label = stringifyActivation(node.act).str();
        attributes = "shape = oval, fillcolor = \"#fde0c5\"";
        break;
      case Node::Op::Add:
        label = "+";
        attributes = "shape = circle, width = 0.3, fixedsize = true";
        break;
      case Node::Op::Mul:
        label = "×";
        attributes = "shape = circle, width = 0.3, fixedsize = true";
        break;
      case Node::Op::Scale:
        label = "× " + formatNumber(node.factor);
        attributes = "shape = oval";
        break;
      case Node::Op::EmbeddingRow: {
        const Layer &layer = layers[node.layer];
        label = formatv("{0}({1})", layer.name, node.row).str();
        attributes = formatv("fillcolor = \"{0}\"", colorOf(layer.kind)).str();
        break;
      }
      case Node::Op::Param: {
        const Layer &layer = layers[node.layer];
        label = layer.name + "\n" + describe(layer) + "\n@ \"" + layer.binding +
                "\"";
        attributes =
            formatv("shape = note, fillcolor = \"{0}\"", colorOf(layer.kind))
                .str();
        break;
      }
      case Node::Op::Range:
        label = formatv("arange {0}", node.width).str();
        attributes = "shape = plaintext, style = \"\"";
        break;
      case Node::Op::Constant:
        label = formatNumber(node.factor);
        attributes = "shape = plaintext, style = \"\"";
        break;
      case Node::Op::Sub:
      case Node::Op::Div:
        label = node.op == Node::Op::Sub ? "−" : "÷";
        attributes = "shape = circle, width = 0.3, fixedsize = true";
        break;
      case Node::Op::Max:
      case Node::Op::Min:
      case Node::Op::Pow:
      case Node::Op::CumSum:
      case Node::Op::Positions:
      case Node::Op::TopK:
      case Node::Op::Gather:
      case Node::Op::Math:
      case Node::Op::Reduce:
      case Node::Op::MatMul:
      case Node::Op::Transpose:
        label = functionLabel(node);
        attributes = "shape = oval, fillcolor = \"#fde0c5\"";
        break;
      case Node::Op::Element:
        label = formatv("[{0}]", node.row).str();
        attributes = "shape = oval";
        break;
      case Node::Op::SplitHeads:
      case Node::Op::MergeHeads:
      case Node::Op::Rope:
      case Node::Op::Scores:
      case Node::Op::Mask:
      case Node::Op::Tril:
      case Node::Op::Softmax:
        label = functionLabel(node);
        attributes = "shape = oval, fillcolor = \"#cfe2ff\"";
        break;
      case Node::Op::Concat:
        label = "concat";
        attributes = "shape = oval";
        break;
      case Node::Op::Slice:
        label = formatv("[{0}:{1}]", node.row, node.row + node.width).str();
        attributes = "shape = oval";
        break;
      case Node::Op::Result:
        label = formatv("value {0}", node.row).str();
        attributes = "shape = plaintext, style = \"\"";
        break;
      case Node::Op::Attend:
        label = "attention";
        if (node.causal)
          label += node.window ? formatv("\nwindow {0}", node.window).str()
                               : std::string("\ncausal");
        if (node.theta > 0)
          label += "\nRoPE " + formatNumber(node.theta);
        attributes =
            formatv("fillcolor = \"{0}\"", colorOf(LayerKind::Attention)).str();
        break;
      case Node::Op::LinearAttend:
        label = "linear attention\ncausal";
        attributes =
            formatv("fillcolor = \"{0}\"", colorOf(LayerKind::Attention)).str();
        break;
      }
      os << indent << nodeId(i) << " [label = \"" << escape(label) << "\", "
         << attributes << "];\n";
      for (unsigned operand : node.operands)
        os << indent << nodeId(operand) << " -> " << nodeId(i) << " [label = \""
           << escape(shapeOf(forward.nodes[operand])) << "\"];\n";
      // A block use points at the block's cluster.
      if (node.op == Node::Op::CallLayer &&
          layers[node.layer].kind == LayerKind::Block) {
        const Block *block = layers[node.layer].blockUse.block;
        auto found = blockIds.find(block);
        if (found != blockIds.end() && !block->forward.nodes.empty())
          os << indent << nodeId(i) << " -> " << found->second << "_0"
             << " [style = dashed, color = \"#8a6fbf\", arrowhead = none, "
                "lhead = \"cluster_"
             << found->second << "\", constraint = false];\n";
      }
    }
    std::vector<unsigned> results = forward.results;
    if (results.empty())
      results.push_back(forward.result);
    for (unsigned result : results) {
      os << indent << nodeId(result) << "_out [label = \"output\\n"
         << escape(shapeOf(forward.nodes[result]))
         << "\", shape = plaintext, style = \"\"];\n";
      os << indent << nodeId(result) << " -> " << nodeId(result) << "_out;\n";
    }
  }

  const Model &model;
  llvm::raw_ostream &os;
  llvm::DenseMap<const Block *, std::string> blockIds;
};

} // namespace

void loom::dsl::writeDot(const Model &model, llvm::raw_ostream &os) {
  DotWriter(model, os).write();
}
