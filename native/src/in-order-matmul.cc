// The forward of a dense layer (tfjs' _FusedMatMul) in the wasm backend's own order:
// XNNPACK's f32 GEMM starts each output at its bias (+0 without one) and adds the
// products a[r][k] * b[k][j] one k after another, each product and each sum rounded to
// float32 (wasm SIMD has no fused multiply-add), then clamps at 0 for relu. Summing in
// that order here, 16 columns per AVX-512 vector, gives the same bits about eight times
// faster than the single-threaded wasm kernel, so evaluations, which forward every
// sample, keep their numbers to the last digit. Built without floating-point
// contraction (binding.gyp): a fused multiply-add would round once instead of twice.
#include "in-order-matmul.h"

#include <immintrin.h>

namespace {

/** relu as XNNPACK's x86 clamp computes it: max(0, x) by comparison, so NaN and -0 become +0. */
inline float clampAtZero(float x) { return 0.f < x ? x : 0.f; }

void rowsScalar(const float* a, const float* b, const float* bias, bool relu, float* c, int64_t K, int64_t N, int64_t begin, int64_t end) {
  for (int64_t r = begin; r < end; ++r) {
    const float* ar = a + r * K;
    float* cr = c + r * N;
    for (int64_t j = 0; j < N; ++j) {
      float acc = bias ? bias[j] : 0.f;
      for (int64_t k = 0; k < K; ++k) acc = acc + ar[k] * b[k * N + j];
      cr[j] = relu ? clampAtZero(acc) : acc;
    }
  }
}

/** Rows [r, r + R) x columns [j, j + 16 V), the last vector masked. */
template <int R, int V>
__attribute__((target("avx512f"), always_inline)) inline void tile(const float* a, const float* b, const float* bias, bool relu, float* c, int64_t K, int64_t N,
                                                                   int64_t r, int64_t j, __mmask16 lastMask) {
  // Fully unrolled, so the accumulators stay in registers (this file is built at -O2).
  __m512 acc[R][V];
#pragma GCC unroll 4
  for (int v = 0; v < V; ++v) {
    const __mmask16 m = v == V - 1 ? lastMask : 0xFFFF;
    const __m512 start = bias ? _mm512_maskz_loadu_ps(m, bias + j + 16 * v) : _mm512_setzero_ps();
#pragma GCC unroll 4
    for (int i = 0; i < R; ++i) acc[i][v] = start;
  }
  for (int64_t k = 0; k < K; ++k) {
    __m512 bk[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) bk[v] = _mm512_maskz_loadu_ps(v == V - 1 ? lastMask : 0xFFFF, b + k * N + j + 16 * v);
#pragma GCC unroll 4
    for (int i = 0; i < R; ++i) {
      const __m512 ai = _mm512_set1_ps(a[(r + i) * K + k]);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[i][v] = _mm512_add_ps(acc[i][v], _mm512_mul_ps(ai, bk[v]));
    }
  }
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      // max_ps(x, 0) returns its second operand when either is NaN or both are zeros: +0.
      const __m512 out = relu ? _mm512_max_ps(acc[i][v], zero) : acc[i][v];
      _mm512_mask_storeu_ps(c + (r + i) * N + j + 16 * v, v == V - 1 ? lastMask : 0xFFFF, out);
    }
  }
}

template <int R>
__attribute__((target("avx512f"))) void rowBlockAvx512(const float* a, const float* b, const float* bias, bool relu, float* c, int64_t K, int64_t N, int64_t r) {
  int64_t j = 0;
  for (; j + 64 <= N; j += 64) tile<R, 4>(a, b, bias, relu, c, K, N, r, j, 0xFFFF);
  while (j < N) {
    const int64_t left = N - j;
    const __mmask16 mask = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
    tile<R, 1>(a, b, bias, relu, c, K, N, r, j, mask);
    j += 16;
  }
}

__attribute__((target("avx512f"))) void rowsAvx512(const float* a, const float* b, const float* bias, bool relu, float* c, int64_t K, int64_t N, int64_t begin, int64_t end) {
  int64_t r = begin;
  for (; r + 4 <= end; r += 4) rowBlockAvx512<4>(a, b, bias, relu, c, K, N, r);
  for (; r < end; ++r) rowBlockAvx512<1>(a, b, bias, relu, c, K, N, r);
}

const bool hasAvx512 = (__builtin_cpu_init(), __builtin_cpu_supports("avx512f"));

}  // namespace

void inOrderMatMulRows(const float* a, const float* b, const float* bias, bool relu, float* c, int64_t K, int64_t N, int64_t begin, int64_t end) {
  if (hasAvx512) rowsAvx512(a, b, bias, relu, c, K, N, begin, end);
  else rowsScalar(a, b, bias, relu, c, K, N, begin, end);
}
