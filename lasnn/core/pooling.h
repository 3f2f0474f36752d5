// 2x2 pooling with stride 2 for the CPU, max and average, the pooling of every Fashion-MNIST and
// VGG model here (SNN students, teachers and conversions).
//
// Max pooling: as at::max_pool2d (floor mode; the first maximum in row-major window order wins
// and gets the gradient; NaN propagates), saving a one-byte window index for backward instead of
// an int64 index and writing the whole input gradient in one pass (no zero fill). Pooling runs on [T*B, C, H, W] at every step of the SNN, where LibTorch 1.13's
// generic kernel and its backward were about a fifth of a training step.
//
// Average pooling: as at::avg_pool2d with kernel 2, stride 2, no padding (floor mode): each output
// is (((0 + a) + b) + c) + d) / 4 over its window in row-major order, each input gradient
// 0 + g / 4, LibTorch's own arithmetic (its CPU kernel at 1.13 was scalar, a quarter of a
// distillation step with the average-pooled students and teacher of the Fashion-MNIST suites).
//
// float32 runs an AVX2 kernel where the CPU has AVX2 (checked at run time; the build targets
// baseline x86-64), 8 outputs per instruction, the row tail under a mask; float64 and CPUs without
// AVX2 run the scalar kernel. Both make the same comparisons and additions in the same order:
// outputs and gradients are identical (pooling_test checks each path against at::max_pool2d and
// at::avg_pool2d bit for bit).
#ifndef LASNN_LASNN_CORE_POOLING_H_
#define LASNN_LASNN_CORE_POOLING_H_

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace lasnn {

// at::max_pool2d(x, k, stride, padding) (floor mode, no dilation) for x [N, C, H, W],
// differentiable. On the CPU, for float32 / float64 and k = stride = 2, padding 0, the kernel
// above; otherwise at::max_pool2d itself.
at::Tensor MaxPool2d(const at::Tensor& x, int64_t k, int64_t stride, int64_t padding);

// at::avg_pool2d(x, k, stride, padding) (floor mode, padding counted, no divisor override) for
// x [N, C, H, W], differentiable; the 2x2/2 case on the CPU (float32 / float64) as above.
at::Tensor AvgPool2d(const at::Tensor& x, int64_t k, int64_t stride, int64_t padding);

namespace pooling_internal {

// Which kernel the 2x2 paths run: the best the CPU supports, or the scalar one (tests).
enum class Kernel { kBest, kScalar };
// Sets the kernel for later calls in this process (not thread-safe against running calls).
void SetKernelForTest(Kernel kernel);
// True when the CPU has AVX2 (the float32 vector kernel runs under Kernel::kBest).
bool HasAvx2();

}  // namespace pooling_internal

}  // namespace lasnn

#endif  // LASNN_LASNN_CORE_POOLING_H_
