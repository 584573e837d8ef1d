/* Several model instances in one process at the same time: two instances of
 * one architecture (Llama, each with its own checkpoint) and one of another
 * (GPT-2), each generating greedily on its own thread, all started together
 * and each repeating its generation so that the runs overlap. Every repeat
 * must give the same tokens; main prints each instance's tokens on a line of
 * its own, in the order of the arguments, as the models' own programs print
 * theirs.
 *
 *   two_models LLAMA_A.safetensors LLAMA_B.safetensors GPT2.safetensors */
#include "libgpt2.h"
#include "libllama.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kPrompt = 3, kSteps = 6, kRepeats = 20, kInstances = 3 };

typedef struct {
  const char *label;
  const struct loom_model_def *model;
  const char *weights;
  pthread_barrier_t *start;
  int tokens[kSteps];
  char error[512];
} Job;

static int argmax(const float *row, int64_t n) {
  int best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best])
      best = (int)i;
  return best;
}

/* One greedy generation; 0 on success. */
static int generate(loom_model *model, float *logits, int *tokens) {
  const int32_t prompt[kPrompt] = {1, 2, 3};
  int64_t width = loom_model_output_width(model);
  if (loom_model_prefill(model, prompt, kPrompt, logits) != 0)
    return -1;
  int next = argmax(logits + (kPrompt - 1) * width, width);
  for (int i = 0; i < kSteps; ++i) {
    tokens[i] = next;
    if (i + 1 < kSteps) {
      if (loom_model_decode(model, next, logits) != 0)
        return -1;
      next = argmax(logits, width);
    }
  }
  return 0;
}

static void *run(void *argument) {
  Job *job = argument;
  loom_model *model =
      loom_model_open(job->model, job->weights, kPrompt + kSteps, 1);
  pthread_barrier_wait(job->start);
  if (!model) {
    snprintf(job->error, sizeof job->error, "open: %s", loom_last_error());
    return NULL;
  }
  float *logits =
      malloc(sizeof(float) * kPrompt * loom_model_output_width(model));
  for (int r = 0; r < kRepeats && !job->error[0]; ++r) {
    int tokens[kSteps];
    if (generate(model, logits, tokens) != 0)
      snprintf(job->error, sizeof job->error, "run: %s", loom_last_error());
    else if (r == 0)
      memcpy(job->tokens, tokens, sizeof tokens);
    else if (memcmp(job->tokens, tokens, sizeof tokens) != 0)
      snprintf(job->error, sizeof job->error, "repeat %d differs", r);
  }
  free(logits);
  loom_model_close(model);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, kInstances);
  Job jobs[kInstances] = {
      {"llama-a", &loom_model_Llama, argv[1], &start, {0}, ""},
      {"llama-b", &loom_model_Llama, argv[2], &start, {0}, ""},
      {"gpt2", &loom_model_GPT2, argv[3], &start, {0}, ""},
  };
  pthread_t threads[kInstances];
  for (int i = 0; i < kInstances; ++i)
    pthread_create(&threads[i], NULL, run, &jobs[i]);
  int status = 0;
  for (int i = 0; i < kInstances; ++i) {
    pthread_join(threads[i], NULL);
    if (jobs[i].error[0]) {
      fprintf(stderr, "%s: error: %s\n", jobs[i].label, jobs[i].error);
      status = 1;
      continue;
    }
    for (int s = 0; s < kSteps; ++s)
      printf(s ? " %d" : "%d", jobs[i].tokens[s]);
    printf("\n");
  }
  pthread_barrier_destroy(&start);
  return status;
}
