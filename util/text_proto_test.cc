#include "util/text_proto.h"

#include <google/protobuf/descriptor.pb.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/file_util.h"
#include "util/status_matchers.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using google::protobuf::FileDescriptorProto;
using ::testing::HasSubstr;

// FileDescriptorProto stands in for a config: nested messages, strings, integers, enums.
constexpr char kText[] =
    "name: \"a.proto\"\n"
    "message_type {\n"
    "  name: \"M\"\n"
    "  field { name: \"f\" number: 3 type: TYPE_INT32 }\n"
    "}\n";

TEST(TextProtoTest, ParsesText) {
  absl::StatusOr<FileDescriptorProto> p = ParseTextProto<FileDescriptorProto>(kText);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->name(), "a.proto");
  ASSERT_EQ(p->message_type_size(), 1);
  EXPECT_EQ(p->message_type(0).field(0).number(), 3);
}

TEST(TextProtoTest, UnknownFieldIsInvalidArgumentWithNameLineAndColumn) {
  EXPECT_THAT(ParseTextProto<FileDescriptorProto>("name: \"a\"\n  bogus_field: 3\n", "cfg.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cfg.txt:2:14: Message type "
                                 "\"google.protobuf.FileDescriptorProto\" has no field named "
                                 "\"bogus_field\"")));
}

TEST(TextProtoTest, SyntaxAndTypeErrorsArePositioned) {
  EXPECT_THAT(ParseTextProto<FileDescriptorProto>("message_type {\n  name: \"M\"\n", "s"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("s:3:1: ")));
  EXPECT_THAT(
      ParseTextProto<FileDescriptorProto>("message_type { field { number: \"three\" } }", "t"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t:1:32: Expected integer")));
}

TEST(TextProtoTest, ParseTextProtoIntoReplacesTheMessageAndRecordsLocations) {
  FileDescriptorProto p;
  p.set_package("stale");
  google::protobuf::TextFormat::ParseInfoTree locations;
  ASSERT_THAT(ParseTextProtoInto(kText, "x", &p, &locations), IsOk());
  EXPECT_FALSE(p.has_package());
  const auto* message_type = FileDescriptorProto::descriptor()->FindFieldByName("message_type");
  const google::protobuf::TextFormat::ParseLocation where = locations.GetLocation(message_type, 0);
  EXPECT_EQ(where.line, 1);  // 0-based: the second line
  EXPECT_EQ(where.column, 0);
}

TEST(TextProtoTest, FileErrorsNameThePath) {
  const std::string path = TestTmpPath("text_proto_test_bad.txt");
  ASSERT_THAT(WriteFileAtomically(path, "name: \"a\"\nname: \"b\"\n"), IsOk());
  EXPECT_THAT(ParseTextProtoFile<FileDescriptorProto>(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(path + ":2:")));
  const std::string good = TestTmpPath("text_proto_test_good.txt");
  ASSERT_THAT(WriteFileAtomically(good, kText), IsOk());
  absl::StatusOr<FileDescriptorProto> p = ParseTextProtoFile<FileDescriptorProto>(good);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->message_type(0).name(), "M");
  EXPECT_THAT(ParseTextProtoFile<FileDescriptorProto>("/nonexistent/cfg.textproto"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/cfg.textproto")));
}

}  // namespace
}  // namespace lasnn
