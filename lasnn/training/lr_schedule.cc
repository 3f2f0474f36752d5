#include "lasnn/training/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace lasnn {

double LearningRateAt(const ScheduleConfig& schedule, double base_lr, int64_t step,
                      int64_t steps_per_epoch, int64_t total_steps) {
  const int64_t warmup_steps =
      static_cast<int64_t>(std::llround(schedule.warmup_epochs() * steps_per_epoch));
  if (step < warmup_steps) {
    return base_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  }
  const int64_t after = step - warmup_steps;
  const int64_t span = std::max<int64_t>(1, total_steps - warmup_steps);
  switch (schedule.kind()) {
    case ScheduleConfig::CONSTANT:
      return base_lr;
    case ScheduleConfig::STEP: {
      const double epoch = static_cast<double>(step) / static_cast<double>(steps_per_epoch);
      int passed = 0;
      for (double m : schedule.milestones_epochs()) passed += epoch >= m ? 1 : 0;
      return base_lr * std::pow(schedule.gamma(), passed);
    }
    case ScheduleConfig::COSINE:
    default: {
      const double progress =
          std::min(1.0, static_cast<double>(after) / static_cast<double>(span));
      const double floor = schedule.min_lr_fraction();
      return base_lr * (floor + (1.0 - floor) * 0.5 * (1.0 + std::cos(M_PI * progress)));
    }
  }
}

absl::Status ValidateSchedule(const ScheduleConfig& schedule, int32_t epochs) {
  if (!(schedule.warmup_epochs() >= 0) || schedule.warmup_epochs() > epochs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "schedule.warmup_epochs must be in [0, epochs=", epochs, "], got ",
        schedule.warmup_epochs()));
  }
  if (!(schedule.gamma() > 0 && schedule.gamma() <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("schedule.gamma must be in (0, 1], got ", schedule.gamma()));
  }
  if (!(schedule.min_lr_fraction() >= 0 && schedule.min_lr_fraction() <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "schedule.min_lr_fraction must be in [0, 1], got ", schedule.min_lr_fraction()));
  }
  double last = -1;
  for (int i = 0; i < schedule.milestones_epochs_size(); ++i) {
    double m = schedule.milestones_epochs(i);
    if (!(m > last) || m > epochs) {
      return absl::InvalidArgumentError(absl::StrCat(
          "schedule.milestones_epochs[", i, "] must increase and lie in [0, epochs=", epochs,
          "], got ", m));
    }
    last = m;
  }
  return absl::OkStatus();
}

}  // namespace lasnn
