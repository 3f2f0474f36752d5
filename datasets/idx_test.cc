#include "datasets/idx.h"

#include <cstdlib>
#include <string>

#include "datasets/gzip_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn::datasets {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string TestDir(const std::string& name) {
  std::string dir = TestTmpPath("idx_test_" + name);
  EXPECT_TRUE(MakeDirectories(dir).ok());
  return dir;
}

// An IDX image file by hand: magic 0x00000803, N=2, 2x3 images, then 12 pixel bytes.
std::string TwoImages() {
  return std::string("\x00\x00\x08\x03"
                     "\x00\x00\x00\x02"
                     "\x00\x00\x00\x02"
                     "\x00\x00\x00\x03"
                     "\x01\x02\x03\x04\x05\x06"
                     "\xff\x00\x80\x10\x20\x30",
                     28);
}

// Labels 7 and 0.
std::string TwoLabels() { return std::string("\x00\x00\x08\x01\x00\x00\x00\x02\x07\x00", 10); }

TEST(IdxTest, HandBuiltImagesDecodeToPixels) {
  auto images = DecodeIdxImages(TwoImages(), "imgs");
  ASSERT_THAT(images, IsOk());
  ASSERT_EQ(images->sizes(), (at::IntArrayRef{2, 1, 2, 3}));
  EXPECT_EQ(images->scalar_type(), at::kByte);
  EXPECT_TRUE(images->is_contiguous());
  const uint8_t* p = images->data_ptr<uint8_t>();
  EXPECT_EQ(p[0], 1);
  EXPECT_EQ(p[5], 6);
  EXPECT_EQ(p[6], 255);
  EXPECT_EQ(p[8], 128);
  EXPECT_EQ(p[11], 0x30);
}

TEST(IdxTest, HandBuiltLabelsDecode) {
  auto labels = DecodeIdxLabels(TwoLabels(), "labs", 10);
  ASSERT_THAT(labels, IsOk());
  ASSERT_EQ(labels->numel(), 2);
  EXPECT_EQ(labels->scalar_type(), at::kLong);
  EXPECT_EQ(labels->data_ptr<int64_t>()[0], 7);
  EXPECT_EQ(labels->data_ptr<int64_t>()[1], 0);
}

TEST(IdxTest, TruncatedImagesAreDataLossNamingTheFile) {
  std::string bytes = TwoImages();
  EXPECT_THAT(DecodeIdxImages(bytes.substr(0, bytes.size() - 1), "/d/cut-images"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/d/cut-images")));
  EXPECT_THAT(DecodeIdxImages(bytes.substr(0, 10), "/d/short-header"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/d/short-header")));
  EXPECT_THAT(DecodeIdxImages("", "/d/empty"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/d/empty")));
}

TEST(IdxTest, SizesWhoseProductOverflowsAreDataLoss) {
  // 2^31 images of 65536x131072: the byte count wraps to 0 in 64 bits, so a header-only file
  // would look complete to a naive check.
  std::string bytes("\x00\x00\x08\x03"
                    "\x80\x00\x00\x00"
                    "\x00\x01\x00\x00"
                    "\x00\x02\x00\x00",
                    16);
  EXPECT_THAT(DecodeIdxImages(bytes, "/d/overflow"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/d/overflow")));
}

TEST(IdxTest, TrailingBytesAreDataLoss) {
  EXPECT_THAT(DecodeIdxImages(TwoImages() + "x", "/d/long"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/d/long")));
}

TEST(IdxTest, WrongMagicIsDataLossNamingTheFile) {
  std::string bytes = TwoImages();
  bytes[3] = 0x01;  // a label file's magic
  absl::Status s = DecodeIdxImages(bytes, "/d/wrong-magic").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss,
                          AllOf(HasSubstr("/d/wrong-magic"), HasSubstr("magic"))));
  EXPECT_THAT(DecodeIdxLabels(TwoImages(), "/d/images-as-labels", 10),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/d/images-as-labels")));
}

TEST(IdxTest, LabelOutOfRangeIsDataLossNamingTheFile) {
  std::string bytes = TwoLabels();
  bytes[9] = 10;
  absl::Status s = DecodeIdxLabels(bytes, "/d/bad-label", 10).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss,
                          AllOf(HasSubstr("/d/bad-label"), HasSubstr("out of range"))));
}

TEST(IdxTest, ReadsGzipAndPlainFilesAlike) {
  std::string dir = TestDir("gz");
  ASSERT_TRUE(WriteFileAtomically(JoinPath(dir, "plain"), TwoImages()).ok());
  ASSERT_TRUE(WriteFileAtomically(JoinPath(dir, "packed"), *GzipCompress(TwoImages())).ok());
  auto plain = ReadIdxImages(JoinPath(dir, "plain"));
  auto packed = ReadIdxImages(JoinPath(dir, "packed"));
  ASSERT_THAT(plain, IsOk());
  ASSERT_THAT(packed, IsOk());
  EXPECT_TRUE(plain->equal(*packed));
}

TEST(IdxTest, TruncatedGzipFileIsDataLossNamingIt) {
  std::string dir = TestDir("gzcut");
  std::string gz = *GzipCompress(TwoImages());
  std::string path = JoinPath(dir, "train-images-idx3-ubyte.gz");
  ASSERT_TRUE(WriteFileAtomically(path, gz.substr(0, gz.size() - 12)).ok());
  EXPECT_THAT(ReadIdxImages(path), StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)));
}

TEST(IdxTest, MissingFileIsNotFoundNamingIt) {
  std::string dir = TestDir("missing");
  absl::Status s = LoadFashionMnist(dir).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound,
                          HasSubstr(JoinPath(dir, "train-images-idx3-ubyte"))));
}

TEST(IdxTest, MissingDirectoryIsNotFoundNamingIt) {
  absl::Status s = LoadFashionMnist("/nonexistent/fashion-mnist").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/fashion-mnist")));
}

TEST(IdxTest, ImagesOfTheWrongSizeAreDataLoss) {
  // Well-formed IDX, but 2x3 images are not Fashion-MNIST.
  std::string dir = TestDir("wrongsize");
  for (const char* prefix : {"train", "t10k"}) {
    ASSERT_TRUE(
        WriteFileAtomically(JoinPath(dir, std::string(prefix) + "-images-idx3-ubyte"), TwoImages())
            .ok());
    ASSERT_TRUE(
        WriteFileAtomically(JoinPath(dir, std::string(prefix) + "-labels-idx1-ubyte"), TwoLabels())
            .ok());
  }
  EXPECT_THAT(LoadFashionMnist(dir), StatusIs(absl::StatusCode::kDataLoss,
                                              HasSubstr(JoinPath(dir, "train-images-idx3-ubyte"))));
}

}  // namespace
}  // namespace lasnn::datasets
