// Experiment configs and suites (benchmarks/experiment/experiment.proto): parsing with
// file:line:col errors (util/text_proto.h), validation naming the field (and its file:line:col
// when parsed from a file; training fields by the trainer's own bounds,
// lasnn/training/train_config_validation.h), resolution of the defaults that depend on the
// method, the config hash that names a run record, suite expansion and deterministic sharding.
// No LibTorch dependency.
#ifndef LASNN_BENCHMARKS_EXPERIMENT_CONFIG_H_
#define LASNN_BENCHMARKS_EXPERIMENT_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "benchmarks/experiment/experiment.pb.h"

namespace lasnn {

// True for the methods that train an SNN student (LaSNN, logit / feature KD, direct).
bool IsTrainedMethod(Method method);
// True for the methods that need a teacher (all but DIRECT).
bool NeedsTeacher(Method method);
// What a conversion method fixes (experiment.proto ConversionConfig; the report names each
// conversion by its method, so these never vary within one): the reset, the initial membrane as
// a fraction of the threshold, and for RobustNorm the activations its percentile is taken over
// (PERCENTILE_OF_UNSPECIFIED for the other methods). For a trained method: the defaults.
struct ConversionVariant {
  bool reset_by_subtraction = true;
  double init_membrane = 0;
  ConversionConfig::PercentileOf percentile_of = ConversionConfig::PERCENTILE_OF_UNSPECIFIED;
};
ConversionVariant ConversionVariantOf(Method method);

// "lasnn_joint", "conversion_max", ... (lower-case enum names) and back.
std::string MethodKey(Method method);
absl::StatusOr<Method> ParseMethodKey(absl::string_view key);

// Parses text-format; unknown fields and syntax errors: InvalidArgument "<source>:line:col: ...".
// Then validates; a bad value: InvalidArgument "<source>:line:col: <field> must be ...".
absl::StatusOr<ExperimentConfig> ParseExperimentText(absl::string_view text,
                                                     absl::string_view source = "<text>");
absl::StatusOr<ExperimentConfig> LoadExperimentFile(const std::string& path);
absl::StatusOr<SuiteConfig> ParseSuiteText(absl::string_view text,
                                           absl::string_view source = "<text>");
absl::StatusOr<SuiteConfig> LoadSuiteFile(const std::string& path);

// InvalidArgument naming the field path ("train.optimizer.lr must be > 0 and <= 100, got 0").
absl::Status ValidateExperiment(const ExperimentConfig& config);

// The config as it runs: method-dependent defaults made explicit (eval.t_max, cost timesteps,
// train seed / threads / distillation method from the experiment's), fields the method ignores
// cleared (a conversion has no student or train config), so that equal experiments hash equal.
ExperimentConfig ResolveExperiment(const ExperimentConfig& config);

// `--from_scratch`: removes every reference weights file (teacher.reference,
// conversion.qcfs_reference) from the suite's base and grid overrides, so that those ANNs train
// from their train configs (and are cached) instead.
void DropReferenceWeights(SuiteConfig& suite);

// 16 hex digits of SHA-256 over the resolved config without its name (deterministic proto
// serialisation). Names the run record.
std::string ConfigHash(const ExperimentConfig& resolved);

// The cache key of the teacher an experiment uses: a hash of its model spec, train config and
// dataset kind (not the dataset path), or of the weights / TorchScript file name when loaded.
std::string TeacherCacheKey(const ExperimentConfig& resolved);

// The most experiments one suite may expand to (a guard against a typo'd or hostile grid).
inline constexpr int kMaxSuiteExperiments = 100000;

// Expands the grids, in order, into resolved, validated experiments (each grid: datasets, methods,
// seeds, students, timesteps, outermost first), without duplicates (by hash). Each is named
// "<suite>/<dataset>/<method>[/<student>/T<t>]/seed<s>". InvalidArgument naming the grid when
// the suite would hold more than kMaxSuiteExperiments experiments.
absl::StatusOr<std::vector<ExperimentConfig>> ExpandSuite(const SuiteConfig& suite);

// "i/n" -> (i, n) with 0 <= i < n.
absl::StatusOr<std::pair<int, int>> ParseShard(absl::string_view text);
// The experiments of shard i of n: those at positions p with p % n == i.
std::vector<ExperimentConfig> SelectShard(const std::vector<ExperimentConfig>& experiments,
                                          int index, int count);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_EXPERIMENT_CONFIG_H_
