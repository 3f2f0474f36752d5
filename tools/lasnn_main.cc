// `lasnn`: the command-line entry to the experiment harness.
//
//   bazel run //tools:lasnn -- help
//   bazel run //tools:lasnn -- run --config=$PWD/my_experiment.textproto --runs=$PWD/runs
//   bazel run //tools:lasnn -- sweep --suite=$PWD/benchmarks/suites/fmnist.textproto \
//       --runs=$PWD/runs [--shard=0/4] [--list]
//   bazel run //tools:lasnn -- report --runs=$PWD/runs --out=$PWD/report
//   bazel run //tools:lasnn -- compare --a=$PWD/runs_before --b=$PWD/runs_after [--out=FILE]
//   bazel run //tools:lasnn -- inspect-data --dataset=fashion_mnist --out_png=/tmp/f.png
//   bazel run //tools:lasnn -- slurm --suite=... --runs=/shared/runs --shards=8 \
//       --lasnn_binary=/shared/bin/lasnn --out=sweep.sbatch
//   bazel run //tools:lasnn -- merge --suite=... --runs=/shared/runs
#include <ATen/Parallel.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "benchmarks/experiment/experiment_config.h"
#include "benchmarks/harness/harness.h"
#include "benchmarks/harness/slurm.h"
#include "datasets/dataset_info.h"
#include "datasets/inspect.h"
#include "reports/compare.h"
#include "reports/report.h"
#include "util/file_util.h"
#include "util/status_macros.h"

ABSL_FLAG(std::string, config, "", "run: ExperimentConfig text-format file");
ABSL_FLAG(std::string, suite, "", "sweep / slurm / merge: SuiteConfig text-format file");
ABSL_FLAG(std::string, runs, "", "run / sweep / report / merge: the run-record directory");
ABSL_FLAG(std::string, cache, "", "run / sweep: teacher cache directory (default <runs>/cache)");
ABSL_FLAG(std::string, shard, "0/1", "sweep: run only shard i of n (i/n, 0-based)");
ABSL_FLAG(bool, list, false, "sweep: print the experiments (hash, name, record state) and exit");
ABSL_FLAG(bool, from_scratch, false,
          "sweep: train every ANN the suite loads from reference weights (teacher.reference, "
          "conversion.qcfs_reference) from its train config instead");
ABSL_FLAG(bool, force, false, "run: run again even if a finished record exists");
ABSL_FLAG(std::string, out, "",
          "report: output directory (report.md, report.csv, report.html); slurm: the script file; "
          "compare: also write the comparison to this file");
ABSL_FLAG(std::string, a, "", "compare: the first record directory (A, e.g. before)");
ABSL_FLAG(std::string, b, "", "compare: the second record directory (B, e.g. after)");
ABSL_FLAG(std::string, title, "LaSNN-Bench report", "report: title");
ABSL_FLAG(std::string, dataset, "fashion_mnist", "inspect-data: dataset name");
ABSL_FLAG(std::string, data_dir, "", "inspect-data: dataset directory (default: its default)");
ABSL_FLAG(std::string, out_png, "", "inspect-data: write a contact sheet PNG here");
ABSL_FLAG(int32_t, shards, 1, "slurm: number of array tasks");
ABSL_FLAG(std::string, lasnn_binary, "", "slurm: absolute path of this binary on the cluster");
ABSL_FLAG(std::string, partition, "", "slurm: partition");
ABSL_FLAG(std::string, time_limit, "24:00:00", "slurm: per-task time limit");
ABSL_FLAG(int32_t, cpus_per_task, 2, "slurm: CPUs per array task");
ABSL_FLAG(std::string, gres, "", "slurm: generic resources per task, e.g. gpu:1");

