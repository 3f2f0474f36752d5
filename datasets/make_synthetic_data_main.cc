// Writes a small synthetic dataset in the official file format of --dataset into --out_dir
// (see synthetic.h). Example:
//   bazel run //datasets:make_synthetic_data -- --dataset=cifar10 --out_dir=/tmp/c10
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "datasets/dataset_info.h"
#include "datasets/synthetic.h"

ABSL_FLAG(std::string, dataset, "", "fashion_mnist, cifar10, cifar100 or tiny_imagenet");
ABSL_FLAG(std::string, out_dir, "", "directory to write (created if missing)");
ABSL_FLAG(int64_t, train_per_class, 3, "training images per class");
ABSL_FLAG(int64_t, test_per_class, 2, "test images per class");
ABSL_FLAG(int64_t, num_classes, 0, "0: the official count (tiny_imagenet may use fewer)");
ABSL_FLAG(uint64_t, seed, 1, "content and label-order seed");
ABSL_FLAG(bool, gzip, true, "fashion_mnist: write .gz IDX files (else plain)");

namespace lasnn::datasets {
namespace {

absl::Status Run() {
  absl::StatusOr<DatasetInfo> info = GetDatasetInfoByName(absl::GetFlag(FLAGS_dataset));
  if (!info.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--dataset: ", info.status().message()));
  }
  const std::string out_dir = absl::GetFlag(FLAGS_out_dir);
  if (out_dir.empty()) return absl::InvalidArgumentError("--out_dir is required");
  SyntheticOptions options;
  options.train_per_class = absl::GetFlag(FLAGS_train_per_class);
  options.test_per_class = absl::GetFlag(FLAGS_test_per_class);
  options.num_classes = absl::GetFlag(FLAGS_num_classes);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.gzip = absl::GetFlag(FLAGS_gzip);
  return WriteSyntheticDataset(info->kind, out_dir, options);
}

}  // namespace
}  // namespace lasnn::datasets

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  absl::Status status = lasnn::datasets::Run();
  if (!status.ok()) {
    std::cerr << "make_synthetic_data: " << status << "\n";
    return 1;
  }
  return 0;
}
