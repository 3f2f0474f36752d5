#include "lasnn/training/metrics_log.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_format.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn {

std::string MetricsCsvLine(absl::string_view event, const EpochMetrics& m,
                           absl::string_view message) {
  return absl::StrFormat("%s,%d,%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.6g,%.6g,%s", event,
                         m.epoch(), m.step(), m.lr(), m.loss(), m.ce(), m.kd(), m.feature(),
                         m.train_accuracy(), m.holdout_accuracy(), m.images_per_second(),
                         m.seconds(), message);
}

absl::StatusOr<std::unique_ptr<MetricsLog>> MetricsLog::Open(const std::string& path) {
  if (path.empty()) return std::unique_ptr<MetricsLog>(new MetricsLog(path, nullptr));
  const bool fresh = !PathExists(path);
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return ErrnoToStatus(errno, "cannot open metrics log", path);
  auto log = std::unique_ptr<MetricsLog>(new MetricsLog(path, f));
  if (fresh) LASNN_RETURN_IF_ERROR(log->Write(kMetricsCsvHeader));
  return log;
}

MetricsLog::~MetricsLog() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status MetricsLog::Write(absl::string_view line) {
  if (file_ == nullptr) return absl::OkStatus();
  if (std::fprintf(file_, "%.*s\n", static_cast<int>(line.size()), line.data()) < 0 ||
      std::fflush(file_) != 0) {
    return ErrnoToStatus(errno, "cannot write metrics log", path_);
  }
  return absl::OkStatus();
}

void MeterSums::Reset(const c10::TensorOptions& options) {
  sums = at::zeros({5}, options);
  ClearCounts();
}

void MeterSums::Absorb(MeterSums& other) {
  sums += other.sums;
  steps += other.steps;
  images += other.images;
  logit_steps += other.logit_steps;
  classified_images += other.classified_images;
  feature_steps += other.feature_steps;
  other.sums.zero_();
  other.ClearCounts();
}

EpochMetrics MetricsFromSums(int64_t epoch, double lr, const at::Tensor& sums,
                             const MeterSums& m) {
  const double* v = sums.data_ptr<double>();
  auto over = [](int64_t n) { return static_cast<double>(std::max<int64_t>(1, n)); };
  EpochMetrics out;
  out.set_epoch(epoch + 1);
  out.set_lr(lr);
  out.set_loss(v[0] / over(m.steps));
  out.set_ce(v[1] / over(m.logit_steps));
  out.set_kd(v[2] / over(m.logit_steps));
  out.set_feature(v[3] / over(m.feature_steps));
  out.set_train_accuracy(v[4] / over(m.classified_images));
  return out;
}

}  // namespace lasnn
