#include "lasnn/core/encoder.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace lasnn {
namespace {

void ExpectThrowsWith(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected a c10::Error containing \"" << needle << "\"";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find(needle), std::string::npos)
        << e.what_without_backtrace();
  }
}

TEST(RepeatOverTimeTest, IsAViewBroadcastOverTime) {
  at::manual_seed(1);
  const at::Tensor x = at::rand({2, 3, 4, 4}, at::kDouble).requires_grad_(true);
  const at::Tensor r = RepeatOverTime(x, 5);
  EXPECT_EQ(r.sizes(), (std::vector<int64_t>{5, 2, 3, 4, 4}));
  EXPECT_EQ(r.stride(0), 0);
  EXPECT_EQ(r.data_ptr(), x.data_ptr());  // no copy
  for (int64_t t = 0; t < 5; ++t) EXPECT_TRUE(at::equal(r[t], x));
  // Backward sums over time.
  const at::Tensor w = at::arange(5, at::kDouble).view({5, 1, 1, 1, 1});
  (r * w).sum().backward();
  EXPECT_TRUE(at::allclose(x.grad(), at::full_like(x, 10.0)));
  EXPECT_TRUE(at::equal(DirectEncode(x, 3)[2], x));
}

TEST(RepeatOverTimeTest, FirstConvAndBatchNormAreTimeInvariant) {
  // The documented shortcut: conv + BN (training mode) on [T*B, ...] of a repeated image equals
  // running them once on [B, ...] and broadcasting the result over T.
  at::manual_seed(2);
  const int64_t steps = 4;
  const at::Tensor x = at::rand({3, 2, 6, 6}, at::kDouble);
  const at::Tensor weight = at::randn({5, 2, 3, 3}, at::kDouble);
  const at::Tensor gamma = at::rand({5}, at::kDouble) + 0.5;
  const at::Tensor beta = at::randn({5}, at::kDouble);
  auto conv_bn = [&](const at::Tensor& in) {
    return at::batch_norm(at::conv2d(in, weight, {}, 1, 1), gamma, beta, {}, {},
                          /*training=*/true, 0.1, 1e-5, /*cudnn_enabled=*/false);
  };
  const at::Tensor folded = conv_bn(RepeatOverTime(x, steps).reshape({steps * 3, 2, 6, 6}));
  const at::Tensor once = RepeatOverTime(conv_bn(x), steps).reshape({steps * 3, 5, 6, 6});
  EXPECT_TRUE(at::allclose(folded, once, 1e-10, 1e-10));
}

TEST(RepeatOverTimeTest, BadArguments) {
  ExpectThrowsWith([] { RepeatOverTime(at::ones({2}), 0); }, "steps must be >= 1");
  ExpectThrowsWith([] { RepeatOverTime(at::ones({}), 2); }, "dim >= 1");
  ExpectThrowsWith([] { DirectEncode(at::ones({2}, at::kInt), 2); }, "floating-point");
}

TEST(PoissonEncodeTest, RatesConvergeToPixelValues) {
  const std::vector<double> p = {0.0, 0.05, 0.3, 0.5, 0.9, 1.0};
  const int64_t steps = 4000;
  const at::Tensor x = at::tensor(p, at::kFloat).view({2, 3});
  const at::Tensor spikes = PoissonEncode(x, steps, uint64_t{42});
  ASSERT_EQ(spikes.sizes(), (std::vector<int64_t>{steps, 2, 3}));
  EXPECT_EQ(spikes.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(spikes, (spikes > 0).to(at::kFloat)));  // only 0 and 1
  const at::Tensor rates = spikes.to(at::kDouble).mean(0).flatten();
  for (size_t i = 0; i < p.size(); ++i) {
    const double sigma = std::sqrt(p[i] * (1 - p[i]) / steps);
    EXPECT_NEAR(rates[i].item<double>(), p[i], 5 * sigma + 1e-12) << "p=" << p[i];
  }
}

TEST(PoissonEncodeTest, SameSeedSameSpikes) {
  at::manual_seed(3);
  const at::Tensor x = at::rand({4, 1, 5, 5}, at::kFloat);
  const at::Tensor a = PoissonEncode(x, 8, uint64_t{7});
  EXPECT_TRUE(at::equal(a, PoissonEncode(x, 8, uint64_t{7})));
  EXPECT_FALSE(at::equal(a, PoissonEncode(x, 8, uint64_t{8})));
  // Independent of the global generator.
  at::manual_seed(99);
  EXPECT_TRUE(at::equal(a, PoissonEncode(x, 8, uint64_t{7})));

  at::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(5);
  at::Generator g2 = at::make_generator<at::CPUGeneratorImpl>(5);
  const at::Tensor b1 = PoissonEncode(x, 8, g1);
  EXPECT_TRUE(at::equal(b1, PoissonEncode(x, 8, g2)));
  EXPECT_FALSE(at::equal(b1, PoissonEncode(x, 8, g1)));  // the generator advanced
}

