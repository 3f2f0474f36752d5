// The `bazel run` reproduction targets: each runs a suite (benchmarks/suites/) from nothing
// (teachers trained and cached, or loaded from the reference weights the suite ships, every
// experiment run, records written) and writes the comparison report. BUILD gives each target its
// suite through `args`:
//
//   bazel run //benchmarks:reproduce_fmnist              # the main job, < 30 min on 2 CPU cores
//   bazel run //benchmarks:reproduce_fmnist -- --quick   # a first look, < 5 min
//   bazel run //benchmarks:reproduce_fmnist -- --from_scratch   # trains the shipped teacher and
//                                                               # QCFS ANN too (+ ~12 min)
//   bazel run //benchmarks:reproduce_cifar10             # GPU-scale; refuses on a CPU unless
//       -- --max_steps_per_epoch=N                       # a step budget is given
//
// Output: <out>/report.md, <out>/report.html and the records under <out>/runs/ (default
// <workspace>/results/<suite>/). Re-running skips finished experiments (resume).
#include <torch/cuda.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "benchmarks/experiment/experiment_config.h"
#include "benchmarks/harness/harness.h"
#include "datasets/synthetic.h"
#include "reports/report.h"
#include "util/file_util.h"
#include "util/status_macros.h"

ABSL_FLAG(std::string, target, "", "the bazel target name, for messages and the report");
ABSL_FLAG(std::string, suite, "", "SuiteConfig file (workspace-relative or absolute)");
ABSL_FLAG(std::string, quick_suite, "", "the suite --quick runs");
ABSL_FLAG(bool, quick, false, "run the quick suite (a first look in minutes)");
ABSL_FLAG(std::string, out, "",
          "output directory (default <workspace>/results/<suite name>); relative paths are "
          "relative to the workspace");
ABSL_FLAG(bool, gpu_scale, false,
          "the suite is meant for a GPU: refuse on a CPU unless --max_steps_per_epoch is given");
ABSL_FLAG(int32_t, max_steps_per_epoch, 0,
          "step budget: cap every training (teachers, students, QCFS ANNs) at this many steps "
          "per epoch (0: the suite's)");
ABSL_FLAG(int32_t, epochs, 0, "cap every training at this many epochs (0: the suite's)");
ABSL_FLAG(bool, from_scratch, false,
          "train the ANNs the suite ships reference weights for (its teacher, the QCFS ANN) "
          "inside the job, from their train configs, instead of loading the shipped files");
ABSL_FLAG(bool, smoke, false,
          "tests: synthetic data in the official formats and a tiny budget (checks the whole "
          "pipeline, not accuracy)");
ABSL_FLAG(std::string, data_dir, "", "dataset directory for every experiment (default: each "
                                     "dataset's default)");

