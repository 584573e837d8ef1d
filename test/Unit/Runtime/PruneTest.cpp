//===- PruneTest.cpp - Neuron selection for structured pruning ------------===//

#include "loom/Prune.h"

#include <gtest/gtest.h>

#include <vector>

using namespace loom;

namespace {

/// A row-major [rows, cols] view of `data`.
MatrixView view(const std::vector<float> &data, int64_t rows, int64_t cols) {
  return {data.data(), rows, cols, cols, 1};
}

TEST(PruneTest, KeepsTheLargestMagnitudesInOrder) {
  // 4 neurons, width 2: scores |up row| * |down column|.
  std::vector<float> up = {1, 0, 3, 4, 0, 2, 1, 0};   // norms 1, 5, 2, 1
  std::vector<float> down = {1, 1, 1, 1, 0, 0, 0, 0}; // column norms 1 each
  std::vector<int64_t> kept = selectNeurons(MatrixView(), view(up, 4, 2),
                                            view(down, 2, 4), nullptr, 0, 2);
  EXPECT_EQ(kept, (std::vector<int64_t>{1, 2}));
  // Ties go to the lower index: neurons 0 and 3 score 1.
  kept = selectNeurons(MatrixView(), view(up, 4, 2), view(down, 2, 4), nullptr,
                       0, 3);
  EXPECT_EQ(kept, (std::vector<int64_t>{0, 1, 2}));
}

TEST(PruneTest, GateAndImportance) {
  std::vector<float> up = {1, 0, 1, 0, 1, 0};   // norms 1, 1, 1
  std::vector<float> gate = {1, 0, 0, 3, 2, 0}; // norms 1, 3, 2
  std::vector<float> down = {1, 2, 1, 0, 0, 0}; // column norms 1, 2, 1
  // Magnitude with the gate: 1, 6, 2.
  EXPECT_EQ(selectNeurons(view(gate, 3, 2), view(up, 3, 2), view(down, 2, 3),
                          nullptr, 0, 1),
            (std::vector<int64_t>{1}));
  // Importance replaces the gate and up norms: 1 * 3, 2 * 0, 1 * 1.
  std::vector<float> importance = {9, 0, 1};
  EXPECT_EQ(selectNeurons(view(gate, 3, 2), view(up, 3, 2), view(down, 2, 3),
                          importance.data(), 1, 2),
            (std::vector<int64_t>{0, 2}));
}

TEST(PruneTest, GathersRowsAndColumns) {
  std::vector<float> up = {1, 1, 5, 5, 2, 2};           // [3, 2]
  std::vector<float> down = {1, 1, 1, 1, 1, 1};         // [2, 3]
  std::vector<float> target = {10, 11, 12, 20, 21, 22}; // down-shaped [2, 3]
  std::vector<float> out(4, -1);
  MemRef<float, 2> targetRef = makeMemRef(target.data(), {2, 3});
  MemRef<float, 2> upRef = makeMemRef(up.data(), {3, 2});
  MemRef<float, 2> downRef = makeMemRef(down.data(), {2, 3});
  MemRef<float, 2> gateRef = makeMemRef(static_cast<float *>(nullptr), {0, 0});
  MemRef<float, 1> importanceRef =
      makeMemRef(static_cast<float *>(nullptr), {0});
  MemRef<float, 2> outRef = makeMemRef(out.data(), {2, 2});
  _mlir_ciface_loom_prune_neurons(nullptr, &targetRef, &gateRef, &upRef,
                                  &downRef, &importanceRef, &outRef,
                                  /*axis=*/1, /*keep=*/2);
  // Neurons 1 and 2 (up norms 5 and 2): columns 1 and 2.
  EXPECT_EQ(out, (std::vector<float>{11, 12, 21, 22}));
}

TEST(PruneTest, HeadGroupsByMagnitudeAndImportance) {
  // 4 query heads of size 1 in 2 groups; width 1.
  std::vector<float> wq = {1, 1, 3, 3}, wk = {1, 1}, wv = {1, 1};
  std::vector<float> wo = {1, 1, 1, 1}; // [1, 4]
  AttentionWeights weights{
      view(wq, 4, 1), view(wk, 2, 1), view(wv, 2, 1), view(wo, 1, 4), 4, 2, 1};
  // Magnitude: group 0 scores 1 + 1, group 1 scores 3 + 3.
  EXPECT_EQ(selectHeadGroups(weights, nullptr, 0, 1),
            (std::vector<int64_t>{1}));
  // Importance of the output projection's inputs favours group 0.
  std::vector<float> importance = {4, 4, 1, 1};
  EXPECT_EQ(selectHeadGroups(weights, importance.data(), 1, 1),
            (std::vector<int64_t>{0}));
}

TEST(PruneTest, GathersHeadBlocks) {
  // 4 heads of 2 in 2 groups: a group is 4 rows of wq, 2 of wk.
  std::vector<float> wq(8 * 1), wk(4 * 1, 1), wv(4 * 1, 1), wo(8, 1);
  for (int i = 0; i < 8; ++i)
    wq[size_t(i)] = i < 4 ? 1.0f : 2.0f; // group 1 is larger
  std::vector<float> out(2, -1);
  MemRef<float, 2> wqRef = makeMemRef(wq.data(), {8, 1});
  MemRef<float, 2> wkRef = makeMemRef(wk.data(), {4, 1});
  MemRef<float, 2> wvRef = makeMemRef(wv.data(), {4, 1});
  MemRef<float, 2> woRef = makeMemRef(wo.data(), {1, 8});
  std::vector<float> bias = {10, 11, 12, 13}; // a key bias, as [4, 1]
  MemRef<float, 2> targetRef = makeMemRef(bias.data(), {4, 1});
  MemRef<float, 1> importanceRef =
      makeMemRef(static_cast<float *>(nullptr), {0});
  MemRef<float, 2> outRef = makeMemRef(out.data(), {2, 1});
  _mlir_ciface_loom_prune_heads(nullptr, &targetRef, &wqRef, &wkRef, &wvRef,
                                &woRef, &importanceRef, &outRef, /*part=*/1,
                                /*keep=*/1, /*heads=*/4, /*kvHeads=*/2,
                                /*headDim=*/2);
  EXPECT_EQ(out, (std::vector<float>{12, 13}));
}

} // namespace