TEST(PoissonEncodeTest, RejectsValuesOutsideUnitRange) {
  ExpectThrowsWith(
      [] {
        PoissonEncode(at::tensor({0.5, 1.5}), 4, uint64_t{1});
      },
      "must lie in [0, 1]");
  ExpectThrowsWith([] { PoissonEncode(at::tensor({-0.1}), 4, uint64_t{1}); }, "must lie in [0, 1]");
  ExpectThrowsWith([] { PoissonEncode(at::ones({2}, at::kLong), 4, uint64_t{1}); },
                   "floating-point");
  ExpectThrowsWith([] { PoissonEncode(at::ones({2}), 0, uint64_t{1}); }, "steps must be >= 1");
}

TEST(LatencyEncodeTest, SpikesOnceAtTheDocumentedStep) {
  // steps = 5: step = round((1 - x) * 4).
  const at::Tensor x = at::tensor({1.0, 0.5, 0.25, 0.0, 0.01, 0.8}, at::kDouble).view({1, 6});
  const at::Tensor spikes = LatencyEncode(x, 5);
  ASSERT_EQ(spikes.sizes(), (std::vector<int64_t>{5, 1, 6}));
  const std::vector<int64_t> expected_step = {0, 2, 3, -1, 4, 1};  // -1: never
  for (int64_t i = 0; i < 6; ++i) {
    const at::Tensor train = spikes.select(2, i).flatten();
    if (expected_step[i] < 0) {
      EXPECT_EQ(train.sum().item<double>(), 0) << "i=" << i;
      continue;
    }
    EXPECT_EQ(train.sum().item<double>(), 1) << "i=" << i;
    EXPECT_EQ(train[expected_step[i]].item<double>(), 1) << "i=" << i;
  }
  // One step: every positive input spikes at once.
  EXPECT_TRUE(at::equal(LatencyEncode(x, 1)[0], x.gt(0).to(at::kDouble)));
  ExpectThrowsWith([] { LatencyEncode(at::tensor({2.0}), 3); }, "must lie in [0, 1]");
}

// Raw images [B, 2, 4, 4] in [0, 1] with a few exact 0s and 1s, and their dataset indices.
at::Tensor RawImages(int64_t batch) {
  at::manual_seed(3);
  at::Tensor x = at::rand({batch, 2, 4, 4});
  x.select(2, 0).fill_(0);
  x.select(2, 1).fill_(1);
  return x;
}

InputEncoder Encoder(InputCode code) { return InputEncoder(code, {0.25, 0.5}, {0.5, 2.0}, 11); }

TEST(InputEncoderTest, DirectIsTheNormalisedImage) {
  const at::Tensor x = RawImages(3);
  const at::Tensor idx = at::arange(3, at::kLong);
  const at::Tensor normalised = Encoder(InputCode::kDirect).Encode(x, idx, 0, 4);
  ASSERT_EQ(normalised.sizes(), x.sizes());
  EXPECT_TRUE(at::allclose(normalised.select(1, 0), (x.select(1, 0) - 0.25) / 0.5));
  EXPECT_TRUE(at::allclose(normalised.select(1, 1), (x.select(1, 1) - 0.5) / 2.0));
  const at::Tensor steps = Encoder(InputCode::kDirect).EncodeSteps(x, idx, 0, 4, 1, 2);
  ASSERT_EQ(steps.size(0), 2);
  EXPECT_TRUE(at::equal(steps[1], normalised));
}

// An image's Poisson train depends on its dataset index, the stream and t only: not on the batch
// it is in, its position there, the steps asked for, or the thread count.
TEST(InputEncoderTest, PoissonIsKeyedByImageAndStep) {
  const InputEncoder enc = Encoder(InputCode::kPoisson);
  const at::Tensor x = RawImages(4);
  const at::Tensor idx = at::tensor({7, 3, 12, 0}, at::kLong);
  const at::Tensor all = enc.Encode(x, idx, /*stream=*/2, /*steps=*/6);
  ASSERT_EQ(all.sizes(), (std::vector<int64_t>{6, 4, 2, 4, 4}));
  // Image 12 alone, and the batch reversed.
  const at::Tensor one = enc.Encode(x.narrow(0, 2, 1), idx.narrow(0, 2, 1), 2, 6);
  EXPECT_TRUE(at::equal(one.select(1, 0), all.select(1, 2)));
  const at::Tensor rev = at::arange(3, -1, -1, at::kLong);
  EXPECT_TRUE(at::equal(enc.Encode(x.index_select(0, rev), idx.index_select(0, rev), 2, 6),
                        all.index_select(1, rev)));
  // A window of steps is the same slice of the whole train.
  EXPECT_TRUE(at::equal(enc.EncodeSteps(x, idx, 2, 6, 3, 2), all.narrow(0, 3, 2)));
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  EXPECT_TRUE(at::equal(enc.Encode(x, idx, 2, 6), all));
  at::set_num_threads(threads);
  // Another stream, seed or index draws anew.
  EXPECT_FALSE(at::equal(enc.Encode(x, idx, 3, 6), all));
  EXPECT_FALSE(at::equal(InputEncoder(InputCode::kPoisson, {0.25, 0.5}, {0.5, 2.0}, 12)
                             .Encode(x, idx, 2, 6),
                         all));
  EXPECT_FALSE(at::equal(enc.Encode(x, idx + 1, 2, 6), all));
}

