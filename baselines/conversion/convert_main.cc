// Converts a trained ANN (weights from //lasnn:train) to an SNN with a normalisation baseline and
// evaluates it at every t <= T_max from one simulation (baselines/conversion/conversion.h).
//
//   bazel run //baselines/conversion:convert -- --model=fmnist_vgg \
//       --weights=/tmp/lasnn/teacher/best_weights.pt --method=robust --t_max=256
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "baselines/conversion/conversion.h"
#include "datasets/batcher.h"
#include "datasets/load_dataset.h"
#include "datasets/rng.h"
#include "lasnn/training/checkpoint.h"
#include "lasnn/models/model.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/models/presets.h"
#include "util/file_util.h"
#include "util/status_macros.h"
#include "util/torch_status.h"

ABSL_FLAG(std::string, model, "fmnist_vgg",
          "ANN preset name (lasnn/models/presets.h) or ModelSpec .textproto file");
ABSL_FLAG(std::string, weights, "", "ANN weights (best_weights.pt of its //lasnn:train run)");
ABSL_FLAG(std::string, method, "robust",
          "max | robust | robust_channel | spikenorm | qcfs (an ANN trained with QCFS "
          "activations: threshold lambda, initial membrane lambda/2 unless --init_membrane)");
ABSL_FLAG(std::string, reset, "subtract", "subtract | zero");
ABSL_FLAG(double, percentile, 99.9, "RobustNorm percentile");
ABSL_FLAG(double, init_membrane, -1,
          "initial membrane as a fraction of the threshold (-1: 0.5 for qcfs, else 0)");
ABSL_FLAG(int64_t, calibration_samples, 1000, "calibration subset of the training set");
ABSL_FLAG(int64_t, calibration_seed, 0, "seed of the calibration subset");
ABSL_FLAG(int64_t, spike_norm_timesteps, 64, "Spike-Norm calibration simulation length");
ABSL_FLAG(int64_t, test_samples, 1000, "the first N test images (0: all)");
ABSL_FLAG(int64_t, t_max, 256, "simulation length");
ABSL_FLAG(int64_t, batch_size, 250, "simulation batch size");
ABSL_FLAG(int32_t, threads, 2, "intra-op threads");
ABSL_FLAG(std::string, data_dir, "", "Fashion-MNIST directory (default: Debian's package)");
ABSL_FLAG(std::string, out_csv, "", "write t,accuracy to this file");
ABSL_FLAG(double, event_driven_below, 0.0,
          "run a spike-fed conv event-driven at steps where at most this fraction of its inputs "
          "is non-zero (0: always dense, the reference; not bit-identical, see conversion.h)");
ABSL_FLAG(bool, profile, false,
          "also print the simulation's time per layer (a clock read per layer and step)");

