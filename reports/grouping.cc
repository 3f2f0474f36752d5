#include "reports/grouping.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "reports/format.h"
#include "reports/records.h"
#include "reports/stats.h"

namespace lasnn {
namespace report_internal {

Dataset MakeDataset(int kind, std::vector<const RunRecord*> records) {
  Dataset d;
  d.kind = kind;
  std::sort(records.begin(), records.end(), RecordLess);
  d.records = records;
  std::map<std::pair<std::string, std::string>, std::pair<int, const TeacherResult*>> teachers;
  for (const RunRecord* r : records) {
    if (!r->has_teacher()) continue;
    auto& t = teachers[{r->teacher().model_name(), r->teacher().weights_sha256()}];
    if (t.second == nullptr) t.second = &r->teacher();
    ++t.first;
  }
  int most = 0;
  for (const auto& [key, t] : teachers) {
    if (t.first > most) {
      most = t.first;
      d.teacher = t.second;
    }
  }
  for (const auto& [key, t] : teachers) {
    if (t.second != d.teacher) d.other_teachers.push_back(t.second);
  }
  for (const RunRecord* r : records) {
    const Method m = r->config().method();
    const std::string student = StudentOf(*r);
    if (IsTrained(m)) {
      const int T = r->train_timesteps();
      if (d.trained.empty() || d.trained.back().method != m || d.trained.back().student != student ||
          d.trained.back().T != T) {
        d.trained.push_back(TrainedGroup{m, student, r->student_parameters(), T, {}, {}, {}});
      }
      TrainedGroup& g = d.trained.back();
      g.runs.push_back(r);
      g.acc.push_back(r->accuracy_at_t(T - 1));
      g.ann.push_back(AnnOf(*r, d.teacher));
    } else {
      if (d.conversions.empty() || d.conversions.back().method != m ||
          d.conversions.back().student != student) {
        d.conversions.push_back(ConversionGroup{m, student, r->student_parameters(), {}, {}, {}});
      }
      ConversionGroup& g = d.conversions.back();
      g.runs.push_back(r);
      g.ann.push_back(AnnOf(*r, d.teacher));
    }
  }
  for (ConversionGroup& g : d.conversions) {
    int len = g.runs.front()->accuracy_at_t_size();
    for (const RunRecord* r : g.runs) len = std::min(len, r->accuracy_at_t_size());
    g.curve.assign(len, 0.0);
    for (const RunRecord* r : g.runs) {
      for (int t = 0; t < len; ++t) g.curve[t] += r->accuracy_at_t(t) / g.runs.size();
    }
  }
  return d;
}

std::string GroupName(Method m, const std::string& student, bool with_student) {
  return with_student ? absl::StrCat(MethodDisplayName(m), " on ", student)
                      : MethodDisplayName(m);
}

std::vector<double> AccuraciesAt(const ConversionGroup& g, int t) {
  std::vector<double> v;
  for (const RunRecord* r : g.runs) v.push_back(r->accuracy_at_t(t - 1));
  return v;
}

std::string GapOf(const std::vector<double>& ann, const std::vector<double>& acc) {
  std::vector<double> gaps;
  for (size_t i = 0; i < acc.size(); ++i) {
    if (std::isnan(ann[i])) return "-";
    gaps.push_back(ann[i] - acc[i]);
  }
  return Points(Mean(gaps));
}

std::string AnnCell(const std::vector<double>& ann) {
  for (double a : ann) {
    if (std::isnan(a)) return "-";
  }
  return Pct(Mean(ann));
}

std::vector<int> ConversionRowsT(const ConversionGroup& g) {
  std::set<int> ts;
  for (const RunRecord* r : g.runs) {
    for (const TimestepCost& c : r->costs()) ts.insert(c.timesteps());
  }
  if (ts.empty()) ts = {16, 32, 64, 128, 256};
  std::vector<int> v;
  for (int t : ts) {
    if (t >= 1 && t <= static_cast<int>(g.curve.size())) v.push_back(t);
  }
  if (v.empty() && !g.curve.empty()) v.push_back(static_cast<int>(g.curve.size()));
  return v;
}

std::vector<std::string> EvaluationSentences(const Dataset& d) {
  std::vector<std::string> out;
  for (bool trained : {true, false}) {
    // (subset, samples) -> method names
    std::map<std::pair<int, int>, std::set<std::string>> sets;
    for (const RunRecord* r : d.records) {
      if (IsTrained(r->config().method()) != trained) continue;
      sets[{r->eval_subset(), r->eval_samples()}].insert(MethodDisplayName(r->config().method()));
    }
    for (const auto& [key, methods] : sets) {
      std::string who = trained ? "Trained SNNs" : "Conversion curves";
      if (sets.size() > 1) {
        absl::StrAppend(&who, " (", absl::StrJoin(methods, ", "), ")");
      }
      const auto [subset, samples] = key;
      if (subset > 0) {
        std::string s = absl::StrCat(who, " evaluated on the first ", subset, " test images");
        if (samples != subset) absl::StrAppend(&s, " (", samples, " evaluated)");
        out.push_back(s + ".");
      } else {
        out.push_back(absl::StrCat(who, " evaluated on the whole test set (", samples,
                                   " images)."));
      }
    }
  }
  return out;
}

}  // namespace report_internal
}  // namespace lasnn
