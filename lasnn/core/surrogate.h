// Surrogate gradients for the Heaviside spike function of spiking neurons.
//
// A spike is s = H(x) with x = h - threshold (membrane minus threshold). H has no useful
// derivative, so backward uses the derivative of a smooth "primitive" S(x) in its place (Neftci,
// Mostafa & Zenke, 2019). With width w > 0:
//   triangle (default, w = 1; as in SASTC / TET):
//     S'(x) = max(0, w - |x|) / w^2
//     S(x)  = 0 (x < -w); (x + w)^2 / (2 w^2) (-w <= x < 0); 1 - (w - x)^2 / (2 w^2) (0 <= x < w);
//             1 (x >= w)
//   arctan (SpikingJelly's ATan, alpha = w):
//     S'(x) = (w / 2) / (1 + (pi / 2 * w * x)^2)        S(x) = atan(pi / 2 * w * x) / pi + 1 / 2
//   sigmoid (SpikingJelly's Sigmoid, alpha = w):
//     S'(x) = w * sig(w x) * (1 - sig(w x))             S(x) = sig(w x)
// The scalar forms are what the fused neuron kernels use; the tensor forms serve the op-by-op
// reference neuron and the tests.
#ifndef LASNN_LASNN_SURROGATE_H_
#define LASNN_LASNN_SURROGATE_H_

#include <ATen/core/Tensor.h>

#include <algorithm>
#include <cmath>

namespace lasnn {

enum class Surrogate { kTriangle, kArctan, kSigmoid };

// S'(x) for one element; `scalar_t` is float or double. Inline so that the fused neuron's inner
// loops can vectorise it.
template <Surrogate kSurrogate, typename scalar_t>
inline scalar_t SurrogateDerivativeScalar(scalar_t x, scalar_t width) {
  if constexpr (kSurrogate == Surrogate::kTriangle) {
    return std::max(width - std::abs(x), scalar_t(0)) / (width * width);
  } else if constexpr (kSurrogate == Surrogate::kArctan) {
    const scalar_t z = scalar_t(M_PI / 2) * width * x;
    return (width / scalar_t(2)) / (scalar_t(1) + z * z);
  } else {
    const scalar_t sig = scalar_t(1) / (scalar_t(1) + std::exp(-width * x));
    return width * sig * (scalar_t(1) - sig);
  }
}

// S'(x), elementwise. x: floating tensor of any shape and device; returns the same shape, dtype
// and device. Not differentiable (computed from x's values only).
at::Tensor SurrogateDerivative(const at::Tensor& x, Surrogate surrogate, double width);

// S(x), the smooth counterpart whose derivative SurrogateDerivative is (see the table above).
// x: floating tensor, any shape and device; returns the same shape, dtype and device.
at::Tensor SurrogatePrimitive(const at::Tensor& x, Surrogate surrogate, double width);

// "triangle", "arctan" or "sigmoid".
const char* SurrogateName(Surrogate surrogate);

}  // namespace lasnn

#endif  // LASNN_LASNN_SURROGATE_H_