namespace lasnn::conversion {
namespace {

using Clock = std::chrono::steady_clock;

absl::StatusOr<Normalisation> ParseMethod(const std::string& m) {
  if (m == "max") return Normalisation::kMax;
  if (m == "robust") return Normalisation::kRobust;
  if (m == "robust_channel") return Normalisation::kRobustPerChannel;
  if (m == "spikenorm") return Normalisation::kSpikeNorm;
  if (m == "qcfs") return Normalisation::kQcfs;
  return absl::InvalidArgumentError(absl::StrCat(
      "--method must be max, robust, robust_channel, spikenorm or qcfs, got '", m, "'"));
}

// A folded layer's kind as the per-layer table prints it (activations run as IF neurons).
const char* FoldedKindName(FoldedLayer::Kind kind) {
  switch (kind) {
    case FoldedLayer::Kind::kConv: return "conv";
    case FoldedLayer::Kind::kLinear: return "linear";
    case FoldedLayer::Kind::kRelu: return "IF";
    case FoldedLayer::Kind::kAvgPool: return "avgpool";
    case FoldedLayer::Kind::kGlobalAvgPool: return "gap";
    case FoldedLayer::Kind::kFlatten: return "flatten";
    case FoldedLayer::Kind::kBlockInput: return "block";
    case FoldedLayer::Kind::kBlockAdd: return "add";
  }
  return "?";
}

// Normalised float images [n, C, H, W] and labels of the given dataset indices.
absl::StatusOr<datasets::Batch> Gather(const datasets::Dataset& d,
                                       const std::vector<int64_t>& indices) {
  LASNN_ASSIGN_OR_RETURN(datasets::BatcherOptions o,
                         datasets::DefaultBatcherOptions(d.name, /*training=*/false));
  o.batch_size = std::max<int64_t>(1, static_cast<int64_t>(indices.size()));
  LASNN_ASSIGN_OR_RETURN(auto batcher, datasets::Batcher::Create(d, o));
  return batcher->MakeBatch(0, indices);
}

absl::Status Run() {
  at::set_num_threads(absl::GetFlag(FLAGS_threads));
  LASNN_ASSIGN_OR_RETURN(Normalisation method, ParseMethod(absl::GetFlag(FLAGS_method)));
  const std::string reset = absl::GetFlag(FLAGS_reset);
  if (reset != "subtract" && reset != "zero") {
    return absl::InvalidArgumentError("--reset must be subtract or zero");
  }
  if (absl::GetFlag(FLAGS_weights).empty()) return absl::InvalidArgumentError("--weights is required");
  const int64_t t_max = absl::GetFlag(FLAGS_t_max);
  if (t_max < 1 || t_max > 100000) return absl::InvalidArgumentError("--t_max must be in [1, 100000]");

  const std::string model_name = absl::GetFlag(FLAGS_model);
  LASNN_ASSIGN_OR_RETURN(ModelSpec spec, absl::EndsWith(model_name, ".textproto")
                                             ? LoadModelSpecFile(model_name)
                                             : PresetModelSpec(model_name));
  LASNN_ASSIGN_OR_RETURN(Model ann, BuildModel(spec, Mode::kAnn));
  LASNN_RETURN_IF_ERROR(LoadWeights(absl::GetFlag(FLAGS_weights), *ann));
  ann->eval();

  datasets::DatasetSpec data;
  data.set_kind(datasets::DATASET_KIND_FASHION_MNIST);
  data.set_path(absl::GetFlag(FLAGS_data_dir));
  LASNN_ASSIGN_OR_RETURN(datasets::DatasetSplits splits, datasets::LoadDataset(data));
  const int64_t n_cal =
      std::min<int64_t>(absl::GetFlag(FLAGS_calibration_samples), splits.train.images.size(0));
  std::vector<int64_t> perm = datasets::SeededPermutation(
      splits.train.images.size(0), static_cast<uint64_t>(absl::GetFlag(FLAGS_calibration_seed)));
  perm.resize(n_cal);
  LASNN_ASSIGN_OR_RETURN(datasets::Batch calibration, Gather(splits.train, perm));
  int64_t n_test = absl::GetFlag(FLAGS_test_samples);
  if (n_test <= 0 || n_test > splits.test.images.size(0)) n_test = splits.test.images.size(0);
  std::vector<int64_t> test_idx(n_test);
  for (int64_t i = 0; i < n_test; ++i) test_idx[i] = i;
  LASNN_ASSIGN_OR_RETURN(datasets::Batch test, Gather(splits.test, test_idx));

  const auto t0 = Clock::now();
  LASNN_ASSIGN_OR_RETURN(FoldedAnn folded, FoldBatchNorm(ann));
  ConversionOptions options;
  options.normalisation = method;
  options.percentile = absl::GetFlag(FLAGS_percentile);
  options.reset_by_subtraction = reset == "subtract";
  options.init_membrane = absl::GetFlag(FLAGS_init_membrane) >= 0
                              ? absl::GetFlag(FLAGS_init_membrane)
                              : (method == Normalisation::kQcfs ? 0.5 : 0.0);
  options.spike_norm_timesteps = absl::GetFlag(FLAGS_spike_norm_timesteps);
  LASNN_ASSIGN_OR_RETURN(ConvertedSnn snn, Convert(folded, calibration.images, options));
  const double convert_s = std::chrono::duration<double>(Clock::now() - t0).count();

  double ann_acc = 0;
  LASNN_RETURN_IF_ERROR(TorchCall("ANN evaluation", [&] {
    ann_acc = FoldedForward(folded, test.images).argmax(1).eq(test.labels).to(at::kDouble)
                  .mean().item<double>();
  }));
  const auto t1 = Clock::now();
  SimulationResult r;
  SimulationProfile profile;
  SimulationOptions sim_options;
  sim_options.event_driven_below = absl::GetFlag(FLAGS_event_driven_below);
  if (absl::GetFlag(FLAGS_profile)) sim_options.profile = &profile;
  const SimulationProfile* profile_ptr = sim_options.profile;
  LASNN_RETURN_IF_ERROR(TorchCall("simulation", [&] {
    r = Simulate(snn, test.images, test.labels, t_max, absl::GetFlag(FLAGS_batch_size),
                 sim_options);
  }));
  const double sim_s = std::chrono::duration<double>(Clock::now() - t1).count();
  const double image_steps = static_cast<double>(n_test) * static_cast<double>(t_max);

  std::printf("%s conversion of %s (%s reset, init %.2f): %lld calibration images, %lld test "
              "images (the first of the test set)\n",
              absl::GetFlag(FLAGS_method).c_str(), spec.name().c_str(), reset.c_str(),
              options.init_membrane, static_cast<long long>(n_cal),
              static_cast<long long>(n_test));
  std::printf("ANN (BN folded) accuracy %.2f%%; conversion %.1f s; simulation of %lld steps %.1f s\n",
              100 * ann_acc, convert_s, static_cast<long long>(t_max), sim_s);
  std::printf("simulation throughput: %.0f image-steps/s (%lld images x %lld steps, batch %lld, "
              "%d threads)\n",
              image_steps / sim_s, static_cast<long long>(n_test), static_cast<long long>(t_max),
              static_cast<long long>(absl::GetFlag(FLAGS_batch_size)), absl::GetFlag(FLAGS_threads));
  if (profile_ptr != nullptr) {
    double total = 0;
    for (double s : profile.layer_seconds) total += s;
    std::printf("time per layer (convs: dense, or event-driven at steps whose input rate is <= "
                "%g):\n  %-24s %-8s %9s %7s %16s %12s\n",
                sim_options.event_driven_below, "layer", "kind", "seconds", "share",
                "image-steps/s", "event-driven");
    for (size_t i = 0; i < profile.layer_seconds.size(); ++i) {
      const FoldedLayer& l = snn.ann.layers[i];
      const double sec = profile.layer_seconds[i];
      const int64_t steps = profile.steps[i];
      const std::string share_sparse =
          l.kind == FoldedLayer::Kind::kConv && steps > 0
              ? absl::StrCat(absl::SixDigits(100.0 * profile.event_driven_steps[i] / steps),
                             "% of steps")
              : "";
      std::printf("  %-24s %-8s %9.3f %6.1f%% %16.0f %12s\n", l.name.c_str(),
                  FoldedKindName(l.kind), sec, total > 0 ? 100 * sec / total : 0.0,
                  sec > 0 ? image_steps / sec : 0.0, share_sparse.c_str());
    }
  }
  std::printf("accuracy by t:");
  for (int64_t t = 1; t <= t_max; t *= 2) std::printf(" %lld:%.2f", static_cast<long long>(t),
                                                       100 * r.accuracy_at_t[t - 1]);
  std::printf("\nfirst t within 1 point of the ANN: %lld\nfiring rates per layer: %s\n",
              static_cast<long long>(FirstTimestepWithin(r.accuracy_at_t, ann_acc, 0.01)),
              absl::StrJoin(r.firing_rates, " ").c_str());
  if (!absl::GetFlag(FLAGS_out_csv).empty()) {
    std::string csv = absl::StrCat("# ann_accuracy=", ann_acc, " conversion_seconds=", convert_s,
                                   "\nt,accuracy\n");
    for (size_t t = 0; t < r.accuracy_at_t.size(); ++t) {
      absl::StrAppend(&csv, t + 1, ",", r.accuracy_at_t[t], "\n");
    }
    LASNN_RETURN_IF_ERROR(WriteFileAtomically(absl::GetFlag(FLAGS_out_csv), csv));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace lasnn::conversion

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Converts a trained ANN to an SNN (MaxNorm, RobustNorm, Spike-Norm) and prints its accuracy "
      "at every t <= T_max.");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = lasnn::conversion::Run();
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
