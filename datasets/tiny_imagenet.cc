#include "datasets/tiny_imagenet.h"

#include <ATen/ops/empty.h>

#include <jpeglib.h>

#include <algorithm>
#include <atomic>
#include <csetjmp>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "util/file_util.h"
#include "util/status_macros.h"

namespace lasnn::datasets {
namespace {

constexpr int64_t kImageBytes = 3 * kTinyImageNetSize * kTinyImageNetSize;

struct Item {
  std::string path;
  int64_t label;
};

std::vector<absl::string_view> NonEmptyLines(absl::string_view text) {
  std::vector<absl::string_view> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

struct JpegHeader {
  bool ok = false;
  unsigned width = 0, height = 0, components = 0;
  char message[JMSG_LENGTH_MAX] = {0};
};

struct JpegErrorManager {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char* message;
};

void OnJpegError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void IgnoreJpegMessage(j_common_ptr) {}

// Reads only a JPEG's header (libjpeg allocates no pixel buffers for that). Nothing here has a
// destructor, so libjpeg's longjmp on an error leaves no C++ object behind.
JpegHeader ReadJpegHeader(absl::string_view bytes) {
  JpegHeader header;
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  err.message = header.message;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = OnJpegError;
  err.mgr.output_message = IgnoreJpegMessage;
  if (setjmp(err.jump) != 0) {
    jpeg_destroy_decompress(&cinfo);
    return header;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  header.ok = true;
  header.width = cinfo.image_width;
  header.height = cinfo.image_height;
  header.components = static_cast<unsigned>(cinfo.num_components);
  jpeg_destroy_decompress(&cinfo);
  return header;
}

bool IsImageName(const std::string& name) {
  std::string lower = absl::AsciiStrToLower(name);
  return absl::EndsWith(lower, ".jpeg") || absl::EndsWith(lower, ".jpg");
}

// Sorted names of the image files in `dir`; NotFound naming `dir` if it is missing.
absl::StatusOr<std::vector<std::string>> ListImages(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) {
      return absl::NotFoundError(absl::StrCat("Tiny ImageNet directory '", dir,
                                              "' does not exist"));
    }
    return absl::DataLossError(absl::StrCat("cannot list '", dir, "': ", ec.message()));
  }
  std::vector<std::string> names;
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    if (IsImageName(name)) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Decodes `items` into a new uint8 [N, 3, 64, 64] tensor with `threads` workers. On failure,
// returns the error of the lowest-numbered failing item (deterministic whatever the threads).
absl::StatusOr<at::Tensor> DecodeAll(const std::vector<Item>& items, int threads) {
  const int64_t n = static_cast<int64_t>(items.size());
  at::Tensor images = at::empty({n, 3, kTinyImageNetSize, kTinyImageNetSize}, at::kByte);
  uint8_t* base = images.data_ptr<uint8_t>();
  std::vector<absl::Status> errors(items.size());
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      const int64_t i = next.fetch_add(1);
      if (i >= n) return;
      absl::Status s;
      absl::StatusOr<std::string> bytes = ReadFileToString(items[i].path);
      if (!bytes.ok()) {
        s = bytes.status();
      } else {
        s = DecodeTinyImageNetImage(*bytes, items[i].path, base + i * kImageBytes);
      }
      if (!s.ok()) {
        errors[i] = std::move(s);
        failed.store(true);
      }
    }
  };
  const int workers = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  std::vector<std::thread> pool;
  for (int t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  // Items are claimed in index order and every claimed item is finished, so the lowest failing
  // index is always decoded: the reported error does not depend on the thread count.
  for (const absl::Status& s : errors) {
    if (!s.ok()) return s;
  }
  return images;
}

}  // namespace

absl::Status DecodeTinyImageNetImage(absl::string_view encoded, const std::string& path,
                                     uint8_t* out) {
  // Tiny ImageNet's images are JPEGs. The header is checked before OpenCV decodes, because
  // OpenCV allocates whatever size a header claims (a 100-byte file can ask for gigabytes).
  if (encoded.size() < 3 || static_cast<uint8_t>(encoded[0]) != 0xFF ||
      static_cast<uint8_t>(encoded[1]) != 0xD8 || static_cast<uint8_t>(encoded[2]) != 0xFF) {
    return absl::DataLossError(
        absl::StrCat("cannot decode image '", path, "': not a JPEG file (corrupt or not an image)"));
  }
  const JpegHeader header = ReadJpegHeader(encoded);
  if (!header.ok) {
    return absl::DataLossError(
        absl::StrCat("cannot decode image '", path, "': ", header.message));
  }
  if (header.width != kTinyImageNetSize || header.height != kTinyImageNetSize ||
      (header.components != 1 && header.components != 3)) {
    return absl::DataLossError(absl::StrCat("image '", path, "' is ", header.width, "x",
                                            header.height, "x", header.components,
                                            ", expected 64x64x3"));
  }
  // (Not empty: the JPEG checks above need at least its header.)
  cv::Mat bgr;
  const cv::Mat buffer(1, static_cast<int>(encoded.size()), CV_8UC1,
                       const_cast<char*>(encoded.data()));
  try {
    bgr = cv::imdecode(buffer, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return absl::DataLossError(absl::StrCat("cannot decode image '", path, "': ", e.what()));
  }
  if (bgr.empty()) {
    return absl::DataLossError(
        absl::StrCat("cannot decode image '", path, "' (corrupt or not an image)"));
  }
  if (bgr.rows != kTinyImageNetSize || bgr.cols != kTinyImageNetSize || bgr.channels() != 3 ||
      bgr.depth() != CV_8U) {
    return absl::DataLossError(absl::StrCat("image '", path, "' is ", bgr.cols, "x", bgr.rows,
                                            "x", bgr.channels(), ", expected 64x64x3"));
  }
  constexpr int64_t kPlane = kTinyImageNetSize * kTinyImageNetSize;
  for (int y = 0; y < kTinyImageNetSize; ++y) {
    const uint8_t* row = bgr.ptr<uint8_t>(y);
    for (int x = 0; x < kTinyImageNetSize; ++x) {
      const int64_t o = y * kTinyImageNetSize + x;
      out[o] = row[3 * x + 2];               // R
      out[kPlane + o] = row[3 * x + 1];      // G
      out[2 * kPlane + o] = row[3 * x + 0];  // B
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseTinyImageNetWnids(absl::string_view text,
                                                                 const std::string& path) {
  std::vector<std::string> wnids;
  for (absl::string_view line : NonEmptyLines(text)) {
    if (line.find_first_of(" \t/") != absl::string_view::npos || line == "." || line == "..") {
      return absl::DataLossError(absl::StrCat("'", path, "': malformed wnid '", line, "'"));
    }
    wnids.emplace_back(line);
  }
  if (wnids.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' lists no classes"));
  }
  std::sort(wnids.begin(), wnids.end());
  if (std::adjacent_find(wnids.begin(), wnids.end()) != wnids.end()) {
    return absl::DataLossError(absl::StrCat("'", path, "' lists a wnid twice"));
  }
  return wnids;
}

std::vector<std::string> TinyImageNetClassNames(absl::string_view words_text,
                                                const std::vector<std::string>& wnids) {
  std::vector<std::string> class_names = wnids;
  for (absl::string_view line : NonEmptyLines(words_text)) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, '\t');
    auto it = std::lower_bound(wnids.begin(), wnids.end(), kv.first);
    absl::string_view words = absl::StripAsciiWhitespace(kv.second);
    if (it != wnids.end() && *it == kv.first && !words.empty()) {
      class_names[it - wnids.begin()] = std::string(words);
    }
  }
  return class_names;
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> ParseTinyImageNetAnnotations(
    absl::string_view text, const std::string& path, const std::vector<std::string>& wnids) {
  std::vector<std::pair<std::string, int64_t>> files;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar("\t "), absl::SkipEmpty());
    if (fields.size() < 2 || fields[0].find('/') != absl::string_view::npos ||
        fields[0] == "." || fields[0] == "..") {
      return absl::DataLossError(absl::StrCat("'", path, "' line ", line_number,
                                              ": expected '<file>\\t<wnid>\\t...'"));
    }
    auto it = std::lower_bound(wnids.begin(), wnids.end(), fields[1]);
    if (it == wnids.end() || *it != fields[1]) {
      return absl::DataLossError(absl::StrCat("'", path, "' line ", line_number, ": wnid '",
                                              fields[1],
                                              "' is not in wnids.txt (label out of range)"));
    }
    files.emplace_back(std::string(fields[0]), static_cast<int64_t>(it - wnids.begin()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

absl::StatusOr<DatasetSplits> LoadTinyImageNet(const std::string& dir, int decode_threads) {
  if (!PathExists(dir)) {
    return absl::NotFoundError(absl::StrCat("Tiny ImageNet directory '", dir, "' does not exist"));
  }
  const int threads =
      decode_threads > 0 ? decode_threads
                         : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));

  const std::string wnids_path = JoinPath(dir, "wnids.txt");
  LASNN_ASSIGN_OR_RETURN(std::string wnids_text, ReadFileToString(wnids_path));
  LASNN_ASSIGN_OR_RETURN(std::vector<std::string> wnids,
                         ParseTinyImageNetWnids(wnids_text, wnids_path));
  std::vector<std::string> class_names = wnids;
  const std::string words_path = JoinPath(dir, "words.txt");
  if (PathExists(words_path)) {
    LASNN_ASSIGN_OR_RETURN(std::string words, ReadFileToString(words_path));
    class_names = TinyImageNetClassNames(words, wnids);
  }

  std::vector<Item> train;
  for (size_t k = 0; k < wnids.size(); ++k) {
    const std::string images_dir = JoinPath(JoinPath(JoinPath(dir, "train"), wnids[k]), "images");
    LASNN_ASSIGN_OR_RETURN(std::vector<std::string> names, ListImages(images_dir));
    for (std::string& name : names) {
      train.push_back({JoinPath(images_dir, name), static_cast<int64_t>(k)});
    }
  }

  const std::string annotations_path = JoinPath(JoinPath(dir, "val"), "val_annotations.txt");
  LASNN_ASSIGN_OR_RETURN(std::string annotations, ReadFileToString(annotations_path));
  LASNN_ASSIGN_OR_RETURN(auto val_files,
                         ParseTinyImageNetAnnotations(annotations, annotations_path, wnids));
  std::vector<Item> val;
  const std::string val_images = JoinPath(JoinPath(dir, "val"), "images");
  for (auto& [file, label] : val_files) val.push_back({JoinPath(val_images, file), label});

  DatasetSplits splits;
  for (auto [d, items, split] : {std::make_tuple(&splits.train, &train, "train"),
                                 std::make_tuple(&splits.test, &val, "val")}) {
    d->name = "tiny_imagenet";
    d->split = split;
    d->num_classes = static_cast<int64_t>(wnids.size());
    d->class_names = class_names;
    LASNN_ASSIGN_OR_RETURN(d->images, DecodeAll(*items, threads));
    d->labels = at::empty({static_cast<int64_t>(items->size())}, at::kLong);
    int64_t* labels = d->labels.data_ptr<int64_t>();
    for (size_t i = 0; i < items->size(); ++i) labels[i] = (*items)[i].label;
  }
  return splits;
}

}  // namespace lasnn::datasets
