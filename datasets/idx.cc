#include "datasets/idx.h"

#include <ATen/ops/empty.h>

#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "datasets/gzip_util.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn::datasets {

const char* const kFashionMnistClassNames[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

namespace {

uint32_t ReadBigEndian32(absl::string_view bytes, size_t offset) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + offset);
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

// Checks the magic and returns the `ndims` sizes after it.
absl::StatusOr<std::vector<uint64_t>> ParseHeader(absl::string_view bytes, const std::string& path,
                                                  uint32_t magic, int ndims) {
  const size_t header = 4 + 4 * static_cast<size_t>(ndims);
  if (bytes.size() < 4) {
    return absl::DataLossError(
        absl::StrCat("IDX file '", path, "' is truncated: ", bytes.size(), " bytes, no header"));
  }
  const uint32_t got = ReadBigEndian32(bytes, 0);
  if (got != magic) {
    return absl::DataLossError(absl::StrCat("IDX file '", path, "' has wrong magic 0x",
                                            absl::Hex(got, absl::kZeroPad8), " (expected 0x",
                                            absl::Hex(magic, absl::kZeroPad8), ")"));
  }
  if (bytes.size() < header) {
    return absl::DataLossError(absl::StrCat("IDX file '", path, "' is truncated: ", bytes.size(),
                                            " bytes, header needs ", header));
  }
  std::vector<uint64_t> dims(ndims);
  for (int i = 0; i < ndims; ++i) dims[i] = ReadBigEndian32(bytes, 4 + 4 * i);
  return dims;
}

absl::Status CheckPayloadSize(absl::string_view bytes, const std::string& path, size_t header,
                              uint64_t expected_payload) {
  const uint64_t expected = header + expected_payload;
  if (bytes.size() < expected) {
    return absl::DataLossError(absl::StrCat("IDX file '", path, "' is truncated: ", bytes.size(),
                                            " bytes, header declares ", expected));
  }
  if (bytes.size() > expected) {
    return absl::DataLossError(absl::StrCat("IDX file '", path, "' has ",
                                            bytes.size() - expected,
                                            " bytes after the declared data (", expected, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadMaybeGzipped(const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return MaybeGunzip(std::move(bytes), path);
}

// `dir`/`base`.gz if it exists, else `dir`/`base`; NotFound naming both if neither does.
absl::StatusOr<std::string> FindIdxFile(const std::string& dir, const std::string& base) {
  const std::string gz = JoinPath(dir, base + ".gz");
  if (PathExists(gz)) return gz;
  const std::string plain = JoinPath(dir, base);
  if (PathExists(plain)) return plain;
  return absl::NotFoundError(
      absl::StrCat("Fashion-MNIST file not found: neither '", gz, "' nor '", plain, "' exists"));
}

absl::StatusOr<Dataset> LoadSplit(const std::string& dir, const std::string& prefix,
                                  const std::string& split) {
  LASNN_ASSIGN_OR_RETURN(std::string images_path,
                         FindIdxFile(dir, prefix + "-images-idx3-ubyte"));
  LASNN_ASSIGN_OR_RETURN(std::string labels_path,
                         FindIdxFile(dir, prefix + "-labels-idx1-ubyte"));
  Dataset d;
  d.name = "fashion_mnist";
  d.split = split;
  d.num_classes = 10;
  d.class_names.assign(std::begin(kFashionMnistClassNames), std::end(kFashionMnistClassNames));
  LASNN_ASSIGN_OR_RETURN(d.images, ReadIdxImages(images_path));
  if (d.images.size(2) != 28 || d.images.size(3) != 28) {
    return absl::DataLossError(absl::StrCat("Fashion-MNIST images in '", images_path, "' are ",
                                            d.images.size(2), "x", d.images.size(3),
                                            ", expected 28x28"));
  }
  LASNN_ASSIGN_OR_RETURN(d.labels, ReadIdxLabels(labels_path, d.num_classes));
  if (d.labels.size(0) != d.images.size(0)) {
    return absl::DataLossError(absl::StrCat("'", labels_path, "' has ", d.labels.size(0),
                                            " labels but '", images_path, "' has ",
                                            d.images.size(0), " images"));
  }
  return d;
}

}  // namespace

absl::StatusOr<at::Tensor> DecodeIdxImages(absl::string_view bytes, const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(std::vector<uint64_t> dims, ParseHeader(bytes, path, kIdxImagesMagic, 3));
  const uint64_t n = dims[0], rows = dims[1], cols = dims[2];
  if (rows == 0 || cols == 0) {
    return absl::DataLossError(absl::StrCat("IDX file '", path, "' declares empty images (",
                                            rows, "x", cols, ")"));
  }
  // Each size is < 2^32, so rows * cols cannot overflow; n * rows * cols could.
  if (n > bytes.size() / (rows * cols)) {
    return absl::DataLossError(absl::StrCat("IDX file '", path, "' is truncated: ", bytes.size(),
                                            " bytes, header declares ", n, " images of ", rows,
                                            "x", cols));
  }
  LASNN_RETURN_IF_ERROR(CheckPayloadSize(bytes, path, 16, n * rows * cols));
  at::Tensor images = at::empty({static_cast<int64_t>(n), 1, static_cast<int64_t>(rows),
                                 static_cast<int64_t>(cols)},
                                at::kByte);
  if (n > 0) std::memcpy(images.data_ptr<uint8_t>(), bytes.data() + 16, n * rows * cols);
  return images;
}

absl::StatusOr<at::Tensor> DecodeIdxLabels(absl::string_view bytes, const std::string& path,
                                           int64_t num_classes) {
  LASNN_ASSIGN_OR_RETURN(std::vector<uint64_t> dims, ParseHeader(bytes, path, kIdxLabelsMagic, 1));
  const uint64_t n = dims[0];
  LASNN_RETURN_IF_ERROR(CheckPayloadSize(bytes, path, 8, n));
  at::Tensor labels = at::empty({static_cast<int64_t>(n)}, at::kLong);
  int64_t* out = labels.data_ptr<int64_t>();
  const auto* in = reinterpret_cast<const uint8_t*>(bytes.data() + 8);
  for (uint64_t i = 0; i < n; ++i) {
    if (in[i] >= num_classes) {
      return absl::DataLossError(absl::StrCat("IDX file '", path, "': label ", in[i],
                                              " of item ", i, " is out of range [0, ",
                                              num_classes, ")"));
    }
    out[i] = in[i];
  }
  return labels;
}

absl::StatusOr<at::Tensor> ReadIdxImages(const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(std::string bytes, ReadMaybeGzipped(path));
  return DecodeIdxImages(bytes, path);
}

absl::StatusOr<at::Tensor> ReadIdxLabels(const std::string& path, int64_t num_classes) {
  LASNN_ASSIGN_OR_RETURN(std::string bytes, ReadMaybeGzipped(path));
  return DecodeIdxLabels(bytes, path, num_classes);
}

absl::StatusOr<DatasetSplits> LoadFashionMnist(const std::string& dir) {
  if (!PathExists(dir)) {
    return absl::NotFoundError(
        absl::StrCat("Fashion-MNIST directory '", dir, "' does not exist"));
  }
  DatasetSplits splits;
  LASNN_ASSIGN_OR_RETURN(splits.train, LoadSplit(dir, "train", "train"));
  LASNN_ASSIGN_OR_RETURN(splits.test, LoadSplit(dir, "t10k", "test"));
  return splits;
}

}  // namespace lasnn::datasets
