#include "benchmarks/experiment/outcomes.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace lasnn {
namespace {

absl::StatusOr<std::string> PackClasses(const std::vector<int64_t>& classes,
                                        const std::string& what) {
  std::string out(classes.size(), '\0');
  for (size_t i = 0; i < classes.size(); ++i) {
    if (classes[i] < 0 || classes[i] > 255) {
      return absl::InvalidArgumentError(absl::StrCat("outcomes: ", what, "[", i, "] = ",
                                                     classes[i], " is outside [0, 255]"));
    }
    out[i] = static_cast<char>(static_cast<uint8_t>(classes[i]));
  }
  return out;
}

}  // namespace

absl::StatusOr<EvalOutcomes> PackOutcomes(int64_t first_image, const std::string& images_sha256,
                                          const std::vector<int64_t>& labels,
                                          const std::vector<std::vector<int64_t>>& predicted_at_t) {
  if (first_image < 0 ||
      first_image + static_cast<int64_t>(labels.size()) > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("outcomes: images ", first_image, " + ",
                                                   labels.size(), " are outside [0, INT32_MAX]"));
  }
  EvalOutcomes o;
  o.set_first_image(static_cast<int32_t>(first_image));
  o.set_num_images(static_cast<int32_t>(labels.size()));
  o.set_images_sha256(images_sha256);
  LASNN_ASSIGN_OR_RETURN(*o.mutable_labels(), PackClasses(labels, "labels"));
  for (size_t t = 0; t < predicted_at_t.size(); ++t) {
    if (predicted_at_t[t].size() != labels.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("outcomes: predicted_at_t[", t, "] has ", predicted_at_t[t].size(),
                       " classes for ", labels.size(), " images"));
    }
    LASNN_ASSIGN_OR_RETURN(*o.add_predicted_at_t(),
                           PackClasses(predicted_at_t[t], absl::StrCat("predicted_at_t[", t, "]")));
  }
  return o;
}

absl::Status CheckOutcomes(const EvalOutcomes& o) {
  if (o.first_image() < 0 || o.num_images() < 0) {
    return absl::DataLossError(absl::StrCat("outcomes: first_image ", o.first_image(),
                                            " and num_images ", o.num_images(),
                                            " must be >= 0"));
  }
  const size_t n = static_cast<size_t>(o.num_images());
  if (o.labels().size() != n) {
    return absl::DataLossError(absl::StrCat("outcomes: labels has ", o.labels().size(),
                                            " bytes for num_images ", n));
  }
  for (int t = 0; t < o.predicted_at_t_size(); ++t) {
    if (o.predicted_at_t(t).size() != n) {
      return absl::DataLossError(absl::StrCat("outcomes: predicted_at_t[", t, "] has ",
                                              o.predicted_at_t(t).size(),
                                              " bytes for num_images ", n));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<bool>>> CorrectAtT(const EvalOutcomes& o) {
  LASNN_RETURN_IF_ERROR(CheckOutcomes(o));
  std::vector<std::vector<bool>> correct(o.predicted_at_t_size());
  const std::string& labels = o.labels();
  for (int t = 0; t < o.predicted_at_t_size(); ++t) {
    const std::string& p = o.predicted_at_t(t);
    correct[t].resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) correct[t][i] = p[i] == labels[i];
  }
  return correct;
}

absl::StatusOr<std::vector<double>> AccuracyFromOutcomes(const EvalOutcomes& o) {
  LASNN_ASSIGN_OR_RETURN(std::vector<std::vector<bool>> correct, CorrectAtT(o));
  std::vector<double> accuracy;
  accuracy.reserve(correct.size());
  for (const std::vector<bool>& c : correct) {
    int64_t k = 0;
    for (bool b : c) k += b;
    accuracy.push_back(c.empty() ? 0.0 : static_cast<double>(k) / static_cast<double>(c.size()));
  }
  return accuracy;
}

}  // namespace lasnn
