// Prints counts, class balance and channel statistics of a dataset and writes a PNG contact
// sheet of its first training images. Example:
//   bazel run //datasets:inspect_data -- --dataset=fashion_mnist --out_png=/tmp/fm.png
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "datasets/dataset_info.h"
#include "datasets/inspect.h"

ABSL_FLAG(std::string, dataset, "fashion_mnist",
          "fashion_mnist, cifar10, cifar100 or tiny_imagenet");
ABSL_FLAG(std::string, data_dir, "",
          "directory with the dataset's files (default: the dataset's default, if any)");
ABSL_FLAG(std::string, out_png, "", "write a PNG contact sheet of the first images here");
ABSL_FLAG(int64_t, num_images, 64, "images on the contact sheet");
ABSL_FLAG(std::string, cifar100_labels, "fine", "cifar100 only: fine or coarse");

namespace lasnn::datasets {
namespace {

absl::Status Run() {
  absl::StatusOr<DatasetInfo> info = GetDatasetInfoByName(absl::GetFlag(FLAGS_dataset));
  if (!info.ok()) return absl::InvalidArgumentError(absl::StrCat("--dataset: ",
                                                                 info.status().message()));
  InspectOptions options;
  options.spec.set_kind(info->kind);
  options.spec.set_path(absl::GetFlag(FLAGS_data_dir));
  const std::string labels = absl::GetFlag(FLAGS_cifar100_labels);
  if (labels != "fine" && labels != "coarse") {
    return absl::InvalidArgumentError(
        absl::StrCat("--cifar100_labels must be fine or coarse, got '", labels, "'"));
  }
  options.spec.set_cifar100_label_mode(labels == "coarse" ? CIFAR100_LABEL_MODE_COARSE
                                                          : CIFAR100_LABEL_MODE_FINE);
  options.out_png = absl::GetFlag(FLAGS_out_png);
  options.num_images = absl::GetFlag(FLAGS_num_images);
  return RunInspect(options, std::cout);
}

}  // namespace
}  // namespace lasnn::datasets

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  absl::Status status = lasnn::datasets::Run();
  if (!status.ok()) {
    std::cerr << "inspect_data: " << status << "\n";
    return 1;
  }
  return 0;
}
