// Evaluation of the models of an experiment on its test images, for the run record: an ANN
// (teacher or QCFS ANN), a trained SNN, and an ANN converted to an SNN (baselines/conversion).
// Models run in eval mode without gradients; timings follow measure.h. Errors: those of the
// dataset batcher and of lasnn/training/evaluate.h; a LibTorch failure becomes InvalidArgument or
// Internal prefixed by the step ("ANN timing", "SNN timing", "conversion evaluation",
// "conversion timing"; util/torch_status.h).
#ifndef LASNN_BENCHMARKS_HARNESS_EVALUATION_H_
#define LASNN_BENCHMARKS_HARNESS_EVALUATION_H_

#include <c10/core/Device.h>

#include "absl/status/statusor.h"
#include "baselines/conversion/conversion.h"
#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "benchmarks/harness/measurements.h"
#include "datasets/dataset.h"
#include "lasnn/models/model.h"
#include "lasnn/models/model_spec.pb.h"

namespace lasnn {

// The ANN `model` (built from `spec`, on c.device()) on all of `test`: model_name, test_accuracy,
// outcomes (each image's prediction; `test` is taken to be images 0..N-1 of its split),
// parameters, ops (synaptic_ops.h CountAnnOps with c.energy()), latency_ms (batch 1: one warm-up,
// eval.latency_repeats timed) and throughput_img_s (3 timed batches of the first
// eval.throughput_batch images). Leaves the model in eval mode.
absl::StatusOr<TeacherResult> EvaluateAnn(Model& model, const ModelSpec& spec,
                                          const datasets::Dataset& test, const ExperimentConfig& c);

// Top-1 accuracy of the ANN `model` on `test` on `device` (batches of 500).
absl::StatusOr<double> AnnAccuracy(Model& model, const datasets::Dataset& test,
                                   c10::Device device);

// The trained SNN `model` (on `device`), fed its encoder's code of the images (Poisson draws
// seeded by `encoding_seed`) when that is not direct: accuracy and each image's prediction (outcomes, as
// EvaluateAnn's) for every t <= eval.t_max (batches of `eval_batch_size`); for each T of
// eval.cost_timesteps, the firing rate of every spiking layer over the first
// min(eval.firing_rate_images, N) test images (named as the model's spike statistics name them),
// and latency / throughput as EvaluateAnn's at T steps.
absl::StatusOr<SnnEvaluation> EvaluateSnn(Model& model, const datasets::Dataset& test,
                                          const EvalConfig& eval, int64_t eval_batch_size,
                                          c10::Device device, uint64_t encoding_seed = 0);

struct ConvertedAnn {
  conversion::FoldedAnn folded;
  conversion::ConvertedSnn snn;
  double seconds = 0;  // folding, calibration and thresholds
  // The SNN's input (conversion.encoder) and the seed of its Poisson draws (the experiment's).
  EncoderSpec::Kind encoding = EncoderSpec::DIRECT;
  uint64_t encoding_seed = 0;
};

// Moves the ANN `model` to c.device() (the converters and the IF simulation run there), folds its
// batch norm and converts it by c.method() with c.conversion()'s settings and the reset, initial
// membrane and RobustNorm percentile population the method fixes
// (benchmarks/experiment/experiment_config.h ConversionVariantOf; CONVERSION_MAX_AS_PUBLISHED
// takes Diehl et al.'s factor), calibrating on conversion.calibration_size images of `train`
// drawn by conversion.calibration_seed (none for QCFS, whose thresholds are its trained lambdas).
// InvalidArgument naming the layer for an ANN the converter does not support.
absl::StatusOr<ConvertedAnn> ConvertAnn(Model& model, const datasets::Dataset& train,
                                        const ExperimentConfig& c);

// The converted SNN on all of `test` (on its weights' device), fed converted.encoding's code of the
// images (analog for DIRECT): the folded ANN's accuracy, accuracy
// and each image's prediction (outcomes, as EvaluateAnn's) for every t <= eval.t_max (batches of
// 250), per-layer firing rates at t_max; for each T of eval.cost_timesteps, latency at batch 1
// (max(3, latency_repeats * 4 / max(4, T)) timed runs, no warm-up), throughput of one
// step-by-step simulation of min(64, eval.throughput_batch) images, and the firing rates over
// steps 1..T. Every firing rate is over the first min(eval.firing_rate_images, N) test images, as
// EvaluateSnn's: taken from the accuracy simulation for T <= t_max, from a T-step simulation of
// those images otherwise.
absl::StatusOr<ConversionEvaluation> EvaluateConversion(const ConvertedAnn& converted,
                                                        const datasets::Dataset& test,
                                                        const EvalConfig& eval);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_HARNESS_EVALUATION_H_
