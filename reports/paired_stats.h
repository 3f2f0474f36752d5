// Paired-bootstrap statistics of per-image outcomes (run_record.proto EvalOutcomes): 95%
// intervals for an accuracy, for the difference between two methods on the images both
// evaluated, and for the ratio of the timesteps two methods need to reach a reference accuracy;
// and a Student-t interval for a mean over seeds. Resampling uses its own seeded generator
// (splitmix64), so results are identical on every platform and run. No LibTorch.
#ifndef LASNN_REPORTS_PAIRED_STATS_H_
#define LASNN_REPORTS_PAIRED_STATS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmarks/experiment/run_record.pb.h"

namespace lasnn {

inline constexpr int kBootstrapResamples = 1000;
inline constexpr uint64_t kBootstrapSeed = 20221;

// A two-sided 95% interval [lo, hi]. An infinite bound means "not reached" (ratios).
struct Interval {
  double lo = 0;
  double hi = 0;
  bool Contains(double x) const { return lo <= x && x <= hi; }
};

// One method's correctness on a common set of images: correct[t][i] (t = 0 for an ANN).
using Correctness = std::vector<std::vector<uint8_t>>;

// The correctness of `a` and `b` on the images both evaluated (the intersection of their image
// ranges, in image order). DataLoss when either is malformed (outcomes.h CheckOutcomes);
// InvalidArgument when the ranges do not overlap, the two disagree on a shared image's label, or
// they cover the same images with different images_sha256 (different test sets).
struct PairedCorrectness {
  int32_t first_image = 0;
  int32_t num_images = 0;
  Correctness a;
  Correctness b;
};
absl::StatusOr<PairedCorrectness> PairOnSharedImages(const EvalOutcomes& a, const EvalOutcomes& b);

// Bootstrap percentile interval of the accuracy (fraction) of `correct` (one entry per image);
// {0, 0} for no images.
Interval BootstrapAccuracy(const std::vector<uint8_t>& correct, int resamples = kBootstrapResamples,
                           uint64_t seed = kBootstrapSeed);

// Paired bootstrap interval of accuracy(a) - accuracy(b) (fractions); a and b index the same
// images (equal sizes, else {NaN, NaN}); {0, 0} for no images.
Interval BootstrapDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
                             int resamples = kBootstrapResamples, uint64_t seed = kBootstrapSeed);

// The first t (1-based) whose accuracy in `curve` reaches target - gap; -1 if none.
int FirstReaching(const Correctness& curve, double target, double gap);

// Paired bootstrap interval of FirstReaching(curve, accuracy(reference), gap) / reference_t,
// resampling images jointly for the curve and the reference (all rows index the same images). A
// resample in which the curve never reaches the target counts as +infinity, so hi (and lo) may be
// +infinity.
Interval BootstrapTimestepRatio(const Correctness& curve, const std::vector<uint8_t>& reference,
                                int reference_t, double gap, int resamples = kBootstrapResamples,
                                uint64_t seed = kBootstrapSeed);

// Several runs (seeds) of one method pooled on a common set of images: counts[i] is how many of
// `runs` runs classified image i correctly at `timesteps` (the t of a conversion's curve, or the
// T of a trained SNN). Its accuracy is the mean over the runs.
struct PooledRow {
  int timesteps = 0;
  int runs = 1;
  std::vector<uint8_t> counts;
};

// The pooled accuracy (fraction) of `row`: sum(counts) / (runs * images); 0 for no images.
double PooledAccuracy(const PooledRow& row);

// The images that every outcome of every group evaluated (the intersection of their ranges, in
// image order), and for each group and each t the number of its runs right on each image:
// rows[g][t - 1] (timesteps t, runs = groups[g].size()), t = 1 .. the shortest predicted_at_t of
// the group. DataLoss (outcomes.h CheckOutcomes) for malformed outcomes; InvalidArgument when a
// group is empty or has more than 255 runs, the ranges share no image, two outcomes disagree on a
// shared image's label, or two outcomes of the same images carry different images_sha256
// (different test sets).
struct PooledOnSharedImages {
  int32_t first_image = 0;
  int32_t num_images = 0;
  std::vector<std::vector<PooledRow>> rows;
};
absl::StatusOr<PooledOnSharedImages> PoolOnSharedImages(
    const std::vector<std::vector<const EvalOutcomes*>>& groups);

// Bootstrap interval of PooledAccuracy(row) (fraction), resampling images; {0, 0} for no
// images. For one run it equals BootstrapAccuracy.
Interval BootstrapPooledAccuracy(const PooledRow& row, int resamples = kBootstrapResamples,
                                 uint64_t seed = kBootstrapSeed);

// The smallest interval containing both (NaN bounds are ignored).
Interval Hull(const Interval& a, const Interval& b);

// Paired bootstrap interval of PooledAccuracy(a) - PooledAccuracy(b) (fractions), resampling
// images jointly; a and b index the same images (equal sizes, else {NaN, NaN}); {0, 0} for no
// images. For one run each it equals BootstrapDifference.
Interval BootstrapPooledDifference(const PooledRow& a, const PooledRow& b,
                                   int resamples = kBootstrapResamples,
                                   uint64_t seed = kBootstrapSeed);

// The timesteps of the first of `rows` (in their order, which should be ascending timesteps)
// whose pooled accuracy reaches the reference's (exactly: no tolerance); -1 if none.
int FirstRowReaching(const std::vector<PooledRow>& rows, const PooledRow& reference);

// Paired bootstrap interval of FirstRowReaching(rows, reference) / reference.timesteps,
// resampling images jointly for every row and the reference (all index the same images, else
// {NaN, NaN}); a resample in which no row reaches the reference counts as +infinity. Runs pooled
// in a row are not resampled: the interval reflects the test images, not the seeds.
Interval BootstrapReachRatio(const std::vector<PooledRow>& rows, const PooledRow& reference,
                             int resamples = kBootstrapResamples, uint64_t seed = kBootstrapSeed);

// Mean of `values` with a two-sided 95% Student-t interval (sample std / sqrt(n)); for one value
// the interval is that value alone; NaNs for none.
struct MeanInterval {
  double mean = 0;
  Interval interval;
};
MeanInterval SeedMeanInterval(const std::vector<double>& values);

}  // namespace lasnn

#endif  // LASNN_REPORTS_PAIRED_STATS_H_
