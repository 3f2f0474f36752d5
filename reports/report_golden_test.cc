// Golden-file test of the reports on fixed TEST FIXTURE records (reports/testdata/records/, made by
// reports/testdata/make_fixture_records.py; invented numbers, not measurements), plus direct
// checks of the facts the report must state.
//
// To accept an intended change of the output, rewrite the goldens and review their diff:
//   bazel test //reports:report_golden_test --test_env=LASNN_UPDATE_GOLDENS=$PWD
#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/text_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "benchmarks/experiment/record_io.h"
#include "reports/report.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using ::testing::HasSubstr;

constexpr char kRecordsDir[] = "reports/testdata/records";
constexpr char kGoldenDir[] = "reports/testdata/golden";

std::vector<RunRecord> FixtureRecords() {
  std::vector<std::string> names;
  DIR* d = opendir(kRecordsDir);
  EXPECT_NE(d, nullptr) << kRecordsDir;
  if (d == nullptr) return {};
  while (const dirent* e = readdir(d)) {
    if (absl::EndsWith(e->d_name, ".textproto")) names.push_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<RunRecord> records;
  for (const std::string& name : names) {
    const std::string path = JoinPath(kRecordsDir, name);
    auto text = ReadFileToString(path);
    EXPECT_THAT(text, IsOk());
    if (!text.ok()) continue;
    RunRecord r;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(*text, &r)) << path;
    records.push_back(r);
  }
  return records;
}

ReportOptions Options() {
  ReportOptions o;
  o.title = "LaSNN-Bench: Fashion-MNIST (test fixture)";
  o.reproduce_command = "bazel run //benchmarks:reproduce_fmnist";
  o.note = "Made from hand-written test fixture records, not from measurements.";
  return o;
}

// Compares `got` with the golden file, or rewrites the golden when LASNN_UPDATE_GOLDENS names the
// source tree. On a mismatch the message shows the first differing line.
void CompareWithGolden(const std::string& got, const std::string& name) {
  const std::string rel = JoinPath(kGoldenDir, name);
  if (const char* tree = std::getenv("LASNN_UPDATE_GOLDENS"); tree != nullptr && *tree != '\0') {
    const std::string path = JoinPath(tree, rel);
    const absl::Status s = WriteFileAtomically(path, got);
    ASSERT_THAT(s, IsOk());
    std::printf("rewrote %s\n", path.c_str());
    return;
  }
  auto want = ReadFileToString(rel);
  ASSERT_THAT(want, IsOk());
  if (got == *want) return;
  const std::vector<std::string> a = absl::StrSplit(got, '\n'), b = absl::StrSplit(*want, '\n');
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string x = i < a.size() ? a[i] : "<end of output>";
    const std::string y = i < b.size() ? b[i] : "<end of golden>";
    if (x != y) {
      FAIL() << rel << " differs first at line " << i + 1 << ":\n  got:    " << x
             << "\n  golden: " << y
             << "\nIf the change is intended: bazel test //reports:report_golden_test "
                "--test_env=LASNN_UPDATE_GOLDENS=$PWD, then review the diff.";
    }
  }
}

