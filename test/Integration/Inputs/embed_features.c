/* Embeds a model that takes float features (libvit.so): reads a float32
 * .npy of [rows, width] (a plain header and little-endian floats, as numpy
 * writes them), runs loom_model_prefill_features, and prints every output
 * row; also checks that the token entry point refuses this model. */
#include "libvit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s WEIGHTS FEATURES.f32 ROWS\n", argv[0]);
    return 2;
  }
  loom_model *model = loom_model_open(&loom_model_ViT, argv[1], 16, 1);
  if (!model) {
    fprintf(stderr, "error: %s\n", loom_last_error());
    return 1;
  }
  int64_t width = loom_model_input_width(model);
  int64_t rows = atoll(argv[3]);
  int64_t out_width = loom_model_output_width(model);
  float *in = malloc(sizeof(float) * (size_t)(rows * width));
  float *out = malloc(sizeof(float) * (size_t)(rows * out_width));
  FILE *f = fopen(argv[2], "rb");
  if (!f || fread(in, sizeof(float), (size_t)(rows * width), f) !=
                (size_t)(rows * width)) {
    fprintf(stderr, "error: cannot read %s\n", argv[2]);
    return 1;
  }
  fclose(f);
  printf("input width %lld\n", (long long)width);
  int32_t ids[2] = {1, 2};
  if (loom_model_prefill(model, ids, 2, out) != 0)
    printf("tokens refused: %s\n", loom_last_error());
  if (loom_model_prefill_features(model, in, rows, out) != 0) {
    fprintf(stderr, "error: %s\n", loom_last_error());
    return 1;
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < out_width; ++c)
      printf("%s%.6g", c ? " " : "", out[r * out_width + c]);
    printf("\n");
  }
  loom_model_close(model);
  free(in);
  free(out);
  return 0;
}
