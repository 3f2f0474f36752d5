#include "reports/run_sections.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "reports/doc.h"
#include "reports/format.h"
#include "reports/grouping.h"
#include "reports/records.h"

namespace lasnn {
namespace report_internal {

void CostSection(const Dataset& d, Doc& doc) {
  doc.Heading(3, "Latency and energy");
  Table t;
  t.header = {"Method",           "Student architecture", "T",
              "Latency (ms, batch 1)", "Throughput (img/s)", "ACs / image",
              "MACs / image",     "Energy (µJ / image)",  "Energy vs ANN"};
  t.text_columns = 2;
  const double ann_energy =
      d.teacher != nullptr && d.teacher->has_ops() ? d.teacher->ops().energy_uj() : 0;
  auto ratio = [&](double e) { return ann_energy > 0 ? Fixed(e / ann_energy, 3) + "x" : "-"; };
  if (d.teacher != nullptr && d.teacher->has_ops()) {
    const OpCount& o = d.teacher->ops();
    t.rows.push_back({"ANN teacher", d.teacher->model_name(), "ANN",
                      Fixed(d.teacher->latency_ms(), 2), Fixed(d.teacher->throughput_img_s(), 0),
                      Count(o.acs()), Count(o.macs()), Fixed(o.energy_uj(), 3), ratio(o.energy_uj())});
  }
  bool averaged = false;
  auto add = [&](Method m, const std::string& student, const std::vector<const RunRecord*>& runs,
                 int train_T) {
    std::map<int, std::vector<const TimestepCost*>> by_t;
    for (const RunRecord* r : runs) {
      for (const TimestepCost& c : r->costs()) by_t[c.timesteps()].push_back(&c);
    }
    for (const auto& [T, costs] : by_t) {
      double lat = 0, tput = 0, acs = 0, macs = 0, energy = 0;
      for (const TimestepCost* c : costs) {
        lat += c->latency_ms() / costs.size();
        tput += c->throughput_img_s() / costs.size();
        acs += c->ops().acs() / costs.size();
        macs += c->ops().macs() / costs.size();
        energy += c->ops().energy_uj() / costs.size();
      }
      averaged = averaged || costs.size() > 1;
      std::string t_cell = absl::StrCat(T);
      if (train_T > 0 && T != train_T) absl::StrAppend(&t_cell, " (trained at ", train_T, ")");
      t.rows.push_back({MethodDisplayName(m), student, t_cell, Fixed(lat, 2), Fixed(tput, 0),
                        Count(acs), Count(macs), Fixed(energy, 3), ratio(energy)});
    }
  };
  for (const TrainedGroup& g : d.trained) add(g.method, g.student, g.runs, g.T);
  for (const ConversionGroup& g : d.conversions) add(g.method, g.student, g.runs, 0);
  doc.AddTable(std::move(t));
  std::set<std::pair<double, double>> pj;
  for (const RunRecord* r : d.records) {
    pj.insert({r->config().energy().pj_per_ac(), r->config().energy().pj_per_mac()});
  }
  std::vector<std::string> pj_text;
  for (const auto& [ac, mac] : pj) {
    pj_text.push_back(absl::StrFormat("%.2f pJ per AC and %.2f pJ per MAC", ac, mac));
  }
  doc.Paragraph(absl::StrCat(
      "Energy = ACs × E_AC + MACs × E_MAC with ", absl::StrJoin(pj_text, "; "),
      " (the run configs; the defaults are the 45 nm CMOS figures of Horowitz, ISSCC 2014). "
      "ACs: accumulates of layers fed by spikes (dense operations × firing rate of the layer "
      "feeding them × T); MACs: layers that see the analog image (direct encoding, counted once), "
      "and every layer of the ANN. Latency: one image (batch 1), median of repeats; throughput "
      "as measured by the harness, on the machines under Provenance.",
      averaged ? " Rows of several seeds average their measurements." : ""));
}

void FiringSection(const Dataset& d, Doc& doc) {
  // Records by architecture and layer list, in the dataset's order.
  std::vector<std::pair<std::string, std::vector<const RunRecord*>>> tables;
  std::map<std::string, size_t> index;
  for (const RunRecord* r : d.records) {
    if (r->firing_size() == 0) continue;
    std::vector<std::string> layers;
    for (const LayerFiring& f : r->firing()) layers.push_back(f.layer());
    const std::string key = absl::StrCat(StudentOf(*r), "|", absl::StrJoin(layers, ","));
    auto [it, added] = index.insert({key, tables.size()});
    if (added) tables.push_back({StudentOf(*r), {}});
    tables[it->second].second.push_back(r);
  }
  if (tables.empty()) return;
  doc.Heading(3, "Firing rates");
  doc.Paragraph(
      "Spikes per neuron per timestep of each spiking layer, in forward order: trained SNNs at "
      "their T, conversions over the whole simulation (t = the curve's length).");
  std::stable_sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.second.front()->student_parameters(), a.first) <
           std::make_pair(b.second.front()->student_parameters(), b.first);
  });
  for (const auto& [student, runs] : tables) {
    doc.Heading(4, absl::StrCat(student, " (", Grouped(runs.front()->student_parameters()),
                                " parameters)"));
    Table t;
    t.header = {"Method", "T", "Seed"};
    t.text_columns = 1;
    for (const LayerFiring& f : runs.front()->firing()) t.header.push_back(f.layer());
    t.header.push_back("Mean");
    for (const RunRecord* r : runs) {
      std::vector<std::string> row = {
          MethodDisplayName(r->config().method()),
          IsTrained(r->config().method()) ? absl::StrCat(r->train_timesteps())
                                          : absl::StrCat("t = ", r->accuracy_at_t_size()),
          absl::StrCat(SeedOf(*r))};
      double sum = 0;
      for (const LayerFiring& f : r->firing()) {
        row.push_back(Fixed(f.rate(), 3));
        sum += f.rate();
      }
      row.push_back(Fixed(sum / r->firing_size(), 3));
      t.rows.push_back(std::move(row));
    }
    doc.AddTable(std::move(t));
  }
}

