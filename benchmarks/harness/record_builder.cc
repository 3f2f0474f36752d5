#include "benchmarks/harness/record_builder.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "baselines/conversion/conversion.h"
#include "benchmarks/experiment/experiment_config.h"
#include "benchmarks/harness/synaptic_ops.h"
#include "util/status_macros.h"

namespace lasnn {
namespace {

RunRecord::Status FromRunStatus(RunStatus s) {
  switch (s) {
    case RunStatus::kOk: return RunRecord::OK;
    case RunStatus::kDiverged: return RunRecord::DIVERGED;
    case RunStatus::kCollapsed: return RunRecord::COLLAPSED;
  }
  return RunRecord::FAILED;
}

void AddFiring(const std::vector<LayerRate>& rates, RunRecord& record) {
  for (const LayerRate& r : rates) {
    LayerFiring* f = record.add_firing();
    f->set_layer(r.layer);
    f->set_rate(r.rate);
  }
}

absl::Status AddCost(const TimestepMeasurement& m, const ModelPlan& plan,
                     const EnergyConfig& energy, RunRecord& record) {
  std::vector<double> rates;
  rates.reserve(m.firing.size());
  for (const LayerRate& r : m.firing) rates.push_back(r.rate);
  TimestepCost cost;
  cost.set_timesteps(m.timesteps);
  cost.set_latency_ms(m.timing.latency_ms);
  cost.set_throughput_img_s(m.timing.throughput_img_s);
  if (m.input_rate >= 0) cost.set_input_spike_rate(m.input_rate);
  LASNN_ASSIGN_OR_RETURN(*cost.mutable_ops(),
                         CountSnnOps(plan, rates, m.timesteps, energy, m.input_rate));
  *record.add_costs() = std::move(cost);
  return absl::OkStatus();
}

void AddAccuracy(int64_t num_samples, const std::vector<double>& accuracy_at_t,
                 RunRecord& record) {
  record.set_eval_samples(static_cast<int32_t>(num_samples));
  for (double a : accuracy_at_t) record.add_accuracy_at_t(a);
}

}  // namespace

RunRecord StartRecord(const ExperimentConfig& resolved, const Provenance& provenance,
                      const std::string& suite) {
  RunRecord record;
  record.set_config_hash(ConfigHash(resolved));
  *record.mutable_config() = resolved;
  *record.mutable_provenance() = provenance;
  record.set_suite(suite);
  record.set_eval_subset(resolved.eval().test_subset());
  return record;
}

void SetTrainOutcome(const TrainOutcome& outcome, RunRecord& record) {
  double seconds = 0;
  for (const EpochMetrics& m : outcome.epochs) seconds += m.seconds();
  record.set_train_seconds(seconds);
  record.set_best_epoch(static_cast<int32_t>(outcome.best_epoch));
  record.set_train_steps(outcome.steps);
  record.set_status(FromRunStatus(outcome.status));
  if (outcome.status != RunStatus::kOk) record.set_status_message(outcome.message);
  record.clear_attention_pairs();
  auto add_pair = [&](const TapPair& pair, double weight, bool skipped) {
    AttentionPair* p = record.add_attention_pairs();
    p->set_student_layer(pair.student);
    p->set_teacher_layer(pair.teacher);
    p->set_height(static_cast<int32_t>(pair.height));
    p->set_width(static_cast<int32_t>(pair.width));
    p->set_weight(weight);
    p->set_skipped(skipped);
  };
  for (size_t i = 0; i < outcome.attention_pairs.size(); ++i) {
    add_pair(outcome.attention_pairs[i],
             i < outcome.attention_pair_weights.size() ? outcome.attention_pair_weights[i] : 0.0,
             /*skipped=*/false);
  }
  for (const TapPair& pair : outcome.skipped_attention_pairs) add_pair(pair, 0.0, true);
}

void SetStudent(const std::string& name, int64_t parameters, int train_timesteps,
                RunRecord& record) {
  record.set_student_name(name);
  record.set_student_parameters(parameters);
  record.set_train_timesteps(train_timesteps);
}

absl::Status AddSnnEvaluation(const SnnEvaluation& e, const ModelPlan& plan,
                              const EnergyConfig& energy, RunRecord& record) {
  AddAccuracy(e.num_samples, e.accuracy_at_t, record);
  if (e.outcomes.has_num_images()) *record.mutable_outcomes() = e.outcomes;
  for (const TimestepMeasurement& m : e.costs) {
    LASNN_RETURN_IF_ERROR(AddCost(m, plan, energy, record));
    if (m.timesteps == record.train_timesteps()) AddFiring(m.firing, record);
  }
  record.set_eval_seconds(e.seconds);
  return absl::OkStatus();
}

absl::Status AddConversionEvaluation(const ConversionEvaluation& e, const ModelPlan& plan,
                                     const EnergyConfig& energy, RunRecord& record) {
  record.set_ann_accuracy(e.ann_accuracy);
  AddAccuracy(e.num_samples, e.accuracy_at_t, record);
  if (e.outcomes.has_num_images()) *record.mutable_outcomes() = e.outcomes;
  AddFiring(e.firing, record);
  for (const TimestepMeasurement& m : e.costs) {
    LASNN_RETURN_IF_ERROR(AddCost(m, plan, energy, record));
  }
  record.set_eval_seconds(e.seconds);
  record.set_status(RunRecord::OK);
  return absl::OkStatus();
}

void SetTimestepsWithin1pt(RunRecord& record) {
  if (record.status() != RunRecord::OK || record.accuracy_at_t().empty() ||
      !record.has_ann_accuracy()) {
    return;
  }
  const std::vector<double> acc(record.accuracy_at_t().begin(), record.accuracy_at_t().end());
  record.set_timesteps_within_1pt(
      static_cast<int32_t>(conversion::FirstTimestepWithin(acc, record.ann_accuracy(), 0.01)));
}

void FinishRecord(const absl::Status& status, int64_t peak_memory_bytes, RunRecord& record) {
  if (!status.ok()) {
    record.set_status(RunRecord::FAILED);
    record.set_status_message(std::string(status.message()));
  }
  record.set_peak_memory_bytes(peak_memory_bytes);
}

std::string RecordSummary(const RunRecord& record) {
  const int t_max = record.accuracy_at_t_size();
  if (record.status() != RunRecord::OK || t_max == 0) {
    return absl::StrCat(RunRecord::Status_Name(record.status()), ": ", record.status_message());
  }
  const int at = record.train_timesteps() > 0 ? record.train_timesteps() : t_max;
  std::string summary =
      absl::StrFormat("accuracy %.2f%% at T=%d", 100 * record.accuracy_at_t(at - 1), at);
  if (record.has_ann_accuracy()) {
    absl::StrAppendFormat(&summary, " (ANN %.2f%%; within 1 point %s)",
                          100 * record.ann_accuracy(),
                          record.timesteps_within_1pt() > 0
                              ? absl::StrCat("from t=", record.timesteps_within_1pt())
                              : absl::StrCat("at no t <= ", t_max));
  }
  return summary;
}

}  // namespace lasnn