namespace lasnn {
namespace {

constexpr char kUsage[] = R"(lasnn <subcommand> [flags]

Subcommands:
  run           Runs one experiment (--config=FILE, an ExperimentConfig text proto) and writes its
                run record <runs>/<hash>.pb and .json. A finished record is not overwritten
                unless --force.
  sweep         Expands a suite (--suite=FILE, a SuiteConfig) into experiments and runs those
                without a finished record, so an interrupted sweep resumes. --shard=i/n runs every
                n-th experiment starting at i (deterministic); --list only lists them.
  report        Writes <out>/report.md, <out>/report.csv (the summary table with 95% intervals)
                and <out>/report.html (self-contained, inline SVG) from the records in --runs.
  compare       Compares the records of two directories (--a, --b; e.g. two commits) experiment
                by experiment (same config hash, else same name and seed): the accuracy of
                each, B - A on the test images both evaluated with its 95% paired-bootstrap
                interval, and the verdict: resolved, or unresolved (within noise); the mean
                over seeds where several matched. Prints Markdown; --out also writes it to a
                file.
  inspect-data  Summarises a dataset (--dataset, --data_dir) and writes a contact sheet
                (--out_png).
  slurm         Writes a Slurm job-array script (--out) running one shard of --suite per array
                task (--shards) into the shared --runs directory.
  merge         Checks that --runs holds a record for every experiment of --suite; exit 1 and a
                list of what is missing or not OK otherwise.
  help          This text. `lasnn --helpfull` lists every flag.

Configs: benchmarks/experiment/experiment.proto. Records: benchmarks/experiment/run_record.proto.)";


absl::Status RequireFlag(const std::string& value, const char* flag, const char* sub) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(sub, " needs --", flag));
  }
  return absl::OkStatus();
}

std::string CommandLine(int argc, char** argv) {
  std::vector<std::string> parts;
  for (int i = 0; i < argc; ++i) parts.push_back(argv[i]);
  return absl::StrJoin(parts, " ");
}

HarnessOptions MakeHarnessOptions(const std::string& command, const std::string& suite) {
  HarnessOptions o;
  o.runs_dir = absl::GetFlag(FLAGS_runs);
  o.cache_dir = absl::GetFlag(FLAGS_cache);
  o.command = command;
  o.suite = suite;
  return o;
}

absl::Status Run(const std::string& command) {
  LASNN_RETURN_IF_ERROR(RequireFlag(absl::GetFlag(FLAGS_config), "config", "run"));
  LASNN_RETURN_IF_ERROR(RequireFlag(absl::GetFlag(FLAGS_runs), "runs", "run"));
  LASNN_ASSIGN_OR_RETURN(ExperimentConfig config,
                         LoadExperimentFile(absl::GetFlag(FLAGS_config)));
  const ExperimentConfig resolved = ResolveExperiment(config);
  const std::string hash = ConfigHash(resolved);
  if (!absl::GetFlag(FLAGS_force) && HasFinishedRecord(absl::GetFlag(FLAGS_runs), hash)) {
    std::printf("record %s.pb exists (use --force to run again)\n",
                JoinPath(absl::GetFlag(FLAGS_runs), hash).c_str());
    return absl::OkStatus();
  }
  Harness harness(MakeHarnessOptions(command, ""));
  LASNN_ASSIGN_OR_RETURN(RunRecord record, harness.Run(resolved));
  std::printf("%s\n", JoinPath(absl::GetFlag(FLAGS_runs), hash + ".json").c_str());
  if (record.status() != RunRecord::OK) {
    return absl::AbortedError(absl::StrCat("run ", RunRecord::Status_Name(record.status()), ": ",
                                           record.status_message()));
  }
  return absl::OkStatus();
}

