#include "benchmarks/experiment_config.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "util/file_util.h"

namespace lasnn {
namespace {

constexpr char kStudent[] = R"pb(
  name: "s"
  input { channels: 1 height: 8 width: 8 }
  num_classes: 10
  layers { conv { out_channels: 4 } }
  layers { activation {} }
  layers { flatten {} }
  layers { linear { out_features: 10 } }
)pb";

std::string Experiment(const std::string& extra) {
  return std::string("data { kind: DATASET_KIND_FASHION_MNIST }\n") +
         "teacher { model {" + kStudent + "} train { epochs: 1 } }\n" + "student {" + kStudent +
         "}\n" + "train { epochs: 1 timesteps: 4 }\n" + extra;
}

bool Contains(const absl::Status& s, const std::string& what) {
  return std::string(s.message()).find(what) != std::string::npos;
}

TEST(ExperimentConfigTest, ParsesAndValidates) {
  auto c = ParseExperimentText(Experiment("method: LASNN_JOINT"), "x.textproto");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->method(), LASNN_JOINT);
}

TEST(ExperimentConfigTest, UnknownFieldIsAnErrorWithFileLineColumn) {
  auto c = ParseExperimentText("data { kind: DATASET_KIND_FASHION_MNIST }\nmethod: DIRECT\n"
                               "no_such_field: 3\n",
                               "x.textproto");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(Contains(c.status(), "x.textproto:3:")) << c.status();
  EXPECT_TRUE(Contains(c.status(), "no_such_field")) << c.status();
}

TEST(ExperimentConfigTest, OutOfRangeValueNamesFieldAndPosition) {
  const std::string prefix = Experiment("method: DIRECT\neval {\n");
  int lines_before = 0;
  for (char ch : prefix) lines_before += ch == '\n';
  auto c = ParseExperimentText(prefix + "  t_max: 99999\n}\n", "x.textproto");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(Contains(c.status(), absl::StrCat("x.textproto:", lines_before + 1, ":3: "
                                                "eval.t_max must be in [0, 4096]")))
      << c.status();

  std::string lr = Experiment("method: DIRECT\n");
  lr.replace(lr.find("train { epochs: 1 timesteps: 4 }"), 32,
             "train { epochs: 1 timesteps: 4 optimizer { lr: -1 } }");
  auto bad_lr = ParseExperimentText(lr, "y.textproto");
  ASSERT_FALSE(bad_lr.ok());
  EXPECT_TRUE(Contains(bad_lr.status(), "train.optimizer.lr must be > 0")) << bad_lr.status();
}

TEST(ExperimentConfigTest, NestedModelSpecErrorsCarryTheirPath) {
  std::string bad = Experiment("method: DIRECT");
  bad.replace(bad.rfind("out_channels: 4"), 15, "out_channels: 0");
  auto c = ParseExperimentText(bad, "z.textproto");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(Contains(c.status(), "student.layers[0].conv.out_channels")) << c.status();
}

TEST(ExperimentConfigTest, MissingMethodAndTeacherAreErrors) {
  auto c = ParseExperimentText("data { kind: DATASET_KIND_FASHION_MNIST }", "a");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(Contains(c.status(), "method must be set")) << c.status();
  auto t = ParseExperimentText("data { kind: DATASET_KIND_FASHION_MNIST } method: "
                               "CONVERSION_MAX",
                               "b");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Contains(t.status(), "teacher needs exactly one of")) << t.status();
}

TEST(ExperimentConfigTest, ResolutionFillsMethodDefaultsAndHashIgnoresNameAndPath) {
  auto c = ParseExperimentText(Experiment("method: LASNN_STAGEWISE seed: 7"), "x");
  ASSERT_TRUE(c.ok()) << c.status();
  ExperimentConfig r = ResolveExperiment(*c);
  EXPECT_EQ(r.train().distill().method(), DistillConfig::LASNN);
  EXPECT_EQ(r.train().distill().paradigm(), DistillConfig::STAGEWISE);
  EXPECT_EQ(r.train().seed(), 7u);
  EXPECT_EQ(r.eval().t_max(), 4);
  ExperimentConfig renamed = r;
  renamed.set_name("other");
  renamed.mutable_data()->set_path("/somewhere/else");
  EXPECT_EQ(ConfigHash(r), ConfigHash(renamed));
  ExperimentConfig other_seed = r;
  other_seed.set_seed(8);
  EXPECT_NE(ConfigHash(r), ConfigHash(other_seed));
  EXPECT_EQ(ConfigHash(r).size(), 16u);

  auto conv = ParseExperimentText(Experiment("method: CONVERSION_MAX"), "x");
  ASSERT_TRUE(conv.ok()) << conv.status();
  ExperimentConfig rc = ResolveExperiment(*conv);
  EXPECT_FALSE(rc.has_student());
  EXPECT_FALSE(rc.has_train());
  EXPECT_EQ(rc.eval().t_max(), 256);
  auto qcfs = ParseExperimentText(Experiment("method: QCFS"), "x");
  ASSERT_TRUE(qcfs.ok());
  EXPECT_EQ(ResolveExperiment(*qcfs).eval().t_max(), 64);
  EXPECT_EQ(ResolveExperiment(*qcfs).conversion().qcfs_train().epochs(), 1);
}

