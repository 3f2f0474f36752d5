// The bridge from LibTorch's exceptions to absl::Status at our API boundaries: tensor code uses
// TORCH_CHECK for shape/dtype/device preconditions, and callers that return a Status wrap it in
// TorchCall so that no exception crosses the boundary.
#ifndef LASNN_UTIL_TORCH_STATUS_H_
#define LASNN_UTIL_TORCH_STATUS_H_

#include <c10/util/Exception.h>

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace lasnn {

// A c10::Error's whole message (all its lines) without the C++ backtrace that what() appends.
// Callers that need one line take the first themselves.
inline std::string TorchErrorMessage(const c10::Error& e) { return e.what_without_backtrace(); }

// Runs `fn` (returning void, absl::Status, or absl::StatusOr<T>), converting c10::Error into
// InvalidArgument (TORCH_CHECK failures are violated preconditions) and any other std::exception
// into Internal, each prefixed by `context`.
template <typename Fn>
auto TorchCall(absl::string_view context, Fn&& fn) {
  using R = std::invoke_result_t<Fn>;
  if constexpr (std::is_void_v<R>) {
    try {
      std::forward<Fn>(fn)();
      return absl::OkStatus();
    } catch (const c10::Error& e) {
      return absl::InvalidArgumentError(absl::StrCat(context, ": ", TorchErrorMessage(e)));
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat(context, ": ", e.what()));
    }
  } else {
    try {
      return R(std::forward<Fn>(fn)());
    } catch (const c10::Error& e) {
      return R(absl::InvalidArgumentError(absl::StrCat(context, ": ", TorchErrorMessage(e))));
    } catch (const std::exception& e) {
      return R(absl::InternalError(absl::StrCat(context, ": ", e.what())));
    }
  }
}

}  // namespace lasnn

#endif  // LASNN_UTIL_TORCH_STATUS_H_
