// Tensor files: named tensors plus string metadata, in the safetensors layout exactly
// (https://huggingface.co/docs/safetensors, "Format"), so that Python's
// safetensors.torch.load_file reads our weights:
//   8 bytes   N, the length of the header (unsigned 64-bit, little-endian)
//   N bytes   the header, JSON: {"<name>": {"dtype": "F32", "shape": [2, 3],
//             "data_offsets": [begin, end]}, ..., "__metadata__": {"<key>": "<value>", ...}},
//             padded with spaces to a multiple of 8 bytes
//   the rest  the byte buffer: each tensor's raw row-major little-endian bytes at [begin, end)
// Nothing is unpickled: the header is parsed by protobuf's JSON parser (into a
// google.protobuf.Struct) and checked whole before any tensor is allocated: N is at most
// kMaxTensorFileHeaderBytes and fits the file; every entry has exactly the three keys; dtypes are
// the ones we write (F32, F64, I32, I64, U8); shapes have at most kMaxTensorFileRank dimensions
// and their byte sizes (dtype size x product of dims, overflow checked) equal their ranges; the
// ranges lie inside the buffer, do not overlap and leave no byte unaccounted for; names are unique
// and non-empty; metadata values are strings.
// Our writer adds the metadata entry "lasnn_sha256": the SHA-256 (hex) of the concatenated hex
// SHA-256 digests of (a) the header's canonical form (every entry's name, dtype, shape and range
// sorted by name, then every other metadata key and value sorted by key, each field
// length-prefixed) and (b) the byte buffer. Readers require it and check it after the structural
// checks, so a flipped bit anywhere in the file is a DataLoss.
#ifndef LASNN_UTIL_TENSOR_FILE_H_
#define LASNN_UTIL_TENSOR_FILE_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lasnn {

inline constexpr uint64_t kMaxTensorFileHeaderBytes = 4 << 20;
inline constexpr int kMaxTensorFileRank = 8;
inline constexpr absl::string_view kTensorFileChecksumKey = "lasnn_sha256";

using TensorFileMetadata = std::map<std::string, std::string>;
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct TensorFileEntry {
  std::string name;
  at::ScalarType dtype = at::kFloat;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte range in the buffer
  uint64_t end = 0;
};

struct TensorFileHeader {
  std::vector<TensorFileEntry> entries;  // in buffer order
  TensorFileMetadata metadata;           // includes kTensorFileChecksumKey
  uint64_t buffer_offset = 0;            // 8 + N: where the buffer starts in the file
};

// True if `bytes` (a file's contents, or at least its first 9 bytes) starts like a tensor file of
// ours, or like the LibTorch-archive container older versions wrote.
bool LooksLikeLasnnTensorFile(absl::string_view bytes);

// Checks `bytes`, the whole contents of the file `path`, as described above and returns its
// header. DataLoss naming `path` (and the offending tensor or key) for any violation, a checksum
// mismatch, or a file of an older version (LibTorch archive: "written by an older version").
absl::StatusOr<TensorFileHeader> ParseTensorFile(absl::string_view bytes, const std::string& path);

// The file's bytes for `tensors` (any device; written in the given order; names unique and
// non-empty, dtypes F32/F64/I32/I64/U8) and `metadata` (UTF-8 strings; kTensorFileChecksumKey is
// added). InvalidArgument naming `path` and the tensor for a name, dtype or string we cannot
// write. The result always passes ParseTensorFile.
absl::StatusOr<std::string> EncodeTensorFile(const NamedTensors& tensors,
                                             const TensorFileMetadata& metadata,
                                             const std::string& path);

// EncodeTensorFile, then WriteFileAtomically (util/file_util.h).
absl::Status WriteTensorFile(const std::string& path, const NamedTensors& tensors,
                             const TensorFileMetadata& metadata);

// A tensor file mapped read-only into memory, checked whole by ParseTensorFile on Open.
class TensorFile {
 public:
  // NotFound / PermissionDenied naming `path` if it cannot be opened, FailedPrecondition if it is
  // not a regular file, else as ParseTensorFile.
  static absl::StatusOr<std::unique_ptr<TensorFile>> Open(const std::string& path);
  ~TensorFile();
  TensorFile(const TensorFile&) = delete;
  TensorFile& operator=(const TensorFile&) = delete;

  const std::string& path() const { return path_; }
  const TensorFileHeader& header() const { return header_; }
  const TensorFileMetadata& metadata() const { return header_.metadata; }
  // The entry called `name`, or nullptr.
  const TensorFileEntry* Find(absl::string_view name) const;
  // A new CPU tensor of the entry's dtype and shape holding its bytes: one copy of exactly
  // end - begin bytes, sizes checked on Open.
  at::Tensor Read(const TensorFileEntry& entry) const;

 private:
  TensorFile(std::string path, const char* data, size_t size, TensorFileHeader header);

  std::string path_;
  const char* data_;  // the mapping (nullptr for an empty file)
  size_t size_;
  TensorFileHeader header_;
  std::map<std::string, size_t, std::less<>> index_;
};

// "F32" etc. for the dtypes tensor files hold; empty for others.
std::string TensorFileDtypeName(at::ScalarType dtype);

}  // namespace lasnn

#endif  // LASNN_UTIL_TENSOR_FILE_H_