// The text from `heading` to the next heading of the same or a higher level ("## " / "### ").
std::string Section(const std::string& md, const std::string& heading) {
  const size_t start = md.find(heading + "\n");
  if (start == std::string::npos) return "";
  const std::string level = heading.substr(0, heading.find(' ') + 1);  // "### "
  size_t end = start + heading.size();
  while ((end = md.find("\n#", end)) != std::string::npos) {
    const size_t hashes = md.find_first_not_of('#', end + 1) - (end + 1);
    if (hashes + 1 <= level.size()) break;
    ++end;
  }
  return md.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TEST(ReportGoldenTest, FixtureRecordsAreComplete) {
  const std::vector<RunRecord> records = FixtureRecords();
  ASSERT_EQ(records.size(), 35u);
  int with_outcomes = 0;
  for (const RunRecord& r : records) {
    EXPECT_TRUE(IsValidRecordName(r.config_hash())) << r.config().name();
    EXPECT_TRUE(r.config().data().kind() == datasets::DATASET_KIND_FASHION_MNIST);
    EXPECT_EQ(r.config().eval().reference_timesteps(), 4) << r.config().name();
    if (!r.has_outcomes()) continue;
    ++with_outcomes;
    // Outcomes agree with the accuracies the record states.
    ASSERT_EQ(r.outcomes().predicted_at_t_size(), r.accuracy_at_t_size()) << r.config().name();
    EXPECT_EQ(r.outcomes().num_images(), r.eval_samples());
    for (int t = 0; t < r.accuracy_at_t_size(); ++t) {
      int right = 0;
      for (int i = 0; i < r.outcomes().num_images(); ++i) {
        right += r.outcomes().predicted_at_t(t)[i] == r.outcomes().labels()[i];
      }
      EXPECT_NEAR(static_cast<double>(right) / r.eval_samples(), r.accuracy_at_t(t), 1e-9)
          << r.config().name() << " t = " << t + 1;
    }
  }
  // LaSNN (joint) small (2 seeds x 4 T), logit KD (4 T), MaxNorm, QCFS.
  EXPECT_EQ(with_outcomes, 14);
}

TEST(ReportGoldenTest, MarkdownMatchesGolden) {
  CompareWithGolden(MarkdownReport(FixtureRecords(), Options()), "report.md");
}

TEST(ReportGoldenTest, HtmlMatchesGolden) {
  CompareWithGolden(HtmlReport(FixtureRecords(), Options()), "report.html");
}

TEST(ReportGoldenTest, OutputDoesNotDependOnRecordOrder) {
  std::vector<RunRecord> records = FixtureRecords();
  const std::string md = MarkdownReport(records, Options());
  const std::string html = HtmlReport(records, Options());
  std::reverse(records.begin(), records.end());
  EXPECT_EQ(MarkdownReport(records, Options()), md);
  EXPECT_EQ(HtmlReport(records, Options()), html);
}

TEST(ReportGoldenTest, DivergedRunIsListedAsFailedAndNeverTabulated) {
  const std::string md = MarkdownReport(FixtureRecords(), Options());
  const std::string html = HtmlReport(FixtureRecords(), Options());
  const std::string failed = Section(md, "### Failed / excluded runs");
  ASSERT_FALSE(failed.empty()) << md;
  EXPECT_NE(failed.find("Feature KD"), std::string::npos) << failed;
  EXPECT_NE(failed.find("DIVERGED"), std::string::npos) << failed;
  EXPECT_NE(failed.find("loss is NaN at step 137"), std::string::npos) << failed;
  // Its stray numbers (accuracy 43.21%, firing rate 0.432) appear nowhere, and Feature KD (its
  // only method) appears in no table but the failures.
  EXPECT_EQ(md.find("43.21"), std::string::npos);
  EXPECT_EQ(html.find("43.21"), std::string::npos);
  EXPECT_EQ(md.find("0.432"), std::string::npos);
  const std::string dataset = Section(md, "## Fashion-MNIST");
  ASSERT_FALSE(dataset.empty());
  EXPECT_EQ(dataset.find("Feature KD"), std::string::npos) << dataset;
  EXPECT_EQ(Section(md, "### Comparison").find("Feature KD"), std::string::npos);
  EXPECT_NE(md.find("35 run records: 1 DIVERGED, 34 OK."), std::string::npos);
}

TEST(ReportGoldenTest, StatesTheKeyResults) {
  const std::string md = MarkdownReport(FixtureRecords(), Options());
  const std::string max_norm = MethodDisplayName(CONVERSION_MAX);
  const std::string qcfs = MethodDisplayName(QCFS);
  // Teacher line.
  EXPECT_NE(md.find("ANN teacher fmnist_vgg, test accuracy 93.40% on the whole test set, "
                    "870,826 parameters, weights SHA-256 400dd948f504…"),
            std::string::npos);
  // Two seeds of LaSNN (joint) at T = 4 on the first 100 images, 93 and 92 right: mean 92.50,
  // Student-t interval 92.50 ± 12.706 * 0.707 / sqrt(2) = ± 6.35 (wider than the images'
  // bootstrap). One run with outcomes: the bootstrap over its images. Older records: none.
  const std::string comparison = Section(md, "### Comparison");
  EXPECT_NE(comparison.find("| LaSNN (joint) | fmnist_student_small | 4 | 92.50 | 86.15–98.85 "
                            "(seeds and images) | 1.50 | 94.00 | 2 | 100 |"),
            std::string::npos)
      << comparison;
  EXPECT_NE(comparison.find("| Logit KD | fmnist_student_small | 8 | 93.00 | 88.00–98.00 (images) "
                            "| 1.00 | 94.00 | 1 | 100 |"),
            std::string::npos);
  EXPECT_NE(comparison.find("| LaSNN (joint) | fmnist_student_deeper | 4 | 92.62 | no per-image "
                            "outcomes | 0.78 | 93.40 | 1 | 10000 |"),
            std::string::npos);
  // Conversion rows at the cost timesteps and the first t within 1 point; never for Spike-Norm.
  EXPECT_NE(comparison.find(absl::StrCat("| ", max_norm, " | fmnist_vgg | 128 | 93.00 | "
                                         "88.00–97.00 (images) |")),
            std::string::npos);
  EXPECT_NE(comparison.find(absl::StrCat("| ", max_norm,
                                         " | fmnist_vgg | 128 (first t within 1 pt) |")),
            std::string::npos);
  EXPECT_NE(comparison.find(absl::StrCat("| ", MethodDisplayName(SPIKE_NORM),
                                         " | fmnist_vgg | never (t≤256) |")),
            std::string::npos);
  EXPECT_NE(comparison.find(absl::StrCat("| ", qcfs, " | fmnist_vgg_qcfs | 64 |")),
            std::string::npos);
  EXPECT_EQ(comparison.find(absl::StrCat("| ", qcfs, " | fmnist_vgg_qcfs | 128 |")),
            std::string::npos);
  // Paired differences: against the reference and the ANN, on the shared images; QCFS's own ANN
  // has no outcomes; results without outcomes are named, not tabulated.
  const std::string diffs = Section(md, "### Paired differences");
  EXPECT_NE(diffs.find("| LaSNN (joint) | fmnist_student_small | 4 | reference | -1.50 ["),
            std::string::npos)
      << diffs;
  EXPECT_NE(diffs.find(absl::StrCat("| ", max_norm, " | fmnist_vgg | 16 | -35.50 [-44.50, "
                                    "-26.50] (images, seeds pooled (1 vs 2)) | -37.00 [")),
            std::string::npos)
      << diffs;
  EXPECT_NE(diffs.find("its ANN (QCFS-trained) has no per-image outcomes"), std::string::npos);
  EXPECT_NE(diffs.find("for want of per-image outcomes (older records): LaSNN (joint) on "
                       "fmnist_student_small (Poisson input); LaSNN (joint) on "
                       "fmnist_student_deeper;"),
            std::string::npos);
  // Poisson-coded runs are rows of their own, named by their input, and never the reference
  // (LaSNN at T = 8 on Poisson input is the largest T, but the direct LaSNN at T = 4 is fixed).
  const std::string table = Section(md, "### Comparison");
  EXPECT_NE(table.find("| LaSNN (joint) | fmnist_student_small (Poisson input) | 8 | 90.12 |"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| Direct (surrogate BPTT) | fmnist_student_small (Poisson input) | 8 | "
                       "88.74 |"),
            std::string::npos);
  EXPECT_EQ(diffs.find("| Direct"), std::string::npos);
  // The reference is fixed by the config, not chosen by test accuracy; a ratio is claimed only
  // when its interval excludes 1 (MaxNorm), else the budget does not resolve it (QCFS, logit KD),
  // and never without per-image outcomes (RobustNorm, the second LaSNN paradigm).
  const std::string match = Section(md, "### Timesteps to match LaSNN");
  EXPECT_NE(match.find("Reference: LaSNN (joint) on fmnist_student_small at T = 4, chosen without "
                       "the test set: fixed by the records' config (eval.reference_timesteps = "
                       "4). It reaches 92.50% on its 100 test images (mean of 2 seeds, 95% "
                       "interval 86.15–98.85)."),
            std::string::npos)
      << match;
  EXPECT_NE(match.find(absl::StrCat("- LaSNN needs 32x fewer timesteps than ", max_norm,
                                    " (T = 4 vs t = 128; 95% interval 14x–∞, 100 shared test "
                                    "images).")),
            std::string::npos)
      << match;
  EXPECT_NE(match.find(absl::StrCat("- LaSNN vs ", qcfs,
                                    ": the budget does not resolve which needs fewer timesteps "
                                    "(T = 4 vs t = 16, ratio 4x; 95% interval 1x–∞")),
            std::string::npos);
  EXPECT_NE(match.find("- LaSNN vs Logit KD on fmnist_student_small: the budget does not resolve"),
            std::string::npos);
  EXPECT_NE(match.find(absl::StrCat("- ", MethodDisplayName(CONVERSION_ROBUST),
                                    " reaches the reference's accuracy at t = 53 (13.2x LaSNN's "
                                    "T = 4); no per-image outcomes, so no interval and no claim.")),
            std::string::npos);
  EXPECT_NE(match.find(absl::StrCat("- ", MethodDisplayName(LASNN_STAGEWISE),
                                    " on fmnist_student_small reaches the reference's accuracy "
                                    "at T = 8 (2x LaSNN's T = 4); no per-image outcomes")),
            std::string::npos);
  EXPECT_NE(match.find("- Direct (surrogate BPTT) on fmnist_student_small: not reached within "
                       "T≤8 (no per-image outcomes, so no interval)."),
            std::string::npos);
  size_t claims = 0;
  for (size_t at = match.find("LaSNN needs"); at != std::string::npos;
       at = match.find("LaSNN needs", at + 1)) {
    ++claims;
  }
  EXPECT_EQ(claims, 1u) << match;
  // Evaluation subsets are stated.
  EXPECT_NE(md.find("Trained SNNs (LaSNN (joint), Logit KD) evaluated on the first 100 test "
                    "images."),
            std::string::npos);
  EXPECT_NE(md.find("evaluated on the first 1000 test images."), std::string::npos);
  EXPECT_NE(md.find("evaluated on the whole test set (10000 images)."), std::string::npos);
  // The ANN row of the energy table and a depth table with both students.
  EXPECT_NE(md.find("| ANN teacher | fmnist_vgg | ANN | 0.92 | 4310 | 0 | 19.09 M | 87.835 | "
                    "1.000x |"),
            std::string::npos);
  const std::string depth = Section(md, "### Depth");
  EXPECT_NE(depth.find("| fmnist_student_small | LaSNN (joint) | 206,970 | 89.50 ± 0.71 (n=2) |"),
            std::string::npos)
      << depth;
  EXPECT_NE(depth.find("| fmnist_student_deeper | LaSNN (joint) | 218,586 | 90.20 |"),
            std::string::npos);
  // Provenance and the command.
  EXPECT_NE(md.find("Reproduce with:\n\n```\nbazel run //benchmarks:reproduce_fmnist\n```"),
            std::string::npos);
  EXPECT_NE(md.find("5e1f0c3a9b2d4e6f8a7b9c0d1e2f3a4b5c6d7e8f"), std::string::npos);
}

// Without eval.reference_timesteps the reference is the LaSNN result with the largest T, even
// when a smaller T is more accurate on the test set; without per-image outcomes no ratio is
// claimed at all.
TEST(ReportGoldenTest, ReferenceNeverChosenByTestAccuracyAndNoClaimWithoutOutcomes) {
  std::vector<RunRecord> records = FixtureRecords();
  for (RunRecord& r : records) {
    r.mutable_config()->mutable_eval()->clear_reference_timesteps();
    // LaSNN (joint) on the deeper student at T = 2 becomes the most accurate LaSNN result.
    if (r.config().method() == LASNN_JOINT && r.train_timesteps() == 2 &&
        r.student_name() == "fmnist_student_deeper") {
      r.set_accuracy_at_t(1, 0.999);
    }
  }
  std::string match = Section(MarkdownReport(records, Options()), "### Timesteps to match LaSNN");
  EXPECT_NE(match.find("Reference: LaSNN (joint) on fmnist_student_small at T = 8, chosen without "
                       "the test set: the LaSNN result with the largest T trained (no reference "
                       "is fixed in the records' config, eval.reference_timesteps, and records "
                       "carry no held-out accuracy to choose by)."),
            std::string::npos)
      << match;
  for (RunRecord& r : records) {
    r.clear_outcomes();
    r.mutable_teacher()->clear_outcomes();
  }
  const std::string md = MarkdownReport(records, Options());
  match = Section(md, "### Timesteps to match LaSNN");
  EXPECT_EQ(match.find("fewer timesteps than"), std::string::npos) << match;
  EXPECT_NE(match.find("no per-image outcomes, so no interval and no claim"), std::string::npos);
  EXPECT_EQ(md.find("### Paired differences"), std::string::npos);
}

TEST(ReportGoldenTest, HtmlIsSelfContained) {
  const std::string html = HtmlReport(FixtureRecords(), Options());
  EXPECT_TRUE(absl::StartsWith(html, "<!DOCTYPE html>\n"));
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  // The only URLs are the SVG namespace.
  const std::string ns = "xmlns=\"http://www.w3.org/2000/svg\"";
  std::string rest = absl::StrReplaceAll(html, {{ns, ""}});
  EXPECT_EQ(rest.find("http://"), std::string::npos);
  EXPECT_EQ(rest.find("https://"), std::string::npos);
  EXPECT_EQ(rest.find("//www."), std::string::npos);
}

TEST(ReportGoldenTest, EscapesRecordText) {
  std::vector<RunRecord> records = FixtureRecords();
  for (RunRecord& r : records) {
    if (r.status() != RunRecord::OK) r.set_status_message("<script>alert(\"x\")</script> & | pipe");
  }
  ReportOptions o = Options();
  o.title = "A <b>title</b> & more";
  const std::string html = HtmlReport(records, o);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; | pipe"),
            std::string::npos);
  EXPECT_NE(html.find("<title>A &lt;b&gt;title&lt;/b&gt; &amp; more</title>"), std::string::npos);
  const std::string md = MarkdownReport(records, o);
  EXPECT_NE(md.find("</script> & \\| pipe"), std::string::npos);  // a pipe would split the cell
}

