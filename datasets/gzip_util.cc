#include "datasets/gzip_util.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lasnn::datasets {
namespace {

constexpr uInt kMaxChunk = std::numeric_limits<uInt>::max() / 2;

absl::Status CorruptGzip(const std::string& path, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("corrupt gzip data in '", path, "': ", why));
}

}  // namespace

bool IsGzip(absl::string_view bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
         static_cast<uint8_t>(bytes[1]) == 0x8b;
}

absl::StatusOr<std::string> MaybeGunzip(std::string bytes, const std::string& path) {
  if (!IsGzip(bytes)) return bytes;
  z_stream zs = {};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError(absl::StrCat("inflateInit2 failed for '", path, "'"));
  }
  std::string out;
  // The trailer's ISIZE (size mod 2^32 of the last member) is a good first guess when the file
  // is intact; deflate never expands more than 1032:1, which bounds it when it is not.
  size_t guess = 1024;
  if (bytes.size() >= 18) {
    const auto* t = reinterpret_cast<const uint8_t*>(bytes.data() + bytes.size() - 4);
    const uint32_t isize =
        t[0] | (t[1] << 8) | (t[2] << 16) | (static_cast<uint32_t>(t[3]) << 24);
    guess = std::max<size_t>(guess, std::min<size_t>(isize, bytes.size() * 1032));
  }
  out.resize(guess);
  size_t in_pos = 0;
  size_t out_pos = 0;
  absl::Status status;
  while (true) {
    if (out_pos == out.size()) out.resize(out.size() * 2);
    zs.next_in = reinterpret_cast<Bytef*>(bytes.data() + in_pos);
    zs.avail_in = static_cast<uInt>(std::min<size_t>(bytes.size() - in_pos, kMaxChunk));
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    zs.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - out_pos, kMaxChunk));
    const uInt avail_in_before = zs.avail_in;
    const uInt avail_out_before = zs.avail_out;
    int rc = inflate(&zs, Z_NO_FLUSH);
    in_pos += avail_in_before - zs.avail_in;
    out_pos += avail_out_before - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (in_pos == bytes.size()) break;
      if (!IsGzip(absl::string_view(bytes).substr(in_pos))) {
        status = CorruptGzip(path, absl::StrCat("trailing garbage at byte ", in_pos));
        break;
      }
      inflateReset(&zs);  // another concatenated member follows
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && in_pos == bytes.size()) {
      status = CorruptGzip(path, "truncated stream");
      break;
    }
    if (rc == Z_BUF_ERROR) continue;  // needs more output space
    status = CorruptGzip(path, zs.msg != nullptr ? zs.msg : "inflate error");
    break;
  }
  inflateEnd(&zs);
  if (!status.ok()) return status;
  out.resize(out_pos);
  return out;
}

absl::StatusOr<std::string> GzipCompress(absl::string_view data) {
  z_stream zs = {};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  const size_t written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return absl::InternalError("deflate did not finish");
  out.resize(written);
  return out;
}

}  // namespace lasnn::datasets
