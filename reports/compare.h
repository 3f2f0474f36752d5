// Two sets of run records (e.g. the record directories of two commits) compared experiment by
// experiment, for `lasnn compare --a=DIR --b=DIR` and for regression checks that must say whether
// a result moved beyond noise rather than out of a fixed band. No LibTorch.
//
// Matching: a record of A is paired with the record of B that has the same config hash (the same
// resolved experiment, benchmarks/experiment/experiment_config.h ConfigHash); a record left over
// is paired with the one of B that has the same experiment name (config.name) and seed, when
// exactly one has, so that a commit that changes a default (and with it the hash) is still
// compared ("name and seed"). Records that are not OK (reports/records.h ExclusionReason) are not
// compared and are listed.
//
// Each pair is compared at the t a report shows: a trained SNN at its train T, a conversion at
// each cost timestep of A's record that both curves reach (else at the longer t both reach). The
// difference is B - A on the test images both evaluated (paired_stats.h PairOnSharedImages) with
// its 95% paired-bootstrap interval (1,000 resamples, fixed seed); verdict "resolved" when the
// interval excludes 0, "unresolved (within noise)" when it contains 0, "unavailable (...)" when a
// record has no per-image outcomes, "not comparable: ..." when the outcomes do not share images
// or disagree on the test set. Where several seeds of one experiment (the same config but for the
// seeds) matched at the same t, the mean of their differences is given with a Student-t interval
// over the seeds, widened to contain the paired bootstrap over the images of the seed-averaged
// difference (paired_stats.h Hull), and its own verdict.
#ifndef LASNN_REPORTS_COMPARE_H_
#define LASNN_REPORTS_COMPARE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "reports/paired_stats.h"

namespace lasnn {

inline constexpr char kResolved[] = "resolved";
inline constexpr char kUnresolved[] = "unresolved (within noise)";

// One pair of matched records at one t.
struct ComparedPair {
  std::string experiment;  // A's config name, else its config hash
  std::string matched_by;  // "config hash" or "name and seed"
  uint64_t seed = 0;
  int t = 0;
  bool paired = false;     // the difference and its interval exist
  double accuracy_a = 0;   // fractions; on the shared images when paired, else the records'
  double accuracy_b = 0;
  double difference = 0;   // accuracy_b - accuracy_a
  Interval interval;
  int32_t images = 0;      // shared images when paired
  std::string verdict;
};

// The mean over seeds of the paired differences of one experiment at one t.
struct SeedsComparison {
  std::string experiment;  // method on student, dataset, T
  int t = 0;
  int seeds = 0;
  MeanInterval difference;  // of accuracy_b - accuracy_a, fractions (interval widened, above)
  std::string verdict;
};

struct RecordSetComparison {
  std::vector<ComparedPair> pairs;  // by A's experiment name, config hash, then t
  std::vector<SeedsComparison> seeds;
  std::vector<std::string> only_in_a;  // experiment names (or hashes)
  std::vector<std::string> only_in_b;
  std::vector<std::string> not_compared;  // a matched record that is not OK, with why
};

// "resolved" when `interval` excludes 0, else "unresolved (within noise)".
std::string Verdict(const Interval& interval);

// Compares `a` with `b`. `a_dir` and `b_dir` name where they came from in errors: DataLoss
// "<dir>/<config_hash>.pb: ..." for a record whose per-image outcomes are malformed
// (benchmarks/experiment/outcomes.h CheckOutcomes).
absl::StatusOr<RecordSetComparison> CompareRecordSets(const std::vector<RunRecord>& a,
                                                      const std::string& a_dir,
                                                      const std::vector<RunRecord>& b,
                                                      const std::string& b_dir);

// The comparison as Markdown: a header saying how records were matched and what the numbers
// mean, the table of pairs, the table over seeds (when any), what was only on one side, and a
// summary line with the counts of each verdict.
std::string FormatComparison(const RecordSetComparison& c, const std::string& a_label,
                             const std::string& b_label);

// Reads both directories (benchmarks/experiment/record_io.h ReadRecords), compares them and
// formats the result. NotFound naming a directory that is missing or holds no records; DataLoss
// naming a corrupt record file.
absl::StatusOr<std::string> CompareRecordDirs(const std::string& a_dir, const std::string& b_dir);

}  // namespace lasnn

#endif  // LASNN_REPORTS_COMPARE_H_
