/* Opens a Loom-compiled model on a device through loom_model.h
 * (loom_model_open_on) and on the CPU, runs the same prompt and greedy
 * decode on both, and prints where each ran and how far apart their logits
 * are. Usage: embed_device WEIGHTS DEVICE, DEVICE "default" for NULL. */
#include "libllama.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kPrompt = 5, kSteps = 4 };

static int argmax(const float *row, int64_t n) {
  int best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best])
      best = (int)i;
  return best;
}

/* Prefill and greedy decode; every row of logits into `rows`, the tokens
 * into `tokens`. 0 on success. */
static int run(loom_model *model, float *rows, int *tokens) {
  const int32_t prompt[kPrompt] = {1, 7, 3, 12, 5};
  int64_t width = loom_model_output_width(model);
  if (loom_model_prefill(model, prompt, kPrompt, rows) != 0)
    return 1;
  int next = argmax(rows + (kPrompt - 1) * width, width);
  for (int i = 0; i < kSteps; ++i) {
    tokens[i] = next;
    float *row = rows + (kPrompt + i) * width;
    if (loom_model_decode(model, next, row) != 0)
      return 1;
    next = argmax(row, width);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3)
    return 2;
  const char *device = strcmp(argv[2], "default") == 0 ? NULL : argv[2];
  loom_model *model = loom_model_open_on(&loom_model_Llama, argv[1],
                                         kPrompt + kSteps, 0, device);
  if (!model) {
    fprintf(stderr, "error: %s\n", loom_last_error());
    return 1;
  }
  loom_model *cpu = loom_model_open_on(&loom_model_Llama, argv[1],
                                       kPrompt + kSteps, 0, "cpu");
  if (!cpu) {
    fprintf(stderr, "error: %s\n", loom_last_error());
    return 1;
  }
  int64_t width = loom_model_output_width(model);
  size_t size = sizeof(float) * (kPrompt + kSteps) * width;
  float *rows = malloc(size), *cpuRows = malloc(size);
  int tokens[kSteps], cpuTokens[kSteps];
  if (run(model, rows, tokens) != 0 || run(cpu, cpuRows, cpuTokens) != 0) {
    fprintf(stderr, "error: %s\n", loom_last_error());
    return 1;
  }
  double worst = 0;
  for (int64_t i = 0; i < (kPrompt + kSteps) * width; ++i)
    worst = fmax(worst, fabs((double)rows[i] - (double)cpuRows[i]));
  printf("device %s, cpu %s\n", loom_model_device(model),
         loom_model_device(cpu));
  printf("max |diff| %s 1e-4\n", worst <= 1e-4 ? "<=" : ">");
  printf("tokens %s\n",
         memcmp(tokens, cpuTokens, sizeof tokens) == 0 ? "same" : "differ");
  loom_model_close(model);
  loom_model_close(cpu);
  free(rows);
  free(cpuRows);
  return 0;
}
