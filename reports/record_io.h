// Run records on disk: <dir>/<config_hash>.pb (binary protobuf) with a JSON twin
// <config_hash>.json, both written atomically (temporary file, then rename; the .json first, so
// a .pb present means the record is complete). No LibTorch dependency.
#ifndef LASNN_REPORTS_RECORD_IO_H_
#define LASNN_REPORTS_RECORD_IO_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchmarks/run_record.pb.h"

namespace lasnn {

// Creates `dir`. InvalidArgument when config_hash is empty or not [0-9A-Za-z_-]+.
absl::Status WriteRecord(const std::string& dir, const RunRecord& record);

// NotFound for a missing file, DataLoss naming the file when it does not parse.
absl::StatusOr<RunRecord> ReadRecord(const std::string& path);

// Every <dir>/*.pb, sorted by file name. NotFound when dir does not exist; DataLoss naming the
// first file that does not parse.
absl::StatusOr<std::vector<RunRecord>> ReadRecords(const std::string& dir);

bool RecordExists(const std::string& dir, const std::string& config_hash);

// The record as JSON (proto field names, pretty printed).
std::string RecordToJson(const RunRecord& record);

}  // namespace lasnn

#endif  // LASNN_REPORTS_RECORD_IO_H_
