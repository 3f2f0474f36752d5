// Fuzzes checkpoint and weights files in two ways, chosen by the input's first byte:
//  - raw (even): the bytes are the file. Our readers must reject anything whose checksummed
//    header does not match before LibTorch parses it (LibTorch's unpickler crashes on some
//    corrupt input: see fuzz/regressions/checkpoint_fuzzer/).
//  - structured (odd): the bytes choose the values of a well-formed archive (format strings,
//    config text, counters, history, tensor names, shapes and dtypes, best-weight counts),
//    written by LibTorch's own writer in a valid container; our readers must turn every hostile
//    value into a Status naming the file, and never hand the model a tensor of the wrong shape.
// Both end with a checkpoint load into a small model with its optimiser, and a weights load.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <torch/nn/modules/linear.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/output-archive.h>

#include "fuzz/fuzz_check.h"
#include "lasnn/checkpoint.h"

namespace {

// Consumes the input from the front; zeros once it runs out.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool Bit() { return Byte() & 1; }
  int64_t Int() {
    uint64_t v = 0;
    const int n = Byte() % 9;
    for (int i = 0; i < n; ++i) v = (v << 8) | Byte();
    return static_cast<int64_t>(v);
  }
  double Double() {
    const int64_t bits = Int();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    return d;
  }
  std::string Str() {
    const size_t n = Byte() % 48;
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(Byte()));
    return s;
  }
  at::Tensor Tensor() {
    std::vector<int64_t> shape(Byte() % 4);
    for (int64_t& d : shape) d = Byte() % 6;
    const at::ScalarType types[] = {at::kFloat, at::kDouble, at::kLong, at::kByte, at::kBool};
    return torch::ones(shape, types[Byte() % 5]);
  }

 private:
  const uint8_t* data_;
  size_t size_, pos_ = 0;
};

// Tensors named as a module's state would be, or as the input says.
void WriteModule(Bytes& in, torch::serialize::OutputArchive& archive) {
  const int n = in.Byte() % 4;
  for (int i = 0; i < n; ++i) {
    archive.write("t" + std::to_string(i), in.Bit() ? torch::ones({2, 4}) : in.Tensor());
  }
  archive.write("names", c10::IValue(in.Bit() ? std::string("weight\nbias") : in.Str()));
}

void WriteStructured(Bytes& in, const std::string& path) {
  torch::serialize::OutputArchive archive;
  const int kind = in.Byte() % 3;  // checkpoint, weights, anything
  const std::string format = kind == 0   ? "lasnn-checkpoint-v1"
                             : kind == 1 ? "lasnn-weights-v1"
                                         : in.Str();
  if (in.Byte() % 8 != 0) archive.write("format", c10::IValue(format));
  if (kind == 1) {
    WriteModule(in, archive);
  } else {
    if (in.Bit()) archive.write("config", c10::IValue(in.Bit() ? std::string("snn: true") : in.Str()));
    if (in.Bit()) archive.write("git_commit", c10::IValue(in.Str()));
    archive.write("next_epoch", c10::IValue(in.Int()));
    archive.write("step", in.Bit() ? c10::IValue(in.Int()) : c10::IValue(in.Str()));
    archive.write("best_holdout_accuracy", c10::IValue(in.Double()));
    archive.write("best_epoch", c10::IValue(in.Int()));
    archive.write("history", c10::IValue(in.Str()));
    archive.write("rng_state", in.Tensor());
    torch::serialize::OutputArchive model;
    WriteModule(in, model);
    archive.write("model", model);
    torch::serialize::OutputArchive optimizer;
    if (in.Bit()) {
      torch::nn::Linear m(torch::nn::LinearOptions(4, 2));
      torch::optim::SGD sgd(m->parameters(), torch::optim::SGDOptions(0.1));
      sgd.save(optimizer);
    }
    archive.write("optimizer", optimizer);
    const int64_t num_best = in.Bit() ? in.Int() : in.Byte() % 4;
    archive.write("num_best", c10::IValue(num_best));
    for (int i = 0; i < 3; ++i) archive.write("best" + std::to_string(i), in.Tensor());
  }
  const absl::Status saved = lasnn::SaveArchive(path, archive);
  if (!saved.ok()) {
    std::fprintf(stderr, "checkpoint_fuzzer: %s\n", saved.ToString().c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = lasnn::fuzz::ScratchPath("checkpoint_fuzzer");
  if (size > 0 && (data[0] & 1) == 1) {
    Bytes in(data + 1, size - 1);
    WriteStructured(in, path);
  } else {
    lasnn::fuzz::WriteScratchFile("checkpoint_fuzzer", data, size);
  }
  auto state = lasnn::ReadCheckpointState(path);
  if (!state.ok()) LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(state.status(), path));

  torch::nn::Linear model(torch::nn::LinearOptions(4, 2));
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  std::vector<at::Tensor> best;
  const absl::Status loaded = lasnn::LoadCheckpoint(path, *model, optimizer, nullptr, best);
  if (loaded.ok()) {
    LASNN_FUZZ_CHECK(best.empty() || best.size() == 2);
    if (best.size() == 2) {
      LASNN_FUZZ_CHECK(best[0].sizes() == model->weight.sizes());
      LASNN_FUZZ_CHECK(best[1].sizes() == model->bias.sizes());
    }
  } else {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(loaded, path));
  }
  LASNN_FUZZ_CHECK(model->weight.sizes() == at::IntArrayRef({2, 4}));

  torch::nn::Linear other(torch::nn::LinearOptions(4, 2));
  const absl::Status weights = lasnn::LoadWeights(path, *other);
  if (!weights.ok()) LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(weights, path));
  LASNN_FUZZ_CHECK(other->weight.sizes() == at::IntArrayRef({2, 4}));
  return 0;
}
