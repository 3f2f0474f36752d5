// A cap on how much more address space a process may map, for the forked children that run
// parsers we do not trust (LibTorch's TorchScript reader, lasnn/interop/torchscript_import.cc):
// a file that makes the parser allocate without bound then ends as a failed allocation in the
// child (std::bad_alloc, or LibTorch's "can't allocate memory" error) instead of exhausting the
// machine.
#ifndef LASNN_UTIL_MEMORY_LIMIT_H_
#define LASNN_UTIL_MEMORY_LIMIT_H_

#include <cstdint>

#include "absl/status/status.h"

namespace lasnn {

// Sets the calling process's RLIMIT_AS to its current address-space size (/proc/self/statm) plus
// `extra_bytes`. The limit is relative because a forked child starts with its parent's mappings
// (shared libraries, thread stacks, a sanitizer's shadow memory). It cannot be raised again
// without privileges: call it in a child process. InvalidArgument if extra_bytes <= 0; Internal if
// /proc/self/statm cannot be read or setrlimit fails.
absl::Status LimitAddressSpaceGrowth(int64_t extra_bytes);

// The calling process's address-space size in bytes (/proc/self/statm), or -1 if unreadable.
int64_t AddressSpaceBytes();

}  // namespace lasnn

#endif  // LASNN_UTIL_MEMORY_LIMIT_H_
