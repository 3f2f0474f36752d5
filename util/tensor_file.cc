#include "util/tensor_file.h"

#include <fcntl.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ATen/ops/empty.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <set>
#include <tuple>

#include "absl/base/config.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/file_util.h"
#include "util/sha256.h"
#include "util/status_macros.h"

#ifndef ABSL_IS_LITTLE_ENDIAN
#error "tensor files hold little-endian bytes; this reader copies them as they are"
#endif

namespace lasnn {
namespace {

// The container of versions that wrapped LibTorch's archive (a zip of pickles):
//   magic (16 bytes) | payload size (8) | SHA-256 (32) | LibTorch archive.
constexpr absl::string_view kLegacyArchiveMagic = "LASNN-ARCHIVE-1\n";
constexpr absl::string_view kZipMagic = "PK\x03\x04";
constexpr absl::string_view kMetadataKey = "__metadata__";
// Integers in the header are read as doubles: beyond 2^53 they would not be exact.
constexpr double kMaxJsonInteger = 9007199254740992.0;

struct Dtype {
  absl::string_view name;
  at::ScalarType type;
  uint64_t size;
};
constexpr Dtype kDtypes[] = {{"F32", at::kFloat, 4},
                             {"F64", at::kDouble, 8},
                             {"I32", at::kInt, 4},
                             {"I64", at::kLong, 8},
                             {"U8", at::kByte, 1}};

const Dtype* FindDtype(at::ScalarType type) {
  for (const Dtype& d : kDtypes) {
    if (d.type == type) return &d;
  }
  return nullptr;
}

const Dtype* FindDtype(absl::string_view name) {
  for (const Dtype& d : kDtypes) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

uint64_t ReadLittleEndian64(absl::string_view bytes) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

std::string LittleEndian64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

// A JSON string literal; non-ASCII bytes are kept (the writer's self-check rejects invalid UTF-8).
std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string Quoted(absl::string_view name) { return absl::StrCat("'", absl::CHexEscape(name), "'"); }

// The hex digest stored under kTensorFileChecksumKey (see the header comment).
std::string Checksum(const TensorFileHeader& header, absl::string_view buffer) {
  std::string canonical;
  auto field = [&canonical](absl::string_view s) {
    absl::StrAppend(&canonical, s.size(), ":", s, ";");
  };
  std::vector<const TensorFileEntry*> entries;
  for (const TensorFileEntry& e : header.entries) entries.push_back(&e);
  std::sort(entries.begin(), entries.end(),
            [](const TensorFileEntry* a, const TensorFileEntry* b) { return a->name < b->name; });
  for (const TensorFileEntry* e : entries) {
    field(e->name);
    field(TensorFileDtypeName(e->dtype));
    field(absl::StrJoin(e->shape, ","));
    field(absl::StrCat(e->begin));
    field(absl::StrCat(e->end));
  }
  field(kMetadataKey);
  for (const auto& [key, value] : header.metadata) {  // std::map: sorted by key
    if (key == kTensorFileChecksumKey) continue;
    field(key);
    field(value);
  }
  return Sha256Hex(absl::StrCat(Sha256Hex(canonical), Sha256Hex(buffer)));
}

absl::Status Corrupt(const std::string& path, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("'", path, "' is not a valid tensor file: ", what));
}

// A non-negative integer below 2^53 held by `value`, or an error naming `what`.
absl::StatusOr<uint64_t> JsonInteger(const google::protobuf::Value& value, const std::string& path,
                                     absl::string_view what) {
  if (value.kind_case() != google::protobuf::Value::kNumberValue) {
    return Corrupt(path, absl::StrCat(what, " is not a number"));
  }
  const double d = value.number_value();
  if (!(d >= 0 && d < kMaxJsonInteger) || d != std::floor(d)) {
    return Corrupt(path, absl::StrCat(what, " is ", d, ", not an integer in [0, 2^53)"));
  }
  return static_cast<uint64_t>(d);
}

absl::StatusOr<TensorFileEntry> ParseEntry(const std::string& name,
                                           const google::protobuf::Value& value,
                                           uint64_t buffer_size, const std::string& path) {
  const std::string tensor = absl::StrCat("tensor ", Quoted(name));
  if (name.empty()) return Corrupt(path, "a tensor has an empty name");
  if (value.kind_case() != google::protobuf::Value::kStructValue) {
    return Corrupt(path, absl::StrCat(tensor, " is not an object"));
  }
  const auto& fields = value.struct_value().fields();
  for (const auto& [key, unused] : fields) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      return Corrupt(path, absl::StrCat(tensor, " has an unknown key ", Quoted(key)));
    }
  }
  const auto dtype_it = fields.find("dtype");
  const auto shape_it = fields.find("shape");
  const auto offsets_it = fields.find("data_offsets");
  if (dtype_it == fields.end() || shape_it == fields.end() || offsets_it == fields.end()) {
    return Corrupt(path, absl::StrCat(tensor, " lacks dtype, shape or data_offsets"));
  }
  TensorFileEntry entry;
  entry.name = name;
  const Dtype* dtype = dtype_it->second.kind_case() == google::protobuf::Value::kStringValue
                           ? FindDtype(dtype_it->second.string_value())
                           : nullptr;
  if (dtype == nullptr) {
    return Corrupt(path, absl::StrCat(tensor, " has a dtype other than F32, F64, I32, I64, U8"));
  }
  entry.dtype = dtype->type;
  if (shape_it->second.kind_case() != google::protobuf::Value::kListValue ||
      shape_it->second.list_value().values_size() > kMaxTensorFileRank) {
    return Corrupt(path, absl::StrCat(tensor, "'s shape is not a list of at most ",
                                      kMaxTensorFileRank, " dimensions"));
  }
  uint64_t bytes = dtype->size;
  bool overflow = false;
  for (const google::protobuf::Value& dim : shape_it->second.list_value().values()) {
    LASNN_ASSIGN_OR_RETURN(const uint64_t d,
                           JsonInteger(dim, path, absl::StrCat(tensor, "'s dimension")));
    entry.shape.push_back(static_cast<int64_t>(d));
    overflow = overflow || __builtin_mul_overflow(bytes, d, &bytes);
  }
  if (overflow || bytes >= static_cast<uint64_t>(kMaxJsonInteger)) {
    return Corrupt(path, absl::StrCat(tensor, "'s shape [", absl::StrJoin(entry.shape, ", "),
                                      "] overflows: more than 2^53 bytes"));
  }
  if (offsets_it->second.kind_case() != google::protobuf::Value::kListValue ||
      offsets_it->second.list_value().values_size() != 2) {
    return Corrupt(path, absl::StrCat(tensor, "'s data_offsets is not a list [begin, end]"));
  }
  const auto& offsets = offsets_it->second.list_value().values();
  LASNN_ASSIGN_OR_RETURN(entry.begin, JsonInteger(offsets[0], path, tensor + "'s begin"));
  LASNN_ASSIGN_OR_RETURN(entry.end, JsonInteger(offsets[1], path, tensor + "'s end"));
  if (entry.begin > entry.end || entry.end > buffer_size) {
    return Corrupt(path, absl::StrCat(tensor, "'s byte range [", entry.begin, ", ", entry.end,
                                      ") lies outside the file's ", buffer_size,
                                      "-byte buffer (truncated or crafted)"));
  }
  if (entry.end - entry.begin != bytes) {
    return Corrupt(path, absl::StrCat(tensor, " has ", entry.end - entry.begin, " bytes but ",
                                      dtype->name, " [", absl::StrJoin(entry.shape, ", "),
                                      "] needs ", bytes));
  }
  return entry;
}

