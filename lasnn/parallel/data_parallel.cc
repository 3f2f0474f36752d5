#include "lasnn/parallel/data_parallel.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"
#include "util/torch_status.h"

namespace lasnn {
namespace {

absl::StatusOr<int> EnvInt(const char* primary, const char* fallback, int default_value) {
  for (const char* name : {primary, fallback}) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    int out = 0;
    if (!absl::SimpleAtoi(v, &out)) {
      return absl::InvalidArgumentError(absl::StrCat("environment variable ", name, "='", v,
                                                     "' is not an integer"));
    }
    return out;
  }
  return default_value;
}

}  // namespace

struct DataParallel::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

DataParallel::DataParallel() : impl_(std::make_unique<Impl>()) {}
DataParallel::~DataParallel() = default;

absl::StatusOr<DataParallelOptions> ResolveDataParallelOptions(DataParallelOptions o) {
  if (o.rank < 0) {
    LASNN_ASSIGN_OR_RETURN(o.rank, EnvInt("RANK", "SLURM_PROCID", 0));
  }
  if (o.world_size < 0) {
    LASNN_ASSIGN_OR_RETURN(o.world_size, EnvInt("WORLD_SIZE", "SLURM_NTASKS", 1));
  }
  if (o.world_size < 1 || o.world_size > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("world size must be in [1, 4096], got ", o.world_size));
  }
  if (o.rank < 0 || o.rank >= o.world_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("rank must be in [0, ", o.world_size, "), got ", o.rank));
  }
  if (o.world_size > 1 && o.rendezvous.empty()) {
    return absl::InvalidArgumentError(
        "data-parallel training needs a rendezvous: file:<shared path> or tcp:<host>:<port>");
  }
  if (o.bucket_bytes < 1) return absl::InvalidArgumentError("bucket_bytes must be >= 1");
  return o;
}

absl::StatusOr<std::unique_ptr<DataParallel>> DataParallel::Join(const DataParallelOptions& in) {
  LASNN_ASSIGN_OR_RETURN(DataParallelOptions o, ResolveDataParallelOptions(in));
  std::unique_ptr<DataParallel> dp(new DataParallel());
  dp->rank_ = o.rank;
  dp->world_size_ = o.world_size;
  dp->bucket_bytes_ = o.bucket_bytes;
  if (o.world_size == 1) return dp;
  const std::string& r = o.rendezvous;
  absl::Status status = TorchCall("joining the process group", [&]() -> absl::Status {
    if (r.rfind("file:", 0) == 0) {
      dp->impl_->store = c10::make_intrusive<c10d::FileStore>(r.substr(5), o.world_size);
    } else if (r.rfind("tcp:", 0) == 0) {
      const std::string hp = r.substr(4);
      const size_t colon = hp.rfind(':');
      int port = 0;
      if (colon == std::string::npos || !absl::SimpleAtoi(hp.substr(colon + 1), &port) ||
          port < 1 || port > 65535) {
        return absl::InvalidArgumentError(
            absl::StrCat("rendezvous '", r, "' must be tcp:<host>:<port>"));
      }
      c10d::TCPStoreOptions so;
      so.port = static_cast<uint16_t>(port);
      so.isServer = o.rank == 0;
      so.numWorkers = o.world_size;
      so.timeout = std::chrono::seconds(o.timeout_seconds);
      dp->impl_->store = c10::make_intrusive<c10d::TCPStore>(hp.substr(0, colon), so);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "rendezvous '", r, "' must be file:<shared path> or tcp:<host>:<port>"));
    }
    auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(o.timeout_seconds));
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    dp->impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(dp->impl_->store, o.rank,
                                                                   o.world_size, options);
    return absl::OkStatus();
  });
  LASNN_RETURN_IF_ERROR(status);
  return dp;
}

void DataParallel::BroadcastFromRankZero(torch::nn::Module& module) {
  if (world_size_ == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> tensors;
  for (auto& p : module.parameters()) tensors.push_back(p);
  for (auto& b : module.buffers()) tensors.push_back(b);
  for (at::Tensor& t : tensors) {
    std::vector<at::Tensor> one = {t};
    impl_->group->broadcast(one)->wait();
  }
}

void DataParallel::AllReduceGradients(const std::vector<at::Tensor>& parameters) {
  if (world_size_ == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (const at::Tensor& p : parameters) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  size_t i = 0;
  while (i < grads.size()) {
    // One bucket: consecutive gradients of one dtype up to bucket_bytes_.
    std::vector<at::Tensor> bucket;
    int64_t bytes = 0;
    while (i < grads.size() && (bucket.empty() || (bytes < bucket_bytes_ &&
                                                   grads[i].scalar_type() ==
                                                       bucket.front().scalar_type()))) {
      bytes += grads[i].numel() * grads[i].element_size();
      bucket.push_back(grads[i++]);
    }
    std::vector<at::Tensor> flat_list;
    for (const at::Tensor& g : bucket) flat_list.push_back(g.reshape({-1}));
    std::vector<at::Tensor> flat = {at::cat(flat_list)};
    impl_->group->allreduce(flat)->wait();
    flat[0].div_(static_cast<double>(world_size_));
    int64_t offset = 0;
    for (at::Tensor& g : bucket) {
      g.copy_(flat[0].narrow(0, offset, g.numel()).view(g.sizes()));
      offset += g.numel();
    }
  }
}

void DataParallel::AverageBuffers(torch::nn::Module& module) {
  if (world_size_ == 1) return;
  torch::NoGradGuard no_grad;
  for (auto& b : module.buffers()) {
    if (!at::isFloatingType(b.scalar_type())) continue;  // num_batches_tracked: equal anyway
    std::vector<at::Tensor> one = {b};
    impl_->group->allreduce(one)->wait();
    b.div_(static_cast<double>(world_size_));
  }
}

void DataParallel::Barrier() {
  if (world_size_ == 1) return;
  impl_->group->barrier()->wait();
}

}  // namespace lasnn
