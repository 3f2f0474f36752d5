// Fuzzes checkpoint and weights files (util/tensor_file.h: the safetensors layout) in three ways,
// chosen by the input's first byte:
//  - raw (0 mod 8, as in every file we write: headers are padded to 8 bytes): the bytes are the
//    file.
//  - hostile header (odd): the bytes choose a header the way an attacker would write one:
//    overlapping or out-of-file ranges, huge or overflowing shapes, unknown dtypes, duplicate or
//    empty names, non-string metadata, a header length that lies. Our readers must refuse each
//    with a Status naming the file, before allocating any tensor.
//  - well-formed (2, 4 or 6 mod 8): the bytes choose the names, dtypes, shapes and metadata (format,
//    config, counters, history, optimiser) of a file written by our own writer, so that it passes
//    the structural and checksum checks; the checkpoint readers must turn every hostile value
//    into a Status naming the file and never hand the model a tensor of the wrong shape.
// Each input ends with a checkpoint load into a small model with its optimiser, and a weights load.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/sgd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fuzz/fuzz_check.h"
#include "lasnn/training/checkpoint.h"
#include "util/tensor_file.h"

namespace {

// Consumes the input from the front; zeros once it runs out.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool Bit() { return Byte() & 1; }
  uint64_t Int() {
    uint64_t v = 0;
    const int n = Byte() % 9;
    for (int i = 0; i < n; ++i) v = (v << 8) | Byte();
    return v;
  }
  std::string Str() {
    const size_t n = Byte() % 24;
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(Byte()));
    return s;
  }
  // Printable ASCII (names and strings the writer can encode).
  std::string Name() {
    std::string s = Str();
    for (char& c : s) c = static_cast<char>(0x20 + static_cast<unsigned char>(c) % 95);
    return s;
  }
  template <typename T, size_t N>
  const T& Pick(const T (&options)[N]) {
    return options[Byte() % N];
  }

 private:
  const uint8_t* data_;
  size_t size_, pos_ = 0;
};

// Names a checkpoint of the fuzz model has, plus names it does not.
constexpr const char* kNames[] = {"weight",
                                  "bias",
                                  "model.weight",
                                  "model.bias",
                                  "best.weight",
                                  "best.bias",
                                  "optimizer.model.weight.momentum_buffer",
                                  "optimizer.model.bias.momentum_buffer",
                                  "optimizer.model.weight.exp_avg",
                                  "auxiliary.weight",
                                  "rng_state",
                                  "__metadata__",
                                  "",
                                  "model.other"};

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      out += "?";
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

// A JSON number an attacker would pick: small, huge, 2^40, 2^53 + 1, negative, fractional.
std::string Number(Bytes& in) {
  switch (in.Byte() % 8) {
    case 0:
      return "1099511627776";
    case 1:
      return "9007199254740993";
    case 2:
      return "-8";
    case 3:
      return "2.5";
    case 4:
      return "18446744073709551615";
    case 5:
      return "1e300";
    default:
      return absl::StrCat(in.Byte() % 80);
  }
}

std::string HostileFile(Bytes& in) {
  std::vector<std::string> parts;
  const int entries = in.Byte() % 5;
  for (int i = 0; i < entries; ++i) {
    const std::string name = in.Bit() ? std::string(in.Pick(kNames)) : in.Str();
    constexpr const char* kDtypes[] = {"\"F32\"", "\"F64\"", "\"I64\"", "\"U8\"", "\"I32\"",
                                       "\"F16\"", "\"BOOL\"", "\"\"",   "7",      "null"};
    std::vector<std::string> dims;
    const int rank = in.Byte() % 10;
    for (int d = 0; d < rank; ++d) dims.push_back(Number(in));
    std::vector<std::string> fields = {
        absl::StrCat("\"dtype\": ", in.Pick(kDtypes)),
        absl::StrCat("\"shape\": [", absl::StrJoin(dims, ", "), "]"),
        absl::StrCat("\"data_offsets\": [", Number(in), ", ", Number(in), "]")};
    if (in.Byte() % 8 == 0) fields.pop_back();
    if (in.Byte() % 8 == 0) fields.push_back("\"extra\": 1");
    parts.push_back(absl::StrCat(Quote(name), ": {", absl::StrJoin(fields, ", "), "}"));
  }
  if (in.Bit()) {
    parts.push_back(absl::StrCat(
        "\"__metadata__\": {\"format\": ",
        in.Bit() ? "\"lasnn-weights-v2\"" : (in.Bit() ? "3" : Quote(in.Str())),
        in.Bit() ? ", \"lasnn_sha256\": \"00\"" : "", "}"));
  }
  const std::string json = absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
  uint64_t header_size = json.size();
  if (in.Byte() % 8 == 0) header_size = in.Int();
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((header_size >> (8 * i)) & 0xff);
  return file + json + std::string(in.Byte() % 96, '\x3f');
}

