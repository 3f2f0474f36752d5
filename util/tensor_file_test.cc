#include "util/tensor_file.h"

#include <ATen/ATen.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/file_util.h"
#include "util/memory_limit.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string LittleEndian64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

// A file with the given header text and buffer, written under the test's directory.
std::string WriteRaw(const std::string& name, const std::string& json, const std::string& buffer) {
  const std::string path = TestTmpPath(name);
  EXPECT_THAT(WriteFileAtomically(path, LittleEndian64(json.size()) + json + buffer), IsOk());
  return path;
}

absl::Status OpenStatus(const std::string& path) { return TensorFile::Open(path).status(); }

TEST(TensorFileTest, RoundTripIsBitIdentical) {
  at::manual_seed(3);
  at::Tensor f = at::randn({2, 3, 4});
  f[0][0][0] = std::numeric_limits<float>::quiet_NaN();
  const NamedTensors tensors = {{"layers.0.weight", f},
                                {"d", at::randn({5}, at::kDouble)},
                                {"count", at::tensor(int64_t{-7})},
                                {"i", at::arange(6, at::kInt).reshape({2, 3})},
                                {"rng", at::randint(0, 255, {7}, at::kByte)},
                                {"empty", at::zeros({0, 4})},
                                {"strided", at::randn({4, 4}).t()}};
  const TensorFileMetadata metadata = {{"format", "test"},
                                       {"text", "line 1\n\"quoted\" \\ tab\t caf\xc3\xa9"}};
  const std::string path = TestTmpPath("round_trip.safetensors");
  ASSERT_THAT(WriteTensorFile(path, tensors, metadata), IsOk());
  auto file = TensorFile::Open(path);
  ASSERT_THAT(file, IsOk());
  ASSERT_EQ((*file)->header().entries.size(), tensors.size());
  for (const auto& [name, tensor] : tensors) {
    const TensorFileEntry* entry = (*file)->Find(name);
    ASSERT_NE(entry, nullptr) << name;
    const at::Tensor got = (*file)->Read(*entry);
    const at::Tensor want = tensor.contiguous();
    EXPECT_EQ(got.scalar_type(), want.scalar_type()) << name;
    EXPECT_EQ(got.sizes(), want.sizes()) << name;
    ASSERT_EQ(got.nbytes(), want.nbytes()) << name;
    if (want.nbytes() > 0) {
      EXPECT_EQ(std::memcmp(got.data_ptr(), want.data_ptr(), want.nbytes()), 0) << name;
    }
  }
  EXPECT_EQ((*file)->Find("absent"), nullptr);
  for (const auto& [key, value] : metadata) EXPECT_EQ((*file)->metadata().at(key), value);
  EXPECT_EQ((*file)->metadata().at(std::string(kTensorFileChecksumKey)).size(), 64u);
}

TEST(TensorFileTest, LayoutIsSafetensors) {
  auto bytes = EncodeTensorFile({{"a", at::ones({2, 3})}, {"b", at::tensor({int64_t{5}})}},
                                {{"format", "x"}}, "mem");
  ASSERT_THAT(bytes, IsOk());
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>((*bytes)[i]);
  EXPECT_EQ((8 + n) % 8, 0u);
  ASSERT_EQ(bytes->size(), 8 + n + 24 + 8);
  const std::string json = bytes->substr(8, n);
  EXPECT_THAT(json, HasSubstr(R"("a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]})"));
  EXPECT_THAT(json, HasSubstr(R"("b": {"dtype": "I64", "shape": [1], "data_offsets": [24, 32]})"));
  EXPECT_THAT(json, HasSubstr(R"("__metadata__": {"format": "x", "lasnn_sha256": ")"));
  const float one = 1.0f;
  EXPECT_EQ(std::memcmp(bytes->data() + 8 + n, &one, 4), 0);
  EXPECT_EQ((*bytes)[8 + n + 24], 5);
  EXPECT_TRUE(LooksLikeLasnnTensorFile(*bytes));
  EXPECT_FALSE(LooksLikeLasnnTensorFile("PK\x03\x04 a zip"));
}

TEST(TensorFileTest, HeaderClaimingATerabyteTensorIsRefusedBeforeAnyAllocation) {
  const std::string path = WriteRaw(
      "terabyte.safetensors",
      R"({"w": {"dtype": "F32", "shape": [274877906944], "data_offsets": [0, 1099511627776]}})",
      std::string(16, '\0'));
  const auto check = [&path] {
    return TensorFile::Open(path).status();
  };
  EXPECT_THAT(check(), StatusIs(absl::StatusCode::kDataLoss,
                                AllOf(HasSubstr(path), HasSubstr("'w'"), HasSubstr("outside"))));
  // The same in a process that may map only 64 MiB more: the refusal needs no allocation.
  EXPECT_EXIT(
      {
        if (!LimitAddressSpaceGrowth(int64_t{64} << 20).ok()) std::_Exit(2);
        const absl::Status s = check();
        std::_Exit(s.code() == absl::StatusCode::kDataLoss &&
                           s.message().find("outside") != absl::string_view::npos
                       ? 0
                       : 1);
      },
      ::testing::ExitedWithCode(0), "");
  // A range that fits the file but not the shape.
  const std::string small = WriteRaw(
      "terabyte_small_range.safetensors",
      R"({"w": {"dtype": "F32", "shape": [274877906944], "data_offsets": [0, 16]}})",
      std::string(16, '\0'));
  EXPECT_THAT(OpenStatus(small),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(small), HasSubstr("needs 1099511627776"))));
}

