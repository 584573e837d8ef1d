//===- Elab.h - The checked, concrete form of a Loom model ------*- C++ -*-===//
//
// Elaboration turns the syntax tree of a model (and the files it imports)
// into a fully concrete design: config values evaluated (with command-line
// overrides applied), every layer's hyperparameters resolved, every block
// instantiated with its parameter values, and every `forward` body turned
// into a small typed dataflow graph whose feature widths have been checked.
// MLIRGen consumes only this form; all user errors are reported before it.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DSL_ELAB_H
#define LOOM_DSL_ELAB_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace loom::dsl {

class DiagnosticEngine;

/// Elementwise activation functions.
enum class Activation { Relu, Gelu, GeluTanh, Silu };

/// Returns the DSL spelling of `act` (`relu`, `gelu`, `gelu_tanh`, `silu`).
llvm::StringRef stringifyActivation(Activation act);

/// Elementwise math functions of a forward body.
enum class MathFn { Exp, Log, Tanh, Sigmoid, Sqrt, Rsqrt, Abs, Neg, Sin, Cos };

/// Reductions over the last axis of a value, which is kept with extent 1.
enum class Reduction { Sum, Mean, Max, Min, Norm2 };

/// What a value of a forward body is. `rows` and `width` of a Node give its
/// extents.
enum class ValueKind {
  Ids,        ///< token ids [seq]
  Features,   ///< [seq, width]
  Row,        ///< [width], broadcast over the sequence
  Matrix,     ///< [rows, width] (a Param)
  Heads,      ///< per-head vectors [rows heads, seq, width]
  RopedHeads, ///< heads rotated by RoPE: only for attention scores
  HeadsT,     ///< transposed heads [rows, width, seq]: keys for scores
  Scores,     ///< attention scores [rows heads, seq, seq]
  Probs,      ///< softmax of attention scores [rows heads, seq, seq]
  /// Attention scores with the future zeroed (`tril`) [rows heads, seq,
  /// seq]: the weights of causal linear attention.
  LinearScores,
};

/// True for the kinds that exist only inside an attention written out
/// (scores and what leads to them), which compiles to one attention op: no
/// IR of their own.
inline bool isAttentionPart(ValueKind kind) {
  return kind == ValueKind::RopedHeads || kind == ValueKind::HeadsT ||
         kind == ValueKind::Scores || kind == ValueKind::Probs ||
         kind == ValueKind::LinearScores;
}

/// A concrete config value.
struct ConfigValue {
  enum class Kind { Int, Float, Bool, String };
  Kind kind = Kind::Int;
  int64_t intValue = 0;
  double floatValue = 0.0;
  bool boolValue = false;
  std::string stringValue;
  /// Where the value was written (the config entry or its override).
  llvm::SMRange range;
};

/// The built-in layers, blocks, and stacks of blocks.
enum class LayerKind {
  Embedding,           ///< token ids [seq] -> [seq, dim]
  PositionalEmbedding, ///< token ids [seq] -> rows 0..seq-1 [seq, dim]
  Linear,              ///< [seq, in] -> [seq, out]
  LayerNorm,           ///< [seq, dim] -> [seq, dim]
  RMSNorm,             ///< [seq, dim] -> [seq, dim]
  Attention,           ///< [seq, dim] -> [seq, dim]
  MLP,                 ///< [seq, dim] -> [seq, dim]
  GatedMLP,            ///< [seq, dim] -> [seq, dim]
  MoE,                 ///< [seq, dim] -> [seq, dim]
  Param,               ///< a learnable tensor: a vector [n] or a matrix [k, n]
  Block,               ///< a user block, possibly stacked and/or looped
};

/// `Embedding(vocab, dim)` and `PositionalEmbedding(max_positions, dim)`.
/// Tensors: `weight` [vocab, dim].
struct EmbeddingSpec {
  int64_t vocab = 0;
  int64_t dim = 0;
};

/// `Linear(in, out, bias, layout)`.
/// Tensors: `weight` [out, in] ([in, out] when transposed), `bias` [out].
struct LinearSpec {
  int64_t in = 0;
  int64_t out = 0;
  bool bias = true;
  /// Checkpoint stores the weight as [in, out] (`layout = "in_out"`, as in
  /// GPT-2's Conv1D).
  bool transposed = false;
};