namespace lasnn {
namespace {

std::string Workspace() {
  const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  return ws != nullptr ? ws : ".";
}

std::string Resolve(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return JoinPath(Workspace(), path);
}

void CapTrain(TrainConfig* t, int max_steps, int epochs) {
  if (max_steps > 0 && (t->max_steps_per_epoch() == 0 || t->max_steps_per_epoch() > max_steps)) {
    t->set_max_steps_per_epoch(max_steps);
  }
  if (epochs > 0 && t->epochs() > epochs) t->set_epochs(epochs);
}

void CapAll(ExperimentConfig* c, int max_steps, int epochs) {
  CapTrain(c->mutable_train(), max_steps, epochs);
  if (c->teacher().has_train()) CapTrain(c->mutable_teacher()->mutable_train(), max_steps, epochs);
  if (c->conversion().has_qcfs_train()) {
    CapTrain(c->mutable_conversion()->mutable_qcfs_train(), max_steps, epochs);
  }
}

// Smoke mode: tiny widths, T <= 2, a few steps and images; synthetic data.
absl::Status MakeSmoke(SuiteConfig& suite, const std::string& scratch) {
  auto shrink_model = [](ModelSpec* m) {
    if (m->ByteSizeLong() == 0) return;
    m->set_width_multiplier(m->width_multiplier() * 0.125);
    for (Layer& l : *m->mutable_layers()) {
      if (l.has_linear()) l.mutable_linear()->clear_in_features();
    }
  };
  auto shrink = [&](ExperimentConfig* c) {
    CapAll(c, 2, 1);
    c->mutable_train()->set_batch_size(8);
    c->mutable_train()->set_eval_batch_size(16);
    c->mutable_train()->set_holdout_fraction(0.1);
    if (c->teacher().has_train()) {
      c->mutable_teacher()->mutable_train()->set_batch_size(8);
      c->mutable_teacher()->mutable_train()->set_holdout_fraction(0.1);
    }
    if (c->has_teacher()) shrink_model(c->mutable_teacher()->mutable_model());
    shrink_model(c->mutable_student());
    c->mutable_conversion()->set_calibration_size(16);
    c->mutable_conversion()->set_spike_norm_timesteps(4);
    c->mutable_eval()->set_t_max(4);
    c->mutable_eval()->set_test_subset(16);
    c->mutable_eval()->clear_cost_timesteps();
    c->mutable_eval()->add_cost_timesteps(2);
    c->mutable_eval()->set_throughput_batch(8);
    c->mutable_eval()->set_latency_repeats(2);
  };
  ExperimentConfig* base = suite.mutable_base();
  shrink(base);
  if (base->conversion().has_qcfs_train()) {
    base->mutable_conversion()->mutable_qcfs_train()->set_batch_size(8);
  }
  for (SuiteGrid& g : *suite.mutable_grids()) {
    for (ModelSpec& s : *g.mutable_students()) shrink_model(&s);
    for (int i = 0; i < g.timesteps_size(); ++i) g.set_timesteps(i, std::min(g.timesteps(i), 2));
    if (g.has_overrides()) {
      ExperimentConfig* o = g.mutable_overrides();
      if (o->eval().has_test_subset()) o->mutable_eval()->set_test_subset(16);
      if (o->eval().has_t_max()) o->mutable_eval()->set_t_max(4);
      if (o->has_student()) shrink_model(o->mutable_student());
    }
    if (g.datasets_size() == 0) *g.add_datasets() = base->data();
  }
  for (SuiteGrid& g : *suite.mutable_grids()) {
    for (datasets::DatasetSpec& d : *g.mutable_datasets()) {
      const std::string dir = JoinPath(scratch, datasets::DatasetKind_Name(d.kind()));
      if (!PathExists(dir)) {
        datasets::SyntheticOptions so;
        so.train_per_class = 4;
        so.test_per_class = 2;
        if (d.kind() == datasets::DATASET_KIND_TINY_IMAGENET) so.num_classes = 200;
        LASNN_RETURN_IF_ERROR(datasets::WriteSyntheticDataset(d.kind(), dir, so));
      }
      d.set_path(dir);
    }
  }
  return absl::OkStatus();
}

absl::Status Reproduce(const std::string& command) {
  const bool quick = absl::GetFlag(FLAGS_quick);
  const std::string suite_file = quick && !absl::GetFlag(FLAGS_quick_suite).empty()
                                     ? absl::GetFlag(FLAGS_quick_suite)
                                     : absl::GetFlag(FLAGS_suite);
  if (suite_file.empty()) return absl::InvalidArgumentError("--suite is required");
  if (quick && absl::GetFlag(FLAGS_quick_suite).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(absl::GetFlag(FLAGS_target),
                                                   " has no --quick variant"));
  }
  LASNN_ASSIGN_OR_RETURN(SuiteConfig suite, LoadSuiteFile(suite_file));
  const std::string target = absl::GetFlag(FLAGS_target);
  const int max_steps = absl::GetFlag(FLAGS_max_steps_per_epoch);
  const bool smoke = absl::GetFlag(FLAGS_smoke);
  const bool cuda = torch::cuda::is_available();
  if (absl::GetFlag(FLAGS_gpu_scale) && !cuda && !smoke && max_steps <= 0) {
    LASNN_ASSIGN_OR_RETURN(std::vector<ExperimentConfig> all, ExpandSuite(suite));
    return absl::FailedPreconditionError(absl::StrCat(
        target, " is a paper-scale grid (", all.size(), " experiments: ", suite.description(),
        ") meant for a GPU, and no CUDA device is visible to this LibTorch. Run it on a GPU "
        "machine (LIBTORCH_HOME=<CUDA LibTorch>, see README), or give a CPU step budget, e.g. `",
        "bazel run //benchmarks:", target, " -- --max_steps_per_epoch=50 --epochs=1`, which "
        "caps every training and says so in the records."));
  }
  if (!cuda) {
    suite.mutable_base()->set_device("cpu");
    for (SuiteGrid& g : *suite.mutable_grids()) g.mutable_overrides()->clear_device();
  }
  std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) out = JoinPath("results", suite.name());
  out = Resolve(out);
  // Smoke runs shrink the models, so no shipped weights fit them.
  if (absl::GetFlag(FLAGS_from_scratch) || smoke) DropReferenceWeights(suite);
  if (smoke) {
    LASNN_RETURN_IF_ERROR(MakeSmoke(suite, JoinPath(out, "synthetic_data")));
  }
  CapAll(suite.mutable_base(), max_steps, absl::GetFlag(FLAGS_epochs));
  if (!absl::GetFlag(FLAGS_data_dir).empty()) {
    suite.mutable_base()->mutable_data()->set_path(absl::GetFlag(FLAGS_data_dir));
  }
  LASNN_ASSIGN_OR_RETURN(std::vector<ExperimentConfig> experiments, ExpandSuite(suite));
  const std::string runs = JoinPath(out, "runs");
  std::printf("%s: suite %s, %zu experiments; records in %s\n", target.c_str(),
              suite.name().c_str(), experiments.size(), runs.c_str());
  std::fflush(stdout);
  HarnessOptions ho;
  ho.runs_dir = runs;
  ho.cache_dir = JoinPath(out, "cache");
  ho.suite = suite.name();
  ho.command = command;
  ho.source_dir = Workspace();
  Harness harness(ho);
  LASNN_ASSIGN_OR_RETURN(SweepSummary s, harness.Sweep(experiments));
  ReportOptions ro;
  ro.title = absl::StrCat("LaSNN-Bench: ", suite.description().empty() ? suite.name()
                                                                       : suite.description());
  ro.reproduce_command = command;
  ro.note = suite.report_note();
  if (absl::GetFlag(FLAGS_from_scratch)) {
    absl::StrAppend(&ro.note, ro.note.empty() ? "" : " ",
                    "Run with --from_scratch: every ANN the suite ships reference weights for was "
                    "trained in this run.");
  }
  LASNN_RETURN_IF_ERROR(WriteReports(runs, out, ro));
  std::printf("%s: %d experiments, %d ran, %d from earlier records, %d failed, %d diverged or "
              "collapsed\nreport: %s\n        %s\n",
              target.c_str(), s.total, s.ran, s.skipped, s.failed, s.not_ok,
              JoinPath(out, "report.html").c_str(), JoinPath(out, "report.md").c_str());
  if (s.failed > 0) {
    return absl::AbortedError(absl::StrCat(s.failed, " experiment(s) failed; the report lists "
                                           "them"));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace lasnn

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Regenerates a comparison report from nothing: bazel run //benchmarks:reproduce_fmnist "
      "[-- --quick]. See benchmarks/reproduce_main.cc.");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  // The command a reader re-runs: the target plus the flags the user added.
  std::string command = absl::StrCat("bazel run //benchmarks:", absl::GetFlag(FLAGS_target));
  std::vector<std::string> user;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--suite=", 0) == 0 || a.rfind("--quick_suite=", 0) == 0 ||
        a.rfind("--target=", 0) == 0 || a == "--gpu_scale") {
      continue;  // set by the BUILD target
    }
    user.push_back(a);
  }
  if (!user.empty()) absl::StrAppend(&command, " --");
  for (const std::string& a : user) absl::StrAppend(&command, " ", a);
  absl::Status status = lasnn::Reproduce(command);
  if (!status.ok()) {
    std::fprintf(stderr, "%s: error: %s\n", absl::GetFlag(FLAGS_target).c_str(),
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
