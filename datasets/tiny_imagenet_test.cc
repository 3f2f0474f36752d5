#include "datasets/tiny_imagenet.h"

#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "datasets/synthetic.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn::datasets {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

SyntheticOptions SmallOptions() {
  SyntheticOptions o;
  o.num_classes = 3;
  o.train_per_class = 2;
  o.test_per_class = 2;
  o.seed = 11;
  return o;
}

// A fresh synthetic Tiny ImageNet tree in $TEST_TMPDIR/<name>.
std::string WriteTree(const std::string& name) {
  std::string dir = TestTmpPath("tin_" + name);
  absl::Status s = WriteSyntheticDataset(DATASET_KIND_TINY_IMAGENET, dir, SmallOptions());
  EXPECT_THAT(s, IsOk());
  return dir;
}

std::string Jpeg(const cv::Mat& m) {
  std::vector<uchar> buf;
  EXPECT_TRUE(cv::imencode(".JPEG", m, buf));
  return std::string(buf.begin(), buf.end());
}

std::string FirstTrainImage(const std::string& dir) {
  // Wnids sort as generated; the first class's first file name.
  return JoinPath(dir, "train/n01000000/images/n01000000_0.JPEG");
}

TEST(TinyImageNetTest, LoadsTheOfficialLayoutInDeterministicOrder) {
  std::string dir = WriteTree("layout");
  auto splits = LoadTinyImageNet(dir, 2);
  ASSERT_THAT(splits, IsOk());
  auto expected = SyntheticSplits(DATASET_KIND_TINY_IMAGENET, SmallOptions());
  ASSERT_THAT(expected, IsOk());
  ASSERT_EQ(splits->train.images.sizes(), (at::IntArrayRef{6, 3, 64, 64}));
  ASSERT_EQ(splits->test.images.sizes(), (at::IntArrayRef{6, 3, 64, 64}));
  EXPECT_TRUE(splits->train.images.equal(expected->train.images));
  EXPECT_TRUE(splits->train.labels.equal(expected->train.labels));
  EXPECT_TRUE(splits->test.images.equal(expected->test.images));
  EXPECT_TRUE(splits->test.labels.equal(expected->test.labels));
  EXPECT_EQ(splits->train.num_classes, 3);
  EXPECT_EQ(splits->test.split, "val");
  ASSERT_EQ(splits->train.class_names.size(), 3u);
  EXPECT_EQ(splits->train.class_names[2], "synthetic class 2, pattern 2");
}

TEST(TinyImageNetTest, ResultDoesNotDependOnDecodeThreads) {
  std::string dir = WriteTree("threads");
  auto one = LoadTinyImageNet(dir, 1);
  auto four = LoadTinyImageNet(dir, 4);
  ASSERT_TRUE(one.ok() && four.ok());
  EXPECT_TRUE(one->train.images.equal(four->train.images));
  EXPECT_TRUE(one->test.labels.equal(four->test.labels));
}

TEST(TinyImageNetTest, DecodesBgrAsRgbPlanes) {
  cv::Mat bgr(64, 64, CV_8UC3, cv::Scalar(10, 128, 250));  // B, G, R
  std::vector<uint8_t> out(3 * 64 * 64);
  ASSERT_TRUE(DecodeTinyImageNetImage(Jpeg(bgr), "x.JPEG", out.data()).ok());
  EXPECT_NEAR(out[0], 250, 3);
  EXPECT_NEAR(out[64 * 64], 128, 3);
  EXPECT_NEAR(out[2 * 64 * 64 + 100], 10, 3);
}

TEST(TinyImageNetTest, GrayscaleJpegBecomesThreeEqualChannels) {
  cv::Mat gray(64, 64, CV_8UC1, cv::Scalar(77));
  std::vector<uint8_t> out(3 * 64 * 64);
  ASSERT_TRUE(DecodeTinyImageNetImage(Jpeg(gray), "g.JPEG", out.data()).ok());
  EXPECT_EQ(out[5], out[64 * 64 + 5]);
  EXPECT_EQ(out[5], out[2 * 64 * 64 + 5]);
  EXPECT_NEAR(out[5], 77, 2);
}

