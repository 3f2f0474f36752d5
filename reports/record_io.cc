#include "reports/record_io.h"

#include <dirent.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn {

std::string RecordToJson(const RunRecord& record) {
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(record, &json, o);
  return json;
}

absl::Status WriteRecord(const std::string& dir, const RunRecord& record) {
  const std::string& hash = record.config_hash();
  if (hash.empty() || !std::all_of(hash.begin(), hash.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '_' || c == '-';
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("run record config_hash '", hash, "' must be [0-9A-Za-z_-]+"));
  }
  LASNN_RETURN_IF_ERROR(MakeDirectories(dir));
  LASNN_RETURN_IF_ERROR(WriteFileAtomically(JoinPath(dir, hash + ".json"), RecordToJson(record)));
  return WriteFileAtomically(JoinPath(dir, hash + ".pb"), record.SerializeAsString());
}

absl::StatusOr<RunRecord> ReadRecord(const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(const std::string bytes, ReadFileToString(path));
  RunRecord r;
  if (!r.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat(path, " is not a valid run record (corrupt or "
                                            "truncated); delete it to run the experiment again"));
  }
  return r;
}

absl::StatusOr<std::vector<RunRecord>> ReadRecords(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return absl::NotFoundError(absl::StrCat("no run-record directory ", dir));
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (absl::EndsWith(name, ".pb")) names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<RunRecord> out;
  for (const std::string& n : names) {
    LASNN_ASSIGN_OR_RETURN(RunRecord r, ReadRecord(JoinPath(dir, n)));
    out.push_back(std::move(r));
  }
  return out;
}

bool RecordExists(const std::string& dir, const std::string& config_hash) {
  return PathExists(JoinPath(dir, config_hash + ".pb"));
}

}  // namespace lasnn
