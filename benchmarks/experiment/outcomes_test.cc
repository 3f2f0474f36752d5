#include "benchmarks/experiment/outcomes.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(OutcomesTest, PackUnpackRoundTrip) {
  const std::vector<int64_t> labels = {0, 9, 255, 3};
  const std::vector<std::vector<int64_t>> pred = {{1, 9, 0, 3}, {0, 9, 255, 3}};
  absl::StatusOr<EvalOutcomes> o = PackOutcomes(100, "abc", labels, pred);
  ASSERT_THAT(o.status(), IsOk());
  EXPECT_EQ(o->first_image(), 100);
  EXPECT_EQ(o->num_images(), 4);
  EXPECT_EQ(o->images_sha256(), "abc");
  ASSERT_EQ(o->predicted_at_t_size(), 2);
  EvalOutcomes parsed;
  ASSERT_TRUE(parsed.ParseFromString(o->SerializeAsString()));
  ASSERT_EQ(parsed.labels().size(), 4u);
  for (size_t i = 0; i < labels.size(); ++i) {
    EXPECT_EQ(static_cast<uint8_t>(parsed.labels()[i]), labels[i]);
    for (size_t t = 0; t < pred.size(); ++t) {
      EXPECT_EQ(static_cast<uint8_t>(parsed.predicted_at_t(t)[i]), pred[t][i]);
    }
  }
  absl::StatusOr<std::vector<std::vector<bool>>> correct = CorrectAtT(parsed);
  ASSERT_THAT(correct.status(), IsOk());
  EXPECT_THAT((*correct)[0], ElementsAre(false, true, false, true));
  EXPECT_THAT((*correct)[1], ElementsAre(true, true, true, true));
  absl::StatusOr<std::vector<double>> acc = AccuracyFromOutcomes(parsed);
  ASSERT_THAT(acc.status(), IsOk());
  EXPECT_THAT(*acc, ElementsAre(0.5, 1.0));
}

TEST(OutcomesTest, TenThousandImagesAt256StepsIsAFewMegabytes) {
  std::vector<int64_t> labels(10000);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int64_t>(i % 10);
  std::vector<std::vector<int64_t>> pred(256, labels);
  absl::StatusOr<EvalOutcomes> o = PackOutcomes(0, "", labels, pred);
  ASSERT_THAT(o.status(), IsOk());
  EXPECT_LT(o->ByteSizeLong(), 3u * 1000 * 1000);
}

TEST(OutcomesTest, RejectsClassesThatDoNotFitAByte) {
  EXPECT_THAT(PackOutcomes(0, "", {256}, {{0}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("labels[0] = 256")));
  EXPECT_THAT(PackOutcomes(0, "", {1}, {{-1}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("predicted_at_t[0][0]")));
  EXPECT_THAT(PackOutcomes(0, "", {1, 2}, {{1}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 classes for 2 images")));
  EXPECT_THAT(PackOutcomes(-1, "", {1}, {{1}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outside")));
}

TEST(OutcomesTest, MalformedOutcomesAreDataLoss) {
  EvalOutcomes o;
  o.set_num_images(2);
  o.set_labels("a");
  EXPECT_THAT(CheckOutcomes(o), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("labels")));
  o.set_labels("ab");
  o.add_predicted_at_t("abc");
  EXPECT_THAT(AccuracyFromOutcomes(o).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("predicted_at_t[0]")));
}

}  // namespace
}  // namespace lasnn
