#include "reports/reference.h"

#include <string>
#include <vector>

#include "benchmarks/experiment/run_record.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reports/grouping.h"

namespace lasnn {
namespace report_internal {
namespace {

using ::testing::HasSubstr;

RunRecord Trained(Method m, const std::string& student, int T, double acc, int fixed_T = 0) {
  RunRecord r;
  r.set_config_hash(student + std::to_string(T) + std::to_string(static_cast<int>(m)));
  r.set_status(RunRecord::OK);
  r.mutable_config()->set_method(m);
  if (fixed_T > 0) r.mutable_config()->mutable_eval()->set_reference_timesteps(fixed_T);
  r.set_student_name(student);
  r.set_train_timesteps(T);
  for (int t = 1; t <= T; ++t) r.add_accuracy_at_t(acc);
  r.set_ann_accuracy(0.93);
  return r;
}

Dataset Make(const std::vector<RunRecord>& records) {
  std::vector<const RunRecord*> p;
  for (const RunRecord& r : records) p.push_back(&r);
  return MakeDataset(0, p);
}

TEST(ReferenceTest, FixedInTheConfig) {
  // LaSNN at T = 2 is the most accurate and within 1 point, but the config fixes T = 4.
  const std::vector<RunRecord> records = {
      Trained(LASNN_JOINT, "small", 2, 0.929, 4), Trained(LASNN_JOINT, "small", 4, 0.90, 4),
      Trained(LASNN_STAGEWISE, "small", 4, 0.91, 4), Trained(LOGIT_KD, "small", 4, 0.95, 4)};
  const Dataset d = Make(records);
  const Reference ref = ChooseReference(d);
  ASSERT_NE(ref.group, nullptr);
  EXPECT_EQ(ref.group->method, LASNN_JOINT);  // joint before stagewise at the same T
  EXPECT_EQ(ref.group->T, 4);
  EXPECT_THAT(ref.rule, HasSubstr("eval.reference_timesteps = 4"));
  EXPECT_EQ(ref.note, "");
}

TEST(ReferenceTest, LargestTWhenNothingIsFixedNeverTheMostAccurate) {
  const std::vector<RunRecord> records = {Trained(LASNN_JOINT, "small", 2, 0.93),
                                          Trained(LASNN_JOINT, "small", 8, 0.80),
                                          Trained(LASNN_STAGEWISE, "small", 8, 0.92)};
  const Dataset d = Make(records);
  const Reference ref = ChooseReference(d);
  ASSERT_NE(ref.group, nullptr);
  EXPECT_EQ(ref.group->method, LASNN_JOINT);
  EXPECT_EQ(ref.group->T, 8);
  EXPECT_THAT(ref.rule, HasSubstr("largest T"));
}

TEST(ReferenceTest, DisagreeingOrUnmatchedFixedT) {
  const std::vector<RunRecord> disagree = {Trained(LASNN_JOINT, "small", 2, 0.9, 2),
                                           Trained(LASNN_JOINT, "small", 4, 0.9, 4),
                                           Trained(DIRECT, "small", 4, 0.9, 4)};
  const Dataset d = Make(disagree);
  const Reference ref = ChooseReference(d);
  ASSERT_NE(ref.group, nullptr);
  EXPECT_EQ(ref.group->T, 4);
  EXPECT_THAT(ref.note, HasSubstr("disagree on eval.reference_timesteps (2, 4)"));

  const std::vector<RunRecord> unmatched = {Trained(LASNN_JOINT, "small", 2, 0.9, 16),
                                            Trained(LASNN_JOINT, "small", 4, 0.9, 16)};
  const Dataset u = Make(unmatched);
  const Reference r2 = ChooseReference(u);
  ASSERT_NE(r2.group, nullptr);
  EXPECT_EQ(r2.group->T, 4);
  EXPECT_THAT(r2.note, HasSubstr("no LaSNN result has that T"));
  EXPECT_THAT(r2.rule, HasSubstr("largest T"));

  const std::vector<RunRecord> none = {Trained(DIRECT, "small", 2, 0.9)};
  const Dataset n = Make(none);
  EXPECT_EQ(ChooseReference(n).group, nullptr);
}

}  // namespace
}  // namespace report_internal
}  // namespace lasnn