absl::Status Sweep(const std::string& command) {
  LASNN_RETURN_IF_ERROR(RequireFlag(absl::GetFlag(FLAGS_suite), "suite", "sweep"));
  LASNN_ASSIGN_OR_RETURN(SuiteConfig suite, LoadSuiteFile(absl::GetFlag(FLAGS_suite)));
  if (absl::GetFlag(FLAGS_from_scratch)) DropReferenceWeights(suite);
  LASNN_ASSIGN_OR_RETURN(std::vector<ExperimentConfig> all, ExpandSuite(suite));
  LASNN_ASSIGN_OR_RETURN(auto shard, ParseShard(absl::GetFlag(FLAGS_shard)));
  const std::vector<ExperimentConfig> mine = SelectShard(all, shard.first, shard.second);
  const std::string runs = absl::GetFlag(FLAGS_runs);
  if (absl::GetFlag(FLAGS_list)) {
    for (const ExperimentConfig& c : mine) {
      const std::string hash = ConfigHash(c);
      std::printf("%s  %-8s %s\n", hash.c_str(),
                  !runs.empty() && HasFinishedRecord(runs, hash) ? "done" : "todo",
                  c.name().c_str());
    }
    std::printf("%zu of %zu experiments in shard %d/%d\n", mine.size(), all.size(), shard.first,
                shard.second);
    return absl::OkStatus();
  }
  LASNN_RETURN_IF_ERROR(RequireFlag(runs, "runs", "sweep"));
  Harness harness(MakeHarnessOptions(command, suite.name()));
  LASNN_ASSIGN_OR_RETURN(SweepSummary s, harness.Sweep(mine));
  std::printf("sweep %s shard %d/%d: %d experiments, %d ran, %d skipped (finished records), %d "
              "failed, %d diverged or collapsed; records in %s\n",
              suite.name().c_str(), shard.first, shard.second, s.total, s.ran, s.skipped,
              s.failed, s.not_ok, runs.c_str());
  if (s.failed > 0) {
    return absl::AbortedError(absl::StrCat(s.failed, " experiment(s) failed; see their records"));
  }
  return absl::OkStatus();
}

absl::Status Report() {
  LASNN_RETURN_IF_ERROR(RequireFlag(absl::GetFlag(FLAGS_runs), "runs", "report"));
  LASNN_RETURN_IF_ERROR(RequireFlag(absl::GetFlag(FLAGS_out), "out", "report"));
  ReportOptions o;
  o.title = absl::GetFlag(FLAGS_title);
  o.reproduce_command = absl::StrCat("bazel run //tools:lasnn -- report --runs=",
                                     absl::GetFlag(FLAGS_runs), " --out=",
                                     absl::GetFlag(FLAGS_out));
  return WriteReports(absl::GetFlag(FLAGS_runs), absl::GetFlag(FLAGS_out), o);
}

absl::Status Compare() {
  LASNN_RETURN_IF_ERROR(RequireFlag(absl::GetFlag(FLAGS_a), "a", "compare"));
  LASNN_RETURN_IF_ERROR(RequireFlag(absl::GetFlag(FLAGS_b), "b", "compare"));
  LASNN_ASSIGN_OR_RETURN(const std::string text,
                         CompareRecordDirs(absl::GetFlag(FLAGS_a), absl::GetFlag(FLAGS_b)));
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!absl::GetFlag(FLAGS_out).empty()) {
    LASNN_RETURN_IF_ERROR(WriteFileAtomically(absl::GetFlag(FLAGS_out), text));
  }
  return absl::OkStatus();
}

absl::Status InspectData() {
  LASNN_ASSIGN_OR_RETURN(datasets::DatasetInfo info,
                         datasets::GetDatasetInfoByName(absl::GetFlag(FLAGS_dataset)));
  datasets::InspectOptions o;
  o.spec.set_kind(info.kind);
  o.spec.set_path(absl::GetFlag(FLAGS_data_dir));
  o.out_png = absl::GetFlag(FLAGS_out_png);
  return datasets::RunInspect(o, std::cout);
}

