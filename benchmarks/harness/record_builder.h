// Fills a RunRecord (benchmarks/experiment/run_record.proto) from what the harness obtained:
// the resolved config and provenance, the training outcome, the measurements of evaluation.h,
// the final status and peak memory; and the one-line summary the harness prints per record.
//
// Firing rates keep the names the model gave its spiking layers (measurements.h LayerRate);
// synaptic operations per T come from those rates and the model's plan (synaptic_ops.h).
#ifndef LASNN_BENCHMARKS_HARNESS_RECORD_BUILDER_H_
#define LASNN_BENCHMARKS_HARNESS_RECORD_BUILDER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "benchmarks/harness/measurements.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/training/trainer.h"

namespace lasnn {

// A record of `resolved`: config_hash, config, provenance, suite, eval_subset.
RunRecord StartRecord(const ExperimentConfig& resolved, const Provenance& provenance,
                      const std::string& suite);

// train_seconds (the sum over epochs), best_epoch, train_steps and status (OK, DIVERGED or
// COLLAPSED), with status_message when not OK; LaSNN's attention pairs (used, then skipped).
void SetTrainOutcome(const TrainOutcome& outcome, RunRecord& record);

// The evaluated model: student_name, student_parameters, train_timesteps (0 for a conversion).
void SetStudent(const std::string& name, int64_t parameters, int train_timesteps,
                RunRecord& record);

// eval_samples, accuracy_at_t, outcomes (when e has them), one cost per measured T (ops from
// `plan` and `energy`), firing at record.train_timesteps() (none when no measured T equals it),
// eval_seconds. InvalidArgument when a T's rates do not match the plan's spiking layers.
absl::Status AddSnnEvaluation(const SnnEvaluation& e, const ModelPlan& plan,
                              const EnergyConfig& energy, RunRecord& record);

// ann_accuracy, eval_samples, accuracy_at_t, outcomes (when e has them), firing (at t_max), costs
// as AddSnnEvaluation, eval_seconds, status OK. Errors as AddSnnEvaluation.
absl::Status AddConversionEvaluation(const ConversionEvaluation& e, const ModelPlan& plan,
                                     const EnergyConfig& energy, RunRecord& record);

// timesteps_within_1pt: the first t whose accuracy is within 0.01 of ann_accuracy (-1: none),
// set only on an OK record with accuracies and an ANN accuracy.
void SetTimestepsWithin1pt(RunRecord& record);

// FAILED with the message when `status` is an error; peak_memory_bytes.
void FinishRecord(const absl::Status& status, int64_t peak_memory_bytes, RunRecord& record);

// "accuracy 91.20% at T=4 (ANN 92.00%; within 1 point from t=3)" for an OK record with
// accuracies (at train_timesteps, or t_max for a conversion), else "<STATUS>: <message>".
std::string RecordSummary(const RunRecord& record);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_HARNESS_RECORD_BUILDER_H_