TEST(TinyImageNetTest, UnreadableJpegIsDataLossNamingTheFile) {
  std::string dir = WriteTree("corrupt");
  const std::string path = FirstTrainImage(dir);
  ASSERT_TRUE(WriteFileAtomically(path, "this is not a JPEG").ok());
  absl::Status s = LoadTinyImageNet(dir, 2).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)));
}

TEST(TinyImageNetTest, WrongImageSizeIsDataLossNamingTheFile) {
  std::string dir = WriteTree("size");
  const std::string path = FirstTrainImage(dir);
  ASSERT_TRUE(WriteFileAtomically(path, Jpeg(cv::Mat(32, 64, CV_8UC3, cv::Scalar(1, 2, 3)))).ok());
  absl::Status s = LoadTinyImageNet(dir, 1).status();
  EXPECT_THAT(s,
              StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr(path), HasSubstr("64x64x3"))));
}

TEST(TinyImageNetTest, UnknownWnidInAnnotationsIsDataLoss) {
  std::string dir = WriteTree("wnid");
  const std::string path = JoinPath(dir, "val/val_annotations.txt");
  ASSERT_TRUE(WriteFileAtomically(path, "val_0.JPEG\tn99999999\t0\t0\t63\t63\n").ok());
  absl::Status s = LoadTinyImageNet(dir, 1).status();
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr(path), HasSubstr("n99999999"))));
}

TEST(TinyImageNetTest, TextFilesParseAndRejectPathsOutsideVal) {
  auto wnids = ParseTinyImageNetWnids("n02\n\n n01 \n", "wnids.txt");
  ASSERT_THAT(wnids, IsOk());
  EXPECT_EQ(*wnids, (std::vector<std::string>{"n01", "n02"}));
  EXPECT_EQ(TinyImageNetClassNames("n02\tdog, hound\nn09\tcat\n", *wnids),
            (std::vector<std::string>{"n01", "dog, hound"}));
  auto files = ParseTinyImageNetAnnotations("b.JPEG\tn02\t0 0 1 1\na.JPEG n01\n",
                                            "val_annotations.txt", *wnids);
  ASSERT_THAT(files, IsOk());
  EXPECT_EQ(*files, (std::vector<std::pair<std::string, int64_t>>{{"a.JPEG", 0}, {"b.JPEG", 1}}));
  for (const char* bad : {"..\tn01\n", "../x.JPEG\tn01\n", "/etc/passwd\tn01\n", ".\tn01\n"}) {
    auto r = ParseTinyImageNetAnnotations(bad, "val_annotations.txt", *wnids);
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("'val_annotations.txt' line 1")))
        << bad;
  }
  EXPECT_FALSE(ParseTinyImageNetWnids("n01\n..\n", "wnids.txt").ok());
  EXPECT_FALSE(ParseTinyImageNetWnids("n01\nn01\n", "wnids.txt").ok());
  EXPECT_THAT(ParseTinyImageNetWnids("\n \n", "wnids.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TinyImageNetTest, MissingFilesAndDirectoriesAreNotFoundNamingThem) {
  std::string dir = WriteTree("missing");
  // A class listed in wnids.txt without its train folder.
  ASSERT_TRUE(WriteFileAtomically(JoinPath(dir, "wnids.txt"),
                                  "n01000000\nn01000037\nn01000074\nn01000111\n")
                  .ok());
  absl::Status s = LoadTinyImageNet(dir, 1).status();
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kNotFound, HasSubstr(JoinPath(dir, "train/n01000111/images"))));

  std::string no_wnids = WriteTree("no_wnids");
  ASSERT_EQ(std::remove(JoinPath(no_wnids, "wnids.txt").c_str()), 0);
  s = LoadTinyImageNet(no_wnids, 1).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr(JoinPath(no_wnids, "wnids.txt"))));

  s = LoadTinyImageNet("/nonexistent/tiny-imagenet-200", 1).status();
  EXPECT_THAT(s,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/tiny-imagenet-200")));
}

TEST(TinyImageNetTest, MissingValImageIsNotFoundNamingIt) {
  std::string dir = WriteTree("missing_val");
  const std::string path = JoinPath(dir, "val/images/val_1.JPEG");
  ASSERT_EQ(std::remove(path.c_str()), 0);
  absl::Status s = LoadTinyImageNet(dir, 1).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

}  // namespace
}  // namespace lasnn::datasets
