#include "datasets/synthetic.h"

#include <ATen/ops/empty.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <utility>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "absl/strings/str_cat.h"
#include "datasets/cifar.h"
#include "datasets/dataset_info.h"
#include "datasets/gzip_util.h"
#include "datasets/idx.h"
#include "datasets/rng.h"
#include "datasets/tiny_imagenet.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn::datasets {
namespace {

constexpr uint64_t kTrainSalt = 0x7472;
constexpr uint64_t kTestSalt = 0x7465;

struct Plan {
  DatasetInfo info;
  int64_t num_classes = 0;
};

absl::StatusOr<Plan> MakePlan(DatasetKind kind, const SyntheticOptions& o) {
  LASNN_ASSIGN_OR_RETURN(DatasetInfo info, GetDatasetInfo(kind));
  if (o.train_per_class < 1 || o.test_per_class < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "synthetic ", info.name, ": train_per_class and test_per_class must be >= 1, got ",
        o.train_per_class, " and ", o.test_per_class));
  }
  Plan plan{info, o.num_classes == 0 ? info.num_classes : o.num_classes};
  if (plan.num_classes != info.num_classes &&
      (kind != DATASET_KIND_TINY_IMAGENET || plan.num_classes < 1 ||
       plan.num_classes > info.num_classes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "synthetic ", info.name, ": num_classes ", o.num_classes,
        " unsupported (0 for the official count; only tiny_imagenet may use fewer)"));
  }
  return plan;
}

// Images uint8 [N, C, H, W] for `labels`, sample i drawn with index i.
at::Tensor MakeImages(const DatasetInfo& info, const std::vector<int64_t>& labels, uint64_t seed) {
  const int64_t n = static_cast<int64_t>(labels.size());
  at::Tensor images = at::empty({n, info.channels, info.height, info.width}, at::kByte);
  const int64_t per = info.channels * info.height * info.width;
  uint8_t* p = images.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    SyntheticImage(labels[i], seed, i, info.channels, info.height, info.width, p + i * per);
  }
  return images;
}

at::Tensor LabelTensor(const std::vector<int64_t>& labels) {
  at::Tensor t = at::empty({static_cast<int64_t>(labels.size())}, at::kLong);
  std::copy(labels.begin(), labels.end(), t.data_ptr<int64_t>());
  return t;
}

std::string IdxHeader(uint32_t magic, const std::vector<uint32_t>& dims) {
  std::string h;
  auto put = [&h](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) h.push_back(static_cast<char>((v >> s) & 0xff));
  };
  put(magic);
  for (uint32_t d : dims) put(d);
  return h;
}

// A CIFAR-style file: per record, the label bytes then the image's 3072 bytes.
std::string CifarRecords(const at::Tensor& images, const std::vector<std::vector<uint8_t>>& label_bytes,
                         int64_t begin, int64_t end) {
  std::string out;
  const uint8_t* p = images.data_ptr<uint8_t>();
  for (int64_t i = begin; i < end; ++i) {
    for (const auto& lb : label_bytes) out.push_back(static_cast<char>(lb[i]));
    out.append(reinterpret_cast<const char*>(p + i * kCifarImageBytes), kCifarImageBytes);
  }
  return out;
}

std::string Wnid(int64_t c) { return absl::StrCat("n", absl::Dec(1000000 + 37 * c, absl::kZeroPad8)); }

// JPEG bytes of a CHW RGB image.
absl::StatusOr<std::string> EncodeJpeg(const uint8_t* chw, const std::string& name) {
  constexpr int kS = static_cast<int>(kTinyImageNetSize);
  cv::Mat bgr(kS, kS, CV_8UC3);
  for (int y = 0; y < kS; ++y) {
    uint8_t* row = bgr.ptr<uint8_t>(y);
    for (int x = 0; x < kS; ++x) {
      for (int c = 0; c < 3; ++c) row[3 * x + (2 - c)] = chw[(c * kS + y) * kS + x];
    }
  }
  std::vector<uchar> buf;
  if (!cv::imencode(".JPEG", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, 95})) {
    return absl::InternalError(absl::StrCat("cv::imencode failed for '", name, "'"));
  }
  return std::string(buf.begin(), buf.end());
}

// A Tiny ImageNet split as files: (relative path, label, content index), in loader order
// (train: by class, then file name; val: by file name).
struct TinyItem {
  std::string name;
  int64_t label;
  int64_t index;
};