/// `LayerNorm(dim, eps, bias)` and `RMSNorm(dim, eps)`.
/// Tensors: `weight` [dim], `bias` [dim] (LayerNorm with bias only).
struct NormSpec {
  int64_t dim = 0;
  double eps = 1e-5;
  bool bias = false;
};

/// `Attention(dim, heads, kv_heads, ...)`. Tensors, relative to the layer:
/// `{q}.weight` [heads*head_dim, dim], `{k}.weight` and `{v}.weight`
/// [kv_heads*head_dim, dim], `{o}.weight` [dim, heads*head_dim], and the
/// matching `.bias` tensors when enabled. With a fused layout (`qkv` set),
/// `{qkv}.weight` [(heads + 2*kv_heads)*head_dim, dim] replaces q, k and v.
/// All weights are [in, out] instead when `transposed`.
struct AttentionSpec {
  int64_t dim = 0;
  int64_t heads = 0;
  int64_t kvHeads = 0;
  int64_t headDim = 0;
  bool causal = true;
  /// RoPE base frequency; absent when RoPE is off.
  std::optional<double> ropeTheta;
  /// RoPE on pairs of adjacent elements (llama.cpp's GGUF convention)
  /// instead of the two halves of a head.
  bool ropeInterleaved = false;
  bool qkvBias = false;
  bool outBias = false;
  bool transposed = false;
  /// Sub-names of the projections inside the layer's checkpoint path.
  std::string q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj";
  /// Sub-name of a fused QKV projection; empty when q/k/v are separate.
  std::string qkv;
  /// qk-norm (Qwen3): each head's query and key RMS-normalized before RoPE,
  /// with scales `{qNorm}.weight` and `{kNorm}.weight` ([headDim]).
  bool qkNorm = false;
  double qkNormEps = 1e-6;
  std::string qNorm = "q_norm", kNorm = "k_norm";
  /// Sliding window: a token attends to itself and the `window - 1` tokens
  /// before it; 0 for none.
  int64_t window = 0;
};

/// `MoE(dim, hidden, experts, top_k, ...)`: a mixture of gated MLPs.
/// Tensors: `{router}.weight` [experts, dim]; for each expert e,
/// `{expertPrefix}.e.{gate}.weight` and `.{up}.weight` [hidden, dim],
/// `.{down}.weight` [dim, hidden] (Mixtral's names by default).
struct MoESpec {
  int64_t dim = 0;
  int64_t hidden = 0;
  int64_t experts = 0;
  int64_t topK = 0;
  Activation act = Activation::Silu;
  /// The chosen experts' router probabilities scaled to sum to 1.
  bool renormalize = true;
  std::string router = "gate", expertPrefix = "experts";
  std::string gate = "w1", up = "w3", down = "w2";
  /// A shared expert every token goes through (Qwen2-MoE), of this hidden
  /// size (0: none): `{sharedPrefix}.{gate,up,down}.weight`, its output
  /// scaled by sigmoid(x `{sharedGate}.weight`^T) ([1, dim]) unless
  /// `sharedGate` is empty.
  int64_t sharedHidden = 0;
  std::string sharedPrefix = "shared_expert", sharedGate = "shared_expert_gate";
};

/// `MLP(dim, hidden, act, ...)` and `GatedMLP(dim, hidden, act, ...)`.
/// Tensors: `{up}.weight` [hidden, dim], `{down}.weight` [dim, hidden],
/// `{gate}.weight` [hidden, dim] (gated only), and `.bias` tensors when
/// enabled. [in, out] instead when `transposed`.
struct MLPSpec {
  int64_t dim = 0;
  int64_t hidden = 0;
  Activation act = Activation::Gelu;
  bool bias = true;
  bool transposed = false;
  std::string gate = "gate_proj", up = "up_proj", down = "down_proj";
};

/// `Param(d0)` or `Param(d0, d1)`: one checkpoint tensor, named by the
/// layer's binding itself, used as a value in forward bodies.
struct ParamLayerSpec {
  /// Rows of a matrix; 0 for a vector.
  int64_t rows = 0;
  /// Elements of a vector, columns of a matrix.
  int64_t width = 0;
};

struct Block;

