// Text-format protobuf loading (google::protobuf::TextFormat) with positioned errors: the one
// parser for configs, model specs and suites. Unknown fields, syntax errors and values of the
// wrong type are rejected; an error reads "<name>:<line>:<column>: <message>" with a 1-based line
// and column, where <name> is the file path or the display name the caller gives.
#ifndef LASNN_UTIL_TEXT_PROTO_H_
#define LASNN_UTIL_TEXT_PROTO_H_

#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn {

// Parses `text` into `message` (which it clears first). InvalidArgument
// "<display_name>:<line>:<column>: <message>" naming the first error. When `locations` is not
// null it receives where each field was set (for validation errors that point into the text).
absl::Status ParseTextProtoInto(absl::string_view text, absl::string_view display_name,
                                google::protobuf::Message* message,
                                google::protobuf::TextFormat::ParseInfoTree* locations = nullptr);

// Parses `text` as a T; errors as ParseTextProtoInto.
template <typename T>
absl::StatusOr<T> ParseTextProto(absl::string_view text, absl::string_view display_name = "<text>",
                                 google::protobuf::TextFormat::ParseInfoTree* locations = nullptr) {
  T message;
  LASNN_RETURN_IF_ERROR(ParseTextProtoInto(text, display_name, &message, locations));
  return message;
}

// Reads `path` and parses it as a T. NotFound / PermissionDenied / DataLoss naming the path when
// it cannot be read (util/file_util.h); InvalidArgument "<path>:<line>:<column>: <message>" when
// it does not parse.
template <typename T>
absl::StatusOr<T> ParseTextProtoFile(
    const std::string& path, google::protobuf::TextFormat::ParseInfoTree* locations = nullptr) {
  LASNN_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
  return ParseTextProto<T>(text, path, locations);
}

}  // namespace lasnn

#endif  // LASNN_UTIL_TEXT_PROTO_H_
