//===- SamplerTest.cpp - Greedy, temperature, top-k and top-p -------------===//

#include "loom/Sampler.h"

#include <gmock/gmock.h>

#include <cmath>
#include <map>

using namespace loom;
using ::testing::HasSubstr;

namespace {

Sampler makeSampler(double temperature, int64_t topK, double topP,
                    uint64_t seed = 0) {
  SamplerOptions options;
  options.temperature = temperature;
  options.topK = topK;
  options.topP = topP;
  options.seed = seed;
  Expected<Sampler> sampler = Sampler::create(options);
  EXPECT_TRUE(sampler) << sampler.getError();
  return std::move(*sampler);
}

std::string optionsError(double temperature, int64_t topK, double topP) {
  SamplerOptions options;
  options.temperature = temperature;
  options.topK = topK;
  options.topP = topP;
  Status status = validateSamplerOptions(options);
  EXPECT_FALSE(status);
  return status ? std::string() : status.getError();
}

TEST(SamplerTest, ArgmaxTiesGoToLowestIndex) {
  std::vector<float> logits = {1, 3, 2, 3, -1};
  EXPECT_EQ(argmax(logits.data(), logits.size()), 1);
  std::vector<float> equal(7, 0.5f);
  EXPECT_EQ(argmax(equal.data(), equal.size()), 0);
  EXPECT_EQ(argmax(nullptr, 0), -1);
  std::vector<float> withNan = {NAN, -2, NAN, 5, NAN};
  EXPECT_EQ(argmax(withNan.data(), withNan.size()), 3);
  std::vector<float> allNan = {NAN, NAN};
  EXPECT_EQ(argmax(allNan.data(), allNan.size()), -1);
  std::vector<float> allNegInf = {-INFINITY, -INFINITY};
  EXPECT_EQ(argmax(allNegInf.data(), allNegInf.size()), 0);
}

TEST(SamplerTest, GreedyIsArgmax) {
  Sampler sampler = makeSampler(0, 0, 1);
  std::vector<float> logits = {0.1f, 2.0f, 2.0f, -4.0f};
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(sampler.sample(logits.data(), logits.size()), 1);
  EXPECT_EQ(sampler.sample(logits.data(), 0), -1);
}

std::vector<float> randomLogits(size_t count, uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::vector<float> logits(count);
  for (float &logit : logits)
    logit = static_cast<float>(static_cast<double>(engine() % 10000) / 1000.0);
  return logits;
}

TEST(SamplerTest, TopKOneAndTinyTopPAreGreedy) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<float> logits = randomLogits(1000, seed);
    int64_t best = argmax(logits.data(), logits.size());
    Sampler topK = makeSampler(1.5, 1, 1, seed);
    Sampler topP = makeSampler(1.5, 0, 1e-9, seed);
    Sampler both = makeSampler(0.7, 50, 1e-9, seed);
    EXPECT_EQ(topK.sample(logits.data(), logits.size()), best);
    EXPECT_EQ(topP.sample(logits.data(), logits.size()), best);
    EXPECT_EQ(both.sample(logits.data(), logits.size()), best);
  }
  // Ties: tiny top-p keeps the lowest index of the most likely.
  std::vector<float> tied = {0, 5, 1, 5};
  Sampler topP = makeSampler(1, 0, 1e-6, 3);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(topP.sample(tied.data(), tied.size()), 1);
}

TEST(SamplerTest, SameSeedSameTokens) {
  std::vector<float> logits = randomLogits(500, 42);
  for (auto [temperature, topK, topP] :
       {std::tuple{1.0, int64_t(0), 1.0}, std::tuple{0.8, int64_t(40), 1.0},
        std::tuple{1.2, int64_t(0), 0.9},
        std::tuple{0.9, int64_t(100), 0.95}}) {
    Sampler first = makeSampler(temperature, topK, topP, 1234);
    Sampler second = makeSampler(temperature, topK, topP, 1234);
    Sampler other = makeSampler(temperature, topK, topP, 999);
    std::vector<int64_t> a, b, c;
    for (int i = 0; i < 64; ++i) {
      a.push_back(first.sample(logits.data(), logits.size()));
      b.push_back(second.sample(logits.data(), logits.size()));
      c.push_back(other.sample(logits.data(), logits.size()));
    }
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    first.reseed(1234);
    EXPECT_EQ(first.sample(logits.data(), logits.size()), a[0]);
  }
}

