#include "reports/reference.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "reports/records.h"

namespace lasnn {
namespace report_internal {

namespace {

// The group's SNNs were fed the images directly (not a Poisson or latency code).
bool DirectInput(const TrainedGroup& g) {
  return g.runs.empty() || g.runs.front()->input_encoding() == EncoderSpec::DIRECT;
}

}  // namespace

Reference ChooseReference(const Dataset& d) {
  Reference ref;
  // eval.reference_timesteps -> number of records carrying it.
  std::map<int, int> fixed;
  for (const RunRecord* r : d.records) {
    const int t = r->config().eval().reference_timesteps();
    if (t > 0) ++fixed[t];
  }
  std::vector<std::string> notes;
  if (!fixed.empty()) {
    int T = 0, most = 0;
    std::vector<std::string> values;
    for (const auto& [t, n] : fixed) {
      values.push_back(absl::StrCat(t));
      if (n > most) {
        most = n;
        T = t;
      }
    }
    if (fixed.size() > 1) {
      notes.push_back(absl::StrCat("The records disagree on eval.reference_timesteps (",
                                   absl::StrJoin(values, ", "), "); the most common, ", T,
                                   ", is used."));
    }
    for (bool direct_only : {true, false}) {
      for (const TrainedGroup& g : d.trained) {
        if (IsLasnn(g.method) && g.T == T && (!direct_only || DirectInput(g))) {
          ref.group = &g;
          ref.rule =
              absl::StrCat("fixed by the records' config (eval.reference_timesteps = ", T, ")",
                           direct_only ? "" : "; no LaSNN result fed the images directly has it");
          ref.note = absl::StrJoin(notes, " ");
          return ref;
        }
      }
    }
    notes.push_back(absl::StrCat("The records fix the reference at T = ", T,
                                 " (eval.reference_timesteps), but no LaSNN result has that T."));
  }
  for (bool direct_only : {true, false}) {
    for (const TrainedGroup& g : d.trained) {
      if (IsLasnn(g.method) && (!direct_only || DirectInput(g)) &&
          (ref.group == nullptr || g.T > ref.group->T)) {
        ref.group = &g;
      }
    }
    if (ref.group != nullptr) {
      if (!direct_only) notes.push_back("No LaSNN result was fed the images directly.");
      break;
    }
  }
  if (ref.group != nullptr) {
    ref.rule = absl::StrCat(
        "the LaSNN result with the largest T trained (",
        fixed.empty() ? "no reference is fixed in the records' config, eval.reference_timesteps, "
                        "and "
                      : "",
        "records carry no held-out accuracy to choose by)");
  }
  ref.note = absl::StrJoin(notes, " ");
  return ref;
}

}  // namespace report_internal
}  // namespace lasnn
