/*===- loom_abi.h - The contract between generated code and the runtime -===*
 *
 * One plain-C header, included by the compiler (which emits code that
 * follows it) and by the runtime (which calls that code and provides the
 * kernels it calls). Every name, key and layout that both sides must agree on
 * is written here once. Change anything below and bump LOOM_ABI_VERSION: the
 * runtime refuses a model whose definition carries another version.
 *
 * What a compiled model exports:
 *
 *   extern const loom_model_def loom_model_<Name>;   //
 *LOOM_MODEL_SYMBOL_PREFIX
 *
 * a constant record with the ABI version, the model's description (JSON,
 * keys LOOM_INFO_*) and its entry points. Executables also get
 * `loom_program_model`, a constant pointer to that record, which the
 * program's `main` reads. Everything else in the generated object is
 * internal, so several models link into one process.
 *
 * An entry point runs `tokens[0..seq)` at absolute positions `pos..pos+seq`:
 *
 *   void entry(loom_context *ctx, MemRef<int32_t, 1> *tokens, int64_t pos,
 *              MemRef<float, 1> *key_cache, MemRef<float, 1> *value_cache,
 *              MemRef<float, 2> *out);
 *
 * (MLIR's C interface: each MemRef is a strided memref descriptor passed by
 * pointer.) It appends the tokens' keys and values to the caches and writes
 * one output row per token (only the last token's with
 * LOOM_ENTRY_FORWARD_LAST). A cache is max_seq * (sum of LOOM_INFO_KV_WIDTHS)
 * floats, slot after slot: slot s is [max_seq, kv_widths[s]], so layers may
 * cache rows of different widths. A cache's data is aligned to at least 16
 * bytes (generated GPU code reads its rows with 16-byte loads). Cumulative
 * sums and causal linear
 * attention keep a running state instead of rows: LOOM_INFO_STATE_FLOATS
 * floats that `ctx->states` points to, which an entry point resets when
 * `pos` is 0 and carries on otherwise (so calls must come in order).
 * Generated code keeps no state of its own between calls: weights, running
 * states and the kernels' state come through `ctx`, so several instances
 * of one model run at once, from different threads.
 *
 *===----------------------------------------------------------------------===*/

#ifndef LOOM_ABI_H
#define LOOM_ABI_H

#include <stdint.h>

/** The version of everything in this header. */
#define LOOM_ABI_VERSION 15

/*--- Symbols a compiled model defines --------------------------------------*/

/** Prefix of the exported model definition; loomc appends the model's name
 *  (or `--model-symbol`). */
#define LOOM_MODEL_SYMBOL_PREFIX "loom_model_"
/** In executables: `const loom_model_def *const loom_program_model`. */
#define LOOM_PROGRAM_MODEL_SYMBOL "loom_program_model"
/** The JSON description (internal; reached through the definition; the dot
 *  keeps it apart from every `loom_model_<Name>`). */
#define LOOM_MODEL_INFO_SYMBOL "loom.model_info"
/** Entry points (internal; reached through the definition). */
#define LOOM_ENTRY_FORWARD "forward"
#define LOOM_ENTRY_FORWARD_LAST "forward_last"
/** Computes a derived weight (LOOM_INFO_DERIVED) at load. */
#define LOOM_ENTRY_PREPARE "prepare"

/*--- Kernels the runtime defines, called by generated code -----------------*/
/* Each takes the context first, then MLIR C-interface arguments; the
 * generated call is to `_mlir_ciface_<name>`. */

/** C (+)= A * B^T, B as [n, k]: (ctx, A, B, C, activation) with A, B, C
 *  MemRef<float, 2> and activation an int64_t LOOM_ACTIVATION_*, applied to
 *  every element of C once the product is added (the epilogue). */
#define LOOM_KERNEL_SGEMM_NT "loom_sgemm_nt"
/** C (+)= A * B, B as [k, n]; the same arguments. */
#define LOOM_KERNEL_SGEMM_NN "loom_sgemm_nn"
/** The forms that overwrite C without reading it. */
#define LOOM_KERNEL_SGEMM_NT_OVERWRITE "loom_sgemm_nt_overwrite"
#define LOOM_KERNEL_SGEMM_NN_OVERWRITE "loom_sgemm_nn_overwrite"
/** Attention over a KV cache slot: (ctx, q, key_cache, value_cache, out,
 *  pos, slot, heads, kv_heads, head_dim, causal, window); window > 0 (causal
 *  only) hides positions `window` or more before each token's own. */
