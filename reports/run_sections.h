// The sections of the reports (reports/report.h) on what the runs cost and where they ran,
// appended to a Doc (doc.h) from a grouped Dataset (grouping.h) or from all records:
//   CostSection        "Latency and energy": latency (batch 1), throughput, ACs, MACs, energy per
//                      image and relative to the ANN teacher, per method and timesteps;
//   FiringSection      "Firing rates": per spiking layer, one table per architecture;
//   TimeSection        "Run times and memory": train / convert / evaluate seconds, peak memory;
//   ProvenanceSection  "Provenance": builds and machines (deduplicated), dates, suites, the
//                      evaluation subsets, the records' own command and the reproduce command.
// Every number comes from the records; the output depends only on their set.
#ifndef LASNN_REPORTS_RUN_SECTIONS_H_
#define LASNN_REPORTS_RUN_SECTIONS_H_

#include <string>
#include <vector>

#include "benchmarks/experiment/run_record.pb.h"
#include "reports/doc.h"
#include "reports/grouping.h"

namespace lasnn {
namespace report_internal {

// Rows of several seeds at one timestep average their measurements.
void CostSection(const Dataset& d, Doc& doc);

// Nothing when no record of the dataset has firing rates.
void FiringSection(const Dataset& d, Doc& doc);

void TimeSection(const Dataset& d, Doc& doc);

// `records`: every record of the report (excluded ones too); `datasets`: the grouped ones.
// `reproduce_command` is shown after "Reproduce with:"; when empty, the records' own command if
// they all share one (nothing when none).
void ProvenanceSection(const std::vector<RunRecord>& records, const std::vector<Dataset>& datasets,
                       const std::string& reproduce_command, Doc& doc);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_RUN_SECTIONS_H_
