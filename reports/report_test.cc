// Golden-file tests of the report on fixed records built here (test fixtures, not measurements):
// accuracy curves are formulas, costs are round numbers. To accept an intended change of the
// output: LASNN_UPDATE_GOLDENS=$PWD bazel test //reports:report_test (rewrites
// reports/testdata/report.{md,html} in the source tree), then review the diff.
#include "reports/report.h"

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "reports/record_io.h"
#include "util/file_util.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

RunRecord Base(const std::string& name, Method m, const std::string& hash) {
  RunRecord r;
  r.set_config_hash(hash);
  r.mutable_config()->set_name(absl::StrCat("fix/fashion_mnist/", name));
  r.mutable_config()->set_method(m);
  r.mutable_config()->mutable_data()->set_kind(datasets::DATASET_KIND_FASHION_MNIST);
  r.mutable_config()->mutable_energy()->set_pj_per_ac(0.9);
  r.mutable_config()->mutable_energy()->set_pj_per_mac(4.6);
  r.set_status(RunRecord::OK);
  Provenance* p = r.mutable_provenance();
  p->set_git_commit("0123456789abcdef");
  p->set_libtorch_version("1.13.0 (CPU)");
  p->set_abseil_version("20220623.1");
  p->set_protobuf_version("3.21.12");
  p->set_opencv_version("4.6.0");
  p->set_compiler("GCC 12.2.0");
  p->set_cpu_model("Test CPU");
  p->set_threads(2);
  p->set_date_utc("2026-11-24T12:00:00Z");
  TeacherResult* t = r.mutable_teacher();
  t->set_model_name("fmnist_vgg");
  t->set_test_accuracy(0.9347);
  t->set_weights_sha256("a1b2c3d4e5f60718293a4b5c6d7e8f90");
  t->set_cache_key("feedbeef00000000");
  t->set_parameters(870826);
  t->mutable_ops()->set_macs(2.0e7);
  t->mutable_ops()->set_energy_uj(92.0);
  t->set_latency_ms(1.5);
  t->set_throughput_img_s(4000);
  r.set_peak_memory_bytes(int64_t{300} << 20);
  return r;
}

RunRecord Trained(Method m, const std::string& student, int params, int T, int seed, double acc,
                  const std::string& hash) {
  RunRecord r = Base(absl::StrCat(student, "/T", T, "/seed", seed), m, hash);
  if (m == DIRECT) r.clear_teacher();
  r.set_student_name(student);
  r.set_student_parameters(params);
  r.set_train_timesteps(T);
  for (int t = 1; t <= T; ++t) r.add_accuracy_at_t(acc - 0.01 * (T - t));
  if (m != DIRECT) r.set_ann_accuracy(0.9347);
  r.set_eval_samples(10000);
  r.set_train_seconds(60 * T);
  r.set_eval_seconds(5);
  TimestepCost* c = r.add_costs();
  c->set_timesteps(T);
  c->set_latency_ms(0.5 * T);
  c->set_throughput_img_s(4000.0 / T);
  c->mutable_ops()->set_timesteps(T);
  c->mutable_ops()->set_acs(1e6 * T);
  c->mutable_ops()->set_macs(2e5);
  c->mutable_ops()->set_energy_uj((0.9e6 * T + 4.6 * 2e5) * 1e-6);
  for (const char* layer : {"layer1", "layer4", "layer8"}) {
    LayerFiring* f = r.add_firing();
    f->set_layer(layer);
    f->set_rate(0.1);
  }
  return r;
}

// A conversion curve a - (a - 0.1) * exp(-t / tau).
RunRecord Conversion(Method m, int t_max, double tau, const std::string& hash) {
  RunRecord r = Base(absl::StrCat("seed1"), m, hash);
  r.set_student_name(m == QCFS ? "fmnist_vgg_qcfs" : "fmnist_vgg");
  r.set_student_parameters(870826);
  r.set_ann_accuracy(0.934);
  for (int t = 1; t <= t_max; ++t) {
    r.add_accuracy_at_t(std::round((0.934 - 0.834 * std::exp(-t / tau)) * 1000) / 1000);
  }
  int within = -1;
  for (int t = 1; t <= t_max; ++t) {
    if (r.accuracy_at_t(t - 1) >= 0.924) {
      within = t;
      break;
    }
  }
  r.set_timesteps_within_1pt(within);
  r.set_eval_samples(1000);
  r.set_eval_subset(1000);
  r.set_convert_seconds(2.5);
  for (int T : {16, 64}) {
    if (T > t_max) continue;
    TimestepCost* c = r.add_costs();
    c->set_timesteps(T);
    c->set_latency_ms(0.4 * T);
    c->set_throughput_img_s(2000.0 / T);
    c->mutable_ops()->set_acs(3e6 * T);
    c->mutable_ops()->set_macs(2e5);
    c->mutable_ops()->set_energy_uj((0.9 * 3e6 * T + 4.6 * 2e5) * 1e-6);
  }
  LayerFiring* f = r.add_firing();
  f->set_layer("layer1");
  f->set_rate(0.05);
  return r;
}

