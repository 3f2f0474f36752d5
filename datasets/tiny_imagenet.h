// Tiny ImageNet (CS231n, http://cs231n.stanford.edu/tiny-imagenet-200.zip) in its official
// folder layout, decoded with OpenCV into 64x64 RGB:
//   wnids.txt                             one WordNet id per line (200 classes)
//   words.txt                             optional: "<wnid>\t<names>" lines (class names)
//   train/<wnid>/images/*.JPEG            training images of each class
//   val/val_annotations.txt               "<file>\t<wnid>\t<x0>\t<y0>\t<x1>\t<y1>" per image
//   val/images/<file>                     validation images (our test split, named "val")
// Label k is the k-th wnid in sorted order (the torchvision ImageFolder convention); images are
// ordered by class, then file name (train) or by file name (val), so loading is deterministic.
// Grayscale JPEGs (there are some) are expanded to three equal channels.
#ifndef LASNN_DATASETS_TINY_IMAGENET_H_
#define LASNN_DATASETS_TINY_IMAGENET_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "datasets/dataset.h"

namespace lasnn::datasets {

inline constexpr int64_t kTinyImageNetSize = 64;

// Decodes one JPEG image into `out`: uint8 [3, 64, 64] RGB planes. The JPEG header is read
// first (libjpeg), so nothing is allocated for an image that is not 64x64. DataLoss naming `path`
// if it is not a JPEG, its header is corrupt, it is not 64x64, or OpenCV cannot decode it.
absl::Status DecodeTinyImageNetImage(absl::string_view encoded, const std::string& path,
                                     uint8_t* out);

// wnids.txt: the class ids, one per line (blank lines ignored), sorted; a class's label is its
// index here. DataLoss naming `path` for a wnid with a space, tab or '/' (or "." / ".."), or one
// listed twice; InvalidArgument if there are none.
absl::StatusOr<std::vector<std::string>> ParseTinyImageNetWnids(absl::string_view text,
                                                                 const std::string& path);

// Class names from words.txt ("<wnid>\t<words>" lines; ids not in `wnids` ignored): the words
// where given, else the wnid itself. `wnids` as returned by ParseTinyImageNetWnids.
std::vector<std::string> TinyImageNetClassNames(absl::string_view words_text,
                                                const std::vector<std::string>& wnids);

// val/val_annotations.txt: "<file>\t<wnid>\t<box...>" lines -> (file, label), sorted by file.
// DataLoss naming `path` and the line for a line with fewer than two fields, a file name that is
// not a plain name (contains '/', or is "." / ".."), or a wnid not in `wnids`.
absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> ParseTinyImageNetAnnotations(
    absl::string_view text, const std::string& path, const std::vector<std::string>& wnids);

// Loads both splits from `dir`; `decode_threads` <= 0 means one per hardware thread (the result
// does not depend on it). Images uint8 [N, 3, 64, 64]; class_names from words.txt when present,
// else the wnids. NotFound naming the missing directory or file (wnids.txt, a class's
// train/<wnid>/images, val/val_annotations.txt, an image); DataLoss naming the file for an
// undecodable or wrongly sized image, a malformed or duplicate wnid, an annotation line that is
// malformed or names an unknown wnid (label out of range); InvalidArgument if wnids.txt is empty.
absl::StatusOr<DatasetSplits> LoadTinyImageNet(const std::string& dir, int decode_threads = 0);

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_TINY_IMAGENET_H_
