// Runs a program without a shell and captures its standard output.
//
// argv[0] is looked up on PATH (posix_spawnp) unless it contains a '/'; every argument reaches the
// program exactly as given (no quoting, globbing or variable expansion), so paths with spaces or
// quotes need no escaping. Standard input is /dev/null. posix_spawn is safe in a multi-threaded
// process (LibTorch's thread pools) where fork is not.
#ifndef LASNN_UTIL_SUBPROCESS_H_
#define LASNN_UTIL_SUBPROCESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lasnn {

struct ProcessOptions {
  // Drop the child's standard error (true) or let it write to ours (false).
  bool discard_stderr = false;
};

struct ProcessResult {
  int exit_code = -1;   // the exit status; -1 when a signal ended the child
  int term_signal = 0;  // the signal that ended the child; 0 when it exited
  std::string output;   // all of its standard output
  bool succeeded() const { return exit_code == 0; }
};

// Runs `argv` to completion. A program that runs and fails is not an error (see exit_code).
// InvalidArgument for an empty argv; NotFound naming argv[0] when it cannot be found;
// PermissionDenied when it cannot be executed; Internal naming argv[0] for other spawn failures.
absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                         const ProcessOptions& options = {});

}  // namespace lasnn

#endif  // LASNN_UTIL_SUBPROCESS_H_