// Sparse records: no teacher anywhere, a second dataset with a conversion only, an OK record
// without accuracies, no provenance. The report still renders and states what it can.
TEST(ReportGoldenTest, HandlesSparseRecords) {
  std::vector<RunRecord> records(4);
  records[0].set_config_hash("direct");
  records[0].mutable_config()->set_name("direct_only");
  records[0].mutable_config()->set_method(DIRECT);
  records[0].mutable_config()->mutable_data()->set_kind(datasets::DATASET_KIND_FASHION_MNIST);
  records[0].set_status(RunRecord::OK);
  records[0].set_student_name("tiny");
  records[0].set_train_timesteps(2);
  records[0].add_accuracy_at_t(0.5);
  records[0].add_accuracy_at_t(0.625);
  records[0].set_eval_samples(200);
  records[1].set_config_hash("conv");
  records[1].mutable_config()->set_method(CONVERSION_ROBUST);
  records[1].mutable_config()->mutable_data()->set_kind(datasets::DATASET_KIND_CIFAR10);
  records[1].set_status(RunRecord::OK);
  records[1].set_ann_accuracy(0.8);
  for (int t = 1; t <= 8; ++t) records[1].add_accuracy_at_t(0.1 * t);
  records[1].set_eval_samples(100);
  records[1].set_eval_subset(100);
  records[2].set_config_hash("no_accuracy");
  records[2].mutable_config()->set_name("ok_but_empty");
  records[2].mutable_config()->set_method(LASNN_JOINT);
  records[2].set_status(RunRecord::OK);
  records[2].set_train_timesteps(4);
  records[3].set_config_hash("failed");
  records[3].mutable_config()->set_method(QCFS);
  records[3].set_status(RunRecord::FAILED);
  records[3].set_status_message("out of memory");
  const std::string md = MarkdownReport(records, ReportOptions());
  const std::string html = HtmlReport(records, ReportOptions());
  EXPECT_NE(md.find("4 run records: 1 FAILED, 2 OK, 1 OK but excluded."), std::string::npos)
      << md;
  EXPECT_NE(md.find("| ok_but_empty | Unknown dataset | LaSNN (joint) | - | 4 | OK (excluded) | "
                    "no accuracy at T = 4 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("No ANN teacher in these records."), std::string::npos);
  EXPECT_NE(md.find("| Direct (surrogate BPTT) | tiny | 2 | 62.50 | no per-image outcomes | - | - "
                    "| 1 | 200 |"),
            std::string::npos);
  EXPECT_NE(md.find("## CIFAR-10"), std::string::npos);
  // Cost rows 16..256 are beyond the 8-step curve: the row at its length, then within 1 point.
  const std::string robust = MethodDisplayName(CONVERSION_ROBUST);
  EXPECT_NE(md.find(absl::StrCat("| ", robust, " | - | 8 | 80.00 | no per-image outcomes | 0.00 | "
                                 "80.00 | 1 | 100 |")),
            std::string::npos)
      << md;
  EXPECT_NE(md.find(absl::StrCat("| ", robust, " | - | 8 (first t within 1 pt) |")),
            std::string::npos);
  EXPECT_NE(md.find("No LaSNN result for this dataset"), std::string::npos);
  EXPECT_NE(md.find("Conversion curves evaluated on the first 100 test images."),
            std::string::npos);
  EXPECT_EQ(md.find("Reproduce with:"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
}

TEST(ReportGoldenTest, WriteReportsFromRecordFiles) {
  const std::string runs = TestTmpPath("runs"), out = TestTmpPath("out/report");
  const std::vector<RunRecord> records = FixtureRecords();
  for (const RunRecord& r : records) ASSERT_THAT(WriteRecord(runs, r), IsOk());
  ASSERT_THAT(WriteReports(runs, out, Options()), IsOk());
  auto md = ReadFileToString(JoinPath(out, "report.md"));
  auto html = ReadFileToString(JoinPath(out, "report.html"));
  ASSERT_THAT(md, IsOk());
  ASSERT_THAT(html, IsOk());
  EXPECT_EQ(*md, MarkdownReport(records, Options()));
  EXPECT_EQ(*html, HtmlReport(records, Options()));
  auto csv = ReadFileToString(JoinPath(out, "report.csv"));
  ASSERT_THAT(csv, IsOk());
  EXPECT_EQ(*csv, SummaryCsv(records));
  EXPECT_THAT(*csv, HasSubstr("dataset,method,student,T,accuracy_pct,ci95_low_pct"));
  EXPECT_THAT(*csv, HasSubstr("Fashion-MNIST,LaSNN (joint),"));
}

TEST(ReportGoldenTest, WriteReportsErrors) {
  const std::string out = TestTmpPath("out_errors");
  // A missing runs directory and one without records.
  EXPECT_THAT(WriteReports(TestTmpPath("missing_runs"), out, Options()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing_runs")));
  const std::string empty = TestTmpPath("empty_runs");
  ASSERT_THAT(MakeDirectories(empty), IsOk());
  EXPECT_THAT(WriteReports(empty, out, Options()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no run records")));
  // A corrupt record is named.
  const std::string runs = TestTmpPath("corrupt_runs");
  ASSERT_THAT(WriteRecord(runs, FixtureRecords().front()), IsOk());
  ASSERT_THAT(WriteFileAtomically(JoinPath(runs, "broken.pb"), "\xff\xff\xff"), IsOk());
  EXPECT_THAT(WriteReports(runs, out, Options()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("broken.pb")));
  EXPECT_FALSE(PathExists(JoinPath(out, "report.md")));
}

}  // namespace
}  // namespace lasnn
