// The trainer's bookkeeping of training metrics: the run directory's metrics.csv (one line per
// event, appended and flushed as written) and the step sums behind each logged window and epoch,
// kept on the training device so that metering a step never waits for it.
#ifndef LASNN_LASNN_TRAINING_METRICS_LOG_H_
#define LASNN_LASNN_TRAINING_METRICS_LOG_H_

#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lasnn/training/train_run.pb.h"

namespace lasnn {

// metrics.csv's header line.
inline constexpr absl::string_view kMetricsCsvHeader =
    "event,epoch,step,lr,loss,ce,kd,feature,train_acc,holdout_acc,images_per_s,seconds,message";

// One metrics.csv line: `event` ("step", "epoch", "diverged", "collapsed"), the metrics, and a
// message (no commas).
std::string MetricsCsvLine(absl::string_view event, const EpochMetrics& m,
                           absl::string_view message);

// Appends lines to run_dir/metrics.csv, one per event, flushed as written.
class MetricsLog {
 public:
  // path "": a log that discards. A new file starts with kMetricsCsvHeader; an existing one (a
  // resumed run) is appended to. The errno of a failed open, naming the path.
  static absl::StatusOr<std::unique_ptr<MetricsLog>> Open(const std::string& path);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  // The errno of a failed write or flush, naming the path.
  absl::Status Write(absl::string_view line);

 private:
  MetricsLog(std::string path, std::FILE* f) : path_(std::move(path)), file_(f) {}
  std::string path_;
  std::FILE* file_;
};

// Sums of [loss, ce, kd, feature, correct] over steps. The sums stay on the training device, so
// metering a step never waits for it; they are read on the host at log intervals only. The counts
// are the host's.
struct MeterSums {
  at::Tensor sums;  // [5] float64
  int64_t steps = 0;
  int64_t images = 0;
  int64_t logit_steps = 0;        // steps with logits (CE, KD, accuracy)
  int64_t classified_images = 0;  // their images
  int64_t feature_steps = 0;      // steps with an attention / feature term

  // Zero sums (float64, on `options`' device) and counts.
  void Reset(const c10::TensorOptions& options);
  // Adds `other` to these sums and clears it.
  void Absorb(MeterSums& other);
  void ClearCounts() {
    steps = images = logit_steps = classified_images = feature_steps = 0;
  }
};

// Means of `m`'s sums (host copy `sums`) for 0-based `epoch`: the loss over every step, CE, KD
// and the training accuracy over the steps with logits, the feature term over the steps that
// computed it (so STAGE_BY_STAGE's phases do not dilute each other's means).
EpochMetrics MetricsFromSums(int64_t epoch, double lr, const at::Tensor& sums,
                             const MeterSums& m);

}  // namespace lasnn

#endif  // LASNN_LASNN_TRAINING_METRICS_LOG_H_
