// Writes the binary seed inputs of the fuzz targets (IDX, CIFAR, Tiny ImageNet text and images,
// checkpoints and weights files, structured-mode seeds of the checkpoint fuzzer) into
// --out_dir/<target>/. The checked-in fuzz/corpus/ was made
// with
//   bazel run //fuzz:make_fuzz_seeds -- --out_dir=$PWD/fuzz/corpus
// The text seeds (configs, records) are copies of checked-in test files; see fuzz/BUILD.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <torch/nn/modules/linear.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "benchmarks/experiment/run_record.pb.h"
#include "datasets/gzip_util.h"
#include "lasnn/training/checkpoint.h"
#include "util/file_util.h"
#include "util/status_macros.h"
#include "util/text_proto.h"

ABSL_FLAG(std::string, out_dir, "", "directory to write the seeds into (created if missing)");
ABSL_FLAG(std::string, records_dir, "reports/testdata/records",
          "text-format run records to write as binary record seeds (relative to the workspace)");

namespace lasnn {
namespace {

std::string BigEndian32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// Deterministic byte pattern.
std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

absl::Status Write(const std::string& dir, const std::string& name, const std::string& bytes) {
  LASNN_RETURN_IF_ERROR(MakeDirectories(dir));
  return WriteFileAtomically(JoinPath(dir, name), bytes);
}

absl::Status WriteIdx(const std::string& out) {
  const std::string dir = JoinPath(out, "idx_fuzzer");
  const std::string images = BigEndian32(0x803) + BigEndian32(3) + BigEndian32(28) +
                             BigEndian32(28) + Pattern(3 * 28 * 28, 1);
  std::string labels = BigEndian32(0x801) + BigEndian32(3);
  labels += std::string{0, 9, 4};
  LASNN_RETURN_IF_ERROR(Write(dir, "images-3x28x28", images));
  LASNN_RETURN_IF_ERROR(Write(dir, "labels-3", labels));
  LASNN_RETURN_IF_ERROR(Write(dir, "images-2x2x3", BigEndian32(0x803) + BigEndian32(2) +
                                                        BigEndian32(2) + BigEndian32(3) +
                                                        Pattern(12, 2)));
  LASNN_RETURN_IF_ERROR(Write(dir, "images-truncated", images.substr(0, 100)));
  LASNN_ASSIGN_OR_RETURN(std::string gz_images, datasets::GzipCompress(images));
  LASNN_ASSIGN_OR_RETURN(std::string gz_labels, datasets::GzipCompress(labels));
  LASNN_RETURN_IF_ERROR(Write(dir, "images-3x28x28.gz", gz_images));
  LASNN_RETURN_IF_ERROR(Write(dir, "labels-3.gz", gz_labels));
  return absl::OkStatus();
}

absl::Status WriteCifar(const std::string& out) {
  const std::string dir = JoinPath(out, "cifar_fuzzer");
  std::string c10;
  for (int i = 0; i < 2; ++i) c10 += std::string(1, static_cast<char>(i * 7)) + Pattern(3072, i);
  std::string c100;
  for (int i = 0; i < 2; ++i) {
    c100 += std::string{static_cast<char>(i * 19), static_cast<char>(i * 99)} + Pattern(3072, i);
  }
  LASNN_RETURN_IF_ERROR(Write(dir, "cifar10-2-records.bin", c10));
  LASNN_RETURN_IF_ERROR(Write(dir, "cifar100-2-records.bin", c100));
  return Write(dir, "cifar10-truncated.bin", c10.substr(0, 3100));
}

absl::Status WriteTinyImageNetText(const std::string& out) {
  const std::string dir = JoinPath(out, "tiny_imagenet_text_fuzzer");
  const std::string zero(1, '\0');
  LASNN_RETURN_IF_ERROR(Write(
      dir, "three-classes",
      "n01443537\nn01629819\nn01641577\n" + zero +
          "n01443537\tgoldfish, Carassius auratus\nn01629819\tEuropean fire salamander\n" + zero +
          "val_0.JPEG\tn01443537\t0\t32\t44\t62\nval_1.JPEG\tn01641577\t52\t22\t57\t25\n"
          "val_2.JPEG\tn01629819\t4\t0\t60\t55\n"));
  LASNN_RETURN_IF_ERROR(
      Write(dir, "unknown-wnid", "n01\nn02\n" + zero + zero + "val_0.JPEG n03 1 2 3 4\n"));
  return Write(dir, "dotdot", "n01\n" + zero + "n01 a\n" + zero + "..\tn01\n");
}

absl::Status WriteImages(const std::string& out) {
  const std::string dir = JoinPath(out, "image_decode_fuzzer");
  cv::Mat rgb(64, 64, CV_8UC3), gray(64, 64, CV_8UC1), small(32, 32, CV_8UC3);
  cv::randu(rgb, 0, 255);
  cv::randu(gray, 0, 255);
  cv::randu(small, 0, 255);
  const std::vector<std::pair<std::string, cv::Mat>> images = {
      {"rgb64.jpg", rgb}, {"gray64.jpg", gray}, {"rgb64.png", rgb}, {"rgb32.png", small}};
  for (const auto& [name, mat] : images) {
    std::vector<uint8_t> buf;
    const std::string ext = name.substr(name.rfind('.'));
    std::vector<int> params;
    if (ext == ".jpg") params = {cv::IMWRITE_JPEG_QUALITY, 30};
    if (!cv::imencode(ext, mat, buf, params)) {
      return absl::InternalError(absl::StrCat("cannot encode ", name));
    }
    LASNN_RETURN_IF_ERROR(Write(dir, name, std::string(buf.begin(), buf.end())));
  }
  return absl::OkStatus();
}

absl::Status WriteCheckpoints(const std::string& out) {
  const std::string dir = JoinPath(out, "checkpoint_fuzzer");
  LASNN_RETURN_IF_ERROR(MakeDirectories(dir));
  torch::manual_seed(1);
  torch::nn::Linear model(torch::nn::LinearOptions(4, 2));
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  // One step, so that the optimiser has momentum buffers to save.
  optimizer.zero_grad();
  model->forward(torch::ones({3, 4})).sum().backward();
  optimizer.step();
  CheckpointState state;
  state.config.set_snn(true);
  state.config.set_teacher_checksum("seed");
  state.git_commit = "0123456789abcdef";
  state.next_epoch = 2;
  state.step = 10;
  state.best_holdout_accuracy = 0.5;
  state.best_epoch = 1;
  for (double loss : {1.0, 0.5}) {
    EpochMetrics& m = state.history.emplace_back();
    m.set_epoch(static_cast<int64_t>(state.history.size()));
    m.set_step(5 * m.epoch());
    m.set_loss(loss);
  }
  state.rng_state = torch::ones({4}, torch::kByte);
  LASNN_RETURN_IF_ERROR(SaveCheckpoint(JoinPath(dir, "checkpoint.pt"), state, *model, optimizer,
                                       nullptr, SnapshotState(*model)));
  LASNN_RETURN_IF_ERROR(SaveCheckpoint(JoinPath(dir, "checkpoint-no-best.pt"), state, *model,
                                       optimizer, nullptr, {}));
  LASNN_RETURN_IF_ERROR(SaveWeights(JoinPath(dir, "weights.pt"), *model));
  // A header claiming a 2^40-byte tensor in a 16-byte buffer (raw mode: first byte 0 mod 8).
  std::string json =
      R"({"weight": {"dtype": "F32", "shape": [274877906944], "data_offsets": [0, 1099511627776]}})";
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string terabyte(8, '\0');
  for (int i = 0; i < 8; ++i) terabyte[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
  LASNN_RETURN_IF_ERROR(Write(dir, "terabyte-tensor", terabyte + json + std::string(16, '\0')));
  // Seeds of the structured modes: the first byte picks the mode, the rest the choices.
  for (uint32_t seed = 0; seed < 3; ++seed) {
    LASNN_RETURN_IF_ERROR(
        Write(dir, absl::StrCat("hostile-header-", seed), "\x01" + Pattern(96, seed)));
    LASNN_RETURN_IF_ERROR(
        Write(dir, absl::StrCat("well-formed-", seed), "\x02" + Pattern(96, seed + 10)));
  }
  return absl::OkStatus();
}

// Binary copies of the report tests' text-format records (one per method family).
absl::Status WriteRecords(const std::string& out) {
  std::string dir = absl::GetFlag(FLAGS_records_dir);
  if (const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY"); ws != nullptr && dir[0] != '/') {
    dir = JoinPath(ws, dir);
  }
  for (const char* name : {"conversion_max_seed1", "conversion_robust_per_channel_seed1",
                           "direct_small_T2_seed1", "lasnn_joint_small_T4_seed1"}) {
    const std::string path = JoinPath(dir, absl::StrCat(name, ".textproto"));
    LASNN_ASSIGN_OR_RETURN(const RunRecord record, ParseTextProtoFile<RunRecord>(path));
    LASNN_RETURN_IF_ERROR(
        Write(JoinPath(out, "record_fuzzer"), absl::StrCat(name, ".pb"), record.SerializeAsString()));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace lasnn

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string out = absl::GetFlag(FLAGS_out_dir);
  if (out.empty()) {
    std::cerr << "make_fuzz_seeds: --out_dir is required\n";
    return 2;
  }
  for (auto* write : {&lasnn::WriteIdx, &lasnn::WriteCifar, &lasnn::WriteTinyImageNetText,
                      &lasnn::WriteImages, &lasnn::WriteCheckpoints, &lasnn::WriteRecords}) {
    const absl::Status s = write(out);
    if (!s.ok()) {
      std::cerr << "make_fuzz_seeds: " << s << "\n";
      return 1;
    }
  }
  std::cout << "wrote seeds under " << out << "\n";
  return 0;
}