at::Tensor HostileTensor(Bytes& in) {
  const at::ScalarType types[] = {at::kFloat, at::kDouble, at::kLong, at::kByte, at::kInt};
  if (in.Bit()) return at::ones({2, 4});
  if (in.Bit()) return at::ones({2});
  std::vector<int64_t> shape(in.Byte() % 4);
  for (int64_t& d : shape) d = in.Byte() % 6;
  return at::ones(shape, types[in.Byte() % 5]);
}

std::string WellFormedFile(Bytes& in, const std::string& path) {
  lasnn::NamedTensors tensors;
  const int n = in.Byte() % 8;
  for (int i = 0; i < n; ++i) {
    const std::string name = in.Byte() % 8 != 0 ? std::string(in.Pick(kNames)) : in.Name();
    bool seen = name.empty() || name == "__metadata__";
    for (const auto& [other, unused] : tensors) seen = seen || other == name;
    if (!seen) tensors.emplace_back(name, HostileTensor(in));
  }
  lasnn::TensorFileMetadata metadata;
  constexpr const char* kFormats[] = {"lasnn-checkpoint-v2", "lasnn-weights-v2", "other"};
  if (in.Byte() % 8 != 0) metadata["format"] = in.Pick(kFormats);
  constexpr const char* kKeys[] = {"config", "git_commit", "next_epoch", "step",
                                   "best_holdout_accuracy", "best_epoch", "history",
                                   "optimizer", "optimizer_lr"};
  constexpr const char* kValues[] = {"", "0", "-1", "1e308", "nan", "snn: true",
                                     "epochs { epoch: 1 }", "sgd", "adam", "0.1", "0.1,0.2",
                                     "99999999999999999999", "x"};
  for (const char* key : kKeys) {
    if (in.Byte() % 8 != 0) metadata[key] = in.Bit() ? std::string(in.Pick(kValues)) : in.Str();
  }
  auto file = lasnn::EncodeTensorFile(tensors, metadata, path);
  // Metadata that is not UTF-8 cannot be written; anything else must be.
  if (!file.ok()) {
    LASNN_FUZZ_CHECK(file.status().code() == absl::StatusCode::kInvalidArgument);
    for (auto& [key, value] : metadata) value = "0";
    file = lasnn::EncodeTensorFile(tensors, metadata, path);
  }
  if (!file.ok()) {
    std::fprintf(stderr, "checkpoint_fuzzer: %s\n", file.status().ToString().c_str());
    std::abort();
  }
  return *file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = lasnn::fuzz::ScratchPath("checkpoint_fuzzer");
  const int mode = size == 0 || data[0] % 8 == 0 ? 0 : data[0] % 2 == 1 ? 1 : 2;
  if (mode == 0) {
    lasnn::fuzz::WriteScratchFile("checkpoint_fuzzer", data, size);
  } else {
    Bytes in(data + 1, size - 1);
    const std::string file = mode == 1 ? HostileFile(in) : WellFormedFile(in, path);
    lasnn::fuzz::WriteScratchFile("checkpoint_fuzzer", reinterpret_cast<const uint8_t*>(file.data()),
                                  file.size());
    if (mode == 1) {
      // A hostile header never passes: it carries no valid checksum.
      const auto opened = lasnn::TensorFile::Open(path);
      LASNN_FUZZ_CHECK(!opened.ok());
      LASNN_FUZZ_CHECK(opened.status().code() == absl::StatusCode::kDataLoss);
      LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(opened.status(), path));
    }
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
    for (const auto& [key, s] : optimizer.state()) {
      const auto& buffer = static_cast<const torch::optim::SGDParamState&>(*s).momentum_buffer();
      LASNN_FUZZ_CHECK(!buffer.defined() || buffer.sizes() == model->weight.sizes() ||
                       buffer.sizes() == model->bias.sizes());
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