#define LOOM_KERNEL_ATTENTION "loom_attention"
/** Token embedding: (ctx, table, ids, out), out[i] = table[ids[i]]; the
 *  kernel finds the table by its address (it may be packed, or half
 *  precision). */
#define LOOM_KERNEL_EMBEDDING "loom_embedding"
/** Token embedding from a quantized table: (ctx, table, ids, out, format)
 *  with table MemRef<int8_t, 2> (a LOOM_QUANT_* matrix, a row of blocks per
 *  token) and format an int64_t LOOM_QUANT_*; out[i] = dequant(table)[ids[i]].
 */
#define LOOM_KERNEL_EMBEDDING_QUANTIZED "loom_embedding_quantized"
/** A plain C function (not a C interface): (ctx, task, task_context, begin,
 *  end, grain) runs task(task_context, first, last) over chunks of
 *  [begin, end) on the context's threads. */
#define LOOM_KERNEL_PARALLEL_LOOP "loom_parallel_loop"

/** Quantized products: (ctx, x, w, bias, out, format, accumulate,
 *  activation, inputs) with x and out MemRef<float, 2>, w
 *  MemRef<int8_t, 2> (a LOOM_QUANT_* matrix, one row of blocks per output),
 *  bias MemRef<float, 1> (size 0: none), activation an int64_t
 *  LOOM_ACTIVATION_*, inputs an int64_t LOOM_QUANT_INPUTS_*; out =
 *  act(round(x) * dequant(w)^T + bias), or act(out + it) with
 *  accumulate != 0. */
#define LOOM_KERNEL_QGEMM_NT "loom_qgemm_nt"
/** Quantizes a [n, k] f32 matrix: (ctx, w, importance, covariance, out,
 *  format) with w MemRef<float, 2>, importance MemRef<float, 1> ([k], size
 *  0: none), covariance MemRef<float, 2> ([k, k] sum or mean of x x^T over
 *  calibration inputs for error feedback (GPTQ), size 0: none) and out
 *  MemRef<int8_t, 2> of [n, row bytes]. */
#define LOOM_KERNEL_QUANTIZE "loom_quantize"
/** Keeps the most important neurons of a feed-forward weight: (ctx, target,
 *  gate, up, down, importance, out, axis, keep) with target, gate, up, down
 *  and out MemRef<float, 2> (a [F] bias as [F, 1]), importance
 *  MemRef<float, 1>, gate and importance of size 0 when absent, axis and keep
 *  int64_t (loom.prune_neurons). */
#define LOOM_KERNEL_PRUNE_NEURONS "loom_prune_neurons"
/** Keeps the most important head groups of an attention weight: (ctx,
 *  target, wq, wk, wv, wo, importance, out, part, keep, heads, kv_heads,
 *  head_dim) with target, wq, wk, wv, wo and out MemRef<float, 2> (a bias
 *  as [n, 1]), importance MemRef<float, 1> (size 0 when absent), the rest
 *  int64_t; part 0: rows of q heads, 1: rows of kv heads, 2: columns of
 *  the output projection (loom.prune_heads). */
#define LOOM_KERNEL_PRUNE_HEADS "loom_prune_heads"
/** One factor of a weight's best rank-r approximation w ~= b a: (ctx, w,
 *  importance, out, part, rank) with w ([n, k]) and out MemRef<float, 2>,
 *  importance MemRef<float, 1> ([k], size 0 when absent), part and rank
 *  int64_t; part 0: a = V_r^T ([r, k]), 1: b = U_r S_r ([n, r]); with
 *  importance, the factors of w diag(s), a then scaled by diag(s)^-1, s the
 *  square roots of the importance (loom.low_rank). */
#define LOOM_KERNEL_LOW_RANK "loom_low_rank"
/** Activation-aware scales of a product's input channels: (ctx, w,
 *  importance, out, alpha, inverse) with w MemRef<float, 2> ([n, k]),
 *  importance and out MemRef<float, 1> ([k]), alpha double, inverse
 *  int64_t; s[j] = sqrt(importance[j])^alpha / max_i |w[i, j]|^(1 - alpha),
 *  normalized to a geometric mean of 1 (1 where either factor is 0), or
 *  1 / s[j] when inverse is 1 (loom.smooth_scales). */
