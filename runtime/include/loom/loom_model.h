/*===- loom_model.h - Embedding a Loom-compiled model (C API) ------------===*
 *
 * `loomc llama.loom --emit=lib -o libllama.so` writes a shared library with
 * the model and the runtime, this header, and `libllama.h`, which declares
 * the model's definition, `loom_model_<Name>` (`<Name>` is the model's name
 * in the .loom file, or loomc's `--model-symbol`). Link with `-lllama`.
 *
 *   #include "libllama.h"
 *   loom_model *m = loom_model_open(&loom_model_Llama, "model.safetensors",
 *                                   512, 0);
 *   if (!m) { fprintf(stderr, "%s\n", loom_last_error()); return 1; }
 *   float *logits = malloc(n * loom_model_output_width(m) * sizeof(float));
 *   loom_model_prefill(m, ids, n, logits);        // the prompt
 *   loom_model_decode(m, next, logits);           // then one token a call
 *   loom_model_close(m);
 *
 * Instances share nothing: a process may open several, of one model or of
 * several (link each library; models built by one loomc share its runtime),
 * and use them from different threads at once. One instance serves one call
 * at a time: a call made while another thread's call runs on the same
 * instance fails (-1, loom_last_error() says so) and changes nothing.
 * Null instances and null buffers are errors too (accessors of a null
 * instance return "" or 0); decoding before a prefill is an error. An
 * instance must not be used after loom_model_close.
 *
 *===----------------------------------------------------------------------===*/

#ifndef LOOM_MODEL_API_H
#define LOOM_MODEL_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this interface. */
#define LOOM_MODEL_API_VERSION 6

/** A compiled model's definition (loom_abi.h), e.g. `loom_model_Llama`. */
struct loom_model_def;

/** An instance of a model: weights, KV cache and threads. */
typedef struct loom_model loom_model;

/** The message of the last failed call on this thread ("" if none). */
const char *loom_last_error(void);

/** Opens an instance of `model`: loads and validates the checkpoint at
 *  `weights_path` (a .safetensors file, an index .json, or a directory),
 *  allocates a KV cache for `max_seq` positions and starts `num_threads`
 *  threads for its kernels (0: the LOOM_NUM_THREADS environment variable,
 *  else every core). NULL on error, also when `model` was built for another
 *  runtime ABI. */
loom_model *loom_model_open(const struct loom_model_def *model,
                            const char *weights_path, int64_t max_seq,
                            int64_t num_threads);

/** The same, run where `device` says: "cpu", "cuda" (the model's GPU build,
 *  for models built with `loomc --target=cuda`: weights and caches in GPU
 *  memory), or NULL (or "") for the model's default (cuda for `--target=cuda`
 *  builds, else cpu). loom_model_open runs on the CPU. NULL on error: an
 *  unknown device, cuda for a model built for the CPU only, or no usable
 *  GPU (loom_last_error() says which). */
loom_model *loom_model_open_on(const struct loom_model_def *model,
                               const char *weights_path, int64_t max_seq,
                               int64_t num_threads, const char *device);

/** Where the instance runs: "cpu" or "cuda" ("" for NULL). */
const char *loom_model_device(const loom_model *model);

/** Releases the instance. Accepts NULL. */
void loom_model_close(loom_model *model);

/** The model's name in its .loom file. */
const char *loom_model_name(const loom_model *model);

/** 1 for decoders (causal attention), 0 for encoders. */
int loom_model_is_decoder(const loom_model *model);

/** Floats per output row: the vocabulary size for decoders, the hidden size
 *  for encoders. */
int64_t loom_model_output_width(const loom_model *model);

/** Token ids must be below this. */
int64_t loom_model_vocab_size(const loom_model *model);

/** Number of tokens in the KV cache (the next token's position). */
int64_t loom_model_position(const loom_model *model);

/** Empties the KV cache, then runs `count` tokens; writes `count` output rows
 *  to `out`. For encoders this is the forward pass. 0 on success, -1 on
 *  error. */