std::vector<TinyItem> TinyTrainItems(int64_t num_classes, int64_t per_class) {
  std::vector<TinyItem> items;
  for (int64_t c = 0; c < num_classes; ++c) {
    std::vector<TinyItem> cls;
    for (int64_t j = 0; j < per_class; ++j) {
      cls.push_back({absl::StrCat(Wnid(c), "_", j, ".JPEG"), c, c * per_class + j});
    }
    std::sort(cls.begin(), cls.end(),
              [](const TinyItem& a, const TinyItem& b) { return a.name < b.name; });
    items.insert(items.end(), cls.begin(), cls.end());
  }
  return items;
}

std::vector<TinyItem> TinyValItems(const std::vector<int64_t>& labels) {
  std::vector<TinyItem> items;
  for (size_t i = 0; i < labels.size(); ++i) {
    items.push_back({absl::StrCat("val_", i, ".JPEG"), labels[i], static_cast<int64_t>(i)});
  }
  std::sort(items.begin(), items.end(),
            [](const TinyItem& a, const TinyItem& b) { return a.name < b.name; });
  return items;
}

// Tiny ImageNet split in loader order, pixels after the JPEG round trip.
absl::StatusOr<Dataset> TinySplit(const std::vector<TinyItem>& items, uint64_t seed) {
  constexpr int64_t kS = kTinyImageNetSize;
  const int64_t n = static_cast<int64_t>(items.size());
  Dataset d;
  d.images = at::empty({n, 3, kS, kS}, at::kByte);
  std::vector<int64_t> labels;
  std::vector<uint8_t> raw(3 * kS * kS);
  for (int64_t i = 0; i < n; ++i) {
    SyntheticImage(items[i].label, seed, items[i].index, 3, kS, kS, raw.data());
    LASNN_ASSIGN_OR_RETURN(std::string jpeg, EncodeJpeg(raw.data(), items[i].name));
    LASNN_RETURN_IF_ERROR(DecodeTinyImageNetImage(jpeg, items[i].name,
                                                  d.images.data_ptr<uint8_t>() + i * 3 * kS * kS));
    labels.push_back(items[i].label);
  }
  d.labels = LabelTensor(labels);
  return d;
}

absl::Status WriteTinyImageNet(const std::string& dir, const Plan& plan,
                               const SyntheticOptions& o) {
  const int64_t k = plan.num_classes;
  std::string wnids, words;
  for (int64_t c = k - 1; c >= 0; --c) absl::StrAppend(&wnids, Wnid(c), "\n");  // unsorted
  for (int64_t c = 0; c < k; ++c) {
    absl::StrAppend(&words, Wnid(c), "\tsynthetic class ", c, ", pattern ", c, "\n");
  }
  LASNN_RETURN_IF_ERROR(WriteFileAtomically(JoinPath(dir, "wnids.txt"), wnids));
  LASNN_RETURN_IF_ERROR(WriteFileAtomically(JoinPath(dir, "words.txt"), words));
  const uint64_t train_seed = MixSeed(o.seed, kTrainSalt);
  const uint64_t test_seed = MixSeed(o.seed, kTestSalt);
  constexpr int64_t kS = kTinyImageNetSize;
  std::vector<uint8_t> raw(3 * kS * kS);
  for (int64_t c = 0; c < k; ++c) {
    const std::string class_dir = JoinPath(JoinPath(dir, "train"), Wnid(c));
    LASNN_RETURN_IF_ERROR(MakeDirectories(JoinPath(class_dir, "images")));
    std::string boxes;
    for (int64_t j = 0; j < o.train_per_class; ++j) {
      const std::string name = absl::StrCat(Wnid(c), "_", j, ".JPEG");
      const std::string path = JoinPath(JoinPath(class_dir, "images"), name);
      SyntheticImage(c, train_seed, c * o.train_per_class + j, 3, kS, kS, raw.data());
      LASNN_ASSIGN_OR_RETURN(std::string jpeg, EncodeJpeg(raw.data(), path));
      LASNN_RETURN_IF_ERROR(WriteFileAtomically(path, jpeg));
      absl::StrAppend(&boxes, name, "\t0\t0\t63\t63\n");
    }
    LASNN_RETURN_IF_ERROR(
        WriteFileAtomically(JoinPath(class_dir, absl::StrCat(Wnid(c), "_boxes.txt")), boxes));
  }
  const std::string val_dir = JoinPath(dir, "val");
  LASNN_RETURN_IF_ERROR(MakeDirectories(JoinPath(val_dir, "images")));
  std::vector<int64_t> val_labels = SyntheticLabels(o.test_per_class, k, test_seed);
  std::string annotations;
  for (size_t i = 0; i < val_labels.size(); ++i) {
    const std::string name = absl::StrCat("val_", i, ".JPEG");
    const std::string path = JoinPath(JoinPath(val_dir, "images"), name);
    SyntheticImage(val_labels[i], test_seed, static_cast<int64_t>(i), 3, kS, kS, raw.data());
    LASNN_ASSIGN_OR_RETURN(std::string jpeg, EncodeJpeg(raw.data(), path));
    LASNN_RETURN_IF_ERROR(WriteFileAtomically(path, jpeg));
    absl::StrAppend(&annotations, name, "\t", Wnid(val_labels[i]), "\t0\t0\t63\t63\n");
  }
  return WriteFileAtomically(JoinPath(val_dir, "val_annotations.txt"), annotations);
}

}  // namespace

