// Per-sample augmentation and normalisation, written straight into a batch buffer:
// random crop with zero padding followed by a horizontal flip (the torchvision
// `RandomCrop(size, padding=p)` + `RandomHorizontalFlip()` + `Normalize(mean, std)` pipeline,
// padding with raw pixel 0 before normalisation), on uint8 CHW images, producing float32 CHW.
// The random choices for a sample are a pure function of (seed, epoch, sample index), so a
// batch's contents do not depend on thread count, batch composition or prefetching.
#ifndef LASNN_DATASETS_AUGMENT_H_
#define LASNN_DATASETS_AUGMENT_H_

#include <cstdint>

namespace lasnn::datasets {

// One sample's crop and flip. The output pixel (y, x) before flipping is the source pixel
// (y + dy, x + dx), or padding (raw 0) when that lies outside the image; dy, dx in [-pad, pad].
// With `flip`, output column x takes the cropped column (W - 1 - x).
struct SampleAugmentation {
  int dy = 0;
  int dx = 0;
  bool flip = false;
};

// The augmentation for sample `sample_index` in `epoch`: dy, dx uniform in [-pad, pad] and,
// if `allow_flip`, flip with probability 1/2. pad >= 0.
SampleAugmentation DrawAugmentation(uint64_t seed, int64_t epoch, int64_t sample_index, int pad,
                                    bool allow_flip);

// dst[c, y, x] = scale[c] * cropped_flipped_src[c, y, x] + bias[c], with padding pixels equal
// to bias[c] (raw value 0). src: uint8 [channels, height, width] contiguous; dst: float32, same
// shape, contiguous; scale/bias: `channels` floats. For normalisation with mean m and std s in
// [0, 1] units: scale = 1 / (255 s), bias = -m / s. |dy| < height and |dx| < width.
void AugmentNormalizeInto(const uint8_t* src, int64_t channels, int64_t height, int64_t width,
                          const SampleAugmentation& aug, const float* scale, const float* bias,
                          float* dst);

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_AUGMENT_H_