TEST(ExperimentConfigTest, SuiteExpandsGridsDedupesConversionsAndShardsPartition) {
  const std::string suite_text = std::string("name: \"t\"\nbase {\n") +
                                 Experiment("seed: 1") + "}\n" +
                                 "grids {\n  students {" + kStudent + "}\n" +
                                 "  methods: [LASNN_JOINT, DIRECT]\n  timesteps: [1, 2, 4]\n"
                                 "  seeds: [1, 2]\n}\n"
                                 "grids {\n  methods: [CONVERSION_MAX, QCFS]\n"
                                 "  students {" + kStudent + "}\n  timesteps: [1, 2]\n"
                                 "  overrides { eval { test_subset: 100 } }\n}\n";
  auto suite = ParseSuiteText(suite_text, "suite.textproto");
  ASSERT_TRUE(suite.ok()) << suite.status();
  auto all = ExpandSuite(*suite);
  ASSERT_TRUE(all.ok()) << all.status();
  // 2 methods x 2 seeds x 1 student x 3 T, then 2 conversions (student and T do not multiply).
  ASSERT_EQ(all->size(), 12u + 2u);
  EXPECT_EQ((*all)[0].name(), "t/fashion_mnist/lasnn_joint/s/T1/seed1");
  EXPECT_EQ((*all)[12].name(), "t/fashion_mnist/conversion_max/seed1");
  EXPECT_EQ((*all)[12].eval().test_subset(), 100);
  std::set<std::string> hashes;
  for (const auto& c : *all) hashes.insert(ConfigHash(c));
  EXPECT_EQ(hashes.size(), all->size());
  // Shards: disjoint, covering, deterministic.
  std::multiset<std::string> covered;
  for (int i = 0; i < 3; ++i) {
    for (const auto& c : SelectShard(*all, i, 3)) covered.insert(ConfigHash(c));
  }
  EXPECT_EQ(covered.size(), all->size());
  EXPECT_EQ(std::set<std::string>(covered.begin(), covered.end()), hashes);
  EXPECT_EQ(SelectShard(*all, 1, 3)[0].name(), (*all)[1].name());
  EXPECT_TRUE(ParseShard("2/3").ok());
  EXPECT_FALSE(ParseShard("3/3").ok());
  EXPECT_FALSE(ParseShard("x").ok());
}

TEST(ExperimentConfigTest, AGridTooLargeIsRejectedBeforeExpanding) {
  // 100 seeds x 100 timesteps x 2 methods = 20000 per student; 6 students: 120000 experiments.
  std::string seeds, timesteps, students;
  for (int i = 1; i <= 100; ++i) {
    absl::StrAppend(&seeds, i > 1 ? ", " : "", i);
    absl::StrAppend(&timesteps, i > 1 ? ", " : "", i);
  }
  for (int i = 0; i < 6; ++i) absl::StrAppend(&students, "  students {", kStudent, "}\n");
  const std::string suite_text = std::string("name: \"big\"\nbase {\n") + Experiment("seed: 1") +
                                 "}\ngrids {\n" + students +
                                 "  methods: [LASNN_JOINT, DIRECT]\n  timesteps: [" + timesteps +
                                 "]\n  seeds: [" + seeds + "]\n}\n";
  // Parsing a suite expands it, so the file is rejected with the grid named.
  auto suite = ParseSuiteText(suite_text, "big.textproto");
  ASSERT_FALSE(suite.ok());
  EXPECT_EQ(suite.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(suite.status().message().find(
                "big.textproto:2:1: grids[0]: the suite expands to more than 100000"),
            absl::string_view::npos)
      << suite.status();
}

TEST(ExperimentConfigTest, SuiteErrorsPointIntoTheFile) {
  auto bad = ParseSuiteText("name: \"t\"\ngrids {\n  timesteps: [0]\n}\n", "s.textproto");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "s.textproto:3:")) << bad.status();
  EXPECT_TRUE(Contains(bad.status(), "grids[0].timesteps[0]")) << bad.status();
  auto base_error = ParseSuiteText(std::string("name: \"t\"\nbase {\n") +
                                       Experiment("method: DIRECT\nthreads: 0\n") +
                                       "}\ngrids { }\n",
                                   "s.textproto");
  ASSERT_FALSE(base_error.ok());
  EXPECT_TRUE(Contains(base_error.status(), "threads must be in [1, 1024]"))
      << base_error.status();
}

TEST(ExperimentConfigTest, CheckedInSuitesParse) {
  for (const char* name : {"fmnist", "fmnist_quick", "fmnist_full", "fmnist_regression", "cifar10",
                           "cifar100", "tinyimagenet"}) {
    auto suite = LoadSuiteFile(std::string("benchmarks/suites/") + name + ".textproto");
    ASSERT_TRUE(suite.ok()) << name << ": " << suite.status();
    auto all = ExpandSuite(*suite);
    ASSERT_TRUE(all.ok()) << all.status();
    EXPECT_GE(all->size(), 5u) << name;
  }
  auto fmnist = LoadSuiteFile("benchmarks/suites/fmnist.textproto");
  auto all = ExpandSuite(*fmnist);
  // 4 methods x 4 T on the small student, 2 x 4 on the deeper one, 5 conversions.
  EXPECT_EQ(all->size(), 16u + 8u + 5u);
}

}  // namespace
}  // namespace lasnn