void SyntheticImage(int64_t label, uint64_t seed, int64_t index, int64_t channels, int64_t height,
                    int64_t width, uint8_t* out) {
  SplitMix64 rng(MixSeed(seed, static_cast<uint64_t>(index)));
  const int64_t cell = label % 16;
  const int64_t code = label / 16;
  const int64_t y0 = (cell / 4) * height / 4, y1 = (cell / 4 + 1) * height / 4;
  const int64_t x0 = (cell % 4) * width / 4, x1 = (cell % 4 + 1) * width / 4;
  const bool striped = ((code >> 3) & 1) != 0;
  for (int64_t c = 0; c < channels; ++c) {
    const bool bright = channels == 1 || ((code >> c) & 1) != 0;
    const int64_t level = bright ? 190 : 90;
    for (int64_t y = 0; y < height; ++y) {
      for (int64_t x = 0; x < width; ++x) {
        int64_t v = static_cast<int64_t>(rng.Below(40));
        if (y >= y0 && y < y1 && x >= x0 && x < x1 && !(striped && ((y - y0) / 2) % 2 == 1)) {
          v += level;
        }
        out[(c * height + y) * width + x] = static_cast<uint8_t>(std::min<int64_t>(v, 255));
      }
    }
  }
}

std::vector<int64_t> SyntheticLabels(int64_t per_class, int64_t num_classes, uint64_t seed) {
  std::vector<int64_t> order = SeededPermutation(per_class * num_classes, seed);
  for (int64_t& v : order) v %= num_classes;
  return order;
}

absl::StatusOr<DatasetSplits> SyntheticSplits(DatasetKind kind, const SyntheticOptions& o) {
  LASNN_ASSIGN_OR_RETURN(Plan plan, MakePlan(kind, o));
  const uint64_t train_seed = MixSeed(o.seed, kTrainSalt);
  const uint64_t test_seed = MixSeed(o.seed, kTestSalt);
  DatasetSplits s;
  if (kind == DATASET_KIND_TINY_IMAGENET) {
    LASNN_ASSIGN_OR_RETURN(s.train,
                           TinySplit(TinyTrainItems(plan.num_classes, o.train_per_class),
                                     train_seed));
    LASNN_ASSIGN_OR_RETURN(
        s.test,
        TinySplit(TinyValItems(SyntheticLabels(o.test_per_class, plan.num_classes, test_seed)),
                  test_seed));
    for (int64_t c = 0; c < plan.num_classes; ++c) {
      s.train.class_names.push_back(absl::StrCat("synthetic class ", c, ", pattern ", c));
    }
  } else {
    std::vector<int64_t> train = SyntheticLabels(o.train_per_class, plan.num_classes, train_seed);
    std::vector<int64_t> test = SyntheticLabels(o.test_per_class, plan.num_classes, test_seed);
    s.train.images = MakeImages(plan.info, train, train_seed);
    s.test.images = MakeImages(plan.info, test, test_seed);
    if (kind == DATASET_KIND_CIFAR100 && o.cifar100_coarse) {
      for (int64_t& v : train) v /= 5;
      for (int64_t& v : test) v /= 5;
      plan.num_classes = kCifar100CoarseClasses;
    }
    s.train.labels = LabelTensor(train);
    s.test.labels = LabelTensor(test);
    if (kind == DATASET_KIND_FASHION_MNIST) {
      s.train.class_names.assign(std::begin(kFashionMnistClassNames),
                                 std::end(kFashionMnistClassNames));
    } else if (kind == DATASET_KIND_CIFAR10) {
      s.train.class_names.assign(std::begin(kCifar10ClassNames), std::end(kCifar10ClassNames));
    } else {
      for (int64_t c = 0; c < plan.num_classes; ++c) {
        s.train.class_names.push_back(absl::StrCat(o.cifar100_coarse ? "coarse_" : "fine_", c));
      }
    }
  }
  s.test.class_names = s.train.class_names;
  for (Dataset* d : {&s.train, &s.test}) {
    d->name = std::string(plan.info.name);
    d->num_classes = plan.num_classes;
  }
  s.train.split = "train";
  s.test.split = kind == DATASET_KIND_TINY_IMAGENET ? "val" : "test";
  return s;
}

