#include "datasets/cifar.h"

#include <cstdlib>
#include <string>

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
  std::string dir = TestTmpPath("cifar_test_" + name);
  EXPECT_TRUE(MakeDirectories(dir).ok());
  return dir;
}

// One CIFAR-10 record: label, then pixel k = (k * 7 + seed) mod 256.
std::string Record10(uint8_t label, int seed) {
  std::string r(1, static_cast<char>(label));
  for (int k = 0; k < kCifarImageBytes; ++k) r.push_back(static_cast<char>((k * 7 + seed) % 256));
  return r;
}

std::string Record100(uint8_t coarse, uint8_t fine, int seed) {
  std::string r = Record10(fine, seed);
  return std::string(1, static_cast<char>(coarse)) + r;
}

TEST(CifarTest, OneRecordDecodesToLabelAndPlanes) {
  auto d = DecodeCifar10(Record10(3, 1), "one.bin");
  ASSERT_THAT(d, IsOk());
  ASSERT_EQ(d->images.sizes(), (at::IntArrayRef{1, 3, 32, 32}));
  EXPECT_EQ(d->labels.data_ptr<int64_t>()[0], 3);
  const uint8_t* p = d->images.data_ptr<uint8_t>();
  EXPECT_EQ(p[0], 1);                     // R(0, 0)
  EXPECT_EQ(p[33], (33 * 7 + 1) % 256);   // R(1, 1)
  EXPECT_EQ(p[1024], (1024 * 7 + 1) % 256);  // G(0, 0): the second plane
  EXPECT_EQ(p[3071], (3071 * 7 + 1) % 256);  // B(31, 31)
  EXPECT_EQ(d->num_classes, 10);
}

TEST(CifarTest, Cifar100FineByDefaultCoarseSelectable) {
  std::string bytes = Record100(4, 42, 0) + Record100(19, 99, 5);
  auto fine = DecodeCifar100(bytes, "two.bin", Cifar100Labels::kFine);
  ASSERT_THAT(fine, IsOk());
  EXPECT_EQ(fine->num_classes, 100);
  EXPECT_EQ(fine->labels.data_ptr<int64_t>()[0], 42);
  EXPECT_EQ(fine->labels.data_ptr<int64_t>()[1], 99);
  EXPECT_EQ(fine->images.data_ptr<uint8_t>()[kCifarImageBytes], 5);
  auto coarse = DecodeCifar100(bytes, "two.bin", Cifar100Labels::kCoarse);
  ASSERT_THAT(coarse, IsOk());
  EXPECT_EQ(coarse->num_classes, 20);
  EXPECT_EQ(coarse->labels.data_ptr<int64_t>()[1], 19);
}

TEST(CifarTest, SizeNotAMultipleOfTheRecordIsDataLossNamingTheFile) {
  std::string bytes = Record10(1, 0) + Record10(2, 0);
  EXPECT_THAT(DecodeCifar10(bytes.substr(0, bytes.size() - 100), "/d/cut_batch.bin"),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("/d/cut_batch.bin"), HasSubstr("3073"))));
  // A CIFAR-10 file read as CIFAR-100 is also caught by its size.
  EXPECT_THAT(DecodeCifar100(bytes, "/d/c10.bin", Cifar100Labels::kFine),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/d/c10.bin")));
  EXPECT_THAT(DecodeCifar10("", "/d/empty.bin"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/d/empty.bin")));
}

TEST(CifarTest, LabelOutOfRangeIsDataLossNamingTheFile) {
  EXPECT_THAT(DecodeCifar10(Record10(10, 0), "/d/label10.bin"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/d/label10.bin")));
  EXPECT_THAT(DecodeCifar100(Record100(2, 100, 0), "/d/fine100.bin", Cifar100Labels::kFine),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/d/fine100.bin")));
  // The label not selected is validated too.
  EXPECT_THAT(DecodeCifar100(Record100(20, 3, 0), "/d/coarse20.bin", Cifar100Labels::kFine),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/d/coarse20.bin")));
}

TEST(CifarTest, LoadsTheOfficialFileLayout) {
  std::string dir = TestDir("layout");
  for (int b = 1; b <= 5; ++b) {
    ASSERT_TRUE(WriteFileAtomically(JoinPath(dir, "data_batch_" + std::to_string(b) + ".bin"),
                                    Record10(b, b) + Record10(b + 4, b + 10))
                    .ok());
  }
  ASSERT_TRUE(WriteFileAtomically(JoinPath(dir, "test_batch.bin"), Record10(9, 0)).ok());
  auto splits = LoadCifar10(dir);
  ASSERT_THAT(splits, IsOk());
  ASSERT_EQ(splits->train.images.size(0), 10);
  const int64_t* labels = splits->train.labels.data_ptr<int64_t>();
  EXPECT_EQ(labels[0], 1);
  EXPECT_EQ(labels[1], 5);
  EXPECT_EQ(labels[8], 5);
  EXPECT_EQ(labels[9], 9);
  EXPECT_EQ(splits->train.images.data_ptr<uint8_t>()[9 * kCifarImageBytes], 15);
  EXPECT_EQ(splits->test.images.size(0), 1);
  EXPECT_EQ(splits->train.split, "train");
  EXPECT_EQ(splits->test.split, "test");
  ASSERT_EQ(splits->train.class_names.size(), 10u);
  EXPECT_EQ(splits->train.class_names[9], "truck");
}

TEST(CifarTest, MissingBatchFileIsNotFoundNamingIt) {
  std::string dir = TestDir("missing_file");
  for (int b = 1; b <= 4; ++b) {
    ASSERT_TRUE(WriteFileAtomically(JoinPath(dir, "data_batch_" + std::to_string(b) + ".bin"),
                                    Record10(1, 0))
                    .ok());
  }
  EXPECT_THAT(LoadCifar10(dir),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(JoinPath(dir, "data_batch_5.bin"))));
}

TEST(CifarTest, MissingDirectoryIsNotFoundNamingIt) {
  for (absl::Status s : {LoadCifar10("/nonexistent/cifar-10-batches-bin").status(),
                         LoadCifar100("/nonexistent/cifar-10-batches-bin",
                                      Cifar100Labels::kFine).status()}) {
    EXPECT_THAT(
        s, StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/cifar-10-batches-bin")));
  }
}

TEST(CifarTest, WrongClassNameCountIsDataLoss) {
  std::string dir = TestDir("names");
  ASSERT_TRUE(WriteFileAtomically(JoinPath(dir, "train.bin"), Record100(1, 5, 0)).ok());
  ASSERT_TRUE(WriteFileAtomically(JoinPath(dir, "test.bin"), Record100(1, 6, 0)).ok());
  ASSERT_TRUE(WriteFileAtomically(JoinPath(dir, "fine_label_names.txt"), "a\nb\n").ok());
  EXPECT_THAT(
      LoadCifar100(dir, Cifar100Labels::kFine),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr(JoinPath(dir, "fine_label_names.txt"))));
  auto coarse = LoadCifar100(dir, Cifar100Labels::kCoarse);
  ASSERT_THAT(coarse, IsOk());
  EXPECT_TRUE(coarse->train.class_names.empty());
  EXPECT_EQ(coarse->test.labels.data_ptr<int64_t>()[0], 1);
}

}  // namespace
}  // namespace lasnn::datasets