#define LOOM_KERNEL_SMOOTH_SCALES "loom_smooth_scales"
/** A layer's hidden state shown to a calibration run: (ctx, x, output) with
 *  x MemRef<float, 2> ([seq, width]) and output int64_t, 0 for the input
 *  at the start of the layer's block and 1 for its output; the n-th output
 *  of a forward pass is layer n of LOOM_INFO_LAYERS. Returns at once
 *  outside a calibration run (loom.observe). */
#define LOOM_KERNEL_OBSERVE "loom_observe"
/** A mixture of experts (loom.moe): (ctx, x, router, gate, up, down,
 *  shared, shared_gate, out, experts, top_k, renormalize, activation) with
 *  MemRef<float, 2> x [seq, D], router [E, D], gate and up [E*F, D], down
 *  [E*D, F] (the experts' matrices stacked), shared [seq, D] (a shared
 *  expert's output) and shared_gate [1, D] (size 0 when absent) and out
 *  [seq, D], the rest int64_t (activation a LOOM_ACTIVATION_*). */
#define LOOM_KERNEL_MOE "loom_moe"
/** Adaptive loops (loom.loop ... exit): (ctx, rows, rule, threshold,
 *  trip_count, iteration_width) with rule LOOM_EXIT_*, threshold a double
 *  and iteration_width the floats per cached position of one iteration's
 *  slots, starts a run; (ctx, iteration, previous, next, logits, out) ->
 *  int64_t after each iteration, with MemRef<float, 2> rows (logits [rows,
 *  1], size 0 for converge), writes the kept rows to out and returns the
 *  tokens still running; (ctx) ends the run. */
#define LOOM_KERNEL_EXIT_BEGIN "loom_exit_begin"
#define LOOM_KERNEL_EXIT_STEP "loom_exit_step"
#define LOOM_KERNEL_EXIT_END "loom_exit_end"
/** Adaptive loops in generated code (--kernels=generated, device builds):
 *  (ctx, threshold) -> double, the threshold the loop applies: the run's
 *  override (the program's --exit-threshold), 0 under --full-depth (no
 *  token leaves before the last iteration), else the model's `threshold`;
 *  and (ctx, depths, trip_count) with depths MemRef<int32_t, 1> ([rows],
 *  the iterations each token ran), which adds a run to the statistics. */
#define LOOM_KERNEL_EXIT_THRESHOLD "loom_exit_threshold"
#define LOOM_KERNEL_EXIT_RECORD "loom_exit_record"
/** Caches keys and values: (ctx, key_cache, value_cache, keys, values,
 *  slot, pos) with caches MemRef<float, 3> and rows MemRef<float, 2>;
 *  inside an adaptive loop it writes only running tokens' rows, to this
 *  iteration's slot and the same slot of every later iteration. */
#define LOOM_KERNEL_WRITE_KV "loom_write_kv"
/** Exit rules of adaptive loops. */
#define LOOM_EXIT_GATE 0     /* Ouro: cumulative exit probability >= t */
#define LOOM_EXIT_CONVERGE 1 /* |h_t - h_{t-1}| / |h_{t-1}| < t */

/*--- Activations in a product's epilogue ----------------------------------*/
/* What the products apply to each element of their result, after the bias
 * and the residual (`loom.linear ... activation A`). */
#define LOOM_ACTIVATION_NONE 0
#define LOOM_ACTIVATION_RELU 1      /* max(x, 0) */
#define LOOM_ACTIVATION_GELU 2      /* x * Phi(x) (the erf form) */
#define LOOM_ACTIVATION_GELU_TANH 3 /* GELU's tanh approximation */
#define LOOM_ACTIVATION_SILU 4      /* x * sigmoid(x) */

/*--- Quantized weight formats ----------------------------------------------*/
/* Block formats whose bytes are GGUF's (ggml's block_q8_0, block_q4_0,
 * block_q4_1 and block_q4_K): a row of k weights is k / B blocks, each for B
 * consecutive weights (B = LOOM_QUANT_BLOCK, or LOOM_QUANT_SUPER_BLOCK for
 * Q4_K); a [n, k] matrix is n such rows, one after another. `d`, `dmin` and
 * `m` are IEEE half floats (little-endian). The format ids are what
 * LOOM_KERNEL_QGEMM_NT and LOOM_KERNEL_QUANTIZE take; the names are the
 * description's dtype of a quantized tensor. */
