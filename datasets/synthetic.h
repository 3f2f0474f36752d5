// Synthetic datasets written in the exact official file formats (idx.h, cifar.h,
// tiny_imagenet.h), for tests and for trying the pipeline without the real data. Content is
// seeded and class-dependent, so a tiny model can learn it: on a background of low noise, class
// c lights cell (c mod 16) of a 4x4 grid; for colour images, c / 16 picks which channels are
// bright (3 bits) and whether the cell is striped (one more bit), which separates up to 256
// classes. Labels are balanced (per_class of each class) in a seeded shuffled order.
#ifndef LASNN_DATASETS_SYNTHETIC_H_
#define LASNN_DATASETS_SYNTHETIC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "datasets/dataset.h"
#include "datasets/dataset.pb.h"

namespace lasnn::datasets {

struct SyntheticOptions {
  int64_t train_per_class = 3;
  int64_t test_per_class = 2;
  // 0: the dataset's official count. Tiny ImageNet may use fewer (files per class stay the
  // official layout); IDX and CIFAR files always use the official label range.
  int64_t num_classes = 0;
  uint64_t seed = 1;
  bool gzip = true;                 // Fashion-MNIST: write .gz files (else plain IDX)
  bool cifar100_coarse = false;     // SyntheticSplits only: which CIFAR-100 label to return
};

// One image's pixels: uint8 [channels, height, width] into `out`; a pure function of its
// arguments. 0 <= label < num_classes.
void SyntheticImage(int64_t label, uint64_t seed, int64_t index, int64_t channels, int64_t height,
                    int64_t width, uint8_t* out);

// per_class copies of each of 0..num_classes-1 in a seeded shuffled order.
std::vector<int64_t> SyntheticLabels(int64_t per_class, int64_t num_classes, uint64_t seed);

// Writes the dataset's files into `dir` (created if missing), as the official archive unpacks
// them: Fashion-MNIST the four IDX files (+ .gz if options.gzip); CIFAR-10 data_batch_1..5.bin
// (the train records split in 5 consecutive chunks), test_batch.bin, batches.meta.txt; CIFAR-100
// train.bin, test.bin, fine/coarse_label_names.txt (coarse label = fine / 5); Tiny ImageNet
// wnids.txt, words.txt, train/<wnid>/images/<wnid>_<i>.JPEG, train/<wnid>/<wnid>_boxes.txt,
// val/val_annotations.txt, val/images/val_<i>.JPEG. InvalidArgument for bad options or kind;
// file errors name the path.
absl::Status WriteSyntheticDataset(DatasetKind kind, const std::string& dir,
                                   const SyntheticOptions& options);

// Exactly what the loader returns for the files WriteSyntheticDataset writes with the same
// options (Tiny ImageNet pixels after the JPEG round trip), built in memory without files.
absl::StatusOr<DatasetSplits> SyntheticSplits(DatasetKind kind, const SyntheticOptions& options);

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_SYNTHETIC_H_
