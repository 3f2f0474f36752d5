// One dataset's tabulated run records grouped for the reports (reports/report.h): runs of one
// trained method on one student at one T, runs of one conversion with their mean accuracy curve,
// and the statistics the comparison table prints for a group (accuracy gap to the ANN, the ANN
// cell, a conversion's row timesteps, the evaluation-subset sentences).
//
// A Dataset points into the records it was made from (and their teachers): they must outlive it.
// Accuracies are fractions in [0, 1]; t and T are 1-based timesteps.
#ifndef LASNN_REPORTS_GROUPING_H_
#define LASNN_REPORTS_GROUPING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"

namespace lasnn {
namespace report_internal {

// Runs of one trained method on one student at one T (one per seed).
struct TrainedGroup {
  Method method;
  std::string student;
  int64_t params = 0;
  int T = 0;
  std::vector<const RunRecord*> runs;
  std::vector<double> acc;  // accuracy at T, per run
  std::vector<double> ann;  // the ANN's accuracy, per run (NaN if unknown)
};

// Runs of one conversion method on one student (one per seed).
struct ConversionGroup {
  Method method;
  std::string student;
  int64_t params = 0;
  std::vector<const RunRecord*> runs;
  std::vector<double> curve;  // mean accuracy_at_t over runs (the shortest run's length)
  std::vector<double> ann;    // per run
};

struct Dataset {
  int kind = 0;
  std::vector<const RunRecord*> records;  // tabulated, in RecordLess order
  const TeacherResult* teacher = nullptr;  // the teacher most records name
  std::vector<const TeacherResult*> other_teachers;
  std::vector<TrainedGroup> trained;        // by method, student size, student, T
  std::vector<ConversionGroup> conversions;  // by method, student
};

// Groups `records` of dataset `kind`, each of which must be tabulable (records.h:
// ExclusionReason empty). The teacher is the one (model name, weights SHA-256) most records
// carry, ties to the smaller key; per-run ANN accuracies follow records.h: AnnOf.
Dataset MakeDataset(int kind, std::vector<const RunRecord*> records);

// "LaSNN (joint) on fmnist_student_small" with the student, the method's display name without.
std::string GroupName(Method m, const std::string& student, bool with_student);

// Accuracies at t (1-based, at most the length of every run's curve) of a conversion group's
// runs, one per run.
std::vector<double> AccuraciesAt(const ConversionGroup& g, int t);

// Mean over runs of (ann - acc) in points ("0.60"); "-" when an ANN accuracy is NaN. `ann` and
// `acc` have one entry per run.
std::string GapOf(const std::vector<double>& ann, const std::vector<double>& acc);

// Mean ANN accuracy in percent, "-" when any is NaN.
std::string AnnCell(const std::vector<double>& ann);

// The t of a conversion's comparison rows: its records' cost timesteps, else 16, 32, 64, 128,
// 256; only those within its curve, ascending; the curve's length when none is.
std::vector<int> ConversionRowsT(const ConversionGroup& g);

// Which test images the accuracies were measured on, trained SNNs first: "Trained SNNs
// evaluated on the whole test set (10000 images).", "Conversion curves evaluated on the first
// 1000 test images.", naming the methods when a kind of method uses several subsets.
std::vector<std::string> EvaluationSentences(const Dataset& d);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_GROUPING_H_
