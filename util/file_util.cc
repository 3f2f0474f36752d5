#include "util/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace lasnn {

absl::Status ErrnoToStatus(int errno_value, absl::string_view what, const std::string& path) {
  std::string message = absl::StrCat(what, " '", path, "': ", std::strerror(errno_value));
  switch (errno_value) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    case EISDIR:
    case EINVAL:
    case ENAMETOOLONG:
      return absl::InvalidArgumentError(message);
    case EEXIST:
      return absl::AlreadyExistsError(message);
    default:
      return absl::DataLossError(message);
  }
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return ErrnoToStatus(e, "cannot stat", path);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is a directory, not a file"));
  }
  std::string out;
  if (st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return ErrnoToStatus(e, "read error on", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

absl::Status WriteAllToFd(int fd, absl::string_view contents, const std::string& path) {
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "cannot write", path);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

void CrashPoint(absl::string_view label) {
  const char* env = std::getenv("LASNN_CRASH_AT");
  if (env == nullptr) return;
  // The plan is parsed again (and its count restarted) whenever the variable changes.
  static std::mutex mu;
  static std::string* spec = new std::string;
  static std::string* substring = new std::string;
  static int64_t remaining = 0;  // 0: disabled
  std::lock_guard<std::mutex> lock(mu);
  if (*spec != env) {
    *spec = env;
    remaining = 0;
    const absl::string_view text(*spec);
    const size_t colon = text.rfind(':');
    int64_t n = 0;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(text.substr(colon + 1), &n) ||
        n < 1) {
      std::fprintf(stderr, "LASNN_CRASH_AT='%s' ignored: expected '<label substring>:<n>'\n",
                   env);
    } else {
      *substring = std::string(text.substr(0, colon));
      remaining = n;
    }
  }
  if (remaining == 0 || !absl::StrContains(label, *substring)) return;
  if (--remaining == 0) {
    std::fprintf(stderr, "LASNN_CRASH_AT: killing the process at '%.*s'\n",
                 static_cast<int>(label.size()), label.data());
    std::fflush(stderr);
    std::raise(SIGKILL);
  }
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents) {
  struct stat existing;
  if (::lstat(path.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to replace '", path, "': it exists and is not a regular file"));
  }
  std::string dir = ".";
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  std::string tmpl = absl::StrCat(path, ".tmp.XXXXXX");
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return ErrnoToStatus(errno, "cannot create a temporary file for", path);
  const std::string tmp = tmpl;
  auto fail = [&](int e, absl::string_view what) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoToStatus(e, what, path);
  };
  // Written in two halves so that a crash test can kill the process between them.
  const size_t half = contents.size() / 2;
  absl::Status written = WriteAllToFd(fd, contents.substr(0, half), path);
  if (written.ok()) {
    CrashPoint(absl::StrCat("write ", path));
    written = WriteAllToFd(fd, contents.substr(half), path);
  }
  if (!written.ok()) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return written;
  }
  if (::fchmod(fd, 0644) != 0) return fail(errno, "cannot set permissions of");
  if (::fsync(fd) != 0) return fail(errno, "cannot flush");
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return ErrnoToStatus(e, "cannot close", path);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return ErrnoToStatus(e, "cannot rename the temporary file onto", path);
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

absl::Status MakeDirectories(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty directory path");
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    size_t next = path.find('/', pos + 1);
    partial = path.substr(0, next);
    pos = next;
    if (partial.empty() || partial == "/") continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoToStatus(errno, "cannot create directory", partial);
    }
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoToStatus(errno, "cannot create directory", path);
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("'", path, "' exists and is not a directory"));
  }
  return absl::OkStatus();
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

absl::StatusOr<int64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoToStatus(errno, "cannot stat", path);
  return static_cast<int64_t>(st.st_size);
}

std::string JoinPath(absl::string_view a, absl::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  bool a_slash = a.back() == '/';
  bool b_slash = b.front() == '/';
  if (a_slash && b_slash) return absl::StrCat(a, b.substr(1));
  if (a_slash || b_slash) return absl::StrCat(a, b);
  return absl::StrCat(a, "/", b);
}

}  // namespace lasnn
