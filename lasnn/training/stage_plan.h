// STAGE_BY_STAGE's plan (train_config.proto, DistillConfig.Paradigm): the run's steps split into
// one phase per attention pair, shallow to deep, and a last one for the classifier, by the
// relative shares of distill.stage_budgets (equal shares when it is empty).
#ifndef LASNN_LASNN_TRAINING_STAGE_PLAN_H_
#define LASNN_LASNN_TRAINING_STAGE_PLAN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lasnn/models/model.h"
#include "lasnn/training/tap_pairing.h"

namespace lasnn {

// A phase: steps [begin, end) train plan layers [layer_begin, layer_end) on attention pair
// `pair`'s loss, or, for pair -1, the classifier with CE + KD.
struct StagePhase {
  int64_t begin = 0;
  int64_t end = 0;
  size_t layer_begin = 0;
  size_t layer_end = 0;
  int64_t pair = -1;
};

// The phases of a run of `total_steps` steps for the student `plan` and its attention `pairs`
// (non-empty; each pair's student tap one of the plan's). InvalidArgument naming the field when
// `budgets` has another number of entries than pairs + 1, when a pair's tap does not come after
// the previous pair's, or when a phase would get no step.
absl::StatusOr<std::vector<StagePhase>> PlanStagePhases(const ModelPlan& plan,
                                                        const std::vector<TapPair>& pairs,
                                                        const std::vector<double>& budgets,
                                                        int64_t total_steps);

// The phase of 0-based `step` (the last phase from the end of the run on); -1 when `phases` is
// empty.
int64_t StagePhaseAt(const std::vector<StagePhase>& phases, int64_t step);

// "stage-by-stage phase 2/3: plan layers 3..5 learn the attention of ...; steps 11..20; earlier
// layers frozen" (the pair or "classifier" alone for a phase not planned yet).
std::string DescribeStagePhase(const std::vector<StagePhase>& phases,
                               const std::vector<TapPair>& pairs, int64_t phase);

}  // namespace lasnn

#endif  // LASNN_LASNN_TRAINING_STAGE_PLAN_H_
