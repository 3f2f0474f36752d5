#include "benchmarks/experiment/record_io.h"

#include <dirent.h>
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn {

bool IsValidRecordName(const std::string& hash) {
  return !hash.empty() && std::all_of(hash.begin(), hash.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

absl::StatusOr<std::string> RecordToJson(const RunRecord& record) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(record, &json, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("run record ", record.config_hash(),
                                            " to JSON: ", status.ToString()));
  }
  return json;
}

absl::Status WriteRecord(const std::string& dir, const RunRecord& record) {
  const std::string& hash = record.config_hash();
  if (!IsValidRecordName(hash)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "run record config_hash '", hash, "' is not a valid file name (want [0-9A-Za-z_-]+)"));
  }
  LASNN_ASSIGN_OR_RETURN(const std::string json, RecordToJson(record));
  LASNN_RETURN_IF_ERROR(MakeDirectories(dir));
  LASNN_RETURN_IF_ERROR(WriteFileAtomically(JoinPath(dir, hash + ".json"), json));
  return WriteFileAtomically(JoinPath(dir, hash + ".pb"), record.SerializeAsString());
}

absl::StatusOr<RunRecord> ParseRecord(absl::string_view bytes, const std::string& path) {
  RunRecord record;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", bytes.size(), " bytes, too large to be a run record"));
  }
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat(
        path, ": not a valid run record (corrupt or truncated); delete it to run the experiment "
              "again"));
  }
  if (record.config_hash().empty()) {
    return absl::DataLossError(absl::StrCat(
        path, ": not a run record (no config_hash; ", bytes.size(), " bytes)"));
  }
  return record;
}

absl::StatusOr<RunRecord> ReadRecord(const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(const std::string bytes, ReadFileToString(path));
  return ParseRecord(bytes, path);
}

absl::StatusOr<std::vector<RunRecord>> ReadRecords(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return ErrnoToStatus(errno, "cannot open run-record directory", dir);
  std::vector<std::string> names;
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (!absl::EndsWith(name, ".pb") || name == ".pb") continue;
    struct stat st;
    if (stat(JoinPath(dir, name).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      names.push_back(name);
    }
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<RunRecord> records;
  records.reserve(names.size());
  for (const std::string& name : names) {
    LASNN_ASSIGN_OR_RETURN(RunRecord r, ReadRecord(JoinPath(dir, name)));
    records.push_back(std::move(r));
  }
  return records;
}

bool RecordExists(const std::string& dir, const std::string& config_hash) {
  return IsValidRecordName(config_hash) && PathExists(JoinPath(dir, config_hash + ".pb"));
}

}  // namespace lasnn