absl::Status Slurm() {
  LASNN_RETURN_IF_ERROR(RequireFlag(absl::GetFlag(FLAGS_suite), "suite", "slurm"));
  LASNN_RETURN_IF_ERROR(RequireFlag(absl::GetFlag(FLAGS_out), "out", "slurm"));
  LASNN_ASSIGN_OR_RETURN(SuiteConfig suite, LoadSuiteFile(absl::GetFlag(FLAGS_suite)));
  SlurmOptions o;
  o.lasnn_binary = absl::GetFlag(FLAGS_lasnn_binary);
  o.suite_file = absl::GetFlag(FLAGS_suite);
  o.runs_dir = absl::GetFlag(FLAGS_runs);
  o.shards = absl::GetFlag(FLAGS_shards);
  o.partition = absl::GetFlag(FLAGS_partition);
  o.time_limit = absl::GetFlag(FLAGS_time_limit);
  o.cpus_per_task = absl::GetFlag(FLAGS_cpus_per_task);
  o.gres = absl::GetFlag(FLAGS_gres);
  o.job_name = absl::StrCat("lasnn-", suite.name());
  LASNN_ASSIGN_OR_RETURN(std::string script, SlurmArrayScript(o));
  // Slurm opens each task's output file before the task starts: the folder must exist.
  LASNN_RETURN_IF_ERROR(MakeDirectories(JoinPath(o.runs_dir, "slurm-logs")));
  LASNN_RETURN_IF_ERROR(WriteFileAtomically(absl::GetFlag(FLAGS_out), script));
  std::printf("wrote %s (%d array tasks); submit with: sbatch %s\n", absl::GetFlag(FLAGS_out).c_str(),
              o.shards, absl::GetFlag(FLAGS_out).c_str());
  return absl::OkStatus();
}

absl::Status Merge() {
  LASNN_RETURN_IF_ERROR(RequireFlag(absl::GetFlag(FLAGS_suite), "suite", "merge"));
  LASNN_RETURN_IF_ERROR(RequireFlag(absl::GetFlag(FLAGS_runs), "runs", "merge"));
  LASNN_ASSIGN_OR_RETURN(SuiteConfig suite, LoadSuiteFile(absl::GetFlag(FLAGS_suite)));
  LASNN_ASSIGN_OR_RETURN(std::vector<ExperimentConfig> all, ExpandSuite(suite));
  const MergeReport r = CheckSuiteRecords(all, absl::GetFlag(FLAGS_runs));
  for (const std::string& m : r.missing) std::printf("missing: %s\n", m.c_str());
  for (const std::string& m : r.not_ok) std::printf("not ok:  %s\n", m.c_str());
  std::printf("%d expected, %zu missing, %zu not OK\n", r.expected, r.missing.size(),
              r.not_ok.size());
  if (!r.missing.empty()) {
    return absl::NotFoundError(absl::StrCat(r.missing.size(), " record(s) missing in ",
                                            absl::GetFlag(FLAGS_runs)));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace lasnn

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(lasnn::kUsage);
  const std::string command = lasnn::CommandLine(argc, argv);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2 || std::string(args[1]) == "help") {
    std::printf("%s\n", lasnn::kUsage);
    return args.size() < 2 ? 1 : 0;
  }
  if (args.size() > 2) {
    std::fprintf(stderr, "lasnn: unexpected argument '%s'\n", args[2]);
    return 1;
  }
  const std::string sub = args[1];
  absl::Status status;
  if (sub == "run") {
    status = lasnn::Run(command);
  } else if (sub == "sweep") {
    status = lasnn::Sweep(command);
  } else if (sub == "report") {
    status = lasnn::Report();
  } else if (sub == "compare") {
    status = lasnn::Compare();
  } else if (sub == "inspect-data") {
    status = lasnn::InspectData();
  } else if (sub == "slurm") {
    status = lasnn::Slurm();
  } else if (sub == "merge") {
    status = lasnn::Merge();
  } else {
    std::fprintf(stderr, "lasnn: unknown subcommand '%s'\n\n%s\n", sub.c_str(), lasnn::kUsage);
    return 1;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "lasnn %s: error: %s\n", sub.c_str(), std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
