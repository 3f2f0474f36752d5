#include "util/memory_limit.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace lasnn {

int64_t AddressSpaceBytes() {
  // Plain system calls: this runs in children forked from a multi-threaded process.
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[128];
  const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return -1;
  const absl::string_view text(buf, static_cast<size_t>(n));
  int64_t pages = 0;
  if (!absl::SimpleAtoi(text.substr(0, text.find(' ')), &pages)) return -1;
  return pages * static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
}

absl::Status LimitAddressSpaceGrowth(int64_t extra_bytes) {
  if (extra_bytes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("address-space limit must be > 0 bytes, got ", extra_bytes));
  }
  const int64_t current = AddressSpaceBytes();
  if (current < 0) return absl::InternalError("cannot read /proc/self/statm");
  struct rlimit limit;
  limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(current + extra_bytes);
  if (::setrlimit(RLIMIT_AS, &limit) != 0) {
    return absl::InternalError(absl::StrCat("setrlimit(RLIMIT_AS): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace lasnn
