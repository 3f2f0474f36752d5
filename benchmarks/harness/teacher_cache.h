// The on-disk cache of trained ANNs: teachers, and the QCFS ANNs of QCFS conversion. Experiments
// of a sweep with the same teacher config and data reuse one entry, and so do concurrent shards
// (Slurm array tasks) sharing the cache directory:
//   <cache_dir>/teacher_<TeacherCacheKey>/ and <cache_dir>/qcfs_<key of the QCFS ANN's config>/
// each holding
//   best_weights.pt   the weights (lasnn/training/checkpoint.h), written there by the trainer
//   ann_result.pb     TeacherResult (run_record.proto) with the weights' SHA-256, written last
//                     and atomically: an entry is complete once it exists
//   lock              an exclusive flock(2), held while an entry is checked, trained and filled,
//                     so that one process trains and the others wait, then load
#ifndef LASNN_BENCHMARKS_HARNESS_TEACHER_CACHE_H_
#define LASNN_BENCHMARKS_HARNESS_TEACHER_CACHE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "lasnn/models/model.h"

namespace lasnn {

// An exclusive flock on <dir>/lock, released when the object is destroyed (or moved from).
class CacheLock {
 public:
  // Creates `dir` if needed and blocks until this process holds the lock. Errors name the path
  // (codes as util/file_util.h ErrnoToStatus).
  static absl::StatusOr<CacheLock> Acquire(const std::string& dir);

  CacheLock(CacheLock&& other) noexcept;
  CacheLock& operator=(CacheLock&& other) noexcept;
  CacheLock(const CacheLock&) = delete;
  CacheLock& operator=(const CacheLock&) = delete;
  ~CacheLock();

 private:
  explicit CacheLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

std::string CachedWeightsPath(const std::string& dir);  // <dir>/best_weights.pt
std::string CachedResultPath(const std::string& dir);   // <dir>/ann_result.pb

// The entry in `dir`: its weights loaded into `model` (of the entry's architecture) and its
// result; nullopt when the entry is incomplete (no result or no weights file). DataLoss naming the
// file when ann_result.pb is corrupt or best_weights.pt does not match its checksum (the message
// says to delete `dir`); LoadWeights' errors otherwise.
absl::StatusOr<std::optional<TeacherResult>> LoadCachedAnn(const std::string& dir,
                                                           Model& model);

// Completes the entry in `dir` (whose best_weights.pt the trainer wrote) with `result`.
absl::Status StoreCachedAnnResult(const std::string& dir, const TeacherResult& result);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_HARNESS_TEACHER_CACHE_H_
