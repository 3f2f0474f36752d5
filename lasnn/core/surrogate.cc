#include "lasnn/core/surrogate.h"

#include <ATen/ATen.h>

#include <cmath>

namespace lasnn {

namespace {

void CheckSurrogateArgs(const at::Tensor& x, double width) {
  TORCH_CHECK(x.defined(), "surrogate: undefined tensor");
  TORCH_CHECK(at::isFloatingType(x.scalar_type()),
              "surrogate: expected a floating-point tensor, got ", x.scalar_type());
  TORCH_CHECK(width > 0 && std::isfinite(width), "surrogate: width must be finite and > 0, got ",
              width);
}

}  // namespace

at::Tensor SurrogateDerivative(const at::Tensor& x, Surrogate surrogate, double width) {
  CheckSurrogateArgs(x, width);
  switch (surrogate) {
    case Surrogate::kTriangle:
      return (width - x.abs()).clamp_min(0) / (width * width);
    case Surrogate::kArctan: {
      const at::Tensor z = x * (M_PI / 2 * width);
      return (width / 2) / (z * z + 1);
    }
    case Surrogate::kSigmoid: {
      const at::Tensor sig = at::sigmoid(x * width);
      return sig * (1 - sig) * width;
    }
  }
  TORCH_CHECK(false, "surrogate: unknown kind ", static_cast<int>(surrogate));
}

at::Tensor SurrogatePrimitive(const at::Tensor& x, Surrogate surrogate, double width) {
  CheckSurrogateArgs(x, width);
  switch (surrogate) {
    case Surrogate::kTriangle: {
      const at::Tensor c = x.clamp(-width, width);
      const double inv = 1.0 / (2 * width * width);
      return at::where(c < 0, (c + width).square() * inv, 1 - (width - c).square() * inv);
    }
    case Surrogate::kArctan:
      return at::atan(x * (M_PI / 2 * width)) / M_PI + 0.5;
    case Surrogate::kSigmoid:
      return at::sigmoid(x * width);
  }
  TORCH_CHECK(false, "surrogate: unknown kind ", static_cast<int>(surrogate));
}

const char* SurrogateName(Surrogate surrogate) {
  switch (surrogate) {
    case Surrogate::kTriangle:
      return "triangle";
    case Surrogate::kArctan:
      return "arctan";
    case Surrogate::kSigmoid:
      return "sigmoid";
  }
  return "unknown";
}

}  // namespace lasnn