#define LOOM_QUANT_BLOCK 32        /* weights a block */
#define LOOM_QUANT_SUPER_BLOCK 256 /* weights a Q4_K super-block */
/** Q8_0, 34 bytes (8.5 bits a weight): d, then int8 q[32]; w[i] = d * q[i]. */
#define LOOM_QUANT_Q8_0 0
#define LOOM_QUANT_Q8_0_NAME "Q8_0"
#define LOOM_QUANT_Q8_0_BYTES 34
/** Q4_0, 18 bytes (4.5 bits): d, then 16 bytes whose low nibbles are q[0..15]
 *  and high nibbles q[16..31]; w[i] = d * (q[i] - 8). */
#define LOOM_QUANT_Q4_0 1
#define LOOM_QUANT_Q4_0_NAME "Q4_0"
#define LOOM_QUANT_Q4_0_BYTES 18
/** Q4_1, 20 bytes (5 bits): d, m, then nibbles as Q4_0; w[i] = d * q[i] +
 *  m. */
#define LOOM_QUANT_Q4_1 2
#define LOOM_QUANT_Q4_1_NAME "Q4_1"
#define LOOM_QUANT_Q4_1_BYTES 20
/** Q4_K, 144 bytes a super-block of 256 weights (4.5 bits): d, dmin, 12
 *  bytes of eight 6-bit scales sc[j] and minimums m[j] (j < 4: sc[j] =
 *  s[j] & 63, m[j] = s[j + 4] & 63; j >= 4: sc[j] = (s[j + 4] & 15) |
 *  (s[j - 4] >> 6) << 4, m[j] = (s[j + 4] >> 4) | (s[j] >> 6) << 4), then
 *  128 bytes of nibbles: byte 32p + l holds weight 64p + l (low nibble) and
 *  64p + 32 + l (high). Weight i of sub-block j = i / 32 is
 *  d * sc[j] * q[i] - dmin * m[j]. */
#define LOOM_QUANT_Q4_K 3
#define LOOM_QUANT_Q4_K_NAME "Q4_K"
#define LOOM_QUANT_Q4_K_BYTES 144
/** INT8, per-channel int8 (8 bits and 32 a row): a row of k weights is its
 *  f32 scale d (LOOM_QUANT_ROW_HEADER bytes), then int8 q[k]; w[i] = d *
 *  q[i]. Its "blocks" are the int8s of 32 weights (k a multiple of 32). */
#define LOOM_QUANT_INT8 4
#define LOOM_QUANT_INT8_NAME "INT8"
#define LOOM_QUANT_INT8_BYTES 32
#define LOOM_QUANT_ROW_HEADER 4 /* bytes before an INT8 row's blocks */
/** Q6_K, 210 bytes a super-block of 256 weights (6.5625 bits), read from
 *  GGUF files and decoded at load (no kernel takes it): ql[128] (low 4
 *  bits), qh[64] (high 2 bits), int8 scales[16] (one per 16 weights), then
 *  d. Weight p of half n (p < 128) of the super-block, t = p / 32,
 *  l = p % 32: q = ((ql[64n + l + 32 (t & 1)] >> 4 (t >> 1)) & 15) |
 *  ((qh[32n + l] >> 2t) & 3) << 4; w = d * scales[(128n + p) / 16] *
 *  (q - 32). */
#define LOOM_QUANT_Q6_K 5
#define LOOM_QUANT_Q6_K_NAME "Q6_K"
#define LOOM_QUANT_Q6_K_BYTES 210

/** How a quantized product rounds its f32 inputs (loom.linear's inputs). */
#define LOOM_QUANT_INPUTS_INT8 0   /* 8 bits per block of 32, one scale */
#define LOOM_QUANT_INPUTS_INT8X2 1 /* that, and its error to 8 bits more */
#define LOOM_QUANT_INPUTS_BF16 2   /* each to bfloat16, to nearest even */

/** Bytes of a block of format `id` (LOOM_QUANT_*); 0 for no format. */
static inline int64_t loom_quant_block_bytes(int64_t id) {
  return id == LOOM_QUANT_Q8_0   ? LOOM_QUANT_Q8_0_BYTES
         : id == LOOM_QUANT_Q4_0 ? LOOM_QUANT_Q4_0_BYTES
         : id == LOOM_QUANT_Q4_1 ? LOOM_QUANT_Q4_1_BYTES
         : id == LOOM_QUANT_Q4_K ? LOOM_QUANT_Q4_K_BYTES
         : id == LOOM_QUANT_INT8 ? LOOM_QUANT_INT8_BYTES
         : id == LOOM_QUANT_Q6_K ? LOOM_QUANT_Q6_K_BYTES
                                 : 0;
}

