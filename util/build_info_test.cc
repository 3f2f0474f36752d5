#include "util/build_info.h"

#include <regex>

#include "gtest/gtest.h"

namespace lasnn {
namespace {

TEST(BuildInfoTest, VersionsLookLikeVersions) {
  const BuildInfo& info = GetBuildInfo();
  const std::regex dotted(R"(\d+\.\d+(\.\d+)?.*)");
  EXPECT_TRUE(std::regex_match(info.libtorch, dotted)) << info.libtorch;
  EXPECT_TRUE(std::regex_match(info.abseil, std::regex(R"(20\d{6}\.\d+)"))) << info.abseil;
  EXPECT_TRUE(std::regex_match(info.protobuf, dotted)) << info.protobuf;
  EXPECT_TRUE(std::regex_match(info.opencv, dotted)) << info.opencv;
  EXPECT_GE(info.cxx_standard, 201703L);
  EXPECT_NE(info.packages_lock.find("libtorch-dev="), std::string::npos);
  EXPECT_EQ(BuildInfoFields(info).size(), 6u);
}

}  // namespace
}  // namespace lasnn
