// Fuzzes run-record reading (a RunRecord in protobuf binary, as in results/runs/*.pb) and
// everything a report does with a record: JSON, Markdown and the self-contained HTML with its SVG
// charts. Records carry measured numbers, so NaN, infinities and huge values must render, not
// crash; the HTML must never load anything from outside the file.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "benchmarks/experiment/record_io.h"
#include "reports/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "fuzz_record.pb";
  auto record = lasnn::ParseRecord(
      absl::string_view(reinterpret_cast<const char*>(data), size), path);
  if (!record.ok()) {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(record.status(), path));
    return 0;
  }
  LASNN_FUZZ_CHECK(!record->config_hash().empty());
  (void)lasnn::RecordToJson(*record);
  // The record alone, and beside a copy with another hash (a two-row comparison).
  std::vector<lasnn::RunRecord> records = {*record};
  lasnn::RunRecord other = *record;
  other.set_config_hash(record->config_hash() + "b");
  records.push_back(other);
  const lasnn::ReportOptions options;
  const std::string markdown = lasnn::MarkdownReport(records, options);
  const std::string html = lasnn::HtmlReport(records, options);
  LASNN_FUZZ_CHECK(!markdown.empty() && !html.empty());
  LASNN_FUZZ_CHECK(!absl::StrContains(html, "<script"));
  return 0;
}
