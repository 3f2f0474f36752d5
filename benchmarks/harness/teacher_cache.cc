#include "benchmarks/harness/teacher_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lasnn/training/checkpoint.h"
#include "util/file_util.h"
#include "util/sha256.h"
#include "util/status_macros.h"

namespace lasnn {

absl::StatusOr<CacheLock> CacheLock::Acquire(const std::string& dir) {
  LASNN_RETURN_IF_ERROR(MakeDirectories(dir));
  const std::string path = JoinPath(dir, "lock");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToStatus(errno, "cannot open the cache lock", path);
  CacheLock lock(fd);  // closing the descriptor releases the flock
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoToStatus(errno, "cannot lock the cache", path);
  }
  return lock;
}

CacheLock::CacheLock(CacheLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

CacheLock& CacheLock::operator=(CacheLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

CacheLock::~CacheLock() {
  if (fd_ >= 0) ::close(fd_);
}

std::string CachedWeightsPath(const std::string& dir) { return JoinPath(dir, "best_weights.pt"); }

std::string CachedResultPath(const std::string& dir) { return JoinPath(dir, "ann_result.pb"); }

absl::StatusOr<std::optional<TeacherResult>> LoadCachedAnn(const std::string& dir,
                                                           Model& model) {
  const std::string weights = CachedWeightsPath(dir);
  const std::string result_file = CachedResultPath(dir);
  if (!PathExists(result_file) || !PathExists(weights)) return std::nullopt;
  LASNN_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(result_file));
  TeacherResult result;
  if (!result.ParseFromString(bytes)) {
    return absl::DataLossError(
        absl::StrCat(result_file, " is corrupt; delete ", dir, " to retrain"));
  }
  LASNN_RETURN_IF_ERROR(LoadWeights(weights, *model));
  LASNN_ASSIGN_OR_RETURN(std::string sha, Sha256File(weights));
  if (sha != result.weights_sha256()) {
    return absl::DataLossError(absl::StrCat(weights, " does not match the checksum in ",
                                            result_file, "; delete ", dir, " to retrain"));
  }
  return result;
}

absl::Status StoreCachedAnnResult(const std::string& dir, const TeacherResult& result) {
  return WriteFileAtomically(CachedResultPath(dir), result.SerializeAsString());
}

}  // namespace lasnn
