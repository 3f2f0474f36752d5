#include "lasnn/training/tap_pairing.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lasnn {

absl::StatusOr<TapPairing> PairTaps(const std::vector<TapShape>& student,
                                    const std::vector<TapShape>& teacher, int64_t min_size) {
  // Last tap of each resolution, keyed by (H, W).
  auto last_by_resolution = [](const std::vector<TapShape>& taps) {
    std::map<std::pair<int64_t, int64_t>, const TapShape*> last;
    for (const TapShape& t : taps) last[{t.height, t.width}] = &t;
    return last;
  };
  auto s = last_by_resolution(student);
  auto t = last_by_resolution(teacher);
  TapPairing out;
  // Shallow to deep: larger spatial size first.
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    auto found = t.find(it->first);
    if (found == t.end()) continue;
    TapPair pair{it->second->name, found->second->name, it->first.first, it->first.second};
    const bool small = pair.height < min_size || pair.width < min_size;
    (small ? out.skipped : out.pairs).push_back(std::move(pair));
  }
  if (out.pairs.empty() && out.skipped.empty()) {
    auto describe = [](const std::vector<TapShape>& taps) {
      return absl::StrJoin(taps, ", ", [](std::string* o, const TapShape& x) {
        absl::StrAppend(o, x.name, " ", x.height, "x", x.width);
      });
    };
    return absl::InvalidArgumentError(absl::StrCat(
        "no student tap shares a spatial resolution with a teacher tap: student {",
        describe(student), "}, teacher {", describe(teacher), "}"));
  }
  if (out.pairs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "every resolution the student and the teacher share (", DescribePairs(out.skipped),
        ") is below train.distill.attention_min_size = ", min_size, "; lower it to pair them"));
  }
  return out;
}

absl::StatusOr<std::vector<TapPair>> PairTapsByResolution(const std::vector<TapShape>& student,
                                                          const std::vector<TapShape>& teacher) {
  absl::StatusOr<TapPairing> pairing = PairTaps(student, teacher, /*min_size=*/0);
  if (!pairing.ok()) return pairing.status();
  return std::move(pairing->pairs);
}

std::vector<TapShape> TapShapesOf(const ModelPlan& plan) {
  std::vector<TapShape> out;
  for (const TapInfo& tap : plan.taps) out.push_back({tap.name, tap.shape[1], tap.shape[2]});
  return out;
}

std::string DescribePairs(const std::vector<TapPair>& pairs) {
  return absl::StrJoin(pairs, ", ", [](std::string* o, const TapPair& p) {
    absl::StrAppend(o, p.student, " <-> ", p.teacher, " ", p.height, "x", p.width);
  });
}

}  // namespace lasnn
