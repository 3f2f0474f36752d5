// Learning-rate schedules per optimisation step (ScheduleConfig in train_config.proto): linear
// warm-up, then cosine annealing (Loshchilov & Hutter 2017), step decay, or constant.
#ifndef LASNN_LASNN_LR_SCHEDULE_H_
#define LASNN_LASNN_LR_SCHEDULE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "lasnn/training/train_config.pb.h"

namespace lasnn {

// The learning rate for 0-based `step` of a run of `total_steps` steps, `steps_per_epoch` each
// epoch. Warm-up rises linearly to base_lr over warmup_epochs (first step at base_lr / W_steps);
// the schedule then covers the remaining steps.
double LearningRateAt(const ScheduleConfig& schedule, double base_lr, int64_t step,
                      int64_t steps_per_epoch, int64_t total_steps);

// InvalidArgument naming the field ("schedule.gamma must be in (0, 1]") for out-of-range values.
absl::Status ValidateSchedule(const ScheduleConfig& schedule, int32_t epochs);

}  // namespace lasnn

#endif  // LASNN_LASNN_LR_SCHEDULE_H_
