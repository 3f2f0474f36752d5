// A small, portable, seeded random source for data order and augmentation: SplitMix64
// (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), an
// unbiased bounded draw (Lemire, "Fast random integer generation in an interval", 2019), and a
// Fisher-Yates permutation. Unlike std::shuffle / std::uniform_int_distribution, whose outputs
// are implementation-defined, these give the same numbers with every compiler and library.
#ifndef LASNN_DATASETS_RNG_H_
#define LASNN_DATASETS_RNG_H_

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

namespace lasnn::datasets {

// The SplitMix64 output function: a bijective 64-bit mixer.
inline uint64_t SplitMix64Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A seed derived from two keys (e.g. seed and epoch); different pairs give unrelated streams.
inline uint64_t MixSeed(uint64_t a, uint64_t b) {
  return SplitMix64Mix(SplitMix64Mix(a + 0x9e3779b97f4a7c15ULL) ^ (b * 0xd1b54a32d192ed03ULL + 1));
}

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return SplitMix64Mix(state_);
  }

  // Uniform in [0, n); n must be > 0.
  uint64_t Below(uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(Next()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(Next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

 private:
  uint64_t state_;
};

// A uniformly random permutation of 0..n-1 (Fisher-Yates), a pure function of (n, seed).
inline std::vector<int64_t> SeededPermutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), int64_t{0});
  SplitMix64 rng(seed);
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(rng.Below(static_cast<uint64_t>(i) + 1));
    std::swap(p[i], p[j]);
  }
  return p;
}

}  // namespace lasnn::datasets

#endif  // LASNN_DATASETS_RNG_H_
