#include "util/text_proto.h"

#include <google/protobuf/io/tokenizer.h>

#include "absl/strings/str_cat.h"

namespace lasnn {
namespace {

// Keeps the first error, as "<line>:<column>: <message>" (1-based).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (error_.empty()) error_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  void AddWarning(int, int, const std::string&) override {}
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

}  // namespace

absl::Status ParseTextProtoInto(absl::string_view text, absl::string_view display_name,
                                google::protobuf::Message* message,
                                google::protobuf::TextFormat::ParseInfoTree* locations) {
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (locations != nullptr) parser.WriteLocationsTo(locations);
  if (!parser.ParseFromString(std::string(text), message)) {
    return absl::InvalidArgumentError(absl::StrCat(
        display_name, ":",
        errors.error().empty() ? absl::StrCat("0:0: not a valid ", message->GetTypeName())
                               : errors.error()));
  }
  return absl::OkStatus();
}

}  // namespace lasnn