void TimeSection(const Dataset& d, Doc& doc) {
  doc.Heading(3, "Run times and memory");
  Table t;
  t.header = {"Method", "Student architecture", "T", "Seed", "Train (s)", "Convert (s)",
              "Evaluate (s)", "Peak memory (MiB)", "Record"};
  t.text_columns = 2;
  for (const RunRecord* r : d.records) {
    t.rows.push_back({MethodDisplayName(r->config().method()), StudentOf(*r),
                      IsTrained(r->config().method()) ? absl::StrCat(r->train_timesteps()) : "-",
                      absl::StrCat(SeedOf(*r)), Fixed(r->train_seconds(), 1),
                      Fixed(r->convert_seconds(), 1), Fixed(r->eval_seconds(), 1),
                      Fixed(static_cast<double>(r->peak_memory_bytes()) / (1 << 20), 0),
                      r->config_hash()});
  }
  doc.AddTable(std::move(t));
  std::string note =
      "Train: the student's training (QCFS: its QCFS ANN's training, 0 when served from the "
      "cache or loaded from reference weights). Peak memory: the peak resident set of the "
      "process that ran the experiment.";
  if (d.teacher != nullptr) {
    absl::StrAppend(&note, " The teacher's training (", Fixed(d.teacher->train_seconds(), 1),
                    " s; 0 when served from the cache or loaded from reference weights) is shared and not "
                    "included.");
  }
  doc.Paragraph(note);
}

