// Run records on disk (benchmarks/experiment/run_record.proto): <dir>/<config_hash>.pb (binary protobuf)
// with a JSON twin <dir>/<config_hash>.json (proto field names, pretty printed). Both are written
// atomically (util/file_util.h: temporary file, fsync, rename), the .json first and the .pb last,
// so a .pb present means the record is complete. No LibTorch dependency.
#ifndef LASNN_REPORTS_RECORD_IO_H_
#define LASNN_REPORTS_RECORD_IO_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "benchmarks/experiment/run_record.pb.h"

namespace lasnn {

// True if `hash` is a usable record name: non-empty, only [0-9A-Za-z_-].
bool IsValidRecordName(const std::string& hash);

// Writes <dir>/<hash>.json, then <dir>/<hash>.pb, creating `dir` and its parents.
// InvalidArgument (nothing written) when record.config_hash() is not a valid record name;
// otherwise the errors of MakeDirectories / WriteFileAtomically, naming the path.
absl::Status WriteRecord(const std::string& dir, const RunRecord& record);

// A serialised RunRecord read from `path` (named in errors only). DataLoss as ReadRecord.
absl::StatusOr<RunRecord> ParseRecord(absl::string_view bytes, const std::string& path);

// One record file. NotFound for a missing file; DataLoss naming the file when it does not parse
// as a RunRecord or has no config_hash (an empty or foreign file).
absl::StatusOr<RunRecord> ReadRecord(const std::string& path);

// Every regular file <dir>/*.pb, sorted by file name (temporary files and the .json twins are
// skipped). NotFound when `dir` does not exist; DataLoss naming the first file that does not parse.
// An existing directory without records gives an empty vector.
absl::StatusOr<std::vector<RunRecord>> ReadRecords(const std::string& dir);

// True if <dir>/<config_hash>.pb exists (the record is complete; see above).
bool RecordExists(const std::string& dir, const std::string& config_hash);

// The record as pretty-printed JSON with proto field names ("config_hash", not "configHash").
// Internal if the conversion fails.
absl::StatusOr<std::string> RecordToJson(const RunRecord& record);

}  // namespace lasnn

#endif  // LASNN_REPORTS_RECORD_IO_H_