/// A use of a block: a single instance, a stack of `count` copies with
/// distinct weights (`Decoder[n]`), a weight-shared loop (`loop Decoder x n`),
/// or a loop over a stack (`loop Decoder[k] x n`).
struct BlockUseSpec {
  const Block *block = nullptr;
  /// Number of stacked copies with distinct weights (1 when not stacked).
  int64_t count = 1;
  /// True when written as a stack (`Block[n]`), even of one copy.
  bool stacked = false;
  /// True when written with `loop`.
  bool loop = false;
  /// Loop iterations (1 when not looped).
  int64_t iterations = 1;
  /// The rank of each iteration's low-rank delta on the shared matrices
  /// (`lora(rank)`); 0 without deltas.
  int64_t loraRank = 0;
  /// How a token may leave a loop early (`exit(...)`).
  enum class Exit { None, Gate, Converge };
  Exit exit = Exit::None;
  /// The exit threshold, in (0, 1].
  double exitThreshold = 1.0;
  /// `exit(gate = NAME)`: the gate layer's name and where it is written,
  /// and, once the loop is called, its index among the model's layers (a
  /// `Linear(width, 1)` applied to each iteration's result).
  std::string exitGateName;
  llvm::SMRange exitGateRange;
  unsigned exitGate = ~0u;
  /// `unshared(...)`: the looped block's layers (indices into its `layers`)
  /// that each iteration has its own copy of; their tensors are named
  /// `{binding}.{layer binding}.{iteration}.{tensor}`.
  std::vector<unsigned> unshared;
  /// The names as written, resolved once the block is instantiated.
  std::vector<std::pair<std::string, llvm::SMRange>> unsharedNames;
};

/// One concrete layer of a block or model.
struct Layer {
  LayerKind kind;
  std::string name;
  /// The declaration this layer came from.
  llvm::SMRange range;
  /// Checkpoint path relative to the enclosing instance: the `@` binding or
  /// the layer's name when there is none. May be empty (the layer's tensors
  /// live directly under the enclosing prefix). For stacked blocks it
  /// contains `{i}`, to be replaced by the copy index 0..count-1.
  std::string binding;

  // Exactly the spec matching `kind` is meaningful.
  EmbeddingSpec embedding;
  LinearSpec linear;
  NormSpec norm;
  AttentionSpec attention;
  MLPSpec mlp;
  MoESpec moe;
  ParamLayerSpec param;
  BlockUseSpec blockUse;
};

