// Trains a tiny model on synthetic data, alone or as one rank of a data-parallel group, and
// writes the final weights; or compares two weight files. Used by data_parallel_test.sh:
//   data_parallel_check --world_size=1 --batch_size=16 --out=single.pt --run_dir=DIR
//   data_parallel_check --world_size=2 --rank=R --batch_size=8 --rendezvous=file:STORE \
//       --out=dp.pt --run_dir=DIR2            (both ranks, concurrently)
//   data_parallel_check --compare=single.pt,dp.pt --tolerance=1e-4
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "datasets/synthetic.h"
#include "lasnn/training/checkpoint.h"
#include "lasnn/parallel/data_parallel.h"
#include "lasnn/models/model.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/training/trainer.h"
#include "util/status_macros.h"

ABSL_FLAG(int32_t, rank, -1, "rank (-1: RANK / SLURM_PROCID, else 0)");
ABSL_FLAG(int32_t, world_size, -1, "world size (-1: WORLD_SIZE / SLURM_NTASKS, else 1)");
ABSL_FLAG(std::string, rendezvous, "", "file:<path> or tcp:<host>:<port>");
ABSL_FLAG(int32_t, batch_size, 16, "per-rank batch size");
ABSL_FLAG(int32_t, steps, 12, "steps per epoch");
ABSL_FLAG(int32_t, epochs, 2, "epochs");
ABSL_FLAG(bool, snn, false, "train the SNN twin (T=2) instead of the ANN");
ABSL_FLAG(std::string, out, "", "final weights (every rank writes <out>.rank<r> too)");
ABSL_FLAG(std::string, run_dir, "", "trainer run directory");
ABSL_FLAG(std::string, compare, "", "a.pt,b.pt: print the largest weight difference and exit");
ABSL_FLAG(double, tolerance, 1e-4, "--compare fails above this max abs difference");

namespace lasnn {
namespace {

constexpr char kSpec[] = R"pb(
  name: "dp_check"
  input { channels: 1 height: 28 width: 28 }
  num_classes: 10
  layers { conv { out_channels: 4 stride: 2 batch_norm: false } }
  layers { activation {} }
  layers { pool { kind: AVG kernel_size: 2 } }
  layers { flatten {} }
  layers { linear { out_features: 10 } }
)pb";

absl::StatusOr<Model> MakeModel() {
  LASNN_ASSIGN_OR_RETURN(ModelSpec spec, ParseModelSpecText(kSpec));
  return BuildModel(spec, absl::GetFlag(FLAGS_snn) ? Mode::kSnn : Mode::kAnn);
}

absl::Status Compare() {
  std::vector<std::string> files = absl::StrSplit(absl::GetFlag(FLAGS_compare), ',');
  if (files.size() != 2) return absl::InvalidArgumentError("--compare needs a.pt,b.pt");
  LASNN_ASSIGN_OR_RETURN(Model a, MakeModel());
  LASNN_ASSIGN_OR_RETURN(Model b, MakeModel());
  LASNN_RETURN_IF_ERROR(LoadWeights(files[0], *a));
  LASNN_RETURN_IF_ERROR(LoadWeights(files[1], *b));
  double worst = 0, scale = 0;
  auto pb = b->named_parameters();
  for (const auto& p : a->named_parameters()) {
    worst = std::max(worst, (p.value() - pb[p.key()]).abs().max().item<double>());
    scale = std::max(scale, p.value().abs().max().item<double>());
  }
  std::printf("max |difference| %.3g (largest weight %.3g)\n", worst, scale);
  if (worst > absl::GetFlag(FLAGS_tolerance)) {
    return absl::FailedPreconditionError(absl::StrCat("weights differ by ", worst, " > ",
                                                      absl::GetFlag(FLAGS_tolerance)));
  }
  return absl::OkStatus();
}

absl::Status Run() {
  at::set_num_threads(1);
  DataParallelOptions o;
  o.rank = absl::GetFlag(FLAGS_rank);
  o.world_size = absl::GetFlag(FLAGS_world_size);
  o.rendezvous = absl::GetFlag(FLAGS_rendezvous);
  o.timeout_seconds = 60;
  LASNN_ASSIGN_OR_RETURN(std::unique_ptr<DataParallel> dp, DataParallel::Join(o));
  datasets::SyntheticOptions so;
  so.train_per_class = 40;
  so.test_per_class = 1;
  LASNN_ASSIGN_OR_RETURN(datasets::DatasetSplits data,
                         datasets::SyntheticSplits(datasets::DATASET_KIND_FASHION_MNIST, so));
  TrainRunConfig config;
  LASNN_ASSIGN_OR_RETURN(*config.mutable_model(), ParseModelSpecText(kSpec));
  config.set_snn(absl::GetFlag(FLAGS_snn));
  TrainConfig* t = config.mutable_train();
  t->set_epochs(absl::GetFlag(FLAGS_epochs));
  t->set_batch_size(absl::GetFlag(FLAGS_batch_size));
  t->set_timesteps(2);
  t->set_seed(3);
  t->set_threads(1);
  t->set_max_steps_per_epoch(absl::GetFlag(FLAGS_steps));
  t->set_holdout_fraction(0);
  t->set_collapse_epochs(0);
  t->set_log_every_steps(1000);
  t->mutable_optimizer()->set_lr(0.05);
  t->mutable_distill()->set_method(DistillConfig::DIRECT);
  config.mutable_data()->set_kind(datasets::DATASET_KIND_FASHION_MNIST);
  torch::manual_seed(3);
  LASNN_ASSIGN_OR_RETURN(Model model, MakeModel());
  TrainerOptions options;
  options.run_dir = absl::GetFlag(FLAGS_run_dir);
  options.data_parallel = dp.get();
  const auto t0 = std::chrono::steady_clock::now();
  LASNN_ASSIGN_OR_RETURN(TrainOutcome outcome,
                         Train(config, model, data.train, datasets::Dataset{}, nullptr, options));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (outcome.status != RunStatus::kOk) return absl::AbortedError(outcome.message);
  LASNN_RETURN_IF_ERROR(SaveWeights(absl::StrCat(absl::GetFlag(FLAGS_out), ".rank", dp->rank()), *model));
  if (dp->rank() == 0) LASNN_RETURN_IF_ERROR(SaveWeights(absl::GetFlag(FLAGS_out), *model));
  std::printf("rank %d of %d: %lld steps in %.2f s\n", dp->rank(), dp->world_size(),
              static_cast<long long>(outcome.steps), s);
  return absl::OkStatus();
}

}  // namespace
}  // namespace lasnn

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const absl::Status s =
      absl::GetFlag(FLAGS_compare).empty() ? lasnn::Run() : lasnn::Compare();
  if (!s.ok()) {
    std::fprintf(stderr, "data_parallel_check: error: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
