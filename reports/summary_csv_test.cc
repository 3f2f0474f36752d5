#include "reports/summary_csv.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "benchmarks/experiment/outcomes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace lasnn {
namespace report_internal {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A LaSNN record at T = 2 on n images, k of them right at t = 2 (none at t = 1); with per-image
// outcomes when `outcomes`.
RunRecord Trained(uint64_t seed, int n, int k, bool outcomes) {
  RunRecord r;
  r.set_config_hash("lasnn_seed" + std::to_string(seed));
  r.set_status(RunRecord::OK);
  r.mutable_config()->set_method(LASNN_JOINT);
  r.mutable_config()->set_seed(seed);
  r.set_student_name("student, small");
  r.set_train_timesteps(2);
  r.add_accuracy_at_t(0);
  r.add_accuracy_at_t(static_cast<double>(k) / n);
  r.set_eval_samples(n);
  if (outcomes) {
    std::vector<int64_t> labels(n, 1), wrong(n, 0), pred(n, 0);
    for (int i = 0; i < k; ++i) pred[i] = 1;
    absl::StatusOr<EvalOutcomes> o = PackOutcomes(0, "", labels, {wrong, pred});
    EXPECT_THAT(o, IsOk());
    *r.mutable_outcomes() = *o;
  }
  return r;
}

std::vector<std::string> Fields(const std::string& line) { return absl::StrSplit(line, ','); }

TEST(SummaryCsvTest, RowsQuoteFieldsAndMarkUnavailableIntervals) {
  const RunRecord with = Trained(1, 1000, 800, true);
  const RunRecord without = Trained(1, 1000, 800, false);
  for (const RunRecord* r : {&with, &without}) {
    const Dataset d = MakeDataset(0, {r});
    const std::string rows = SummaryCsvRows(d);
    EXPECT_THAT(rows, HasSubstr("LaSNN (joint),\"student, small\",2,80.00,"));
    if (r == &with) {
      EXPECT_THAT(rows, HasSubstr(",images,"));
    } else {
      EXPECT_THAT(rows, HasSubstr(",,,unavailable (no per-image outcomes),"));
    }
  }
  const std::vector<std::string> header = Fields(SummaryCsvHeader());
  EXPECT_EQ(header.size(), 12u);
  EXPECT_THAT(SummaryCsvHeader(), StartsWith("dataset,method,student,T,accuracy_pct,"));
}

}  // namespace
}  // namespace report_internal
}  // namespace lasnn
