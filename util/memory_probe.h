// Resident memory of this process, from Linux's /proc (proc(5)): the current resident set size
// (VmRSS), its high-water mark (VmHWM), and a reset of the high-water mark to the current size
// (writing "5" to /proc/self/clear_refs, Linux >= 4.0).
#ifndef LASNN_UTIL_MEMORY_PROBE_H_
#define LASNN_UTIL_MEMORY_PROBE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lasnn {

// The value of the line "<field>:  <n> kB" of /proc/<pid>/status text, in bytes. NotFound naming
// the field when no line has it; DataLoss naming it when its value is not "<n> kB".
absl::StatusOr<int64_t> ParseProcStatusBytes(absl::string_view status_text,
                                             absl::string_view field);

// ParseProcStatusBytes on /proc/self/status. Unavailable when that file cannot be read.
absl::StatusOr<int64_t> ReadProcStatusBytes(absl::string_view field);

// VmHWM: the peak resident set size since the process started or since the last successful
// ResetPeakResident, in bytes; 0 when unavailable.
int64_t PeakResidentBytes();

// Sets the high-water mark to the current resident set size. Unavailable when the kernel refuses.
absl::Status ResetPeakResident();

}  // namespace lasnn

#endif  // LASNN_UTIL_MEMORY_PROBE_H_
