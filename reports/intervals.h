// The 95% intervals a report prints, computed from run records (run_record.proto) with the
// statistics of reports/paired_stats.h: an accuracy's interval (over seeds, else over the test
// images of the one run), the difference between two results on the images both evaluated, a
// result against its ANN, and the "timesteps to reach the reference" ratio. Where a record has no
// per-image outcomes (older records) the result says so instead of inventing an interval.
//
// Accuracies and differences are fractions; t and T are 1-based timesteps.
#ifndef LASNN_REPORTS_INTERVALS_H_
#define LASNN_REPORTS_INTERVALS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "benchmarks/experiment/run_record.pb.h"
#include "reports/paired_stats.h"

namespace lasnn {
namespace report_internal {

struct AccuracyInterval {
  bool available = false;
  Interval interval;  // fractions
  std::string basis;  // "seeds and images", "seeds", "images", or why it is unavailable
};

// The 95% interval of the accuracy at t of `runs` (one accuracy per run in `acc`). Several runs:
// the Student-t interval of the mean over the seeds, widened (Hull) to contain the bootstrap
// interval over the test images of the runs' pooled accuracy when every run has outcomes ("seeds
// and images"; all seeds are evaluated on the same images, so the seeds alone do not show the
// test set's noise, and two seeds can agree by chance), else alone ("seeds"). One run: the
// bootstrap interval of its per-image outcomes at t ("images"). Else unavailable ("unavailable
// (no per-image outcomes)", or malformed or short outcomes).
AccuracyInterval AccuracyIntervalOf(const std::vector<const RunRecord*>& runs,
                                    const std::vector<double>& acc, int t);

// Runs (seeds) of one result, read at t.
struct RunsAt {
  std::vector<const RunRecord*> runs;
  int t = 0;
};

// A difference of accuracies a - b (fractions) with its 95% interval.
struct Difference {
  bool available = false;
  double estimate = 0;
  Interval interval;
  // How the interval was made: "images" (paired bootstrap of one run each), "images, seeds
  // pooled (2 vs 1)", "3 seeds, paired by seed, and images" / "3 seeds and images" (Student-t over
  // per-seed differences, widened to the pooled bootstrap); when not available, why ("no
  // per-image outcomes", "not comparable: ...").
  std::string basis;
  int32_t images = 0;  // images compared (for seeds: the fewest of any seed's pair)
};

// a - b on the images that every run of a and b evaluated. When a and b have at least two seeds
// in common (each seed at most once per side), the differences of the runs with the same seed,
// each on its pair's shared images, averaged with a Student-t interval over those seeds, widened
// (Hull) to contain the paired bootstrap of the pooled accuracies; else that paired bootstrap of
// the pooled accuracies (runs of a side averaged per image) alone. Unavailable when a run has no
// outcomes, outcomes are shorter than t, or the outcomes are not comparable (paired_stats.h
// PoolOnSharedImages).
Difference DifferenceOf(const RunsAt& a, const RunsAt& b);

// runs - their ANN on the images both evaluated: the ANN's outcomes are the run's teacher's
// (TeacherResult.outcomes), else `teacher`'s (the dataset's, for methods without a teacher, may be
// null). QCFS is compared with its own QCFS-trained ANN (RunRecord.qcfs_ann), unavailable in
// older records, which do not carry it. One run: paired bootstrap; several: Student-t over the per-run differences widened
// to the pooled paired bootstrap, as DifferenceOf.
Difference DifferenceVsAnn(const RunsAt& a, const TeacherResult* teacher);

// How many timesteps a method needs to reach the reference's accuracy, relative to the
// reference's, on the images that every run involved evaluated.
struct ReachRatio {
  bool available = false;
  std::string why;                  // when not available
  int need = -1;                    // timesteps of the first row that reaches; -1 if none
  int max_timesteps = 0;            // of the last row
  double ratio = 0;                 // need / reference T; +infinity if none reaches
  Interval interval;                // paired bootstrap over the images (seeds pooled)
  double reference_accuracy = 0;    // the reference's pooled accuracy on those images
  int32_t images = 0;
};

// `rows` in ascending t: a conversion's runs at t = 1..N, or a trained method's T groups. Each
// row and the reference are pooled over their runs (paired_stats.h PooledRow); a row reaches the
// reference when its pooled accuracy is at least the reference's. Unavailable as DifferenceOf.
ReachRatio ReachRatioOf(const std::vector<RunsAt>& rows, const RunsAt& reference);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_INTERVALS_H_