/** Bytes before the blocks of a row of format `id` (LOOM_QUANT_*). */
static inline int64_t loom_quant_row_header(int64_t id) {
  return id == LOOM_QUANT_INT8 ? LOOM_QUANT_ROW_HEADER : 0;
}

/** Weights a block of format `id` (LOOM_QUANT_*) holds; 0 for no format. */
static inline int64_t loom_quant_block_weights(int64_t id) {
  return id == LOOM_QUANT_Q4_K || id == LOOM_QUANT_Q6_K ? LOOM_QUANT_SUPER_BLOCK
         : loom_quant_block_bytes(id) != 0              ? LOOM_QUANT_BLOCK
                                                        : 0;
}

/** The description's name of format `id` (LOOM_QUANT_*_NAME); NULL for no
 *  format. */
static inline const char *loom_quant_name(int64_t id) {
  return id == LOOM_QUANT_Q8_0   ? LOOM_QUANT_Q8_0_NAME
         : id == LOOM_QUANT_Q4_0 ? LOOM_QUANT_Q4_0_NAME
         : id == LOOM_QUANT_Q4_1 ? LOOM_QUANT_Q4_1_NAME
         : id == LOOM_QUANT_Q4_K ? LOOM_QUANT_Q4_K_NAME
         : id == LOOM_QUANT_INT8 ? LOOM_QUANT_INT8_NAME
         : id == LOOM_QUANT_Q6_K ? LOOM_QUANT_Q6_K_NAME
                                 : (const char *)0;
}

/*--- Keys of the model description (JSON) ----------------------------------*/

#define LOOM_INFO_ABI "abi"                     /* integer: LOOM_ABI_VERSION */
#define LOOM_INFO_MODEL "model"                 /* string: the .loom name */
#define LOOM_INFO_DECODER "decoder"             /* bool: causal attention */
#define LOOM_INFO_VOCAB "vocab"                 /* integer: token ids < this */
#define LOOM_INFO_MAX_POSITIONS "max_positions" /* integer: 0 = no limit */
#define LOOM_INFO_OUTPUT_WIDTH "output_width"   /* integer: floats a row */
#define LOOM_INFO_INPUT_WIDTH                                                  \
  "input_width"                       /* integer: floats a row in; 0: ids */
#define LOOM_INFO_KV_SLOTS "kv_slots" /* integer: cache slots */
#define LOOM_INFO_KV_WIDTHS                                                    \
  "kv_widths" /* integers: floats a row,                                       \
                 per slot */
#define LOOM_INFO_STATE_FLOATS                                                 \
  "state_floats" /* integer: floats of running state (cumulative sums,         \
                    linear attention) */
#define LOOM_INFO_WEIGHT_TYPE                                                  \
  "weight_type"                        /* "keep", "f32", "f16" or              \
                                          "bf16": what weight                  \
                                          matrices are kept in */
#define LOOM_INFO_TENSORS "tensors"    /* checkpoint tensors: */
#define LOOM_INFO_TENSOR_NAME "name"   /*   checkpoint name */
#define LOOM_INFO_TENSOR_SHAPE "shape" /*   array of integers */
#define LOOM_INFO_TENSOR_DTYPE                                                 \
  "dtype"                                /*   element type in memory: F32,     \
                                            BF16 or F16 (a derived weight      \
                                            converted at load), or a           \
                                            LOOM_QUANT_*_NAME (shape is        \
                                            the logical [n, k]) */
#define LOOM_INFO_TENSOR_MATRIX "matrix" /*   only multiplied as [n, k] */
#define LOOM_INFO_TENSOR_STORED_IN_OUT                                         \
  "stored_in_out" /*   only multiplied as [k, n] */
#define LOOM_INFO_TENSOR_OTHER_USES                                            \
  "other_uses" /*   also read in checkpoint layout */
#define LOOM_INFO_TENSOR_ROWS                                                  \
  "rows" /*   read by rows (a token embedding table) through                   \
                LOOM_KERNEL_EMBEDDING */
#define LOOM_INFO_TENSOR_PREPARE_ONLY                                          \
  "prepare_only" /*   read only to derive weights */