int loom_model_prefill(loom_model *model, const int32_t *tokens, int64_t count,
                       float *out);

/** Floats per input row for a model that takes float features
 *  (`forward(x[width])` in its .loom file); 0 when it takes token ids. */
int64_t loom_model_input_width(const loom_model *model);

/** For a model that takes float features: empties the KV cache, then runs
 *  `count` rows of `loom_model_input_width` floats; writes `count` output
 *  rows to `out`. 0 on success, -1 on error. */
int loom_model_prefill_features(loom_model *model, const float *features,
                                int64_t count, float *out);

/** Decoders: like loom_model_prefill, but writes only the last token's row
 *  (the logits of the next token), skipping the other rows' LM head. */
int loom_model_prefill_last(loom_model *model, const int32_t *tokens,
                            int64_t count, float *out);

/** Decoders: runs one more token after the cached ones and writes its output
 *  row (the logits of the next token) to `out`. 0 on success, -1 on error. */
int loom_model_decode(loom_model *model, int32_t token, float *out);

/* Adaptive depth: models with a loop that tokens leave early (`exit(...)`
 * in the .loom file). */

/** Sets the loops' exit threshold, in (0, 1]; 0 restores the model's own.
 *  0 on success, -1 on error. */
int loom_model_set_exit_threshold(loom_model *model, double threshold);

/** With `full` non-zero, every token runs every iteration; 0 restores the
 *  exit rule. 0 on success, -1 on error. */
int loom_model_set_full_depth(loom_model *model, int full);

/** The iterations per token the loops have run since the instance was
 *  opened, on average; 0 if none ran. */
double loom_model_average_depth(loom_model *model);

/* Text: the checkpoint's tokenizer.
 *
 *   loom_tokenizer *t = loom_tokenizer_open("model_dir");
 *   int32_t ids[512];
 *   int64_t n = loom_tokenizer_encode(t, text, strlen(text), 1, ids, 512);
 *   ... generate ...
 *   char out[4096];
 *   loom_tokenizer_decode(t, generated, count, 1, out, sizeof out);
 *   loom_tokenizer_close(t);
 *
 * A tokenizer is immutable: one may be used from several threads at once. */

/** A tokenizer: text to token ids and back. */
typedef struct loom_tokenizer loom_tokenizer;

/** Opens the tokenizer at `path`: a tokenizer.json, a SentencePiece
 *  tokenizer.model, a directory holding either, or a GGUF file (its
 *  vocabulary). NULL on error (see loom_last_error). */
loom_tokenizer *loom_tokenizer_open(const char *path);

/** Releases the tokenizer. Accepts NULL. */
void loom_tokenizer_close(loom_tokenizer *tokenizer);

/** One more than the largest token id; 0 for NULL. */
int64_t loom_tokenizer_vocab_size(const loom_tokenizer *tokenizer);

/** Encodes the `length` bytes of UTF-8 `text`; with `add_special`, adds the
 *  tokens the tokenizer's post-processor adds (a BOS, BERT's [CLS] and
 *  [SEP]). Writes at most `capacity` ids to `ids` and returns how many the
 *  text has (more than `capacity`: call again with a larger buffer), or -1
 *  on error (text the vocabulary cannot encode, a null argument). */
int64_t loom_tokenizer_encode(const loom_tokenizer *tokenizer, const char *text,
                              int64_t length, int add_special, int32_t *ids,
                              int64_t capacity);

/** Decodes `count` ids to UTF-8 text, leaving out special tokens if
 *  `skip_special`. Writes at most `capacity` bytes to `text`, NUL-terminated
 *  when it fits, and returns the text's length in bytes (without the NUL),
 *  or -1 on a null argument. */
int64_t loom_tokenizer_decode(const loom_tokenizer *tokenizer,
                              const int32_t *ids, int64_t count,
                              int skip_special, char *text, int64_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* LOOM_MODEL_API_H */
