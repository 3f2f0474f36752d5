#include "datasets/gzip_util.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace lasnn::datasets {
namespace {

using ::testing::HasSubstr;

TEST(GzipUtilTest, RoundTripsAndPassesPlainBytesThrough) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>((i * 7) % 251));
  auto gz = GzipCompress(data);
  ASSERT_THAT(gz, IsOk());
  EXPECT_TRUE(IsGzip(*gz));
  EXPECT_LT(gz->size(), data.size());
  auto back = MaybeGunzip(*gz, "x.gz");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(*back, data);

  auto plain = MaybeGunzip("\x00\x00\x08\x01plain", "x");
  ASSERT_THAT(plain, IsOk());
  EXPECT_EQ(*plain, std::string("\x00\x00\x08\x01plain"));
}

TEST(GzipUtilTest, ConcatenatedMembersAreJoined) {
  std::string both = *GzipCompress("hello ") + *GzipCompress("world");
  auto out = MaybeGunzip(both, "two.gz");
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(*out, "hello world");
}

TEST(GzipUtilTest, TruncatedStreamIsDataLossNamingTheFile) {
  std::string gz = *GzipCompress(std::string(5000, 'a') + std::string(5000, 'b'));
  auto out = MaybeGunzip(gz.substr(0, gz.size() / 2), "/data/cut.gz");
  EXPECT_THAT(out, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/data/cut.gz")));
}

TEST(GzipUtilTest, CorruptStreamIsDataLoss) {
  std::string gz = *GzipCompress(std::string(5000, 'z'));
  for (size_t i = 10; i < gz.size() - 8; ++i) gz[i] = static_cast<char>(0xff);
  auto out = MaybeGunzip(gz, "/data/bad.gz");
  EXPECT_THAT(out, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("/data/bad.gz")));
}

TEST(GzipUtilTest, TrailingGarbageIsDataLoss) {
  std::string gz = *GzipCompress("payload") + "junk";
  auto out = MaybeGunzip(gz, "/data/junk.gz");
  EXPECT_THAT(out, StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace lasnn::datasets
