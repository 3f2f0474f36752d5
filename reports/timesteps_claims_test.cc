// "Timesteps to match LaSNN" claims a direction only when the seeds support it: the ratio's
// bootstrap pools the seeds per image, so a method can miss the pooled reference accuracy in every
// resample while the seeds, counted, do not separate it from LaSNN.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmarks/experiment/outcomes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reports/report.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kImages = 2000;

// A T = 4 record of `m` on kImages images whose prediction at every t is right for exactly the
// images in [0, right) (label: image index mod 10).
RunRecord Trained(Method m, uint64_t seed, int right) {
  RunRecord r;
  r.set_config_hash(absl::StrCat(static_cast<int>(m), "_", seed));
  r.set_status(RunRecord::OK);
  r.mutable_config()->set_method(m);
  r.mutable_config()->set_seed(seed);
  r.mutable_config()->mutable_data()->set_kind(datasets::DATASET_KIND_FASHION_MNIST);
  r.mutable_config()->mutable_eval()->set_reference_timesteps(4);
  r.set_student_name("student");
  r.set_train_timesteps(4);
  r.set_eval_samples(kImages);
  std::vector<int64_t> labels(kImages);
  std::vector<int64_t> pred(kImages);
  for (int i = 0; i < kImages; ++i) {
    labels[i] = i % 10;
    pred[i] = i < right ? labels[i] : (labels[i] + 1) % 10;
  }
  absl::StatusOr<EvalOutcomes> o = PackOutcomes(0, "", labels, {pred, pred, pred, pred});
  EXPECT_THAT(o, IsOk());
  *r.mutable_outcomes() = *o;
  for (int t = 0; t < 4; ++t) r.add_accuracy_at_t(static_cast<double>(right) / kImages);
  return r;
}

std::string MatchSentences(const std::vector<RunRecord>& records) {
  const std::string md = MarkdownReport(records, ReportOptions{});
  const size_t at = md.find("### Timesteps to match LaSNN");
  EXPECT_NE(at, std::string::npos) << md;
  return md.substr(at, md.find("### ", at + 4) - at);
}

TEST(TimestepsClaimsTest, PooledImagesAloneDoNotMakeAClaimTheSeedsDoNotSupport) {
  // LaSNN 91.0, 93.0, 92.0 (mean 92.0); logit KD 90.0, 93.2, 91.4 (mean 91.53): below the pooled
  // reference on every image resample, but seed by seed the gap is -1.0, +0.2, -0.6.
  std::vector<RunRecord> noisy = {Trained(LASNN_JOINT, 1, 1820), Trained(LASNN_JOINT, 2, 1860),
                                  Trained(LASNN_JOINT, 3, 1840), Trained(LOGIT_KD, 1, 1800),
                                  Trained(LOGIT_KD, 2, 1864), Trained(LOGIT_KD, 3, 1828)};
  const std::string s = MatchSentences(noisy);
  EXPECT_THAT(s, HasSubstr("never reached in any resample"));
  EXPECT_THAT(s, HasSubstr("but the budget does not resolve whether LaSNN needs fewer timesteps"));
  EXPECT_THAT(s, HasSubstr("at T = 4 LaSNN minus it is"));
  EXPECT_THAT(s, Not(HasSubstr("; LaSNN needs fewer timesteps")));

  // The same mean gap with seeds that agree (each 2 points under LaSNN's): claimed.
  std::vector<RunRecord> steady = {Trained(LASNN_JOINT, 1, 1820), Trained(LASNN_JOINT, 2, 1860),
                                   Trained(LASNN_JOINT, 3, 1840), Trained(LOGIT_KD, 1, 1780),
                                   Trained(LOGIT_KD, 2, 1820), Trained(LOGIT_KD, 3, 1800)};
  EXPECT_THAT(MatchSentences(steady), HasSubstr("not reached within T≤4; LaSNN needs fewer "
                                                "timesteps"));
}

}  // namespace
}  // namespace lasnn
