#include "lasnn/training/lr_schedule.h"

#include <cmath>

#include "gtest/gtest.h"

namespace lasnn {
namespace {

TEST(LrScheduleTest, CosineStartsAtBaseAndEndsNearFloor) {
  ScheduleConfig s;  // COSINE, no warm-up
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 0.1, 0, 10, 100), 0.1);
  EXPECT_NEAR(LearningRateAt(s, 0.1, 50, 10, 100), 0.05, 1e-12);
  EXPECT_NEAR(LearningRateAt(s, 0.1, 100, 10, 100), 0.0, 1e-12);
  s.set_min_lr_fraction(0.1);
  EXPECT_NEAR(LearningRateAt(s, 0.1, 100, 10, 100), 0.01, 1e-12);
}

TEST(LrScheduleTest, WarmupIsLinearThenSchedule) {
  ScheduleConfig s;
  s.set_kind(ScheduleConfig::CONSTANT);
  s.set_warmup_epochs(1);
  EXPECT_NEAR(LearningRateAt(s, 0.2, 0, 4, 40), 0.05, 1e-12);
  EXPECT_NEAR(LearningRateAt(s, 0.2, 3, 4, 40), 0.2, 1e-12);
  EXPECT_NEAR(LearningRateAt(s, 0.2, 20, 4, 40), 0.2, 1e-12);
}

TEST(LrScheduleTest, StepDecaysAtMilestones) {
  ScheduleConfig s;
  s.set_kind(ScheduleConfig::STEP);
  s.add_milestones_epochs(2);
  s.add_milestones_epochs(4);
  EXPECT_NEAR(LearningRateAt(s, 1.0, 19, 10, 60), 1.0, 1e-12);
  EXPECT_NEAR(LearningRateAt(s, 1.0, 20, 10, 60), 0.1, 1e-12);
  EXPECT_NEAR(LearningRateAt(s, 1.0, 45, 10, 60), 0.01, 1e-12);
}

TEST(LrScheduleTest, ValidationNamesTheField) {
  ScheduleConfig s;
  s.set_gamma(0);
  absl::Status st = ValidateSchedule(s, 10);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("schedule.gamma"), std::string::npos) << st;
  s.set_gamma(0.1);
  s.add_milestones_epochs(5);
  s.add_milestones_epochs(3);
  st = ValidateSchedule(s, 10);
  EXPECT_NE(st.message().find("schedule.milestones_epochs[1]"), std::string::npos) << st;
  ScheduleConfig w;
  w.set_warmup_epochs(-1);
  EXPECT_NE(ValidateSchedule(w, 10).message().find("schedule.warmup_epochs"), std::string::npos);
  EXPECT_TRUE(ValidateSchedule(ScheduleConfig(), 10).ok());
}

}  // namespace
}  // namespace lasnn
