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
  EXPECT_TRUE(std::regex_match(info.inputs_sha256, std::regex("[0-9a-f]{64}")))
      << info.inputs_sha256;
  EXPECT_EQ(BuildInfoFields(info).size(), 8u);
}

// The pins check stops the build unless every required package is installed at its pin or the
// override names it; what it let through is what the binary reports.
TEST(BuildInfoTest, PackagesAreThePinsUnlessOverridden) {
  const BuildInfo& info = GetBuildInfo();
  bool has_libtorch = false;
  for (const PackageVersion& p : info.packages) {
    has_libtorch |= p.name == "libtorch-dev";
    EXPECT_TRUE(p.kind == "required" || p.kind == "optional" || p.kind == "sanitizers") << p.kind;
    EXPECT_FALSE(p.pinned.empty()) << p.name;
    if (p.kind == "required") {
      EXPECT_NE(p.installed, "absent") << p.name;
    }
    if (info.unpinned_override.empty() && p.installed != "absent") {
      EXPECT_EQ(p.installed, p.pinned) << p.name;
    }
  }
  EXPECT_TRUE(has_libtorch);
}

TEST(BuildInfoTest, ParsesThePackageTable) {
  const std::vector<PackageVersion> packages = ParsePackageTable(
      "libabsl-dev\trequired\t20220623.1-1\t20230125.3-1\n"
      "\n"
      "clang-14\tsanitizers\t1:14.0.6-12\tabsent\n");
  ASSERT_EQ(packages.size(), 2u);
  EXPECT_EQ(packages[0].name, "libabsl-dev");
  EXPECT_EQ(packages[0].kind, "required");
  EXPECT_EQ(packages[0].pinned, "20220623.1-1");
  EXPECT_EQ(packages[0].installed, "20230125.3-1");
  EXPECT_EQ(packages[1].name, "clang-14");
  EXPECT_EQ(packages[1].installed, "absent");
}

}  // namespace
}  // namespace lasnn
