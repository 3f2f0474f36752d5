#include "reports/records.h"

#include <cmath>
#include <string>
#include <vector>

#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "gtest/gtest.h"

namespace lasnn {
namespace report_internal {
namespace {

// An OK record of `method` with an accuracy curve of `curve`.
RunRecord Ok(Method method, std::vector<double> curve) {
  RunRecord r;
  r.set_status(RunRecord::OK);
  r.mutable_config()->set_method(method);
  for (double a : curve) r.add_accuracy_at_t(a);
  return r;
}

TEST(RecordsTest, MethodKinds) {
  for (Method m :
       {LASNN_JOINT, LASNN_CURRICULUM, LASNN_STAGE_BY_STAGE, LOGIT_KD, FEATURE_KD, DIRECT}) {
    EXPECT_TRUE(IsTrained(m)) << m;
    EXPECT_FALSE(IsConversion(m)) << m;
  }
  for (Method m : {CONVERSION_MAX, CONVERSION_ROBUST, CONVERSION_ROBUST_PER_CHANNEL, SPIKE_NORM,
                   QCFS, CONVERSION_MAX_AS_PUBLISHED, CONVERSION_ROBUST_AS_PUBLISHED,
                   SPIKE_NORM_AS_PUBLISHED}) {
    EXPECT_FALSE(IsTrained(m)) << m;
    EXPECT_TRUE(IsConversion(m)) << m;
    EXPECT_FALSE(IsLasnn(m)) << m;
  }
  EXPECT_TRUE(IsLasnn(LASNN_JOINT));
  EXPECT_TRUE(IsLasnn(LASNN_STAGEWISE));  // the old name of LASNN_CURRICULUM
  EXPECT_TRUE(IsLasnn(LASNN_STAGE_BY_STAGE));
  EXPECT_FALSE(IsLasnn(LOGIT_KD));
  EXPECT_FALSE(IsTrained(METHOD_UNSPECIFIED));
  EXPECT_FALSE(IsConversion(METHOD_UNSPECIFIED));
}

TEST(RecordsTest, Names) {
  EXPECT_EQ(MethodDisplayName(LASNN_JOINT), "LaSNN (joint)");
  EXPECT_EQ(MethodDisplayName(LASNN_CURRICULUM), "LaSNN (curriculum)");
  EXPECT_EQ(MethodDisplayName(LASNN_STAGE_BY_STAGE), "LaSNN (stage by stage)");
  EXPECT_EQ(MethodDisplayName(CONVERSION_ROBUST_PER_CHANNEL),
            "RobustNorm (per-channel) conversion (percentile incl. zeros)");
  // The improved variants and the variants as published are named as such.
  EXPECT_EQ(MethodDisplayName(CONVERSION_MAX),
            "MaxNorm conversion (improved: soft reset, analog input)");
  EXPECT_EQ(MethodDisplayName(CONVERSION_MAX_AS_PUBLISHED),
            "MaxNorm conversion (as published: Diehl 2015, reset to zero; analog input, not "
            "Poisson)");
  EXPECT_EQ(MethodDisplayName(CONVERSION_ROBUST_AS_PUBLISHED),
            "RobustNorm conversion (as published: Rueckauer 2017, non-zero percentile)");
  EXPECT_EQ(MethodDisplayName(SPIKE_NORM_AS_PUBLISHED),
            "Spike-Norm conversion (as published: Sengupta 2019, reset to zero; analog input, "
            "not Poisson)");
  EXPECT_EQ(MethodDisplayName(METHOD_UNSPECIFIED), "unknown method");
  EXPECT_EQ(DatasetName(datasets::DATASET_KIND_CIFAR10), "CIFAR-10");
  EXPECT_EQ(DatasetName(9999), "Unknown dataset");
  RunRecord r;
  r.set_status(RunRecord::DIVERGED);
  EXPECT_EQ(StatusName(r), "DIVERGED");
}

TEST(RecordsTest, StudentOfPrefersTheRecordThenTheConfigThenAConversionsTeacher) {
  RunRecord r = Ok(CONVERSION_MAX, {0.5});
  EXPECT_EQ(StudentOf(r), "-");
  r.mutable_config()->mutable_teacher()->mutable_model()->set_name("teacher_net");
  EXPECT_EQ(StudentOf(r), "teacher_net");
  r.mutable_config()->mutable_student()->set_name("config_student");
  EXPECT_EQ(StudentOf(r), "config_student");
  r.set_student_name("record_student");
  EXPECT_EQ(StudentOf(r), "record_student");
  // A trained SNN never takes its teacher's name.
  RunRecord trained = Ok(DIRECT, {0.5});
  trained.mutable_config()->mutable_teacher()->mutable_model()->set_name("teacher_net");
  EXPECT_EQ(StudentOf(trained), "-");
}

TEST(RecordsTest, TrainT) {
  RunRecord r = Ok(LASNN_JOINT, {});
  r.mutable_config()->mutable_train()->set_timesteps(8);
  EXPECT_EQ(TrainT(r), 8);
  r.set_train_timesteps(2);
  EXPECT_EQ(TrainT(r), 2);
  RunRecord conversion = Ok(CONVERSION_MAX, {0.5});
  conversion.mutable_config()->mutable_train()->set_timesteps(8);
  EXPECT_EQ(TrainT(conversion), 0);
}

TEST(RecordsTest, ExclusionReason) {
  RunRecord failed;
  failed.set_status(RunRecord::FAILED);
  EXPECT_EQ(ExclusionReason(failed), "-");
  failed.set_status_message("out of memory");
  EXPECT_EQ(ExclusionReason(failed), "out of memory");
  EXPECT_EQ(ExclusionReason(Ok(METHOD_UNSPECIFIED, {0.5})), "no method in the record's config");
  RunRecord trained = Ok(LASNN_JOINT, {0.5, 0.6});
  EXPECT_EQ(ExclusionReason(trained), "no train_timesteps");
  trained.set_train_timesteps(4);
  EXPECT_EQ(ExclusionReason(trained), "no accuracy at T = 4");
  trained.set_train_timesteps(2);
  EXPECT_EQ(ExclusionReason(trained), "");
  EXPECT_EQ(ExclusionReason(Ok(QCFS, {})), "no accuracy curve");
  EXPECT_EQ(ExclusionReason(Ok(QCFS, {0.5})), "");
}

TEST(RecordsTest, RecordLessOrdersByMethodThenSizeThenT) {
  RunRecord lasnn_t4 = Ok(LASNN_JOINT, {}), lasnn_t2 = Ok(LASNN_JOINT, {}),
            big = Ok(LASNN_JOINT, {}), maxnorm = Ok(CONVERSION_MAX, {});
  lasnn_t4.set_train_timesteps(4);
  lasnn_t2.set_train_timesteps(2);
  big.set_train_timesteps(1);
  big.set_student_parameters(1000);
  const std::vector<const RunRecord*> want = {&lasnn_t2, &lasnn_t4, &big, &maxnorm};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_FALSE(RecordLess(want[i], want[i])) << i;
    for (size_t j = i + 1; j < want.size(); ++j) {
      EXPECT_TRUE(RecordLess(want[i], want[j])) << i << " " << j;
      EXPECT_FALSE(RecordLess(want[j], want[i])) << i << " " << j;
    }
  }
}

TEST(RecordsTest, SamplesOfListsDistinctCountsAscending) {
  RunRecord a, b, c;
  a.set_eval_samples(10000);
  b.set_eval_samples(1000);
  c.set_eval_samples(1000);
  EXPECT_EQ(SamplesOf({&a}), "10000");
  EXPECT_EQ(SamplesOf({&a, &b, &c}), "1000 / 10000");
}

TEST(RecordsTest, AnnOfPrefersTheRecordsOwnAnn) {
  TeacherResult fallback;
  fallback.set_test_accuracy(0.9);
  RunRecord r;
  EXPECT_TRUE(std::isnan(AnnOf(r, nullptr)));
  EXPECT_DOUBLE_EQ(AnnOf(r, &fallback), 0.9);
  r.mutable_teacher()->set_test_accuracy(0.92);
  EXPECT_DOUBLE_EQ(AnnOf(r, &fallback), 0.92);
  r.set_ann_accuracy(0.95);
  EXPECT_DOUBLE_EQ(AnnOf(r, &fallback), 0.95);
}

TEST(RecordsTest, AnnOfADatasetTeacherIsOnTheRunsImagesWhenBothHaveOutcomes) {
  // The teacher on images 0..9: right on 0..4 only (50%, its whole-split accuracy).
  TeacherResult teacher;
  teacher.set_test_accuracy(0.5);
  EvalOutcomes* a = teacher.mutable_outcomes();
  a->set_first_image(0);
  a->set_num_images(10);
  a->set_labels(std::string(10, '\1'));
  a->add_predicted_at_t(std::string(5, '\1') + std::string(5, '\2'));
  RunRecord direct;  // no teacher of its own, evaluated on images 2..5
  direct.mutable_outcomes()->set_first_image(2);
  direct.mutable_outcomes()->set_num_images(4);
  EXPECT_DOUBLE_EQ(AnnOf(direct, &teacher), 0.75);
  direct.mutable_outcomes()->set_first_image(8);  // beyond the teacher's images: its accuracy
  EXPECT_DOUBLE_EQ(AnnOf(direct, &teacher), 0.5);
  direct.clear_outcomes();
  EXPECT_DOUBLE_EQ(AnnOf(direct, &teacher), 0.5);
}

TEST(RecordsTest, WithinOnePoint) {
  RunRecord r = Ok(CONVERSION_MAX, {0.5, 0.9, 0.925, 0.93});
  EXPECT_EQ(WithinOnePoint(r, 0.934), 3);  // 0.925 >= 0.934 - 0.01
  EXPECT_EQ(WithinOnePoint(r, 0.95), -1);
  EXPECT_EQ(WithinOnePoint(r, std::nan("")), -1);
  r.set_timesteps_within_1pt(2);
  EXPECT_EQ(WithinOnePoint(r, 0.934), 2);
}

}  // namespace
}  // namespace report_internal
}  // namespace lasnn