absl::Status WriteSyntheticDataset(DatasetKind kind, const std::string& dir,
                                   const SyntheticOptions& o) {
  LASNN_ASSIGN_OR_RETURN(Plan plan, MakePlan(kind, o));
  LASNN_RETURN_IF_ERROR(MakeDirectories(dir));
  if (kind == DATASET_KIND_TINY_IMAGENET) return WriteTinyImageNet(dir, plan, o);

  const uint64_t train_seed = MixSeed(o.seed, kTrainSalt);
  const uint64_t test_seed = MixSeed(o.seed, kTestSalt);
  const std::vector<int64_t> train = SyntheticLabels(o.train_per_class, plan.num_classes,
                                                     train_seed);
  const std::vector<int64_t> test = SyntheticLabels(o.test_per_class, plan.num_classes, test_seed);
  const at::Tensor train_images = MakeImages(plan.info, train, train_seed);
  const at::Tensor test_images = MakeImages(plan.info, test, test_seed);
  auto bytes_of = [](const std::vector<int64_t>& v) {
    return std::vector<uint8_t>(v.begin(), v.end());
  };

  if (kind == DATASET_KIND_FASHION_MNIST) {
    auto write = [&](const std::string& base, std::string contents) -> absl::Status {
      if (!o.gzip) return WriteFileAtomically(JoinPath(dir, base), contents);
      LASNN_ASSIGN_OR_RETURN(std::string gz, GzipCompress(contents));
      return WriteFileAtomically(JoinPath(dir, base + ".gz"), gz);
    };
    for (auto [prefix, labels, images] : {std::make_tuple("train", &train, &train_images),
                                          std::make_tuple("t10k", &test, &test_images)}) {
      const uint32_t n = static_cast<uint32_t>(labels->size());
      std::string img = IdxHeader(kIdxImagesMagic, {n, 28, 28});
      img.append(reinterpret_cast<const char*>(images->data_ptr<uint8_t>()), n * 28 * 28);
      std::string lab = IdxHeader(kIdxLabelsMagic, {n});
      for (int64_t v : *labels) lab.push_back(static_cast<char>(v));
      LASNN_RETURN_IF_ERROR(write(absl::StrCat(prefix, "-images-idx3-ubyte"), std::move(img)));
      LASNN_RETURN_IF_ERROR(write(absl::StrCat(prefix, "-labels-idx1-ubyte"), std::move(lab)));
    }
    return absl::OkStatus();
  }

  if (kind == DATASET_KIND_CIFAR10) {
    const int64_t n = static_cast<int64_t>(train.size());
    for (int64_t b = 0; b < 5; ++b) {
      LASNN_RETURN_IF_ERROR(WriteFileAtomically(
          JoinPath(dir, absl::StrCat("data_batch_", b + 1, ".bin")),
          CifarRecords(train_images, {bytes_of(train)}, b * n / 5, (b + 1) * n / 5)));
    }
    LASNN_RETURN_IF_ERROR(WriteFileAtomically(
        JoinPath(dir, "test_batch.bin"),
        CifarRecords(test_images, {bytes_of(test)}, 0, static_cast<int64_t>(test.size()))));
    std::string names;
    for (const char* name : kCifar10ClassNames) absl::StrAppend(&names, name, "\n");
    return WriteFileAtomically(JoinPath(dir, "batches.meta.txt"), names);
  }

  // CIFAR-100: coarse label = fine / 5.
  auto coarse_of = [&](const std::vector<int64_t>& fine) {
    std::vector<uint8_t> c;
    for (int64_t v : fine) c.push_back(static_cast<uint8_t>(v / 5));
    return c;
  };
  LASNN_RETURN_IF_ERROR(WriteFileAtomically(
      JoinPath(dir, "train.bin"),
      CifarRecords(train_images, {coarse_of(train), bytes_of(train)}, 0,
                   static_cast<int64_t>(train.size()))));
  LASNN_RETURN_IF_ERROR(WriteFileAtomically(
      JoinPath(dir, "test.bin"),
      CifarRecords(test_images, {coarse_of(test), bytes_of(test)}, 0,
                   static_cast<int64_t>(test.size()))));
  std::string fine_names, coarse_names;
  for (int64_t c = 0; c < kCifar100FineClasses; ++c) absl::StrAppend(&fine_names, "fine_", c, "\n");
  for (int64_t c = 0; c < kCifar100CoarseClasses; ++c) {
    absl::StrAppend(&coarse_names, "coarse_", c, "\n");
  }
  LASNN_RETURN_IF_ERROR(WriteFileAtomically(JoinPath(dir, "fine_label_names.txt"), fine_names));
  return WriteFileAtomically(JoinPath(dir, "coarse_label_names.txt"), coarse_names);
}

}  // namespace lasnn::datasets
