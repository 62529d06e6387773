// A matrix product summed in the order of the wasm backend's own (XNNPACK's) fused matrix
// product, so its results are bit for bit those (see in-order-matmul.cc).
#pragma once

#include <cstdint>

// Rows [begin, end) of c = act(a b + bias): a is rows x K, b is K x N, both row-major; bias
// (N values) or nullptr; act is relu when relu is set.
void inOrderMatMulRows(const float* a, const float* b, const float* bias, bool relu, float* c, int64_t K, int64_t N, int64_t begin, int64_t end);