TEST(SamplerTest, StreamIsStableAcrossBuilds) {
  // mt19937_64 is fully specified; this pins the double conversion.
  Sampler sampler = makeSampler(1, 0, 1, 0);
  std::mt19937_64 reference(0);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(sampler.nextUniform(),
              static_cast<double>(reference() >> 11) * 0x1.0p-53);
  Sampler seeded = makeSampler(1, 0, 1, 5489);
  EXPECT_EQ(seeded.nextUniform(),
            static_cast<double>(14514284786278117030ull >> 11) * 0x1.0p-53);
}

TEST(SamplerTest, TopKOnlyPicksAmongTheK) {
  std::vector<float> logits = {5, 1, 4, 0, 4.5f, -3};
  Sampler sampler = makeSampler(5.0, 3, 1, 7);
  std::map<int64_t, int> counts;
  for (int i = 0; i < 2000; ++i)
    ++counts[sampler.sample(logits.data(), logits.size())];
  EXPECT_EQ(counts.size(), 3u);
  EXPECT_GT(counts[0], 0);
  EXPECT_GT(counts[2], 0);
  EXPECT_GT(counts[4], 0);
}

TEST(SamplerTest, TopPKeepsTheNucleus) {
  // Probabilities 0.5, 0.3, 0.15, 0.05: p = 0.75 keeps tokens 0 and 1.
  std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f),
                               std::log(0.05f)};
  Sampler sampler = makeSampler(1.0, 0, 0.75, 11);
  std::map<int64_t, int> counts;
  for (int i = 0; i < 4000; ++i)
    ++counts[sampler.sample(logits.data(), logits.size())];
  EXPECT_EQ(counts.size(), 2u);
  // Renormalized 0.5 / 0.8 = 0.625.
  EXPECT_NEAR(counts[0] / 4000.0, 0.625, 0.03);
  // p = 0.85 reaches into the third token.
  Sampler wider = makeSampler(1.0, 0, 0.85, 11);
  counts.clear();
  for (int i = 0; i < 4000; ++i)
    ++counts[wider.sample(logits.data(), logits.size())];
  EXPECT_EQ(counts.size(), 3u);
}

TEST(SamplerTest, TemperatureMatchesSoftmax) {
  std::vector<float> logits = {0, std::log(3.0f)}; // 1:3 at T = 1.
  Sampler sampler = makeSampler(1.0, 0, 1, 5);
  int ones = 0;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i)
    ones += sampler.sample(logits.data(), logits.size()) == 1;
  EXPECT_NEAR(ones / double(draws), 0.75, 0.015);
  // T = 0.5 squares the odds: 1:9.
  Sampler cold = makeSampler(0.5, 0, 1, 5);
  ones = 0;
  for (int i = 0; i < draws; ++i)
    ones += cold.sample(logits.data(), logits.size()) == 1;
  EXPECT_NEAR(ones / double(draws), 0.9, 0.015);
}

TEST(SamplerTest, NonFiniteLogits) {
  Sampler sampler = makeSampler(1.0, 0, 0.9, 1);
  std::vector<float> withNan = {NAN, 0, NAN, 0};
  for (int i = 0; i < 50; ++i) {
    int64_t token = sampler.sample(withNan.data(), withNan.size());
    EXPECT_TRUE(token == 1 || token == 3) << token;
  }
  std::vector<float> withInf = {0, INFINITY, 3};
  EXPECT_EQ(sampler.sample(withInf.data(), withInf.size()), 1);
  std::vector<float> masked = {-INFINITY, 2, -INFINITY};
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(sampler.sample(masked.data(), masked.size()), 1);
  std::vector<float> allNan = {NAN, NAN};
  EXPECT_EQ(sampler.sample(allNan.data(), allNan.size()), -1);
}

TEST(SamplerTest, ValidatesRanges) {
  EXPECT_THAT(optionsError(-0.1, 0, 1),
              HasSubstr("temperature must be a finite number >= 0"));
  EXPECT_THAT(optionsError(INFINITY, 0, 1), HasSubstr("temperature"));
  EXPECT_THAT(optionsError(NAN, 0, 1), HasSubstr("temperature"));
  EXPECT_THAT(optionsError(1, -1, 1), HasSubstr("top-k must be >= 0"));
  EXPECT_THAT(optionsError(1, 0, 0), HasSubstr("top-p must be in (0, 1]"));
  EXPECT_THAT(optionsError(1, 0, 1.01), HasSubstr("top-p must be in (0, 1]"));
  EXPECT_THAT(optionsError(1, 0, NAN), HasSubstr("top-p"));
  SamplerOptions bad;
  bad.topP = 2;
  Expected<Sampler> sampler = Sampler::create(bad);
  ASSERT_FALSE(sampler);
  EXPECT_THAT(sampler.getError(), HasSubstr("got 2"));
}

} // namespace
