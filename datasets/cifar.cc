#include "datasets/cifar.h"

#include <ATen/ops/empty.h>

#include <cstring>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn::datasets {

const char* const kCifar10ClassNames[10] = {
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
};

namespace {

// Decodes `bytes` as records of `label_bytes` label bytes + 3072 pixels, using label byte
// `label_index` with `num_classes` classes; `other_label_classes` bounds the other label byte
// (CIFAR-100), 0 if none.
absl::StatusOr<Dataset> DecodeRecords(absl::string_view bytes, const std::string& path,
                                      int64_t label_bytes, int64_t label_index,
                                      int64_t num_classes, int64_t other_label_classes) {
  const int64_t record = label_bytes + kCifarImageBytes;
  const int64_t size = static_cast<int64_t>(bytes.size());
  if (size == 0 || size % record != 0) {
    return absl::DataLossError(absl::StrCat("CIFAR file '", path, "' has ", size,
                                            " bytes, not a positive multiple of the ", record,
                                            "-byte record size (truncated or wrong format?)"));
  }
  const int64_t n = size / record;
  Dataset d;
  d.num_classes = num_classes;
  d.images = at::empty({n, 3, 32, 32}, at::kByte);
  d.labels = at::empty({n}, at::kLong);
  uint8_t* images = d.images.data_ptr<uint8_t>();
  int64_t* labels = d.labels.data_ptr<int64_t>();
  const auto* in = reinterpret_cast<const uint8_t*>(bytes.data());
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* r = in + i * record;
    for (int64_t b = 0; b < label_bytes; ++b) {
      const int64_t bound = b == label_index ? num_classes : other_label_classes;
      if (r[b] >= bound) {
        return absl::DataLossError(absl::StrCat("CIFAR file '", path, "': record ", i,
                                                " has label ", r[b], " (byte ", b,
                                                ") out of range [0, ", bound, ")"));
      }
    }
    labels[i] = r[label_index];
    std::memcpy(images + i * kCifarImageBytes, r + label_bytes, kCifarImageBytes);
  }
  return d;
}

absl::Status RequireDirectory(const std::string& dir, absl::string_view what) {
  if (!PathExists(dir)) {
    return absl::NotFoundError(absl::StrCat(what, " directory '", dir, "' does not exist"));
  }
  return absl::OkStatus();
}

// The files' Datasets joined along N (one contiguous tensor).
Dataset Concatenate(std::vector<Dataset> parts) {
  if (parts.size() == 1) return std::move(parts[0]);
  int64_t n = 0;
  for (const Dataset& p : parts) n += p.images.size(0);
  Dataset d;
  d.num_classes = parts[0].num_classes;
  d.images = at::empty({n, 3, 32, 32}, at::kByte);
  d.labels = at::empty({n}, at::kLong);
  int64_t at_row = 0;
  for (const Dataset& p : parts) {
    const int64_t m = p.images.size(0);
    std::memcpy(d.images.data_ptr<uint8_t>() + at_row * kCifarImageBytes,
                p.images.data_ptr<uint8_t>(), m * kCifarImageBytes);
    std::memcpy(d.labels.data_ptr<int64_t>() + at_row, p.labels.data_ptr<int64_t>(),
                m * sizeof(int64_t));
    at_row += m;
  }
  return d;
}

// Non-empty lines of `path` if it exists (must be exactly `expected` of them), else `fallback`.
absl::StatusOr<std::vector<std::string>> ReadNames(const std::string& path, size_t expected,
                                                   std::vector<std::string> fallback) {
  if (!PathExists(path)) return fallback;
  LASNN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) names.emplace_back(line);
  }
  if (names.size() != expected) {
    return absl::DataLossError(absl::StrCat("class name file '", path, "' lists ", names.size(),
                                            " names, expected ", expected));
  }
  return names;
}

absl::StatusOr<Dataset> ReadCifar10File(const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return DecodeCifar10(bytes, path);
}

absl::StatusOr<Dataset> ReadCifar100File(const std::string& path, Cifar100Labels labels) {
  LASNN_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return DecodeCifar100(bytes, path, labels);
}

}  // namespace

absl::StatusOr<Dataset> DecodeCifar10(absl::string_view bytes, const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(Dataset d, DecodeRecords(bytes, path, 1, 0, 10, 0));
  d.name = "cifar10";
  return d;
}

absl::StatusOr<Dataset> DecodeCifar100(absl::string_view bytes, const std::string& path,
                                       Cifar100Labels labels) {
  const bool fine = labels == Cifar100Labels::kFine;
  LASNN_ASSIGN_OR_RETURN(
      Dataset d, DecodeRecords(bytes, path, 2, fine ? 1 : 0,
                               fine ? kCifar100FineClasses : kCifar100CoarseClasses,
                               fine ? kCifar100CoarseClasses : kCifar100FineClasses));
  d.name = "cifar100";
  return d;
}

absl::StatusOr<DatasetSplits> LoadCifar10(const std::string& dir) {
  LASNN_RETURN_IF_ERROR(RequireDirectory(dir, "CIFAR-10"));
  std::vector<Dataset> parts;
  for (int b = 1; b <= 5; ++b) {
    LASNN_ASSIGN_OR_RETURN(Dataset part,
                           ReadCifar10File(JoinPath(dir, absl::StrCat("data_batch_", b, ".bin"))));
    parts.push_back(std::move(part));
  }
  DatasetSplits splits;
  splits.train = Concatenate(std::move(parts));
  LASNN_ASSIGN_OR_RETURN(splits.test, ReadCifar10File(JoinPath(dir, "test_batch.bin")));
  LASNN_ASSIGN_OR_RETURN(
      std::vector<std::string> names,
      ReadNames(JoinPath(dir, "batches.meta.txt"), 10,
                std::vector<std::string>(std::begin(kCifar10ClassNames),
                                         std::end(kCifar10ClassNames))));
  for (Dataset* d : {&splits.train, &splits.test}) {
    d->name = "cifar10";
    d->class_names = names;
  }
  splits.train.split = "train";
  splits.test.split = "test";
  return splits;
}

absl::StatusOr<DatasetSplits> LoadCifar100(const std::string& dir, Cifar100Labels labels) {
  LASNN_RETURN_IF_ERROR(RequireDirectory(dir, "CIFAR-100"));
  DatasetSplits splits;
  LASNN_ASSIGN_OR_RETURN(splits.train, ReadCifar100File(JoinPath(dir, "train.bin"), labels));
  LASNN_ASSIGN_OR_RETURN(splits.test, ReadCifar100File(JoinPath(dir, "test.bin"), labels));
  const bool fine = labels == Cifar100Labels::kFine;
  LASNN_ASSIGN_OR_RETURN(
      std::vector<std::string> names,
      ReadNames(JoinPath(dir, fine ? "fine_label_names.txt" : "coarse_label_names.txt"),
                fine ? kCifar100FineClasses : kCifar100CoarseClasses, {}));
  splits.train.class_names = names;
  splits.test.class_names = names;
  splits.train.split = "train";
  splits.test.split = "test";
  return splits;
}

}  // namespace lasnn::datasets
