// File helpers that report failures as absl::Status naming the path, and an atomic writer:
// results, records and checkpoints are written to a temporary file in the destination directory,
// flushed to disk, then renamed over the destination, so a reader never sees a half-written file
// and an earlier version survives any failure.
#ifndef LASNN_UTIL_FILE_UTIL_H_
#define LASNN_UTIL_FILE_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lasnn {

// Crash injection for the crash-safety tests. When the environment variable LASNN_CRASH_AT is
// "<label substring>:<n>", the n-th call (counting from 1) whose label contains the substring
// SIGKILLs the process. WriteFileAtomically calls it with "write <path>" halfway through writing
// the temporary file, and the trainer with "train step" after each optimisation step, so
//   LASNN_CRASH_AT=checkpoint.pt:2   dies in the middle of writing the second checkpoint,
//   LASNN_CRASH_AT='train step:7'    dies right after the seventh step of the run.
// Without the variable it does nothing but one getenv per call.
void CrashPoint(absl::string_view label);

// Reads the whole file. NotFound if it does not exist, PermissionDenied if unreadable,
// DataLoss on a read error; the message names the path.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// Writes `contents` to `path` atomically (temporary file + fsync + rename in the same directory).
// On any failure (missing or unwritable directory, full device) returns an error naming the path,
// removes the temporary file, and leaves an existing `path` untouched. FailedPrecondition if `path`
// exists and is not a regular file (a device, a directory, a symlink).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

// Writes all of `contents` to the open descriptor `fd`, retrying short writes; an error (ENOSPC
// on a full device -> ResourceExhausted, ...) names `path`.
absl::Status WriteAllToFd(int fd, absl::string_view contents, const std::string& path);

// Creates `path` and its missing parents (like `mkdir -p`).
absl::Status MakeDirectories(const std::string& path);

// True if `path` exists (any type).
bool PathExists(const std::string& path);

// Size of a regular file in bytes; NotFound naming the path if absent.
absl::StatusOr<int64_t> FileSize(const std::string& path);

// `a` and `b` joined by exactly one '/'.
std::string JoinPath(absl::string_view a, absl::string_view b);

// The status for a failed system call on `path`, mapped from `errno_value`
// (ENOENT -> NotFound, EACCES/EPERM -> PermissionDenied, ENOSPC -> ResourceExhausted, ...).
absl::Status ErrnoToStatus(int errno_value, absl::string_view what, const std::string& path);

}  // namespace lasnn

#endif  // LASNN_UTIL_FILE_UTIL_H_
