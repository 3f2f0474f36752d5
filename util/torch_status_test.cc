#include "util/torch_status.h"

#include <ATen/ATen.h>

#include "gtest/gtest.h"

namespace lasnn {
namespace {

TEST(TorchStatusTest, TorchCheckBecomesInvalidArgument) {
  absl::Status s = TorchCall("matmul", [] {
    at::Tensor a = at::ones({2, 3});
    at::Tensor b = at::ones({2, 3});
    (void)at::matmul(a, b);
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("matmul: ", 0), 0u) << s;
  EXPECT_EQ(s.message().find("Exception raised from"), std::string::npos) << s;
}

TEST(TorchStatusTest, ValuesAndStatusesPassThrough) {
  absl::StatusOr<int64_t> n = TorchCall("numel", [] { return absl::StatusOr<int64_t>(at::ones({4, 5}).numel()); });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 20);
  absl::Status s = TorchCall("status", [] { return absl::NotFoundError("x"); });
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(TorchCall("void", [] {}).ok());
}

}  // namespace
}  // namespace lasnn
