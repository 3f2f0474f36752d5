#include "datasets/inspect.h"

#include <ATen/ops/empty.h>

#include <cmath>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>

#include "datasets/synthetic.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn::datasets {
namespace {

using ::testing::HasSubstr;

std::string TestDir(const std::string& name) {
  std::string dir = TestTmpPath("inspect_test_" + name);
  EXPECT_TRUE(MakeDirectories(dir).ok());
  return dir;
}

// Two 1x1x2 gray images [0, 255] and [255, 255], labels 0 and 2 of 3 classes.
Dataset Tiny() {
  Dataset d;
  d.name = "toy";
  d.split = "train";
  d.images = at::empty({2, 1, 1, 2}, at::kByte);
  uint8_t* p = d.images.data_ptr<uint8_t>();
  p[0] = 0;
  p[1] = 255;
  p[2] = 255;
  p[3] = 255;
  d.labels = at::empty({2}, at::kLong);
  d.labels.data_ptr<int64_t>()[0] = 0;
  d.labels.data_ptr<int64_t>()[1] = 2;
  d.num_classes = 3;
  d.class_names = {"a", "b", "c"};
  return d;
}

TEST(InspectTest, SummaryCountsClassesAndMoments) {
  SplitSummary s = Summarize(Tiny());
  EXPECT_EQ(s.count, 2);
  EXPECT_EQ(s.class_counts, (std::vector<int64_t>{1, 0, 1}));
  ASSERT_EQ(s.mean.size(), 1u);
  EXPECT_NEAR(s.mean[0], 0.75, 1e-12);
  EXPECT_NEAR(s.std[0], std::sqrt(0.75 - 0.75 * 0.75), 1e-12);
  std::string text = FormatSummary(Tiny(), s);
  EXPECT_NE(text.find("train: 2 images, 1x1x2"), std::string::npos) << text;
  EXPECT_NE(text.find("min 0, max 1"), std::string::npos) << text;
  EXPECT_NE(text.find("mean: 0.7500"), std::string::npos) << text;
}

TEST(InspectTest, ContactSheetIsAReadablePngOfTheImages) {
  SyntheticOptions o;
  o.train_per_class = 1;
  auto s = SyntheticSplits(DATASET_KIND_CIFAR10, o);
  ASSERT_THAT(s, IsOk());
  const std::string path = JoinPath(TestDir("sheet"), "sheet.png");
  ASSERT_TRUE(WriteContactSheet(s->train, 4, path).ok());
  cv::Mat sheet = cv::imread(path, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(sheet.empty());
  // 2x2 tiles of 32*2 pixels with 2-pixel gaps.
  EXPECT_EQ(sheet.rows, 2 + 2 * 66);
  EXPECT_EQ(sheet.cols, 2 + 2 * 66);
  EXPECT_EQ(sheet.channels(), 3);
  // Tile 1's top-left pixel is image 1's (R, G, B) at (0, 0), stored BGR.
  const uint8_t* img = s->train.images.data_ptr<uint8_t>() + 3072;
  const cv::Vec3b px = sheet.at<cv::Vec3b>(2, 2 + 66);
  EXPECT_EQ(px[2], img[0]);
  EXPECT_EQ(px[1], img[1024]);
  EXPECT_EQ(px[0], img[2048]);
}

TEST(InspectTest, ContactSheetRejectsBadArguments) {
  const std::string dir = TestDir("bad_sheet");
  EXPECT_THAT(WriteContactSheet(Tiny(), 4, JoinPath(dir, "x.jpg")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(WriteContactSheet(Tiny(), 0, JoinPath(dir, "x.png")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  absl::Status s = WriteContactSheet(Tiny(), 4, JoinPath(dir, "missing/x.png"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr(JoinPath(dir, "missing/x.png"))));
}

TEST(InspectTest, RunPrintsBothSplitsAndWritesTheSheet) {
  const std::string dir = TestDir("run");
  SyntheticOptions o;
  o.train_per_class = 3;
  o.test_per_class = 1;
  ASSERT_TRUE(WriteSyntheticDataset(DATASET_KIND_FASHION_MNIST, JoinPath(dir, "fm"), o).ok());
  InspectOptions options;
  options.spec.set_kind(DATASET_KIND_FASHION_MNIST);
  options.spec.set_path(JoinPath(dir, "fm"));
  options.out_png = JoinPath(dir, "fm.png");
  options.num_images = 9;
  std::ostringstream out;
  absl::Status s = RunInspect(options, out);
  ASSERT_THAT(s, IsOk());
  EXPECT_NE(out.str().find("train: 30 images, 1x28x28"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("test: 10 images"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("(balanced)"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("Ankle boot"), std::string::npos) << out.str();
  cv::Mat sheet = cv::imread(options.out_png, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(sheet.empty());
  EXPECT_EQ(sheet.rows, 2 + 3 * (28 * 2 + 2));
}

TEST(InspectTest, RunReturnsTheLoaderErrorAndWritesNothing) {
  const std::string dir = TestDir("run_missing");
  InspectOptions options;
  options.spec.set_kind(DATASET_KIND_CIFAR10);
  options.spec.set_path(JoinPath(dir, "nothing_here"));
  options.out_png = JoinPath(dir, "c.png");
  std::ostringstream out;
  absl::Status s = RunInspect(options, out);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr(JoinPath(dir, "nothing_here"))));
  EXPECT_FALSE(PathExists(options.out_png));
}

}  // namespace
}  // namespace lasnn::datasets