#define LOOM_INFO_TENSOR_SOURCES                                               \
  "sources" /*   derived: table indices it reads */
#define LOOM_INFO_TENSOR_REARRANGES                                            \
  "rearranges" /*   derived: only moves its sources' values (concat, split,    \
                      slice, transpose), so it is exact in their type */
#define LOOM_INFO_TENSOR_STACKS_ROWS                                           \
  "stacks_rows" /*   derived: its sources' rows, one matrix after the other    \
                     (fused q/k/v), so a product reading it has each source's  \
                     input channels */
#define LOOM_INFO_TENSOR_QUANTIZES                                             \
  "quantizes" /*   derived: exactly its one source quantized in its dtype,     \
                   rounded to nearest (a checkpoint tensor stored in that      \
                   format may stand in) */
/** Strings: the layers whose blocks show their input and output
 *  (LOOM_KERNEL_OBSERVE), in the order of the forward pass's calls; absent
 *  when none do. */
#define LOOM_INFO_LAYERS "layers"
/** Derived weights: objects with the keys of a tensor (the name is the
 *  parameter's symbol), computed by the prepare entry point into memory the
 *  runtime provides; they follow the checkpoint tensors in the context's
 *  weight table. */
#define LOOM_INFO_DERIVED "derived"

/*--- Layouts --------------------------------------------------------------*/

#ifdef __cplusplus
extern "C" {
#endif

/** The runtime's state for the kernels of one model instance (threads,
 *  packed weights); opaque to generated code. */
typedef struct loom_kernel_state loom_kernel_state;

/** What generated code receives as its first argument. Generated code reads
 *  fields LOOM_CONTEXT_WEIGHTS and LOOM_CONTEXT_STATES and passes the whole
 *  context to kernels. */
typedef struct loom_context {
  /** One pointer per tensor of the description, in its order. */
  void *const *weights;
  /** The kernels' state. */
  loom_kernel_state *kernels;
  /** LOOM_INFO_STATE_FLOATS floats of running state (null when 0). */
  float *states;
} loom_context;

/** Field indices of loom_context, as generated code addresses them. */
enum {
  LOOM_CONTEXT_WEIGHTS = 0,
  LOOM_CONTEXT_KERNELS = 1,
  LOOM_CONTEXT_STATES = 2,
  LOOM_CONTEXT_FIELDS = 3
};

/** An entry point (memref descriptors passed as pointers). */
typedef void (*loom_entry_fn)(loom_context *ctx, void *tokens, int64_t pos,
                              void *key_cache, void *value_cache, void *out);

/** Writes derived weight `index` (of LOOM_INFO_DERIVED) into the buffer its
 *  table entry points to, reading the table entries of its sources
 *  (checkpoint tensors and earlier derived weights). The runtime calls it
 *  for each derived weight in order. */
typedef void (*loom_prepare_fn)(loom_context *ctx, int64_t index);

/** What a compiled model exports. */
typedef struct loom_model_def {
  /** LOOM_ABI_VERSION of the compiler that built the model. */
  int64_t abi_version;
  /** The description: a NUL-terminated JSON object (keys LOOM_INFO_*). */
  const char *info;
  /** Every output row. */
  loom_entry_fn forward;
  /** Decoders: only the last token's row; NULL for encoders. */
  loom_entry_fn forward_last;
  /** NULL when the model has no derived weights. */
  loom_prepare_fn prepare;
  /** The same model built for a CUDA GPU (`loomc --target=cuda`), or NULL.
   *  Its forward entry points take device memory for everything (weights,
   *  caches, states, tokens and output rows) and run on the GPU; its own
   *  description lists the weights it reads; its prepare runs on the host,
   *  on host memory, before the runtime copies the weights to the device.
   *  Its `device` is NULL. */
  const struct loom_model_def *device;
} loom_model_def;

/** Field indices of loom_model_def, as generated code builds it. */
enum {
  LOOM_MODEL_DEF_ABI_VERSION = 0,
  LOOM_MODEL_DEF_INFO = 1,
  LOOM_MODEL_DEF_FORWARD = 2,
  LOOM_MODEL_DEF_FORWARD_LAST = 3,
  LOOM_MODEL_DEF_PREPARE = 4,
  LOOM_MODEL_DEF_DEVICE = 5,
  LOOM_MODEL_DEF_FIELDS = 6
};

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LOOM_ABI_H */
