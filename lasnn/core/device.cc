#include "lasnn/core/device.h"

#include <torch/csrc/lazy/backend/backend_device.h>
#include <torch/csrc/lazy/backend/backend_interface.h>
#include <torch/csrc/lazy/core/lazy_graph_executor.h>
#include <torch/csrc/lazy/ts_backend/ts_backend_impl.h>
#include <torch/cuda.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#if defined(LASNN_WITH_CUDA)
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#endif

namespace lasnn {
namespace {

void InitLazyBackendOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!torch::lazy::hasBackend()) torch::lazy::InitTorchScriptBackend();
  });
}

// Access to torch::nn::Module's tensor registries, which LibTorch exposes only as copies: the
// standard explicit-instantiation idiom (access is not checked in an explicit instantiation).
using Registry = torch::OrderedDict<std::string, at::Tensor>;
using RegistryMember = Registry torch::nn::Module::*;
struct ParametersTag {
  friend RegistryMember Member(ParametersTag);
};
struct BuffersTag {
  friend RegistryMember Member(BuffersTag);
};
template <typename Tag, RegistryMember kMember>
struct ExposeRegistry {
  friend RegistryMember Member(Tag) { return kMember; }
};
template struct ExposeRegistry<ParametersTag, &torch::nn::Module::parameters_>;
template struct ExposeRegistry<BuffersTag, &torch::nn::Module::buffers_>;

// Replaces each tensor of `registry` by its copy on `device`; returns (old, new) pairs.
std::vector<std::pair<at::Tensor, at::Tensor>> ReplaceOnDevice(Registry& registry,
                                                               const c10::Device& device) {
  std::vector<std::pair<at::Tensor, at::Tensor>> moved;
  for (auto& item : registry) {
    at::Tensor& t = item.value();
    if (!t.defined()) continue;
    at::Tensor copy = t.detach().to(device);
    copy.set_requires_grad(t.requires_grad());
    moved.emplace_back(t, copy);
    t = copy;
  }
  return moved;
}

void Rebind(const std::vector<std::pair<at::Tensor, at::Tensor>>& moved, at::Tensor& member) {
  for (const auto& [old, copy] : moved) {
    if (member.defined() && member.is_same(old)) member = copy;
  }
}

void MoveToLazy(torch::nn::Module& m, const c10::Device& device) {
  auto moved = ReplaceOnDevice(m.*Member(ParametersTag{}), device);
  auto buffers = ReplaceOnDevice(m.*Member(BuffersTag{}), device);
  moved.insert(moved.end(), buffers.begin(), buffers.end());
  if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(&m)) {
    Rebind(moved, conv->weight);
    Rebind(moved, conv->bias);
  } else if (auto* linear = dynamic_cast<torch::nn::LinearImpl*>(&m)) {
    Rebind(moved, linear->weight);
    Rebind(moved, linear->bias);
  } else if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(&m)) {
    Rebind(moved, bn->weight);
    Rebind(moved, bn->bias);
    Rebind(moved, bn->running_mean);
    Rebind(moved, bn->running_var);
    Rebind(moved, bn->num_batches_tracked);
  }
}

}  // namespace

void MoveToDevice(torch::nn::Module& module, const c10::Device& device) {
  bool lazy = device.type() == c10::kLazy;
  for (const at::Tensor& t : module.parameters()) lazy = lazy || t.device().type() == c10::kLazy;
  for (const at::Tensor& t : module.buffers()) lazy = lazy || t.device().type() == c10::kLazy;
  if (!lazy) {
    module.to(device);
    return;
  }
  module.apply([&](torch::nn::Module& m) { MoveToLazy(m, device); });
}

absl::StatusOr<c10::Device> ResolveDevice(const std::string& name) {
  if (name == "cpu") return c10::Device(c10::kCPU);
  if (name == "lazy") {
    InitLazyBackendOnce();
    return c10::Device(c10::kLazy, 0);
  }
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    c10::Device device(c10::kCPU);
    try {
      device = c10::Device(name);
    } catch (const c10::Error&) {
      return absl::InvalidArgumentError(
          absl::StrCat("device '", name, "': expected cpu, cuda, cuda:<index> or lazy"));
    }
    if (!torch::cuda::is_available()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "device '", name, "' requested, but this LibTorch has no CUDA or no GPU is visible; "
          "build with LIBTORCH_HOME=<CUDA LibTorch> or use device \"cpu\""));
    }
    const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
    if (device.has_index() && device.index() >= count) {
      return absl::FailedPreconditionError(absl::StrCat("device '", name, "' requested, but ",
                                                        count, " GPU(s) are visible"));
    }
    return device;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("device '", name, "': expected cpu, cuda, cuda:<index> or lazy"));
}

void SynchronizeDevice(const c10::Device& device) {
  if (device.is_cuda()) {
    torch::cuda::synchronize(device.has_index() ? device.index() : -1);
  } else if (device.type() == c10::kLazy) {
    const torch::lazy::BackendDevice backend = torch::lazy::atenDeviceToBackendDevice(device);
    torch::lazy::LazyGraphExecutor::Get()->SyncLiveTensorsGraph(&backend, {}, /*wait=*/true);
    torch::lazy::LazyGraphExecutor::Get()->WaitDeviceOps({backend});
  }
}

double TimeOnDevice(const c10::Device& device, const std::function<void()>& fn) {
#if defined(LASNN_WITH_CUDA)
  if (device.is_cuda()) {
    const c10::cuda::CUDAGuard guard(device);
    at::cuda::CUDAEvent start(cudaEventDefault);
    at::cuda::CUDAEvent stop(cudaEventDefault);
    start.record();
    fn();
    stop.record();
    stop.synchronize();
    return static_cast<double>(start.elapsed_time(stop)) / 1e3;
  }
#endif
  using Clock = std::chrono::steady_clock;
  SynchronizeDevice(device);
  const Clock::time_point begin = Clock::now();
  fn();
  SynchronizeDevice(device);
  return std::chrono::duration<double>(Clock::now() - begin).count();
}

void MarkStep(const c10::Device& device) {
  if (device.type() != c10::kLazy) return;
  const torch::lazy::BackendDevice backend = torch::lazy::atenDeviceToBackendDevice(device);
  torch::lazy::LazyGraphExecutor::Get()->SyncLiveTensorsGraph(&backend, {}, /*wait=*/true);
  torch::lazy::LazyGraphExecutor::Get()->MarkStep(backend);
}

std::string DeviceHardwareName(const c10::Device& device) {
  if (device.is_cuda()) {
#if defined(LASNN_WITH_CUDA)
    const int index = device.has_index() ? device.index() : at::cuda::current_device();
    return at::cuda::getDeviceProperties(index)->name;
#else
    return absl::StrCat(device.str(), " (GPU model unknown: built without the CUDA headers)");
#endif
  }
  if (device.type() == c10::kLazy) return "lazy (TorchScript backend on the CPU)";
  return device.str();
}

}  // namespace lasnn
