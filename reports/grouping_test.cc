#include "reports/grouping.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "gtest/gtest.h"

namespace lasnn {
namespace report_internal {
namespace {

RunRecord Trained(uint64_t seed, int T, double acc) {
  RunRecord r;
  r.set_config_hash("lasnn_T" + std::to_string(T) + "_seed" + std::to_string(seed));
  r.set_status(RunRecord::OK);
  r.mutable_config()->set_method(LASNN_JOINT);
  r.mutable_config()->set_seed(seed);
  r.set_student_name("student");
  r.set_train_timesteps(T);
  for (int t = 1; t <= T; ++t) r.add_accuracy_at_t(t == T ? acc : 0.5);
  r.mutable_teacher()->set_model_name("teacher");
  r.mutable_teacher()->set_weights_sha256("aaaa");
  r.mutable_teacher()->set_test_accuracy(0.934);
  r.set_eval_samples(10000);
  return r;
}

RunRecord Conversion(uint64_t seed, std::vector<double> curve) {
  RunRecord r;
  r.set_config_hash("maxnorm_seed" + std::to_string(seed));
  r.set_status(RunRecord::OK);
  r.mutable_config()->set_method(CONVERSION_MAX);
  r.mutable_config()->set_seed(seed);
  r.set_student_name("teacher");
  r.set_ann_accuracy(0.93);
  for (double a : curve) r.add_accuracy_at_t(a);
  r.set_eval_subset(1000);
  r.set_eval_samples(1000);
  return r;
}

class GroupingTest : public ::testing::Test {
 protected:
  GroupingTest()
      : records_{Trained(1, 4, 0.9268), Trained(2, 4, 0.9292), Trained(1, 2, 0.91),
                 Conversion(2, {0.4, 0.8}), Conversion(1, {0.2, 0.6, 0.9})} {
    // One conversion names another teacher: the dataset's teacher is the one most records name.
    records_[4].mutable_teacher()->set_model_name("other");
    records_[4].mutable_teacher()->set_weights_sha256("bbbb");
  }

  std::vector<const RunRecord*> Pointers() const {
    std::vector<const RunRecord*> v;
    for (const RunRecord& r : records_) v.push_back(&r);
    return v;
  }

  std::vector<RunRecord> records_;
};

TEST_F(GroupingTest, GroupsTrainedRunsByTAndConversionsByMethod) {
  const Dataset d = MakeDataset(datasets::DATASET_KIND_FASHION_MNIST, Pointers());
  EXPECT_EQ(d.kind, datasets::DATASET_KIND_FASHION_MNIST);
  ASSERT_EQ(d.records.size(), 5u);
  EXPECT_EQ(d.records[0], &records_[2]);  // T = 2 first
  EXPECT_EQ(d.records[3], &records_[4]);  // conversions by seed
  ASSERT_NE(d.teacher, nullptr);
  EXPECT_EQ(d.teacher->model_name(), "teacher");
  ASSERT_EQ(d.other_teachers.size(), 1u);
  EXPECT_EQ(d.other_teachers[0]->model_name(), "other");

  ASSERT_EQ(d.trained.size(), 2u);
  EXPECT_EQ(d.trained[0].T, 2);
  EXPECT_EQ(d.trained[0].acc, std::vector<double>({0.91}));
  EXPECT_EQ(d.trained[1].T, 4);
  EXPECT_EQ(d.trained[1].student, "student");
  EXPECT_EQ(d.trained[1].acc, std::vector<double>({0.9268, 0.9292}));
  EXPECT_EQ(d.trained[1].ann, std::vector<double>({0.934, 0.934}));

  ASSERT_EQ(d.conversions.size(), 1u);
  const ConversionGroup& g = d.conversions[0];
  EXPECT_EQ(g.runs.size(), 2u);
  // The mean curve over the shortest run's length.
  ASSERT_EQ(g.curve.size(), 2u);
  EXPECT_NEAR(g.curve[0], 0.3, 1e-12);
  EXPECT_NEAR(g.curve[1], 0.7, 1e-12);
  EXPECT_EQ(g.ann, std::vector<double>({0.93, 0.93}));
  EXPECT_EQ(AccuraciesAt(g, 2), std::vector<double>({0.6, 0.8}));
}

TEST_F(GroupingTest, DoesNotDependOnTheInputOrder) {
  std::vector<const RunRecord*> reversed = Pointers();
  std::reverse(reversed.begin(), reversed.end());
  const Dataset a = MakeDataset(0, Pointers()), b = MakeDataset(0, reversed);
  EXPECT_EQ(a.records, b.records);
  EXPECT_EQ(a.teacher, b.teacher);
  ASSERT_EQ(a.trained.size(), b.trained.size());
  for (size_t i = 0; i < a.trained.size(); ++i) EXPECT_EQ(a.trained[i].runs, b.trained[i].runs);
  ASSERT_EQ(a.conversions.size(), b.conversions.size());
  EXPECT_EQ(a.conversions[0].curve, b.conversions[0].curve);
}

TEST_F(GroupingTest, EvaluationSentences) {
  const Dataset d = MakeDataset(0, Pointers());
  EXPECT_EQ(EvaluationSentences(d),
            std::vector<std::string>(
                {"Trained SNNs evaluated on the whole test set (10000 images).",
                 "Conversion curves evaluated on the first 1000 test images."}));
  records_[3].set_eval_subset(2000);
  records_[3].set_eval_samples(1500);
  EXPECT_EQ(EvaluationSentences(MakeDataset(0, Pointers())),
            std::vector<std::string>(
                {"Trained SNNs evaluated on the whole test set (10000 images).",
                 "Conversion curves (MaxNorm conversion (improved: soft reset, analog input)) "
                 "evaluated on the first 1000 test images.",
                 "Conversion curves (MaxNorm conversion (improved: soft reset, analog input)) "
                 "evaluated on the first 2000 test images (1500 evaluated)."}));
}

TEST(GroupingCellsTest, GapAndAnnCells) {
  // (0.934 - 0.9268 + 0.934 - 0.9292) / 2 = 0.006.
  EXPECT_EQ(GapOf({0.934, 0.934}, {0.9268, 0.9292}), "0.60");
  EXPECT_EQ(GapOf({0.934, std::nan("")}, {0.9268, 0.9292}), "-");
  EXPECT_EQ(AnnCell({0.934, 0.934}), "93.40");
  EXPECT_EQ(AnnCell({0.934, std::nan("")}), "-");
  EXPECT_EQ(GroupName(LOGIT_KD, "student", true), "Logit KD on student");
  EXPECT_EQ(GroupName(LOGIT_KD, "student", false), "Logit KD");
}

TEST(GroupingCellsTest, ConversionRowsT) {
  RunRecord r;
  ConversionGroup g;
  g.runs = {&r};
  g.curve.assign(100, 0.5);
  EXPECT_EQ(ConversionRowsT(g), std::vector<int>({16, 32, 64}));  // the default rows in the curve
  g.curve.assign(8, 0.5);
  EXPECT_EQ(ConversionRowsT(g), std::vector<int>({8}));  // none: the curve's length
  r.add_costs()->set_timesteps(128);
  r.add_costs()->set_timesteps(4);
  g.curve.assign(256, 0.5);
  EXPECT_EQ(ConversionRowsT(g), std::vector<int>({4, 128}));  // the record's cost timesteps
}

}  // namespace
}  // namespace report_internal
}  // namespace lasnn
