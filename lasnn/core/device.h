// The devices our code runs on, as one rule: a device is named by a string ("cpu", "cuda",
// "cuda:<index>", or "lazy": LibTorch's lazy tensor backend with its TorchScript executor, which
// runs on the CPU and stands in for a GPU in CI). Every tensor our code creates takes its device
// and dtype from an input or from the configured device; custom CPU kernels take their tensor-op
// path on any non-CPU device (UsesTensorOps).
//
// A lazy device records operations into a graph and runs them when a value is read; MarkStep
// cuts that graph at the end of a training step, as torch._lazy.mark_step() does in Python.
// On the CPU and on CUDA, MarkStep does nothing.
#ifndef LASNN_LASNN_CORE_DEVICE_H_
#define LASNN_LASNN_CORE_DEVICE_H_

#include <c10/core/Device.h>
#include <torch/nn/module.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace lasnn {

// Parses a device name and checks that it can run here: "lazy" initialises the TorchScript
// lazy backend (once per process); "cuda[:i]" needs a CUDA LibTorch and a visible GPU (with at
// least i + 1 devices). Errors: InvalidArgument for a name that is none of the above (naming
// it); FailedPrecondition for a CUDA device that this LibTorch or machine does not have.
absl::StatusOr<c10::Device> ResolveDevice(const std::string& name);

// True where our custom CPU kernels must not run: every device but the CPU.
inline bool UsesTensorOps(const c10::Device& device) { return !device.is_cpu(); }

// Moves every parameter and buffer of `module` and its submodules to `device`, keeping
// requires_grad. On the CPU and CUDA this is Module::to. LibTorch's C++ Module::to cannot move
// to the lazy device (Tensor::set_data refuses a lazy tensor for a CPU one: "incompatible tensor
// type"), so to or from it the tensors are replaced, as Python's Module.to does: the module's registry
// and the public tensor members of torch::nn::Conv2d, Linear and BatchNorm2d. A module of another
// type whose parameters or buffers are also held in members must read them from its registry
// (named_parameters / named_buffers) to be movable to the lazy device.
void MoveToDevice(torch::nn::Module& module, const c10::Device& device);

// Waits until the work queued on `device` is done, so that a clock read after it measures that
// work: CUDA synchronises the device (where LibTorch has CUDA); lazy runs every pending graph
// and waits for it; CPU returns at once.
void SynchronizeDevice(const c10::Device& device);

// Seconds taken by the work that `fn` runs on `device`. On CUDA, where LibTorch has CUDA compiled
// in (LASNN_WITH_CUDA), by two CUDA events recorded on the device's current stream around `fn`,
// waiting on the second: queued earlier work is not counted and the host clock is not involved.
// Elsewhere by the steady clock, with SynchronizeDevice before each reading (on the CPU that is
// a plain wall-clock time; on lazy it includes running the pending graph).
double TimeOnDevice(const c10::Device& device, const std::function<void()>& fn);

// Ends a training (or evaluation) step on a lazy device: runs the pending graph of all live
// lazy tensors and starts a new one. No-op on other devices.
void MarkStep(const c10::Device& device);

// A human-readable name of the hardware behind `device`, for run records: the GPU model (read
// through c10::cuda where LibTorch has CUDA), "lazy (TorchScript backend on the CPU)", or "cpu".
std::string DeviceHardwareName(const c10::Device& device);

}  // namespace lasnn

#endif  // LASNN_LASNN_CORE_DEVICE_H_
