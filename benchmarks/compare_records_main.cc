// Compares two run records, ignoring what legitimately differs between two runs of the same
// config (timings, dates, host, peak memory, the command line): exit 0 when equal, else 1 with
// the differences. Used by the determinism and crash-safety tests:
//   compare_records A.pb B.pb
#include <google/protobuf/util/message_differencer.h>

#include <cstdio>
#include <string>

#include "benchmarks/experiment/run_record.pb.h"
#include "benchmarks/experiment/record_io.h"

namespace {

void StripTimings(lasnn::RunRecord& r) {
  lasnn::Provenance* p = r.mutable_provenance();
  p->clear_date_utc();
  p->clear_hostname();
  p->clear_command();
  p->clear_git_commit();
  r.clear_peak_memory_bytes();
  r.clear_train_seconds();
  r.clear_convert_seconds();
  r.clear_eval_seconds();
  r.mutable_teacher()->clear_latency_ms();
  r.mutable_teacher()->clear_throughput_img_s();
  r.mutable_teacher()->clear_train_seconds();
  for (lasnn::TimestepCost& c : *r.mutable_costs()) {
    c.clear_latency_ms();
    c.clear_throughput_img_s();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: compare_records A.pb B.pb\n");
    return 2;
  }
  auto a = lasnn::ReadRecord(argv[1]);
  auto b = lasnn::ReadRecord(argv[2]);
  if (!a.ok() || !b.ok()) {
    std::fprintf(stderr, "compare_records: %s\n",
                 std::string((a.ok() ? b.status() : a.status()).message()).c_str());
    return 2;
  }
  StripTimings(*a);
  StripTimings(*b);
  google::protobuf::util::MessageDifferencer d;
  std::string report;
  d.ReportDifferencesToString(&report);
  if (d.Compare(*a, *b)) {
    std::printf("identical (apart from timings): %s %s\n", argv[1], argv[2]);
    return 0;
  }
  std::printf("records differ:\n%s", report.c_str());
  return 1;
}
