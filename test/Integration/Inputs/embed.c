/* Embeds a Loom-compiled model through loom_model.h: prefill a prompt, then
 * decode greedily. Prints the generated ids like the model's own program. */
#include "libllama.h"

#include <stdio.h>
#include <stdlib.h>

static int argmax(const float *row, int64_t n) {
  int best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best])
      best = (int)i;
  return best;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  const int32_t prompt[] = {1, 2, 3};
  const int steps = 4;
  /* Room for the prompt and the tokens fed back: the last one is not. */
  loom_model *model = loom_model_open(&loom_model_Llama, argv[1], 3 + steps - 1,
                                      /*num_threads=*/0);
  if (!model) {
    fprintf(stderr, "error: %s\n", loom_last_error());
    return 1;
  }
  int64_t width = loom_model_output_width(model);
  float *logits = malloc(sizeof(float) * 3 * width);
  if (loom_model_prefill(model, prompt, 3, logits) != 0) {
    fprintf(stderr, "error: %s\n", loom_last_error());
    return 1;
  }
  int next = argmax(logits + 2 * width, width);
  for (int i = 0; i < steps; ++i) {
    printf(i ? " %d" : "%d", next);
    if (i + 1 < steps) {
      if (loom_model_decode(model, next, logits) != 0) {
        fprintf(stderr, "error: %s\n", loom_last_error());
        return 1;
      }
      next = argmax(logits, width);
    }
  }
  printf("\n");
  /* The cache is full now: one more token is refused, not overrun. */
  if (loom_model_decode(model, next, logits) == 0)
    return 3;
  fprintf(stderr, "full: %s\n", loom_last_error());
  free(logits);
  loom_model_close(model);
  return 0;
}