absl::Status ParseMetadata(const google::protobuf::Value& value, const std::string& path,
                           TensorFileMetadata& metadata) {
  if (value.kind_case() != google::protobuf::Value::kStructValue) {
    return Corrupt(path, "__metadata__ is not an object");
  }
  for (const auto& [key, v] : value.struct_value().fields()) {
    if (v.kind_case() != google::protobuf::Value::kStringValue) {
      return Corrupt(path, absl::StrCat("metadata ", Quoted(key), " is not a string"));
    }
    metadata[key] = v.string_value();
  }
  return absl::OkStatus();
}

// Ranges sorted by begin must tile the buffer exactly.
absl::Status CheckRanges(std::vector<TensorFileEntry>& entries, uint64_t buffer_size,
                         const std::string& path) {
  std::sort(entries.begin(), entries.end(), [](const TensorFileEntry& a, const TensorFileEntry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t pos = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const TensorFileEntry& e = entries[i];
    if (e.begin < pos) {
      return Corrupt(path, absl::StrCat("tensors ", Quoted(entries[i - 1].name), " and ",
                                        Quoted(e.name), " overlap (byte ", e.begin, ")"));
    }
    if (e.begin > pos) {
      return Corrupt(path, absl::StrCat("bytes [", pos, ", ", e.begin,
                                        ") of the buffer belong to no tensor"));
    }
    pos = e.end;
  }
  if (pos != buffer_size) {
    return Corrupt(path, absl::StrCat("bytes [", pos, ", ", buffer_size,
                                      ") of the buffer belong to no tensor"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string TensorFileDtypeName(at::ScalarType dtype) {
  const Dtype* d = FindDtype(dtype);
  return d != nullptr ? std::string(d->name) : std::string();
}

bool LooksLikeLasnnTensorFile(absl::string_view bytes) {
  if (absl::StartsWith(bytes, kLegacyArchiveMagic)) return true;
  return bytes.size() > 8 && bytes[8] == '{' &&
         ReadLittleEndian64(bytes) <= kMaxTensorFileHeaderBytes;
}

absl::StatusOr<TensorFileHeader> ParseTensorFile(absl::string_view bytes, const std::string& path) {
  if (absl::StartsWith(bytes, kLegacyArchiveMagic) || absl::StartsWith(bytes, kZipMagic)) {
    return absl::DataLossError(absl::StrCat(
        "'", path, "' was written by an older version of LaSNN-Bench (or by torch.save): it is a "
        "LibTorch archive, which is no longer read because reading one runs LibTorch's "
        "unpickler; delete it and train again"));
  }
  if (bytes.size() < 8) {
    return Corrupt(path, absl::StrCat("truncated to ", bytes.size(), " bytes"));
  }
  const uint64_t header_size = ReadLittleEndian64(bytes);
  if (header_size > kMaxTensorFileHeaderBytes) {
    return Corrupt(path, absl::StrCat("its header claims ", header_size,
                                      " bytes, more than the limit of ",
                                      kMaxTensorFileHeaderBytes));
  }
  if (header_size > bytes.size() - 8) {
    return Corrupt(path, absl::StrCat("truncated: its header claims ", header_size,
                                      " bytes, the file has ", bytes.size() - 8, " after it"));
  }
  const absl::string_view json = bytes.substr(8, header_size);
  if (json.empty() || json[0] != '{') {
    return Corrupt(path, "its header is not a JSON object (not a tensor file)");
  }
  google::protobuf::Struct root;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &root);
  if (!parsed.ok()) {
    const std::string message = parsed.ToString();
    return Corrupt(path, absl::StrCat(absl::StrContains(message, "Repeated map key")
                                          ? "a tensor name or metadata key appears twice: "
                                          : "its header is not valid JSON: ",
                                      message.substr(0, 200)));
  }
  TensorFileHeader header;
  header.buffer_offset = 8 + header_size;
  const uint64_t buffer_size = bytes.size() - header.buffer_offset;
  std::vector<std::string> names;
  for (const auto& [name, unused] : root.fields()) names.push_back(name);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const google::protobuf::Value& value = root.fields().at(name);
    if (name == kMetadataKey) {
      LASNN_RETURN_IF_ERROR(ParseMetadata(value, path, header.metadata));
    } else {
      LASNN_ASSIGN_OR_RETURN(TensorFileEntry entry, ParseEntry(name, value, buffer_size, path));
      header.entries.push_back(std::move(entry));
    }
  }
  LASNN_RETURN_IF_ERROR(CheckRanges(header.entries, buffer_size, path));
  const auto checksum = header.metadata.find(std::string(kTensorFileChecksumKey));
  if (checksum == header.metadata.end()) {
    return Corrupt(path, absl::StrCat("its metadata has no ", kTensorFileChecksumKey,
                                      " (not written by LaSNN-Bench)"));
  }
  if (checksum->second != Checksum(header, bytes.substr(header.buffer_offset))) {
    return absl::DataLossError(
        absl::StrCat("'", path, "' is corrupt: its contents do not match their SHA-256"));
  }
  return header;
}

absl::StatusOr<std::string> EncodeTensorFile(const NamedTensors& tensors,
                                             const TensorFileMetadata& metadata,
                                             const std::string& path) {
  TensorFileHeader header;
  header.metadata = metadata;
  std::vector<at::Tensor> contiguous;
  std::set<absl::string_view> names;
  uint64_t buffer_size = 0;
  for (const auto& [name, tensor] : tensors) {
    const std::string dtype = TensorFileDtypeName(tensor.scalar_type());
    if (name.empty() || name == kMetadataKey || !names.insert(name).second || dtype.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "writing '", path, "': tensor ", Quoted(name),
          " has an empty, reserved or repeated name, or a dtype other than F32, F64, I32, I64, U8 (",
          c10::toString(tensor.scalar_type()), ")"));
    }
    contiguous.push_back(tensor.detach().to(at::kCPU).contiguous());
    TensorFileEntry e;
    e.name = name;
    e.dtype = tensor.scalar_type();
    e.shape.assign(tensor.sizes().begin(), tensor.sizes().end());
    e.begin = buffer_size;
    buffer_size += contiguous.back().nbytes();
    e.end = buffer_size;
    header.entries.push_back(std::move(e));
  }
  // The checksum covers the header it sits in: reserve its 64-hex-digit slot now and write the
  // digest into that slot once the rest of the header and the data are hashed.
  header.metadata[std::string(kTensorFileChecksumKey)] = std::string(64, '0');
  std::string json = absl::StrCat("{", JsonQuote(kMetadataKey), ": {");
  size_t checksum_at = 0;
  for (const auto& [key, value] : header.metadata) {
    absl::StrAppend(&json, absl::EndsWith(json, "{") ? "" : ", ", JsonQuote(key), ": ");
    if (key == kTensorFileChecksumKey) checksum_at = json.size() + 1;
    json += JsonQuote(value);
  }
  json.push_back('}');
  for (const TensorFileEntry& e : header.entries) {
    absl::StrAppend(&json, ", ", JsonQuote(e.name), ": {\"dtype\": \"",
                    TensorFileDtypeName(e.dtype), "\", \"shape\": [",
                    absl::StrJoin(e.shape, ", "), "], \"data_offsets\": [", e.begin, ", ", e.end,
                    "]}");
  }
  json.push_back('}');
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string file = LittleEndian64(json.size());
  file.reserve(8 + json.size() + buffer_size);
  file += json;
  for (const at::Tensor& t : contiguous) {
    file.append(static_cast<const char*>(t.data_ptr()), t.nbytes());
  }
  header.buffer_offset = 8 + json.size();
  const std::string digest = Checksum(header, absl::string_view(file).substr(header.buffer_offset));
  file.replace(8 + checksum_at, digest.size(), digest);
  // Our own reader must accept what we write (this also rejects strings that are not UTF-8).
  const auto check = ParseTensorFile(file, path);
  if (!check.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("writing '", path, "': cannot encode: ", check.status().message()));
  }
  return file;
}