/// A node of a forward dataflow graph. Operands refer to earlier nodes of
/// the same graph by index, so `nodes` is in topological order.
struct Node {
  enum class Op {
    Input,        ///< forward parameter number `input`
    CallLayer,    ///< apply layer number `layer` to `operands`
    Activation,   ///< `act(operands[0])`
    Add,          ///< operands[0] + operands[1]
    Mul,          ///< operands[0] * operands[1] (elementwise)
    Scale,        ///< operands[0] * `factor`
    EmbeddingRow, ///< row `row` of embedding layer number `layer`: [width]
    Param,        ///< the value of Param layer number `layer`
    Constant,     ///< the number `factor`, a [1] tensor
    Range,        ///< the row [0, 1, ..., width - 1] (`arange`)
    /// The `width` largest elements of operands[0]'s last axis (`row` 0) or
    /// their indices (`row` 1).
    TopK,
    /// Elements of operands[0]'s last axis at the indices operands[1].
    Gather,
    Sub,        ///< operands[0] - operands[1]
    Div,        ///< operands[0] / operands[1]
    Max,        ///< max(operands[0], operands[1]) (elementwise)
    Min,        ///< min(operands[0], operands[1]) (elementwise)
    Pow,        ///< operands[0] ^ operands[1]
    Math,       ///< `fn(operands[0])`
    Reduce,     ///< `reduction` over the last axis of operands[0], kept as 1
    Element,    ///< element (row) `row` of the vector (matrix) operands[0]
    MatMul,     ///< operands[0] [seq, K] times the matrix operands[1] [K, N]
    Transpose,  ///< the transpose of operands[0] (a matrix, or heads)
    SplitHeads, ///< operands[0] [seq, rows * width] as heads
    MergeHeads, ///< heads operands[0] as [seq, rows * width]
    Rope,       ///< heads operands[0] rotated by RoPE with base `factor`
    Scores,     ///< heads operands[0] times transposed heads operands[1]
    Mask,       ///< scores operands[0] masked: `causal`, `window`
    Softmax,    ///< softmax of scores operands[0] over the keys
    /// Attention (an attention written out, recognized): queries
    /// operands[0], keys operands[1], values operands[2] (heads), scores
    /// scaled by `factor`, `causal`, `window`, RoPE base `theta` (0: none).
    Attend,
    /// Value `row` of operands[0], a call of a block returning several.
    Result,
    /// operands concatenated along their last axis.
    Concat,
    /// `width` elements of operands[0]'s last axis from `row` on.
    Slice,
    /// Cumulative sum of operands[0] (features or heads) along the sequence.
    CumSum,
    /// The absolute position of each row of operands[0]: [seq, 1].
    Positions,
    /// Scores operands[0] with the future zeroed (`tril`).
    Tril,
    /// Causal linear attention (`matmul(tril(matmul(q, transpose(k))), v)`,
    /// recognized): queries operands[0], keys operands[1], values
    /// operands[2] (heads), scores scaled by `factor`.
    LinearAttend,
  };
  // Add, Sub, Mul, Div, Max, Min and Pow broadcast as NumPy does: a row
  // [N] or [1] applies to every token, a [seq, 1] column to every feature.
  Op op;
  llvm::SMRange range;
  /// What the value is; `width` and `rows` are its extents.
  ValueKind kind = ValueKind::Features;
  /// Feature width of the result ([seq, width], [width], [rows, width], a
  /// head's width); 0 for ids.
  int64_t width = 0;
  /// Rows of a matrix; heads of heads, scores and softmax weights.
  int64_t rows = 0;
  unsigned input = 0;
  unsigned layer = 0;
  Activation act = Activation::Relu;
  MathFn fn = MathFn::Exp;
  Reduction reduction = Reduction::Sum;
  double factor = 1.0;
  /// Masks of scores and attention: causal, and a sliding window (0: none).
  bool causal = false;
  int64_t window = 0;
  /// RoPE base of an attention's queries and keys; 0 without RoPE.
  double theta = 0.0;
  /// RoPE on adjacent pairs (`rope_interleaved`) rather than halves.
  bool interleaved = false;
  int64_t row = 0;
  llvm::SmallVector<unsigned, 2> operands;
};

/// A checked `forward` body.
struct Forward {
  /// Per parameter: true if token ids, else a feature width.
  struct Input {
    std::string name;
    bool isIds = false;
    int64_t width = 0;
  };
  std::vector<Input> inputs;
  std::vector<Node> nodes;
  /// Index of the returned node (the first, when several are returned).
  unsigned result = 0;
  /// Indices of the returned nodes: one, or several for a block returning
  /// several values (`return h, v`).
  std::vector<unsigned> results;
};

/// A block instantiated with concrete parameter values. Two uses of the same
/// block with equal parameters and input widths share one `Block`.
struct Block {
  /// Unique name within the model: the declared name, suffixed `_1`, `_2`, ...
  /// for further distinct instantiations.
  std::string name;
  llvm::SMRange range;
  std::vector<Layer> layers;
  Forward forward;
};

/// A fully elaborated model.
struct Model {
  std::string name;
  llvm::SMRange range;
  /// Config values in declaration order, after overrides.
  std::vector<std::pair<std::string, ConfigValue>> config;
  /// Instantiated blocks, each after every block it uses.
  std::vector<std::unique_ptr<Block>> blocks;
  std::vector<Layer> layers;
  /// Takes one input, the token ids.
  Forward forward;
};

/// Options of elaboration.
struct ElabOptions {
  /// Model to elaborate; may be empty when the file defines exactly one.
  std::string modelName;
  /// `name=value` config overrides from the command line, in order.
  std::vector<std::pair<std::string, std::string>> overrides;
  /// Extra directories searched by `import` after the importing file's own.
  std::vector<std::string> includeDirs;
};

/// Parses buffer `mainBufferId` of `srcMgr`, loads the files it imports
/// (relative to the importing file, then `options.includeDirs`; each added to
/// `srcMgr`), selects the model (`options.modelName`, or the only one),
/// applies `options.overrides`, and elaborates the model. Reports every error
/// to `diags` and returns null if there was any.
std::unique_ptr<Model> elaborate(llvm::SourceMgr &srcMgr, unsigned mainBufferId,
                                 const ElabOptions &options,
                                 DiagnosticEngine &diags);

} // namespace loom::dsl

#endif // LOOM_DSL_ELAB_H
