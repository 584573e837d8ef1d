/* A model with running states (cumulative sums, linear attention) through
 * loom_model.h: one instance runs a first prompt and decodes, then a second
 * prompt, which must start from fresh states (the prefill restarts at
 * position 0); a new instance runs the second prompt alone. Prints the
 * largest logit difference between the two runs of the second prompt (0:
 * nothing of the first prompt leaked) and both runs' greedy tokens. */
#include "libflow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { kSteps = 4, kMaxSeq = 16 };

static int argmax(const float *row, int64_t n) {
  int best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best])
      best = (int)i;
  return best;
}

static int fail(void) {
  fprintf(stderr, "error: %s\n", loom_last_error());
  return 1;
}

/* Prefills `count` tokens of `prompt` and decodes kSteps greedy tokens into
 * `tokens`; the prompt's logits go to `logits` ([count, width]). */
static int run(loom_model *model, const int32_t *prompt, int64_t count,
               float *logits, int *tokens) {
  int64_t width = loom_model_output_width(model);
  float *row = malloc(sizeof(float) * width);
  if (loom_model_prefill(model, prompt, count, logits) != 0)
    return -1;
  int next = argmax(logits + (count - 1) * width, width);
  for (int i = 0; i < kSteps; ++i) {
    tokens[i] = next;
    if (loom_model_decode(model, next, row) != 0)
      return -1;
    next = argmax(row, width);
  }
  free(row);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  const int32_t first[] = {5, 17, 3, 42, 8, 61, 2};
  const int32_t second[] = {9, 30, 11};
  loom_model *used = loom_model_open(&loom_model_Flowformer, argv[1], kMaxSeq,
                                     /*num_threads=*/0);
  loom_model *fresh = loom_model_open(&loom_model_Flowformer, argv[1], kMaxSeq,
                                      /*num_threads=*/0);
  if (!used || !fresh)
    return fail();
  int64_t width = loom_model_output_width(used);
  float *logits = malloc(sizeof(float) * 7 * width);
  float *again = malloc(sizeof(float) * 3 * width);
  float *alone = malloc(sizeof(float) * 3 * width);
  int tokens[kSteps], againTokens[kSteps], aloneTokens[kSteps];
  if (run(used, first, 7, logits, tokens) != 0 ||
      run(used, second, 3, again, againTokens) != 0 ||
      run(fresh, second, 3, alone, aloneTokens) != 0)
    return fail();
  double diff = 0.0;
  for (int64_t i = 0; i < 3 * width; ++i)
    diff = fmax(diff, fabs((double)again[i] - (double)alone[i]));
  printf("position %lld\n", (long long)loom_model_position(used));
  printf("second prompt max|diff| %g\n", diff);
  for (int i = 0; i < kSteps; ++i)
    printf(i ? " %d" : "after first: %d", againTokens[i]);
  printf("\n");
  for (int i = 0; i < kSteps; ++i)
    printf(i ? " %d" : "alone:       %d", aloneTokens[i]);
  printf("\n");
  loom_model_close(used);
  loom_model_close(fresh);
  return 0;
}
