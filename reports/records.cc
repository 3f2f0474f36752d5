#include "reports/records.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "lasnn/models/model_spec.h"
#include "reports/stats.h"

namespace lasnn {

std::string MethodDisplayName(Method method) {
  switch (method) {
    case LASNN_JOINT: return "LaSNN (joint)";
    // The two readings of the paper's layer-wise paradigm, named for what they do; neither is
    // "the paper's" (DESIGN.md).
    case LASNN_CURRICULUM: return "LaSNN (curriculum)";
    case LASNN_STAGE_BY_STAGE: return "LaSNN (stage by stage)";
    case LOGIT_KD: return "Logit KD";
    case FEATURE_KD: return "Feature KD";
    case DIRECT: return "Direct (surrogate BPTT)";
    // Each conversion says how it differs from its paper (baselines/conversion/README.md).
    case CONVERSION_MAX: return "MaxNorm conversion (improved: soft reset, analog input)";
    case CONVERSION_MAX_AS_PUBLISHED:
      return "MaxNorm conversion (as published: Diehl 2015, reset to zero; analog input, not "
             "Poisson)";
    case CONVERSION_ROBUST: return "RobustNorm conversion (percentile incl. zeros)";
    case CONVERSION_ROBUST_AS_PUBLISHED:
      return "RobustNorm conversion (as published: Rueckauer 2017, non-zero percentile)";
    case CONVERSION_ROBUST_PER_CHANNEL:
      return "RobustNorm (per-channel) conversion (percentile incl. zeros)";
    case SPIKE_NORM: return "Spike-Norm conversion (improved: soft reset, analog input)";
    case SPIKE_NORM_AS_PUBLISHED:
      return "Spike-Norm conversion (as published: Sengupta 2019, reset to zero; analog input, "
             "not Poisson)";
    case QCFS: return "QCFS conversion";
    default: return "unknown method";
  }
}

namespace report_internal {

bool IsTrained(Method m) {
  return m == LASNN_JOINT || m == LASNN_CURRICULUM || m == LASNN_STAGE_BY_STAGE ||
         m == LOGIT_KD || m == FEATURE_KD || m == DIRECT;
}
bool IsLasnn(Method m) {
  return m == LASNN_JOINT || m == LASNN_CURRICULUM || m == LASNN_STAGE_BY_STAGE;
}
bool IsConversion(Method m) { return m != METHOD_UNSPECIFIED && !IsTrained(m); }

std::string DatasetName(int kind) {
  switch (kind) {
    case datasets::DATASET_KIND_FASHION_MNIST: return "Fashion-MNIST";
    case datasets::DATASET_KIND_CIFAR10: return "CIFAR-10";
    case datasets::DATASET_KIND_CIFAR100: return "CIFAR-100";
    case datasets::DATASET_KIND_TINY_IMAGENET: return "Tiny ImageNet";
    default: return "Unknown dataset";
  }
}

std::string StatusName(const RunRecord& r) {
  const std::string& name = RunRecord::Status_Name(r.status());
  return name.empty() ? absl::StrCat("status ", static_cast<int>(r.status())) : name;
}

namespace {

std::string ModelOf(const RunRecord& r) {
  if (!r.student_name().empty()) return r.student_name();
  if (r.config().has_student() && !r.config().student().name().empty()) {
    return r.config().student().name();
  }
  if (IsConversion(r.config().method()) && r.config().teacher().has_model()) {
    return r.config().teacher().model().name();
  }
  return "-";
}

}  // namespace

std::string StudentOf(const RunRecord& r) {
  if (r.input_encoding() == EncoderSpec::DIRECT) return ModelOf(r);
  return absl::StrCat(ModelOf(r), " (", EncoderName(r.input_encoding()), " input)");
}

int TrainT(const RunRecord& r) {
  if (r.train_timesteps() > 0) return r.train_timesteps();
  return IsTrained(r.config().method()) ? r.config().train().timesteps() : 0;
}

uint64_t SeedOf(const RunRecord& r) { return r.config().seed(); }

std::string ExclusionReason(const RunRecord& r) {
  if (r.status() != RunRecord::OK) {
    return r.status_message().empty() ? "-" : r.status_message();
  }
  const Method m = r.config().method();
  if (m == METHOD_UNSPECIFIED) return "no method in the record's config";
  if (IsTrained(m)) {
    if (r.train_timesteps() < 1) return "no train_timesteps";
    if (r.accuracy_at_t_size() < r.train_timesteps()) {
      return absl::StrCat("no accuracy at T = ", r.train_timesteps());
    }
  } else if (r.accuracy_at_t_size() == 0) {
    return "no accuracy curve";
  }
  return "";
}

bool RecordLess(const RunRecord* a, const RunRecord* b) {
  return std::make_tuple(static_cast<int>(a->config().method()), a->student_parameters(),
                         StudentOf(*a), TrainT(*a), SeedOf(*a), a->config_hash(),
                         a->config().name()) <
         std::make_tuple(static_cast<int>(b->config().method()), b->student_parameters(),
                         StudentOf(*b), TrainT(*b), SeedOf(*b), b->config_hash(),
                         b->config().name());
}

std::string SamplesOf(const std::vector<const RunRecord*>& runs) {
  std::set<int> s;
  for (const RunRecord* r : runs) s.insert(r->eval_samples());
  return absl::StrJoin(s, " / ");
}

namespace {

// The ANN's accuracy on the images `run` evaluated, from the ANN's per-image outcomes over a range
// of the same test split that contains them; nullopt when either has none or the range is
// outside.
std::optional<double> AccuracyOnImagesOf(const EvalOutcomes& run, const EvalOutcomes& ann) {
  const int64_t begin = static_cast<int64_t>(run.first_image()) - ann.first_image();
  const int64_t n = run.num_images();
  if (n <= 0 || begin < 0 || begin + n > ann.num_images() || ann.predicted_at_t_size() == 0 ||
      static_cast<int64_t>(ann.labels().size()) != ann.num_images() ||
      static_cast<int64_t>(ann.predicted_at_t(0).size()) != ann.num_images()) {
    return std::nullopt;
  }
  int64_t right = 0;
  for (int64_t i = begin; i < begin + n; ++i) right += ann.labels()[i] == ann.predicted_at_t(0)[i];
  return static_cast<double>(right) / static_cast<double>(n);
}

}  // namespace

double AnnOf(const RunRecord& r, const TeacherResult* teacher) {
  if (r.has_ann_accuracy()) return r.ann_accuracy();
  if (r.has_teacher() && r.teacher().has_test_accuracy()) return r.teacher().test_accuracy();
  if (teacher != nullptr) {
    if (r.has_outcomes() && teacher->has_outcomes()) {
      if (std::optional<double> a = AccuracyOnImagesOf(r.outcomes(), teacher->outcomes())) return *a;
    }
    return teacher->test_accuracy();
  }
  return std::nan("");
}

int WithinOnePoint(const RunRecord& r, double ann) {
  if (r.has_timesteps_within_1pt()) return r.timesteps_within_1pt();
  if (std::isnan(ann)) return -1;
  for (int t = 0; t < r.accuracy_at_t_size(); ++t) {
    if (r.accuracy_at_t(t) >= ann - kOnePoint) return t + 1;
  }
  return -1;
}

}  // namespace report_internal
}  // namespace lasnn
