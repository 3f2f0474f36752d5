#include "lasnn/training/stage_plan.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace lasnn {

absl::StatusOr<std::vector<StagePhase>> PlanStagePhases(const ModelPlan& plan,
                                                        const std::vector<TapPair>& pairs,
                                                        const std::vector<double>& budgets,
                                                        int64_t total_steps) {
  const int64_t n = static_cast<int64_t>(pairs.size());
  std::vector<double> shares = budgets;
  if (shares.empty()) shares.assign(static_cast<size_t>(n + 1), 1.0);
  if (static_cast<int64_t>(shares.size()) != n + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "train.distill.stage_budgets has ", shares.size(), " entries, but STAGE_BY_STAGE needs ",
        n + 1, ": one per attention pair (", DescribePairs(pairs),
        ") and one for the classifier"));
  }
  double total_share = 0;
  for (double x : shares) total_share += x;
  std::vector<StagePhase> phases;
  double cumulative = 0;
  size_t layer_begin = 0;
  int64_t step_begin = 0;
  for (int64_t k = 0; k <= n; ++k) {
    StagePhase p;
    p.pair = k < n ? k : -1;
    p.begin = step_begin;
    cumulative += shares[k];
    p.end = k < n ? static_cast<int64_t>(std::llround(static_cast<double>(total_steps) *
                                                      cumulative / total_share))
                  : total_steps;
    p.layer_begin = layer_begin;
    if (k < n) {
      const auto tap = std::find_if(plan.taps.begin(), plan.taps.end(), [&](const TapInfo& t) {
        return t.name == pairs[k].student;
      });
      p.layer_end = static_cast<size_t>(tap->layer_index) + 1;
    } else {
      p.layer_end = plan.layers.size();
    }
    if (p.layer_end <= p.layer_begin) {
      return absl::InvalidArgumentError(absl::StrCat(
          "STAGE_BY_STAGE: the student's tap ", pairs[k].student,
          " does not come after the previous pair's; its stages cannot be trained in order"));
    }
    if (p.end <= p.begin) {
      return absl::InvalidArgumentError(absl::StrCat(
          "train.distill.stage_budgets[", k, "] gives its phase (",
          DescribeStagePhase(phases, pairs, k), ") no step of the run's ", total_steps,
          "; raise its share or the run's budget"));
    }
    layer_begin = p.layer_end;
    step_begin = p.end;
    phases.push_back(p);
  }
  return phases;
}

int64_t StagePhaseAt(const std::vector<StagePhase>& phases, int64_t step) {
  for (size_t i = 0; i < phases.size(); ++i) {
    if (step < phases[i].end) return static_cast<int64_t>(i);
  }
  return phases.empty() ? -1 : static_cast<int64_t>(phases.size()) - 1;
}

std::string DescribeStagePhase(const std::vector<StagePhase>& phases,
                               const std::vector<TapPair>& pairs, int64_t phase) {
  const int64_t n = static_cast<int64_t>(pairs.size());
  const std::string head = absl::StrCat("stage-by-stage phase ", phase + 1, "/", n + 1);
  if (static_cast<size_t>(phase) >= phases.size()) {
    return phase < n ? absl::StrCat(head, ": pair ", DescribePairs({pairs[phase]}))
                     : absl::StrCat(head, ": classifier");
  }
  const StagePhase& p = phases[phase];
  const std::string layers = absl::StrCat("plan layers ", p.layer_begin, "..", p.layer_end - 1);
  const std::string steps = absl::StrCat("steps ", p.begin + 1, "..", p.end);
  if (p.pair < 0) {
    return absl::StrCat(head, ": the classifier (", layers, ") learns from CE and KD; ", steps,
                        "; every earlier layer frozen");
  }
  return absl::StrCat(head, ": ", layers, " learn the attention of ",
                      DescribePairs({pairs[p.pair]}), "; ", steps,
                      p.layer_begin > 0 ? "; earlier layers frozen" : "");
}

}  // namespace lasnn
