// Writes report.md, report.csv and report.html (self-contained) from a directory of run records:
//   bazel run //reports:make_report -- --runs=$PWD/results/fmnist/runs --out=/tmp/report
//       [--title="Fashion-MNIST"] [--reproduce_command="bazel run //benchmarks:reproduce_fmnist"]
// Prints the two paths; on an error (no records, a corrupt record, an unwritable --out) prints it
// and exits with 1.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "reports/report.h"
#include "util/file_util.h"

ABSL_FLAG(std::string, runs, "", "directory of run records (<config_hash>.pb)");
ABSL_FLAG(std::string, out, "", "output directory for report.md, report.csv and report.html");
ABSL_FLAG(std::string, title, "LaSNN-Bench report", "report title");
ABSL_FLAG(std::string, reproduce_command, "",
          "the command that reproduces the records (default: the records' own, if they share "
          "one)");
ABSL_FLAG(std::string, note, "", "optional paragraph under the title");

namespace lasnn {
namespace {

absl::Status Run() {
  const std::string runs = absl::GetFlag(FLAGS_runs), out = absl::GetFlag(FLAGS_out);
  if (runs.empty() || out.empty()) {
    return absl::InvalidArgumentError("--runs=DIR and --out=DIR are required");
  }
  ReportOptions options;
  options.title = absl::GetFlag(FLAGS_title);
  options.reproduce_command = absl::GetFlag(FLAGS_reproduce_command);
  options.note = absl::GetFlag(FLAGS_note);
  const absl::Status status = WriteReports(runs, out, options);
  if (!status.ok()) return status;
  std::printf("%s\n%s\n%s\n", JoinPath(out, "report.md").c_str(),
              JoinPath(out, "report.csv").c_str(), JoinPath(out, "report.html").c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace lasnn

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Run records -> report.md, report.csv and report.html.\n"
      "  make_report --runs=DIR --out=DIR [--title=...] [--reproduce_command=...] [--note=...]");
  absl::ParseCommandLine(argc, argv);
  const absl::Status status = lasnn::Run();
  if (!status.ok()) {
    std::fprintf(stderr, "make_report: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
