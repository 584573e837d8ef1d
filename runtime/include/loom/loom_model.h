/*===- loom_model.h - Embedding a Loom-compiled model (C API) ------------===*
 *
 * `loomc model.loom --emit=lib -o libmodel.so` writes a shared library with
 * the model and the runtime, and this header next to it. Link with
 * `-lmodel`. One model instance at a time per process.
 *
 *   loom_model *m = loom_model_open("model.safetensors", 512);
 *   if (!m) { fprintf(stderr, "%s\n", loom_last_error()); return 1; }
 *   float *logits = malloc(n * loom_model_output_width(m) * sizeof(float));
 *   loom_model_prefill(m, ids, n, logits);        // the prompt
 *   loom_model_decode(m, next, logits);           // then one token a call
 *   loom_model_close(m);
 *
 *===----------------------------------------------------------------------===*/

#ifndef LOOM_MODEL_API_H
#define LOOM_MODEL_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this interface. */
#define LOOM_MODEL_API_VERSION 1

typedef struct loom_model loom_model;

/** The message of the last failed call on this thread ("" if none). */
const char *loom_last_error(void);

/** Loads and validates the checkpoint at `weights_path` (a .safetensors
 *  file, an index .json, or a directory) and allocates a KV cache for
 *  `max_seq` positions. NULL on error. */
loom_model *loom_model_open(const char *weights_path, int64_t max_seq);

/** Releases the model. */
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

/** Decoders: like loom_model_prefill, but writes only the last token's row
 *  (the logits of the next token), skipping the other rows' LM head. */
int loom_model_prefill_last(loom_model *model, const int32_t *tokens,
                            int64_t count, float *out);

/** Decoders: runs one more token after the cached ones and writes its output
 *  row (the logits of the next token) to `out`. 0 on success, -1 on error. */
int loom_model_decode(loom_model *model, int32_t token, float *out);

#ifdef __cplusplus
}
#endif

#endif /* LOOM_MODEL_API_H */
