// Status propagation macros. The pinned Abseil (20220623) has no RETURN_IF_ERROR /
// ASSIGN_OR_RETURN, so the project defines them once, here, with an LASNN_ prefix.
#ifndef LASNN_UTIL_STATUS_MACROS_H_
#define LASNN_UTIL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LASNN_STATUS_CONCAT_INNER_(a, b) a##b
#define LASNN_STATUS_CONCAT_(a, b) LASNN_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if not OK.
#define LASNN_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    ::absl::Status lasnn_status_ = (expr);          \
    if (!lasnn_status_.ok()) return lasnn_status_;  \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, else moves the value
// into `lhs` (a declaration such as `auto x` or an existing lvalue).
#define LASNN_ASSIGN_OR_RETURN(lhs, rexpr) \
  LASNN_ASSIGN_OR_RETURN_IMPL_(LASNN_STATUS_CONCAT_(lasnn_statusor_, __LINE__), lhs, rexpr)

#define LASNN_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // LASNN_UTIL_STATUS_MACROS_H_
