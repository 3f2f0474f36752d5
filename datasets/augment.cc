#include "datasets/augment.h"

#include <algorithm>

#include "datasets/rng.h"

namespace lasnn::datasets {
namespace {

constexpr uint64_t kAugmentSalt = 0x61756760656e7431ULL;

}  // namespace

SampleAugmentation DrawAugmentation(uint64_t seed, int64_t epoch, int64_t sample_index, int pad,
                                    bool allow_flip) {
  SplitMix64 rng(MixSeed(MixSeed(seed ^ kAugmentSalt, static_cast<uint64_t>(epoch)),
                         static_cast<uint64_t>(sample_index)));
  SampleAugmentation aug;
  if (pad > 0) {
    const uint64_t span = 2 * static_cast<uint64_t>(pad) + 1;
    aug.dy = static_cast<int>(rng.Below(span)) - pad;
    aug.dx = static_cast<int>(rng.Below(span)) - pad;
  }
  if (allow_flip) aug.flip = (rng.Next() >> 63) != 0;
  return aug;
}

void AugmentNormalizeInto(const uint8_t* src, int64_t channels, int64_t height, int64_t width,
                          const SampleAugmentation& aug, const float* scale, const float* bias,
                          float* dst) {
  const int64_t dx = aug.dx;
  // Output columns [x_begin, x_end) read source columns; the rest are padding.
  //   no flip: source column x + dx;   flip: source column (width - 1 - x) + dx.
  const int64_t x_begin = aug.flip ? std::max<int64_t>(0, dx) : std::max<int64_t>(0, -dx);
  const int64_t x_end =
      aug.flip ? std::min<int64_t>(width, width + dx) : std::min<int64_t>(width, width - dx);
  for (int64_t c = 0; c < channels; ++c) {
    const float s = scale[c];
    const float b = bias[c];
    const uint8_t* plane = src + c * height * width;
    float* out_plane = dst + c * height * width;
    for (int64_t y = 0; y < height; ++y) {
      float* out = out_plane + y * width;
      const int64_t sy = y + aug.dy;
      if (sy < 0 || sy >= height || x_begin >= x_end) {
        std::fill(out, out + width, b);
        continue;
      }
      const uint8_t* row = plane + sy * width;
      for (int64_t x = 0; x < x_begin; ++x) out[x] = b;
      if (!aug.flip) {
        const uint8_t* in = row + dx;
        for (int64_t x = x_begin; x < x_end; ++x) out[x] = static_cast<float>(in[x]) * s + b;
      } else {
        const uint8_t* in = row + (width - 1 + dx);  // in[-x] is source column width-1-x+dx
        for (int64_t x = x_begin; x < x_end; ++x) out[x] = static_cast<float>(in[-x]) * s + b;
      }
      for (int64_t x = x_end; x < width; ++x) out[x] = b;
    }
  }
}

}  // namespace lasnn::datasets
