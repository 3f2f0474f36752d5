// Writes report.md and report.html from a directory of run records:
//   bazel run //reports:make_report -- --runs=$PWD/results/fmnist/runs --out=/tmp/report
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "reports/report.h"

ABSL_FLAG(std::string, runs, "", "directory of run records (*.pb)");
ABSL_FLAG(std::string, out, "", "output directory");
ABSL_FLAG(std::string, title, "LaSNN-Bench report", "report title");
ABSL_FLAG(std::string, reproduce_command, "", "the command that reproduces the records");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Run records -> report.md and report.html (self-contained).");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_runs).empty() || absl::GetFlag(FLAGS_out).empty()) {
    std::fprintf(stderr, "make_report: --runs and --out are required\n");
    return 1;
  }
  lasnn::ReportOptions o;
  o.title = absl::GetFlag(FLAGS_title);
  o.reproduce_command = absl::GetFlag(FLAGS_reproduce_command);
  const absl::Status s = lasnn::WriteReports(absl::GetFlag(FLAGS_runs), absl::GetFlag(FLAGS_out), o);
  if (!s.ok()) {
    std::fprintf(stderr, "make_report: error: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("%s/report.md\n%s/report.html\n", absl::GetFlag(FLAGS_out).c_str(),
              absl::GetFlag(FLAGS_out).c_str());
  return 0;
}
