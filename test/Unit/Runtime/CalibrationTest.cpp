//===- CalibrationTest.cpp - Statistics of a calibration run --------------===//

#include "loom/Calibration.h"
#include "loom/Kernels.h"

#include <gtest/gtest.h>

#include <vector>

using namespace loom;

namespace {

/// Shows `input` then `output` (each [rows, width], contiguous) as one
/// layer's call.
void observeLayer(ActivationStatistics &statistics,
                  const std::vector<float> &input,
                  const std::vector<float> &output, int64_t rows,
                  int64_t width) {
  statistics.observe(input.data(), width, rows, width, /*output=*/false);
  statistics.observe(output.data(), width, rows, width, /*output=*/true);
}

TEST(CalibrationTest, BlockInfluenceIsOneMinusMeanCosine) {
  ActivationStatistics statistics;
  statistics.startForward();
  // Layer 0 scales its rows (cos 1), layer 1 turns them by 90 degrees
  // (cos 0) and then by 180 (cos -1): 0, and (1 + 2) / 2.
  observeLayer(statistics, {1, 0, 0, 2}, {3, 0, 0, 5}, 2, 2);
  observeLayer(statistics, {1, 0, 0, 2}, {0, 1, 0, -2}, 2, 2);
  const auto &influence = statistics.getInfluence();
  ASSERT_EQ(influence.size(), 2u);
  EXPECT_EQ(influence[0].rows, 2);
  EXPECT_NEAR(influence[0].sum, 0.0, 1e-12);
  EXPECT_EQ(influence[1].rows, 2);
  EXPECT_NEAR(influence[1].sum / double(influence[1].rows), 1.5, 1e-12);
}

TEST(CalibrationTest, ForwardPassesAddUpByCallIndex) {
  ActivationStatistics statistics;
  for (int pass = 0; pass < 3; ++pass) {
    statistics.startForward();
    observeLayer(statistics, {1, 1}, {1, -1}, 1, 2);
    observeLayer(statistics, {1, 1}, {2, 2}, 1, 2);
  }
  const auto &influence = statistics.getInfluence();
  ASSERT_EQ(influence.size(), 2u);
  EXPECT_EQ(influence[0].rows, 3);
  EXPECT_NEAR(influence[0].sum, 3.0, 1e-12);
  EXPECT_EQ(influence[1].rows, 3);
  EXPECT_NEAR(influence[1].sum, 0.0, 1e-12);
}

TEST(CalibrationTest, StridedRowsAndZeroRows) {
  ActivationStatistics statistics;
  statistics.startForward();
  // Rows 3 floats apart, 2 used; a zero row against a zero row is
  // unchanged, against a nonzero one fully changed.
  std::vector<float> input = {0, 0, 9, 1, 2, 9};
  std::vector<float> output = {0, 0, 7, 0, 0, 7};
  statistics.observe(input.data(), 3, 2, 2, false);
  statistics.observe(output.data(), 3, 2, 2, true);
  const auto &influence = statistics.getInfluence();
  ASSERT_EQ(influence.size(), 1u);
  EXPECT_EQ(influence[0].rows, 2);
  EXPECT_NEAR(influence[0].sum, 1.0, 1e-12);
}

TEST(CalibrationTest, ColumnStridedViewsReadLikeContiguousOnes) {
  // [2, 2] rows read through a transposed layout (columns 2 apart) give
  // what the same rows contiguous give.
  // Rows (1, 0), (0, 2) turned by 90 and 180 degrees: (0, 1), (0, -2).
  std::vector<float> input = {1, 0, 0, 2}, output = {0, 1, 0, -2};
  std::vector<float> inputT = {1, 0, 0, 2}, outputT = {0, 0, 1, -2};
  ActivationStatistics contiguous, strided;
  contiguous.startForward();
  observeLayer(contiguous, input, output, 2, 2);
  strided.startForward();
  strided.observe(inputT.data(), 1, 2, 2, false, /*columnStride=*/2);
  strided.observe(outputT.data(), 1, 2, 2, true, /*columnStride=*/2);
  ASSERT_EQ(strided.getInfluence().size(), 1u);
  EXPECT_EQ(strided.getInfluence()[0].rows, 2);
  EXPECT_NEAR(strided.getInfluence()[0].sum, contiguous.getInfluence()[0].sum,
              1e-12);
  EXPECT_NEAR(strided.getInfluence()[0].sum, 3.0, 1e-12);
}

TEST(CalibrationTest, OutputOfAnotherShapeCountsTheLayerOnly) {
  ActivationStatistics statistics;
  statistics.startForward();
  std::vector<float> input = {1, 2, 3, 4}, output = {1, 2};
  statistics.observe(input.data(), 2, 2, 2, false);
  statistics.observe(output.data(), 2, 1, 2, true);
  // The next layer is still layer 1.
  observeLayer(statistics, {1, 0}, {0, 1}, 1, 2);
  const auto &influence = statistics.getInfluence();
  ASSERT_EQ(influence.size(), 2u);
  EXPECT_EQ(influence[0].rows, 0);
  EXPECT_EQ(influence[1].rows, 1);
  EXPECT_NEAR(influence[1].sum, 1.0, 1e-12);
}

TEST(CalibrationTest, KernelReturnsOutsideACalibrationRun) {
  loom_kernel_state state(1);
  loom_context context{nullptr, &state, nullptr};
  std::vector<float> data = {1, 2, 3, 4};
  MemRef<float, 2> x{data.data(), data.data(), 0, {2, 2}, {2, 1}};
  _mlir_ciface_loom_observe(&context, &x, 0);
  _mlir_ciface_loom_observe(&context, &x, 1);
  ActivationStatistics statistics;
  state.statistics = &statistics;
  statistics.startForward();
  _mlir_ciface_loom_observe(&context, &x, 0);
  _mlir_ciface_loom_observe(&context, &x, 1);
  ASSERT_EQ(statistics.getInfluence().size(), 1u);
  EXPECT_EQ(statistics.getInfluence()[0].rows, 2);
  EXPECT_NEAR(statistics.getInfluence()[0].sum, 0.0, 1e-6);
}

} // namespace