TEST(TensorFileTest, HostileHeadersAreDataLossNamingTheFile) {
  const std::string buffer(12, '\0');
  const std::pair<std::string, std::string> cases[] = {
      {R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 12]}})",
       "overflows"},
      {R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
       "overlap"},
      {R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})",
       "belong to no tensor"},
      {R"({"a": {"dtype": "F16", "shape": [6], "data_offsets": [0, 12]}})", "dtype other than"},
      {R"({"a": {"dtype": "U8", "shape": [12], "data_offsets": [0, 12]}, "a": {"dtype": "U8", "shape": [12], "data_offsets": [0, 12]}})",
       "appears twice"},
      {R"({"a": {"dtype": "U8", "shape": [-12], "data_offsets": [0, 12]}})", "not an integer"},
      {R"({"a": {"dtype": "U8", "shape": [1.5], "data_offsets": [0, 12]}})", "not an integer"},
      {R"({"a": {"dtype": "U8", "shape": [12], "data_offsets": [12, 0]}})", "outside"},
      {R"({"a": {"dtype": "U8", "shape": [12], "data_offsets": [0, 12], "extra": 1}})",
       "unknown key"},
      {R"({"a": {"dtype": "U8", "shape": [12]}})", "lacks"},
      {R"({"": {"dtype": "U8", "shape": [12], "data_offsets": [0, 12]}})", "empty name"},
      {R"({"a": {"dtype": "U8", "shape": [1,1,1,1,1,1,1,1,12], "data_offsets": [0, 12]}})",
       "at most 8"},
      {R"({"a": {"dtype": "U8", "shape": [12], "data_offsets": [0, 12]}, "__metadata__": {"k": 1}})",
       "is not a string"},
      {R"({"a": {"dtype": "U8", "shape": [12], "data_offsets": [0, 12]}})",
       "not written by LaSNN-Bench"},
      {R"({"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})",
       "not valid JSON"},
      {R"({"a": )", "not valid JSON"},
      {R"([1, 2])", "not a JSON object"},
  };
  int i = 0;
  for (const auto& [json, expected] : cases) {
    const std::string path = WriteRaw(absl::StrCat("hostile_", i++), json, buffer);
    EXPECT_THAT(OpenStatus(path), StatusIs(absl::StatusCode::kDataLoss,
                                           AllOf(HasSubstr(path), HasSubstr(expected))))
        << json;
  }
}

TEST(TensorFileTest, TruncationCorruptionAndOldFilesAreDataLoss) {
  auto bytes = EncodeTensorFile({{"a", at::ones({4})}}, {{"config", "epochs: 3"}}, "mem");
  ASSERT_THAT(bytes, IsOk());
  const auto expect_data_loss = [](const std::string& name, const std::string& contents,
                                   const std::string& what) {
    const std::string path = TestTmpPath(name);
    ASSERT_THAT(WriteFileAtomically(path, contents), IsOk());
    EXPECT_THAT(OpenStatus(path),
                StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr(path), HasSubstr(what))));
  };
  expect_data_loss("cut", bytes->substr(0, bytes->size() - 1), "outside");
  expect_data_loss("padded", *bytes + "x", "belong to no tensor");
  expect_data_loss("cut_header", bytes->substr(0, 20), "truncated");
  expect_data_loss("tiny", "abc", "truncated");
  expect_data_loss("empty", "", "truncated");
  std::string flipped = *bytes;
  flipped.back() ^= 1;
  expect_data_loss("flipped_data", flipped, "do not match their SHA-256");
  flipped = *bytes;
  flipped[flipped.find("epochs: 3") + 8] = '4';
  expect_data_loss("flipped_metadata", flipped, "do not match their SHA-256");
  expect_data_loss("huge_header", LittleEndian64(uint64_t{1} << 62) + "{}", "more than the limit");
  expect_data_loss("legacy", std::string("LASNN-ARCHIVE-1\n") + std::string(60, '\0'),
                   "written by an older version");
  expect_data_loss("zip", "PK\x03\x04 rest of a zip", "written by an older version");
  EXPECT_THAT(OpenStatus(TestTmpPath("missing")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(OpenStatus(TestTmpPath("")), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(TensorFileTest, WriterRefusesWhatItCannotWrite) {
  const auto refused = [](const NamedTensors& tensors, const TensorFileMetadata& metadata) {
    return EncodeTensorFile(tensors, metadata, "out.safetensors").status();
  };
  const auto invalid = StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("out.safetensors"));
  EXPECT_THAT(refused({{"a", at::ones({1})}, {"a", at::ones({1})}}, {}), invalid);
  EXPECT_THAT(refused({{"", at::ones({1})}}, {}), invalid);
  EXPECT_THAT(refused({{"__metadata__", at::ones({1})}}, {}), invalid);
  EXPECT_THAT(refused({{"h", at::ones({1}, at::kHalf)}}, {}), invalid);
  EXPECT_THAT(refused({{"a", at::ones({1})}}, {{"k", "\xff not UTF-8"}}), invalid);
}

}  // namespace
}  // namespace lasnn