std::vector<RunRecord> Fixture() {
  std::vector<RunRecord> v;
  int h = 0;
  auto hash = [&] { return absl::StrCat("fix", 100 + h++); };
  for (int seed : {1, 2}) {
    const double d = seed == 1 ? 0.0 : 0.004;
    for (int T : {1, 2, 4, 8}) {
      v.push_back(Trained(LASNN_JOINT, "small", 206970, T, seed, 0.90 + 0.005 * T - d, hash()));
    }
  }
  for (int T : {1, 2, 4, 8}) {
    v.push_back(Trained(LASNN_STAGEWISE, "small", 206970, T, 1, 0.895 + 0.005 * T, hash()));
    v.push_back(Trained(DIRECT, "small", 206970, T, 1, 0.87 + 0.004 * T, hash()));
    v.push_back(Trained(LOGIT_KD, "small", 206970, T, 1, 0.88 + 0.004 * T, hash()));
    v.push_back(Trained(LASNN_JOINT, "deeper", 218586, T, 1, 0.91 + 0.004 * T, hash()));
  }
  v.push_back(Conversion(CONVERSION_MAX, 256, 40, hash()));
  v.push_back(Conversion(CONVERSION_ROBUST, 256, 15, hash()));
  v.push_back(Conversion(SPIKE_NORM, 256, 30, hash()));
  v.push_back(Conversion(QCFS, 64, 2, hash()));
  RunRecord diverged = Base("lasnn_joint/small/T8/seed9", LASNN_JOINT, hash());
  diverged.set_status(RunRecord::DIVERGED);
  diverged.set_status_message("NaN loss at step 17");
  diverged.add_accuracy_at_t(0.123456);  // must never be shown
  v.push_back(diverged);
  return v;
}

ReportOptions Options() {
  ReportOptions o;
  o.title = "Fixture report";
  o.reproduce_command = "bazel run //benchmarks:reproduce_fmnist";
  return o;
}

void CompareWithGolden(const std::string& got, const std::string& name) {
  const std::string rel = absl::StrCat("reports/testdata/", name);
  if (const char* ws = std::getenv("LASNN_UPDATE_GOLDENS")) {
    ASSERT_TRUE(WriteFileAtomically(JoinPath(ws, rel), got).ok());
    return;
  }
  auto want = ReadFileToString(rel);
  ASSERT_TRUE(want.ok()) << want.status();
  if (got == *want) return;
  std::vector<std::string> a = absl::StrSplit(got, '\n'), b = absl::StrSplit(*want, '\n');
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string x = i < a.size() ? a[i] : "<end>", y = i < b.size() ? b[i] : "<end>";
    if (x != y) {
      FAIL() << rel << " differs at line " << i + 1 << ":\n  got:  " << x << "\n  want: " << y
             << "\nIf intended: LASNN_UPDATE_GOLDENS=$PWD bazel test //reports:report_test";
    }
  }
}

TEST(ReportTest, MarkdownMatchesGolden) {
  CompareWithGolden(MarkdownReport(Fixture(), Options()), "report.md");
}

TEST(ReportTest, HtmlMatchesGolden) {
  CompareWithGolden(HtmlReport(Fixture(), Options()), "report.html");
}

TEST(ReportTest, KeyFacts) {
  const std::string md = MarkdownReport(Fixture(), Options());
  const std::string html = HtmlReport(Fixture(), Options());
  // The diverged run is listed as failed and its number never appears.
  EXPECT_NE(md.find("Failed / excluded runs"), std::string::npos);
  EXPECT_NE(md.find("NaN loss at step 17"), std::string::npos);
  EXPECT_EQ(md.find("12.35"), std::string::npos);
  EXPECT_EQ(html.find("12.35"), std::string::npos);
  // Seeds aggregate; the speed-up sentence against MaxNorm; depth table; reproduce command.
  EXPECT_NE(md.find("(n=2)"), std::string::npos);
  EXPECT_NE(md.find("fewer timesteps than MaxNorm conversion"), std::string::npos);
  EXPECT_NE(md.find("### Depth"), std::string::npos);
  EXPECT_NE(md.find("bazel run //benchmarks:reproduce_fmnist"), std::string::npos);
  EXPECT_NE(md.find("on the first 1000 test images"), std::string::npos);
  // Self-contained HTML: inline SVG, nothing fetched.
  EXPECT_NE(html.find("<svg"), std::string::npos);
  std::string no_ns = html;
  for (size_t p; (p = no_ns.find("xmlns=\"http://www.w3.org/2000/svg\"")) != std::string::npos;) {
    no_ns.erase(p, 34);
  }
  EXPECT_EQ(no_ns.find("http://"), std::string::npos);
  EXPECT_EQ(no_ns.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(ReportTest, WriteReportsFromRecordFilesAndErrors) {
  const std::string runs = TestTmpPath("runs"), out = TestTmpPath("out");
  for (const RunRecord& r : Fixture()) ASSERT_TRUE(WriteRecord(runs, r).ok());
  ASSERT_TRUE(WriteReports(runs, out, Options()).ok());
  auto md = ReadFileToString(JoinPath(out, "report.md"));
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(*md, MarkdownReport(Fixture(), Options()));  // sorted by hash = fixture order
  EXPECT_TRUE(PathExists(JoinPath(runs, "fix100.json")));
  // A corrupt record names its file.
  ASSERT_TRUE(WriteFileAtomically(JoinPath(runs, "zzz.pb"), "\xff\xff not a proto").ok());
  absl::Status s = WriteReports(runs, out, Options());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("zzz.pb"), std::string::npos) << s;
  // No records.
  EXPECT_FALSE(WriteReports(TestTmpPath("empty_runs_missing"), out, Options()).ok());
  // A bad hash is refused.
  RunRecord bad = Fixture()[0];
  bad.set_config_hash("../evil");
  EXPECT_FALSE(WriteRecord(runs, bad).ok());
}

}  // namespace
}  // namespace lasnn