absl::Status WriteTensorFile(const std::string& path, const NamedTensors& tensors,
                             const TensorFileMetadata& metadata) {
  LASNN_ASSIGN_OR_RETURN(const std::string file, EncodeTensorFile(tensors, metadata, path));
  return WriteFileAtomically(path, file);
}

TensorFile::TensorFile(std::string path, const char* data, size_t size, TensorFileHeader header)
    : path_(std::move(path)), data_(data), size_(size), header_(std::move(header)) {
  for (size_t i = 0; i < header_.entries.size(); ++i) index_[header_.entries[i].name] = i;
}

TensorFile::~TensorFile() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
}

absl::StatusOr<std::unique_ptr<TensorFile>> TensorFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return ErrnoToStatus(errno, "cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return ErrnoToStatus(e, "cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat("'", path, "' is not a regular file"));
  }
  const size_t size = static_cast<size_t>(st.st_size);
  const char* data = nullptr;
  if (size > 0) {
    void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapped == MAP_FAILED) {
      const int e = errno;
      ::close(fd);
      return ErrnoToStatus(e, "cannot map", path);
    }
    data = static_cast<const char*>(mapped);
  }
  ::close(fd);
  auto header = ParseTensorFile(absl::string_view(data, size), path);
  if (!header.ok()) {
    if (data != nullptr) ::munmap(const_cast<char*>(data), size);
    return header.status();
  }
  return std::unique_ptr<TensorFile>(new TensorFile(path, data, size, *std::move(header)));
}

const TensorFileEntry* TensorFile::Find(absl::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.entries[it->second];
}

at::Tensor TensorFile::Read(const TensorFileEntry& entry) const {
  at::Tensor t = at::empty(entry.shape, at::TensorOptions().dtype(entry.dtype));
  if (entry.end > entry.begin) {
    std::memcpy(t.data_ptr(), data_ + header_.buffer_offset + entry.begin, entry.end - entry.begin);
  }
  return t;
}

}  // namespace lasnn