// Poisson spikes are 0 / 1 before normalisation, x = 0 never and x = 1 always spikes, and the
// mean over many steps approaches the normalised image.
TEST(InputEncoderTest, PoissonRatesApproachTheNormalisedImage) {
  const InputEncoder enc = Encoder(InputCode::kPoisson);
  const at::Tensor x = RawImages(2);
  const at::Tensor idx = at::arange(2, at::kLong);
  const int64_t steps = 4000;
  const at::Tensor s = enc.Encode(x, idx, 0, steps);
  // Undo the normalisation: channel 0 scale 0.5 shift 0.25, channel 1 scale 2 shift 0.5.
  const at::Tensor mean = at::tensor({0.25, 0.5}).view({1, 1, 2, 1, 1});
  const at::Tensor std = at::tensor({0.5, 2.0}).view({1, 1, 2, 1, 1});
  const at::Tensor spikes = s * std + mean;
  EXPECT_TRUE(at::allclose(spikes, spikes.round(), 0, 1e-6));
  EXPECT_EQ(spikes.select(3, 0).abs().max().item<float>(), 0.0f);
  EXPECT_GT(spikes.select(3, 1).min().item<float>(), 0.999f);
  EXPECT_LT((spikes.mean(0) - x).abs().max().item<float>(), 0.04f);
  EXPECT_TRUE(at::allclose(s.mean(0), enc.Normalise(x), 0, 0.1));
}

// The draws of a fixed key, checked in: records made with Poisson input stay reproducible only
// while the keying (SplitMix64 of seed, stream, image index, step, element) is unchanged.
TEST(InputEncoderTest, PoissonDrawsOfAFixedKeyAreGolden) {
  const InputEncoder enc(InputCode::kPoisson, {0.0}, {1.0}, /*seed=*/11);
  const at::Tensor x = at::full({2, 1, 2, 8}, 0.5);
  const at::Tensor spikes = enc.Encode(x, at::tensor({7, 1234567}, at::kLong), /*stream=*/2, 2);
  const at::Tensor bits = spikes.flatten().to(at::kLong);
  std::string got;
  for (int64_t i = 0; i < bits.numel(); ++i) got += bits[i].item<int64_t>() != 0 ? '1' : '0';
  // Time-major, [t][b][element]: step 0 of image 7, of image 1234567, then step 1 of each.
  EXPECT_EQ(got, "0100101111001001001010101101001011111001000000001111000010000111");
}

TEST(InputEncoderTest, LatencyIsLatencyEncodeNormalised) {
  const InputEncoder enc = Encoder(InputCode::kLatency);
  const at::Tensor x = RawImages(3);
  const at::Tensor idx = at::arange(3, at::kLong);
  const at::Tensor expected = LatencyEncode(x, 5);
  const at::Tensor got = enc.Encode(x, idx, 0, 5);
  for (int64_t t = 0; t < 5; ++t) EXPECT_TRUE(at::allclose(got[t], enc.Normalise(expected[t])));
  EXPECT_TRUE(at::equal(enc.EncodeSteps(x, idx, 0, 5, 2, 3), got.narrow(0, 2, 3)));
}

TEST(InputEncoderTest, RejectsBadInput) {
  const InputEncoder enc = Encoder(InputCode::kPoisson);
  const at::Tensor idx = at::arange(2, at::kLong);
  ExpectThrowsWith([&] { enc.Encode(at::ones({2, 2, 3, 3}, at::kLong), idx, 0, 4); },
                   "floating-point");
  ExpectThrowsWith([&] { enc.Encode(at::rand({2, 3, 3, 3}), idx, 0, 4); }, "C = 2");
  ExpectThrowsWith([&] { enc.Encode(at::rand({2, 2, 3, 3}), at::arange(3, at::kLong), 0, 4); },
                   "indices must be [B]");
  ExpectThrowsWith([&] { enc.EncodeSteps(at::rand({2, 2, 3, 3}), idx, 0, 4, 3, 2); },
                   "not within [0, 4)");
  ExpectThrowsWith([] { InputEncoder(InputCode::kPoisson, {0.5}, {0.0}, 1); }, "std must be > 0");
}

}  // namespace
}  // namespace lasnn