void ProvenanceSection(const std::vector<RunRecord>& records, const std::vector<Dataset>& datasets,
                       const std::string& reproduce_command, Doc& doc) {
  doc.Heading(2, "Provenance");
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string,
                         std::string, std::string, std::string, int>;
  struct Seen {
    int count = 0;
    std::string first, last;
  };
  std::map<Key, Seen> builds;
  std::string first, last;
  std::set<std::string> suites, commands;
  bool any_gpu = false;
  for (const RunRecord& r : records) {
    const Provenance& p = r.provenance();
    Seen& s = builds[{p.git_commit(), p.libtorch_version(), p.abseil_version(),
                      p.protobuf_version(), p.opencv_version(), p.compiler(), p.cpu_model(),
                      p.gpu_model(), p.threads()}];
    ++s.count;
    const std::string& date = p.date_utc();
    if (!date.empty()) {
      if (s.first.empty() || date < s.first) s.first = date;
      if (date > s.last) s.last = date;
      if (first.empty() || date < first) first = date;
      if (date > last) last = date;
    }
    if (!r.suite().empty()) suites.insert(r.suite());
    if (!p.command().empty()) commands.insert(p.command());
    any_gpu = any_gpu || !p.gpu_model().empty();
  }
  std::vector<std::pair<Key, Seen>> sorted(builds.begin(), builds.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second.first < b.second.first;
  });
  Table t;
  t.header = {"Build and machine"};
  for (const auto& [key, seen] : sorted) {
    t.header.push_back(absl::StrCat(seen.count, seen.count == 1 ? " record" : " records"));
  }
  t.text_columns = static_cast<int>(t.header.size());
  auto row = [&](const std::string& name, auto field) {
    std::vector<std::string> cells = {name};
    for (const auto& [key, seen] : sorted) {
      std::string v = field(key, seen);
      cells.push_back(v.empty() ? "-" : v);
    }
    t.rows.push_back(std::move(cells));
  };
  row("Git commit", [](const Key& k, const Seen&) { return std::get<0>(k); });
  row("LibTorch", [](const Key& k, const Seen&) { return std::get<1>(k); });
  row("Abseil", [](const Key& k, const Seen&) { return std::get<2>(k); });
  row("Protobuf", [](const Key& k, const Seen&) { return std::get<3>(k); });
  row("OpenCV", [](const Key& k, const Seen&) { return std::get<4>(k); });
  row("Compiler", [](const Key& k, const Seen&) { return std::get<5>(k); });
  row("CPU", [](const Key& k, const Seen&) { return std::get<6>(k); });
  if (any_gpu) row("GPU", [](const Key& k, const Seen&) { return std::get<7>(k); });
  row("Threads", [](const Key& k, const Seen&) { return absl::StrCat(std::get<8>(k)); });
  row("Dates (UTC)", [](const Key&, const Seen& s) {
    return s.first == s.last ? s.first : absl::StrCat(s.first, " to ", s.last);
  });
  doc.AddTable(std::move(t));
  std::vector<std::string> facts;
  if (!first.empty()) {
    facts.push_back(absl::StrCat("Runs dated ", first, " to ", last, " (UTC, from the records)."));
  }
  if (!suites.empty()) {
    facts.push_back(absl::StrCat(suites.size() == 1 ? "Suite: " : "Suites: ",
                                 absl::StrJoin(suites, ", "), "."));
  }
  if (!facts.empty()) doc.Paragraph(absl::StrJoin(facts, " "));
  std::vector<std::string> evaluation;
  for (const Dataset& d : datasets) {
    evaluation.push_back(
        absl::StrCat(DatasetName(d.kind), ": ", absl::StrJoin(EvaluationSentences(d), " ")));
  }
  if (!evaluation.empty()) {
    doc.Paragraph("Evaluation subsets (accuracy of the ANN rows is measured on the same images):");
    doc.List(std::move(evaluation));
  }
  std::string reproduce = reproduce_command;
  if (reproduce.empty() && commands.size() == 1) reproduce = *commands.begin();
  if (!commands.empty() && (commands.size() > 1 || *commands.begin() != reproduce)) {
    doc.Paragraph("The records were produced by:");
    doc.Code(absl::StrJoin(commands, "\n"));
  }
  if (!reproduce.empty()) {
    doc.Paragraph("Reproduce with:");
    doc.Code(reproduce);
  }
}

}  // namespace report_internal
}  // namespace lasnn
