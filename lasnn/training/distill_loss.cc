#include "lasnn/training/distill_loss.h"

#include <ATen/ATen.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lasnn {

at::Tensor AttentionMap(const at::Tensor& features, double p) {
  TORCH_CHECK(features.dim() == 4, "AttentionMap expects [B, C, H, W], got ", features.sizes());
  TORCH_CHECK(features.is_floating_point(), "AttentionMap expects a floating tensor");
  at::Tensor q = features.abs().pow(p).mean(/*dim=*/1).flatten(1);  // [B, H*W]
  at::Tensor norm = q.norm(2, /*dim=*/{1}, /*keepdim=*/true).clamp_min(1e-12);
  return q / norm;
}

at::Tensor FiringRate(const at::Tensor& spikes) {
  TORCH_CHECK(spikes.dim() >= 2, "FiringRate expects [T, B, ...], got ", spikes.sizes());
  return spikes.mean(/*dim=*/0);
}

at::Tensor AttentionTransferLoss(const at::Tensor& student, const at::Tensor& teacher, double p) {
  TORCH_CHECK(student.dim() == 4 && teacher.dim() == 4,
              "AttentionTransferLoss expects [B, C, H, W] on both sides, got ", student.sizes(),
              " and ", teacher.sizes());
  TORCH_CHECK(student.size(0) == teacher.size(0) && student.size(2) == teacher.size(2) &&
                  student.size(3) == teacher.size(3),
              "AttentionTransferLoss: batch and spatial sizes differ: student ", student.sizes(),
              " vs teacher ", teacher.sizes());
  return (AttentionMap(student, p) - AttentionMap(teacher, p)).pow(2).mean();
}

at::Tensor AttentionTransferLossToMap(const at::Tensor& student, const at::Tensor& teacher_map,
                                      double p) {
  TORCH_CHECK(student.dim() == 4 && teacher_map.dim() == 2 &&
                  teacher_map.size(0) == student.size(0) &&
                  teacher_map.size(1) == student.size(2) * student.size(3),
              "AttentionTransferLossToMap: student ", student.sizes(), " needs a [B, H*W] map, got ",
              teacher_map.sizes());
  return (AttentionMap(student, p) - teacher_map).pow(2).mean();
}

at::Tensor LogitKdLoss(const at::Tensor& student_logits, const at::Tensor& teacher_logits,
                       double tau) {
  TORCH_CHECK(student_logits.sizes() == teacher_logits.sizes(),
              "LogitKdLoss: logits differ in shape: ", student_logits.sizes(), " vs ",
              teacher_logits.sizes());
  TORCH_CHECK(student_logits.dim() == 2, "LogitKdLoss expects [B, K]");
  TORCH_CHECK(tau > 0, "LogitKdLoss: tau must be > 0");
  at::Tensor log_ps = at::log_softmax(student_logits / tau, /*dim=*/1);
  at::Tensor log_pt = at::log_softmax(teacher_logits / tau, /*dim=*/1);
  at::Tensor kl = (log_pt.exp() * (log_pt - log_ps)).sum(/*dim=*/1).mean();
  return kl * (tau * tau);
}

absl::StatusOr<std::vector<TapPair>> PairTapsByResolution(const std::vector<TapShape>& student,
                                                          const std::vector<TapShape>& teacher) {
  // Last tap of each resolution, keyed by (H, W).
  auto last_by_resolution = [](const std::vector<TapShape>& taps) {
    std::map<std::pair<int64_t, int64_t>, const TapShape*> last;
    for (const TapShape& t : taps) last[{t.height, t.width}] = &t;
    return last;
  };
  auto s = last_by_resolution(student);
  auto t = last_by_resolution(teacher);
  std::vector<TapPair> pairs;
  // Shallow to deep: larger spatial area first.
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    auto found = t.find(it->first);
    if (found == t.end()) continue;
    pairs.push_back(TapPair{it->second->name, found->second->name, it->first.first,
                            it->first.second});
  }
  if (pairs.empty()) {
    auto describe = [](const std::vector<TapShape>& taps) {
      return absl::StrJoin(taps, ", ", [](std::string* out, const TapShape& x) {
        absl::StrAppend(out, x.name, " ", x.height, "x", x.width);
      });
    };
    return absl::InvalidArgumentError(absl::StrCat(
        "no student tap shares a spatial resolution with a teacher tap: student {",
        describe(student), "}, teacher {", describe(teacher), "}"));
  }
  return pairs;
}

}  // namespace lasnn
