// The MIA attack's RBF C-SVM (src/main/engine/evaluation/svm.ts, the reference) in C++.
// Every float64 operation is the TypeScript's, in the same order, and the exponential is
// V8's own (fdlibm's, below) rather than the C library's, so alphas, bias and decision
// values are bit for bit those of the TypeScript; only the time differs. This file is
// built without floating-point contraction or fast-math (binding.gyp), which would
// change the roundings. `x ** 2` in the TypeScript is x * x (fdlibm's pow returns x * x
// for y = 2); Math.min / Math.max keep their NaN and signed-zero rules.
#include "svm.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <list>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

uint32_t highWord(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return static_cast<uint32_t>(bits >> 32);
}

uint32_t lowWord(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return static_cast<uint32_t>(bits);
}

double fromWords(uint32_t high, uint32_t low) {
  const uint64_t bits = (static_cast<uint64_t>(high) << 32) | low;
  double x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// V8's Math.exp: base::ieee754::exp (v8/src/base/ieee754.cc, adapted from fdlibm's
// e_exp.c; Copyright (C) 1993 Sun Microsystems, freely distributable with this notice;
// modifications Copyright 2016 the V8 project authors), ported as written.
double v8Exp(double x) {
  static const double one = 1.0, halF[2] = {0.5, -0.5}, o_threshold = 7.09782712893383973096e+02, /* 0x40862E42, 0xFEFA39EF */
      u_threshold = -7.45133219101941108420e+02,                                                    /* 0xC0874910, 0xD52D3051 */
      ln2HI[2] = {6.93147180369123816490e-01,                                                       /* 0x3FE62E42, 0xFEE00000 */
                  -6.93147180369123816490e-01},                                                     /* 0xBFE62E42, 0xFEE00000 */
      ln2LO[2] = {1.90821492927058770002e-10,                                                       /* 0x3DEA39EF, 0x35793C76 */
                  -1.90821492927058770002e-10},                                                     /* 0xBDEA39EF, 0x35793C76 */
      invln2 = 1.44269504088896338700e+00,                                                          /* 0x3FF71547, 0x652B82FE */
      P1 = 1.66666666666666019037e-01,                                                              /* 0x3FC55555, 0x5555553E */
      P2 = -2.77777777770155933842e-03,                                                             /* 0xBF66C16C, 0x16BEBD93 */
      P3 = 6.61375632143793436117e-05,                                                              /* 0x3F11566A, 0xAF25DE2C */
      P4 = -1.65339022054652515390e-06,                                                             /* 0xBEBBBD41, 0xC5D26BF1 */
      P5 = 4.13813679705723846039e-08,                                                              /* 0x3E663769, 0x72BEA4D0 */
      E = 2.718281828459045;                                                                        /* 0x4005BF0A, 0x8B145769 */
  static volatile double huge = 1.0e+300, twom1000 = 9.33263618503218878990e-302, /* 2**-1000 */
      two1023 = 8.988465674311579539e307;                                          /* 0x1p1023 */

  double y, hi = 0.0, lo = 0.0, c, t, twopk;
  int32_t k = 0;
  uint32_t hx = highWord(x);
  const int32_t xsb = (hx >> 31) & 1; /* sign bit of x */
  hx &= 0x7FFFFFFF;                   /* high word of |x| */

  /* filter out non-finite argument */
  if (hx >= 0x40862E42) { /* if |x|>=709.78... */
    if (hx >= 0x7FF00000) {
      if (((hx & 0xFFFFF) | lowWord(x)) != 0) return x + x; /* NaN */
      return (xsb == 0) ? x : 0.0;                          /* exp(+-inf)={inf,0} */
    }
    if (x > o_threshold) return huge * huge;         /* overflow */
    if (x < u_threshold) return twom1000 * twom1000; /* underflow */
  }

  /* argument reduction */
  if (hx > 0x3FD62E42) {   /* if  |x| > 0.5 ln2 */
    if (hx < 0x3FF0A2B2) { /* and |x| < 1.5 ln2 */
      if (x == 1.0) return E;
      hi = x - ln2HI[xsb];
      lo = ln2LO[xsb];
      k = 1 - xsb - xsb;
    } else {
      k = static_cast<int>(invln2 * x + halF[xsb]);
      t = k;
      hi = x - t * ln2HI[0]; /* t*ln2HI is exact here */
      lo = t * ln2LO[0];
    }
    x = hi - lo;
  } else if (hx < 0x3E300000) {         /* when |x|<2**-28 */
    if (huge + x > one) return one + x; /* trigger inexact */
  } else {
    k = 0;
  }

  /* x is now in primary range */
  t = x * x;
  if (k >= -1021) {
    twopk = fromWords(0x3FF00000 + static_cast<int32_t>(static_cast<uint32_t>(k) << 20), 0);
  } else {
    twopk = fromWords(0x3FF00000 + (static_cast<uint32_t>(k + 1000) << 20), 0);
  }
  c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) {
    return one - ((x * c) / (c - 2.0) - x);
  } else {
    y = one - ((lo - (x * c) / (2.0 - c)) - hi);
  }
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * two1023;
    return y * twopk;
  } else {
    return y * twopk * twom1000;
  }
}

/** Math.min / Math.max: NaN wins, and -0 < +0. */
double jsMin(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

double jsMax(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

// W exponentials at once (AVX2: 4): in each lane the operations of v8Exp on
// its branch (every branch is computed and the lane's own is kept; IEEE arithmetic is the
// same in a vector lane as in a scalar), so each result is v8Exp's to the bit. Lanes
// v8Exp treats apart (overflow, underflow, NaN, infinities, x = 1, scales 2^k with k
// below -1021 or at 1024) send the W through v8Exp one by one.
template <int W>
struct Lanes {
  typedef double D __attribute__((vector_size(W * 8)));
  typedef int64_t L __attribute__((vector_size(W * 8)));
  typedef uint64_t U __attribute__((vector_size(W * 8)));
  typedef int32_t I __attribute__((vector_size(W * 4)));
};

/** W doubles from (or to) memory, unaligned: no lane-by-lane stores that stall a vector load. */
template <typename D>
inline __attribute__((always_inline)) D load(const double* p) {
  D v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename D>
inline __attribute__((always_inline)) void store(double* p, D v) {
  std::memcpy(p, &v, sizeof v);
}

template <int W>
inline __attribute__((always_inline)) typename Lanes<W>::D v8ExpLanes(typename Lanes<W>::D x) {
  using D = typename Lanes<W>::D;
  using L = typename Lanes<W>::L;
  using U = typename Lanes<W>::U;
  using I = typename Lanes<W>::I;
  const U bits = reinterpret_cast<U>(x);
  const U hx = (bits >> 32) & 0x7FFFFFFF;  // high word of |x|
  const L negative = reinterpret_cast<L>(bits >> 63) != 0;
  const L tiny = hx < 0x3E300000;                  // |x| < 2^-28: 1 + x
  const L reduced = hx > 0x3FD62E42;               // |x| > 0.5 ln2: reduced by k ln2
  const L nearOne = reduced & (hx < 0x3FF0A2B2);  // and |x| < 1.5 ln2: k = +-1
  const L apart = (hx >= 0x40862E42) | (x == 1.0);
  const double ln2HI = 6.93147180369123816490e-01, ln2LO = 1.90821492927058770002e-10, invln2 = 1.44269504088896338700e+00;
  const double P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03, P3 = 6.61375632143793436117e-05,
               P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08;
  const D zero{};
  const D half = negative ? zero - 0.5 : zero + 0.5;
  const I kFar = __builtin_convertvector(invln2 * x + half, I);
  const D tFar = __builtin_convertvector(kFar, D);
  const D hi = nearOne ? x - (negative ? zero - ln2HI : zero + ln2HI) : x - tFar * ln2HI;
  const D lo = nearOne ? (negative ? zero - ln2LO : zero + ln2LO) : tFar * ln2LO;
  const L k = nearOne ? (negative ? L{} - 1 : L{} + 1) : __builtin_convertvector(kFar, L);
  const L alone = apart | (reduced & ((k < -1021) | (k > 1023)));
  L any = alone;
  for (int m = 1; m < W; m++) any |= alone[m];
  if (any[0]) {
    alignas(64) double lanes[W];
    store(lanes, x);
    for (int m = 0; m < W; m++) lanes[m] = v8Exp(lanes[m]);
    return load<D>(lanes);
  }
  const D r = reduced ? hi - lo : x;
  const D t = r * r;
  const D c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  // One division for both branches: (r c) / (c - 2) is exactly -((r c) / (2 - c)).
  const D q = (r * c) / (2.0 - c);
  const D small = 1.0 - ((zero - q) - r);
  const D twopk = reinterpret_cast<D>((k + 1023) << 52);
  const D scaled = (1.0 - ((lo - q) - hi)) * twopk;
  return tiny ? 1.0 + x : (reduced ? scaled : small);
}

/**
 * out[t] = y_i y_t exp(negGamma |x_i - x_t|^2), t < n: a row of Q, as the TypeScript
 * computes it, W entries at a time; `columns` holds the features dims-major (feature k
 * of row t at k n + t), so each lane's sum still runs over k in order.
 */
template <int W>
inline __attribute__((always_inline)) void fillRowLanes(const double* flat, const double* columns, const double* y, int64_t n, int64_t dims,
                                                         double negGamma, int64_t i, double* out) {
  using D = typename Lanes<W>::D;
  const double* xi = flat + i * dims;
  const int64_t whole = n - n % W;
  for (int64_t t = 0; t < whole; t += W) {
    D d{};
    for (int64_t k = 0; k < dims; k++) {
      const D diff = xi[k] - load<D>(columns + k * n + t);
      d += diff * diff;
    }
    store(out + t, (y[i] * load<D>(y + t)) * v8ExpLanes<W>(negGamma * d));
  }
  for (int64_t t = whole; t < n; t++) {
    const double* xt = flat + t * dims;
    double d = 0;
    for (int64_t k = 0; k < dims; k++) {
      const double diff = xi[k] - xt[k];
      d += diff * diff;
    }
    out[t] = y[i] * y[t] * v8Exp(negGamma * d);
  }
}

/**
 * out[q] = sum_k weights_k exp(-gamma |v_k - x_q|^2) - rho, as svm.ts's decision: W
 * queries at a time, each summed over k in order; `columns` holds the queries dims-major.
 */
template <int W>
inline __attribute__((always_inline)) void decisionsLanes(const double* vectors, const double* weights, int64_t count, int64_t dims, double gamma,
                                                           double rho, const double* queries, const double* columns, int64_t queryCount, double* out) {
  using D = typename Lanes<W>::D;
  const int64_t whole = queryCount - queryCount % W;
  for (int64_t q = 0; q < whole; q += W) {
    D s{};
    for (int64_t k = 0; k < count; k++) {
      D d{};
      for (int64_t m = 0; m < dims; m++) {
        const D diff = vectors[k * dims + m] - load<D>(columns + m * queryCount + q);
        d += diff * diff;
      }
      s += weights[k] * v8ExpLanes<W>(-gamma * d);
    }
    store(out + q, s - rho);
  }
  for (int64_t q = whole; q < queryCount; q++) {
    const double* x = queries + q * dims;
    double s = 0;
    for (int64_t k = 0; k < count; k++) {
      double d = 0;
      for (int64_t m = 0; m < dims; m++) {
        const double diff = vectors[k * dims + m] - x[m];
        d += diff * diff;
      }
      s += weights[k] * v8Exp(-gamma * d);
    }
    out[q] = s - rho;
  }
}

/** out[k] = exp(x[k]) through the lanes the SVM uses (the tests compare it with Math.exp). */
template <int W>
inline __attribute__((always_inline)) void expLanes(const double* x, int64_t count, double* out) {
  using D = typename Lanes<W>::D;
  const int64_t whole = count - count % W;
  for (int64_t k = 0; k < whole; k += W) store(out + k, v8ExpLanes<W>(load<D>(x + k)));
  for (int64_t k = whole; k < count; k++) out[k] = v8Exp(x[k]);
}

#define LETHE_SVM_WIDTHS(name, body, ...)                                                \
  void name##Scalar(__VA_ARGS__) { constexpr int W = 1; body; } \
  __attribute__((target("avx2"))) void name##Avx2(__VA_ARGS__) { constexpr int W = 4; body; }
LETHE_SVM_WIDTHS(fillRow, (fillRowLanes<W>(flat, columns, y, n, dims, negGamma, i, out)), const double* flat, const double* columns, const double* y,
                 int64_t n, int64_t dims, double negGamma, int64_t i, double* out)
LETHE_SVM_WIDTHS(decisions, (decisionsLanes<W>(v, w, count, dims, gamma, rho, x, columns, queries, out)), const double* v, const double* w,
                 int64_t count, int64_t dims, double gamma, double rho, const double* x, const double* columns, int64_t queries, double* out)
LETHE_SVM_WIDTHS(exp, (expLanes<W>(x, count, out)), const double* x, int64_t count, double* out)
#undef LETHE_SVM_WIDTHS

// AVX2 where the CPU has it (read in a static initialiser, so the CPU model is initialised
// first). AVX-512's 8 lanes measured 3.5x slower than AVX2's 4 here.
const bool hasAvx2 = (__builtin_cpu_init(), __builtin_cpu_supports("avx2"));
const auto fillRow = hasAvx2 ? fillRowAvx2 : fillRowScalar;
const auto decisions = hasAvx2 ? decisionsAvx2 : decisionsScalar;
const auto expAll = hasAvx2 ? expAvx2 : expScalar;

// The solver's scans over the active set, in the order of `order`. The AVX2 versions take
// four variables at a time, without a branch per variable (the SVMs about 20 % faster
// than with the scalar scans here), and keep, per lane, the running extreme of the scalar loop:
// as the scalar loop keeps the last variable at or past its running extreme (>= / <=),
// its result is the last position holding the overall extreme, which the lanes give once
// combined that way; Math.min's fold is order-free (NaN wins, -0 < +0). So the selected
// variables, gmin and every gradient entry are the scalar's.

/**
 * With update, first G[t] += rowI[t] dI + rowJ[t] dJ; then the t in I_up maximising -y G
 * (the later on ties): WSS3's i.
 */
void selectIScalar(const int32_t* order, int64_t active, const int32_t* inUp, const double* y, double* G, const double* rowI, const double* rowJ,
                   double dI, double dJ, bool update, double& gmax, int64_t& i) {
  gmax = -std::numeric_limits<double>::infinity();
  i = -1;
  for (int64_t k = 0; k < active; k++) {
    const int64_t t = order[k];
    if (update) G[t] += rowI[t] * dI + rowJ[t] * dJ;
    if (inUp[t] && -y[t] * G[t] >= gmax) {
      gmax = -y[t] * G[t];
      i = t;
    }
  }
}

/** gmin over I_low of -y G, and (with Qi) the t in I_low of least second-order gain: WSS3's j. */
/** One variable of the scan for j: gmin over I_low, and the least second-order gain (the last position on ties) at `at`. */
inline void considerJ(int64_t k, int64_t t, const double* y, const double* G, const double* Qi, double yi, double gmax, double& gmin, double& best,
                      int64_t& at) {
  const double value = -y[t] * G[t];
  gmin = jsMin(gmin, value);
  if (Qi && gmax - value > 0) {
    const double a = 2 - 2 * yi * y[t] * Qi[t];
    const double gap = gmax - value;
    const double gain = -(gap * gap) / (a > 0 ? a : 1e-12);
    if (gain <= best) {
      best = gain;
      at = k;
    }
  }
}

void selectJScalar(const int32_t* order, int64_t active, const int32_t* inLow, const double* y, const double* G, const double* Qi, double yi,
                   double gmax, double& gmin, int64_t& j) {
  gmin = std::numeric_limits<double>::infinity();
  double best = std::numeric_limits<double>::infinity();
  int64_t at = -1;
  for (int64_t k = 0; k < active; k++) {
    if (inLow[order[k]]) considerJ(k, order[k], y, G, Qi, yi, gmax, gmin, best, at);
  }
  j = at < 0 ? -1 : order[at];
}

void addScaledRowScalar(double* Gbar, const double* Q, double change, int64_t n) {
  for (int64_t t = 0; t < n; t++) Gbar[t] += change * Q[t];
}

/** Lane by lane Math.min: NaN if either is NaN, -0 below +0. */
__attribute__((target("avx2"))) inline __m256d jsMin4(__m256d a, __m256d b) {
  __m256d r = _mm256_blendv_pd(a, b, _mm256_cmp_pd(b, a, _CMP_LT_OQ));
  r = _mm256_blendv_pd(r, _mm256_or_pd(a, b), _mm256_cmp_pd(a, b, _CMP_EQ_OQ));
  return _mm256_blendv_pd(r, _mm256_add_pd(a, b), _mm256_cmp_pd(a, b, _CMP_UNORD_Q));
}

/** a[idx[0..3]] as four scalar loads (gather instructions measured slower here). */
__attribute__((target("avx2"))) inline __m256d pick4(const double* a, const int32_t* idx) {
  return _mm256_setr_pd(a[idx[0]], a[idx[1]], a[idx[2]], a[idx[3]]);
}

/** Lane masks (all ones / zero) of the flags of four variables. */
__attribute__((target("avx2"))) inline __m256d flags4(const int32_t* flags, const int32_t* idx) {
  const __m128i set = _mm_cmpgt_epi32(_mm_setr_epi32(flags[idx[0]], flags[idx[1]], flags[idx[2]], flags[idx[3]]), _mm_setzero_si128());
  return _mm256_castsi256_pd(_mm256_cvtepi32_epi64(set));
}

/**
 * Of the lanes holding the extreme (the least with `least`, else the greatest), the last
 * position in scan order and its value: -1 where no lane has one.
 */
__attribute__((target("avx2"))) inline int64_t lastExtreme(__m256d lanes, __m256i at, bool least, double& extreme) {
  alignas(32) double v[4];
  alignas(32) int64_t k[4];
  _mm256_store_pd(v, lanes);
  _mm256_store_si256(reinterpret_cast<__m256i*>(k), at);
  double target = v[0];
  for (int m = 1; m < 4; m++) target = least ? std::min(target, v[m]) : std::max(target, v[m]);
  int64_t last = -1;
  extreme = target;
  for (int m = 0; m < 4; m++)
    if (v[m] == target && k[m] > last) {
      last = k[m];
      extreme = v[m];
    }
  return last;
}

__attribute__((target("avx2"))) void selectIAvx2(const int32_t* order, int64_t active, const int32_t* inUp, const double* y, double* G,
                                                 const double* rowI, const double* rowJ, double dI, double dJ, bool update, double& gmax,
                                                 int64_t& i) {
  const __m256d sign = _mm256_set1_pd(-0.0);
  __m256d bestV = _mm256_set1_pd(-std::numeric_limits<double>::infinity());
  __m256i bestK = _mm256_set1_epi64x(-1);
  __m256i k4 = _mm256_setr_epi64x(0, 1, 2, 3);
  const __m256i four = _mm256_set1_epi64x(4);
  const __m256d dIv = _mm256_set1_pd(dI), dJv = _mm256_set1_pd(dJ);
  const int64_t whole = active - active % 4;
  for (int64_t k = 0; k < whole; k += 4, k4 = _mm256_add_epi64(k4, four)) {
    const int32_t* idx = order + k;
    __m256d g = pick4(G, idx);
    if (update) {
      g = _mm256_add_pd(g, _mm256_add_pd(_mm256_mul_pd(pick4(rowI, idx), dIv), _mm256_mul_pd(pick4(rowJ, idx), dJv)));
      alignas(32) double lanes[4];
      _mm256_store_pd(lanes, g);
      for (int m = 0; m < 4; m++) G[order[k + m]] = lanes[m];
    }
    const __m256d value = _mm256_mul_pd(_mm256_xor_pd(pick4(y, idx), sign), g);
    const __m256d take = _mm256_and_pd(flags4(inUp, idx), _mm256_cmp_pd(value, bestV, _CMP_GE_OQ));
    bestV = _mm256_blendv_pd(bestV, value, take);
    bestK = _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(bestK), _mm256_castsi256_pd(k4), take));
  }
  int64_t at = lastExtreme(bestV, bestK, false, gmax);
  for (int64_t k = whole; k < active; k++) {
    const int64_t t = order[k];
    if (update) G[t] += rowI[t] * dI + rowJ[t] * dJ;
    if (inUp[t] && -y[t] * G[t] >= gmax) {
      gmax = -y[t] * G[t];
      at = k;
    }
  }
  i = at < 0 ? -1 : order[at];
}

__attribute__((target("avx2"))) void selectJAvx2(const int32_t* order, int64_t active, const int32_t* inLow, const double* y, const double* G,
                                                 const double* Qi, double yi, double gmax, double& gmin, int64_t& j) {
  const __m256d sign = _mm256_set1_pd(-0.0);
  const __m256d infinity = _mm256_set1_pd(std::numeric_limits<double>::infinity());
  const __m256d gmaxV = _mm256_set1_pd(gmax), twoYi = _mm256_set1_pd(2 * yi), two = _mm256_set1_pd(2), zero = _mm256_setzero_pd(),
                tiny = _mm256_set1_pd(1e-12);
  __m256d gminV = infinity, bestV = infinity;
  __m256i bestK = _mm256_set1_epi64x(-1);
  __m256i k4 = _mm256_setr_epi64x(0, 1, 2, 3);
  const __m256i four = _mm256_set1_epi64x(4);
  const int64_t whole = active - active % 4;
  for (int64_t k = 0; k < whole; k += 4, k4 = _mm256_add_epi64(k4, four)) {
    const int32_t* idx = order + k;
    const __m256d low = flags4(inLow, idx);
    if (_mm256_testz_pd(low, low)) continue;
    const __m256d yt = pick4(y, idx);
    const __m256d value = _mm256_mul_pd(_mm256_xor_pd(yt, sign), pick4(G, idx));
    gminV = _mm256_blendv_pd(gminV, jsMin4(gminV, value), low);
    if (!Qi) continue;
    const __m256d gap = _mm256_sub_pd(gmaxV, value);
    const __m256d candidate = _mm256_and_pd(low, _mm256_cmp_pd(gap, zero, _CMP_GT_OQ));
    if (_mm256_testz_pd(candidate, candidate)) continue;
    const __m256d a = _mm256_sub_pd(two, _mm256_mul_pd(_mm256_mul_pd(twoYi, yt), pick4(Qi, idx)));
    const __m256d divisor = _mm256_blendv_pd(tiny, a, _mm256_cmp_pd(a, zero, _CMP_GT_OQ));
    const __m256d gain = _mm256_div_pd(_mm256_xor_pd(_mm256_mul_pd(gap, gap), sign), divisor);
    const __m256d take = _mm256_and_pd(candidate, _mm256_cmp_pd(gain, bestV, _CMP_LE_OQ));
    bestV = _mm256_blendv_pd(bestV, gain, take);
    bestK = _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(bestK), _mm256_castsi256_pd(k4), take));
  }
  alignas(32) double m[4];
  _mm256_store_pd(m, gminV);
  gmin = jsMin(jsMin(m[0], m[1]), jsMin(m[2], m[3]));
  double best;
  int64_t at = lastExtreme(bestV, bestK, true, best);
  for (int64_t k = whole; k < active; k++) {
    if (inLow[order[k]]) considerJ(k, order[k], y, G, Qi, yi, gmax, gmin, best, at);
  }
  j = at < 0 ? -1 : order[at];
}

__attribute__((target("avx2"))) void addScaledRowAvx2(double* Gbar, const double* Q, double change, int64_t n) {
  const __m256d c = _mm256_set1_pd(change);
  const int64_t whole = n - n % 4;
  for (int64_t t = 0; t < whole; t += 4) _mm256_storeu_pd(Gbar + t, _mm256_add_pd(_mm256_loadu_pd(Gbar + t), _mm256_mul_pd(c, _mm256_loadu_pd(Q + t))));
  for (int64_t t = whole; t < n; t++) Gbar[t] += change * Q[t];
}

const auto selectI = hasAvx2 ? selectIAvx2 : selectIScalar;
const auto selectJ = hasAvx2 ? selectJAvx2 : selectJScalar;
const auto addScaledRow = hasAvx2 ? addScaledRowAvx2 : addScaledRowScalar;

struct Cancelled {};

/** rows x dims, row-major, to dims-major. */
std::vector<double> transposed(const double* rows, int64_t n, int64_t dims) {
  std::vector<double> columns(static_cast<size_t>(n * dims));
  for (int64_t t = 0; t < n; t++)
    for (int64_t k = 0; k < dims; k++) columns[k * n + t] = rows[t * dims + k];
  return columns;
}

/**
 * svm.ts's trainSvm after mergeDuplicates, statement for statement (see the comments
 * there): fills alpha and returns rho. `cancel`, when given, is polled every 1000
 * iterations (a cancelled evaluation must not wait for the fit).
 */
double solve(const double* flat, const double* y, const double* bound, int64_t n, int64_t dims, double gamma, double tolerance,
             int64_t maxIterations, int64_t maxRows, double* alpha, const int32_t* cancel) {
  const double negGamma = -gamma;
  const std::vector<double> columns = transposed(flat, n, dims);
  // The LRU cache of rows of Q: rows are a pure function of their index, so only time
  // depends on it.
  std::vector<std::vector<double>*> cached(n, nullptr);
  std::vector<std::list<int64_t>::iterator> where(n);
  std::list<int64_t> recency;  // most recent first
  std::vector<std::vector<double>> storage;
  storage.reserve(static_cast<size_t>(std::min<int64_t>(maxRows, n)));
  auto row = [&](int64_t i) -> const double* {
    if (std::vector<double>* r = cached[i]) {
      recency.splice(recency.begin(), recency, where[i]);
      return r->data();
    }
    std::vector<double>* r;
    if (static_cast<int64_t>(storage.size()) < maxRows && static_cast<int64_t>(storage.size()) < n) {
      storage.emplace_back(n);
      r = &storage.back();
    } else {
      const int64_t oldest = recency.back();
      recency.pop_back();
      r = cached[oldest];
      cached[oldest] = nullptr;
    }
    fillRow(flat, columns.data(), y, n, dims, negGamma, i, r->data());
    cached[i] = r;
    recency.push_front(i);
    where[i] = recency.begin();
    return r->data();
  };

  std::vector<double> G(n, -1.0), Gbar(n, 0.0);
  std::vector<int32_t> atUpperFlag(n), atLowerFlag(n), inUpFlag(n), inLowFlag(n);
  auto updateStatus = [&](int64_t t) {
    atUpperFlag[t] = alpha[t] >= bound[t] ? 1 : 0;
    atLowerFlag[t] = alpha[t] <= 0 ? 1 : 0;
    inUpFlag[t] = y[t] == 1 ? 1 - atUpperFlag[t] : 1 - atLowerFlag[t];
    inLowFlag[t] = y[t] == 1 ? 1 - atLowerFlag[t] : 1 - atUpperFlag[t];
  };
  for (int64_t t = 0; t < n; t++) alpha[t] = 0;
  for (int64_t t = 0; t < n; t++) updateStatus(t);
  std::vector<int32_t> order(n);
  for (int64_t t = 0; t < n; t++) order[t] = static_cast<int32_t>(t);
  int64_t activeSize = n;
  bool unshrunk = false;
  auto reconstructGradient = [&] {
    if (activeSize == n) return;
    for (int64_t k = activeSize; k < n; k++) G[order[k]] = Gbar[order[k]] - 1;
    for (int64_t k = 0; k < activeSize; k++) {
      const int64_t j = order[k];
      if (atUpperFlag[j] || atLowerFlag[j]) continue;
      const double* Qj = row(j);
      for (int64_t m = activeSize; m < n; m++) G[order[m]] += alpha[j] * Qj[order[m]];
    }
  };
  auto beShrunk = [&](int64_t t, double gmax1, double gmax2) {
    if (atUpperFlag[t]) return y[t] == 1 ? -G[t] > gmax1 : -G[t] > gmax2;
    if (atLowerFlag[t]) return y[t] == 1 ? G[t] > gmax2 : G[t] > gmax1;
    return false;
  };
  auto shrink = [&] {
    double gmax1 = -std::numeric_limits<double>::infinity();
    double gmax2 = -std::numeric_limits<double>::infinity();
    for (int64_t k = 0; k < activeSize; k++) {
      const int64_t t = order[k];
      if (inUpFlag[t]) gmax1 = jsMax(gmax1, -y[t] * G[t]);
      if (inLowFlag[t]) gmax2 = jsMax(gmax2, y[t] * G[t]);
    }
    if (!unshrunk && gmax1 + gmax2 <= tolerance * 10) {
      unshrunk = true;
      reconstructGradient();
      activeSize = n;
    }
    for (int64_t k = 0; k < activeSize; k++) {
      if (!beShrunk(order[k], gmax1, gmax2)) continue;
      activeSize -= 1;
      while (activeSize > k && beShrunk(order[activeSize], gmax1, gmax2)) activeSize -= 1;
      std::swap(order[k], order[activeSize]);
    }
  };
  int64_t counter = std::min<int64_t>(n, 1000) + 1;
  bool foundNext = false;
  double nextGmax = -std::numeric_limits<double>::infinity();
  int64_t nextI = -1;
  for (int64_t iteration = 0; iteration < maxIterations; iteration++) {
    if (cancel && iteration % 1000 == 0 && __atomic_load_n(cancel, __ATOMIC_RELAXED) != 0) throw Cancelled{};
    if (--counter == 0) {
      counter = std::min<int64_t>(n, 1000);
      shrink();
      foundNext = false;
    }
    double gmax = nextGmax;
    int64_t i = nextI;
    if (!foundNext) selectI(order.data(), activeSize, inUpFlag.data(), y, G.data(), nullptr, nullptr, 0, 0, false, gmax, i);
    foundNext = false;
    double gmin;
    int64_t j;
    selectJ(order.data(), activeSize, inLowFlag.data(), y, G.data(), i >= 0 ? row(i) : nullptr, i >= 0 ? y[i] : 0, gmax, gmin, j);
    if (i < 0 || j < 0 || gmax - gmin < tolerance) {
      if (activeSize == n) break;
      reconstructGradient();
      activeSize = n;
      counter = std::min<int64_t>(n, 1000) + 1;
      continue;
    }
    const double oldI = alpha[i];
    const double oldJ = alpha[j];
    const int32_t wasUpperI = atUpperFlag[i];
    const int32_t wasUpperJ = atUpperFlag[j];
    const double* rowI = row(i);
    const double* rowJ = row(j);
    double quad = 2 - 2 * y[i] * y[j] * rowI[j];
    if (quad <= 0) quad = 1e-12;
    const double Ci = bound[i];
    const double Cj = bound[j];
    if (y[i] != y[j]) {
      const double delta = (-G[i] - G[j]) / quad;
      const double diff = alpha[i] - alpha[j];
      alpha[i] += delta;
      alpha[j] += delta;
      if (diff > 0 && alpha[j] < 0) {
        alpha[j] = 0;
        alpha[i] = diff;
      } else if (diff <= 0 && alpha[i] < 0) {
        alpha[i] = 0;
        alpha[j] = -diff;
      }
      if (diff > Ci - Cj && alpha[i] > Ci) {
        alpha[i] = Ci;
        alpha[j] = Ci - diff;
      } else if (diff <= Ci - Cj && alpha[j] > Cj) {
        alpha[j] = Cj;
        alpha[i] = Cj + diff;
      }
    } else {
      const double delta = (G[i] - G[j]) / quad;
      const double sum = alpha[i] + alpha[j];
      alpha[i] -= delta;
      alpha[j] += delta;
      if (sum > Ci && alpha[i] > Ci) {
        alpha[i] = Ci;
        alpha[j] = sum - Ci;
      } else if (sum <= Ci && alpha[j] < 0) {
        alpha[j] = 0;
        alpha[i] = sum;
      }
      if (sum > Cj && alpha[j] > Cj) {
        alpha[j] = Cj;
        alpha[i] = sum - Cj;
      } else if (sum <= Cj && alpha[i] < 0) {
        alpha[i] = 0;
        alpha[j] = sum;
      }
    }
    updateStatus(i);
    updateStatus(j);
    const double dI = alpha[i] - oldI;
    const double dJ = alpha[j] - oldJ;
    selectI(order.data(), activeSize, inUpFlag.data(), y, G.data(), rowI, rowJ, dI, dJ, true, nextGmax, nextI);
    foundNext = true;
    const int64_t moved[2] = {i, j};
    const int32_t was[2] = {wasUpperI, wasUpperJ};
    const double* rows[2] = {rowI, rowJ};
    for (int v = 0; v < 2; v++) {
      if (was[v] == atUpperFlag[moved[v]]) continue;
      const double change = was[v] ? -bound[moved[v]] : bound[moved[v]];
      const double* Qv = rows[v];
      addScaledRow(Gbar.data(), Qv, change, n);
    }
  }
  reconstructGradient();
  int64_t free = 0;
  double sumFree = 0;
  double ub = std::numeric_limits<double>::infinity();
  double lb = -std::numeric_limits<double>::infinity();
  for (int64_t t = 0; t < n; t++) {
    const double yG = y[t] * G[t];
    if (alpha[t] > 0 && alpha[t] < bound[t]) {
      free += 1;
      sumFree += yG;
    } else if ((alpha[t] == bound[t] && y[t] == -1) || (alpha[t] == 0 && y[t] == 1)) {
      ub = jsMin(ub, yG);
    } else {
      lb = jsMax(lb, yG);
    }
  }
  return free > 0 ? sumFree / static_cast<double>(free) : (ub + lb) / 2;
}

// ---- N-API glue (no lock: each call works on its own arrays) ----

struct ArgumentError {
  std::string message;
};

template <typename T>
T* typedArray(napi_env env, napi_value value, napi_typedarray_type type, size_t* length, const char* name) {
  bool is = false;
  napi_is_typedarray(env, value, &is);
  napi_typedarray_type actual;
  void* data = nullptr;
  if (is) napi_get_typedarray_info(env, value, &actual, length, &data, nullptr, nullptr);
  if (!is || actual != type) throw ArgumentError{std::string(name) + " must be a " + (type == napi_float64_array ? "Float64Array" : "Int32Array")};
  return static_cast<T*>(data);
}

double number(napi_env env, napi_value value, const char* name) {
  double x;
  if (napi_get_value_double(env, value, &x) != napi_ok) throw ArgumentError{std::string(name) + " must be a number"};
  return x;
}

int64_t count(napi_env env, napi_value value, const char* name) {
  const double x = number(env, value, name);
  if (!(x >= 0) || x != std::floor(x) || x > 9007199254740991.0) throw ArgumentError{std::string(name) + " must be a non-negative integer"};
  return static_cast<int64_t>(x);
}

template <size_t N>
void arguments(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < N) throw ArgumentError{"expected " + std::to_string(N) + " arguments"};
}

template <typename Body>
napi_value withErrors(napi_env env, Body body) {
  try {
    return body();
  } catch (const ArgumentError& error) {
    napi_throw_type_error(env, "LETHE_NATIVE_ARGUMENT", error.message.c_str());
  } catch (const Cancelled&) {
    napi_throw_error(env, "LETHE_NATIVE_CANCELLED", "the SVM fit was cancelled");
  } catch (const std::exception& error) {
    napi_throw_error(env, "LETHE_NATIVE_FAILED", error.what());
  }
  return nullptr;
}

napi_value doubleValue(napi_env env, double x) {
  napi_value result;
  napi_create_double(env, x, &result);
  return result;
}

}  // namespace

napi_value SvmSolve(napi_env env, napi_callback_info info) {
  return withErrors(env, [&] {
    napi_value argv[10];
    arguments(env, info, argv);
    size_t featureLength, yLength, boundLength, alphaLength;
    const double* features = typedArray<double>(env, argv[0], napi_float64_array, &featureLength, "features");
    const double* y = typedArray<double>(env, argv[1], napi_float64_array, &yLength, "y");
    const double* bound = typedArray<double>(env, argv[2], napi_float64_array, &boundLength, "bounds");
    const int64_t dims = count(env, argv[3], "dims");
    const double gamma = number(env, argv[4], "gamma");
    const double tolerance = number(env, argv[5], "tolerance");
    const int64_t maxIterations = count(env, argv[6], "maxIterations");
    const int64_t maxRows = count(env, argv[7], "maxRows");
    double* alpha = typedArray<double>(env, argv[8], napi_float64_array, &alphaLength, "alphaOut");
    napi_valuetype cancelType;
    napi_typeof(env, argv[9], &cancelType);
    size_t cancelLength = 0;
    const int32_t* cancel = cancelType == napi_undefined ? nullptr : typedArray<int32_t>(env, argv[9], napi_int32_array, &cancelLength, "cancel");
    const int64_t n = static_cast<int64_t>(yLength);
    if (n == 0 || dims == 0 || featureLength != static_cast<size_t>(n * dims) || boundLength != yLength || alphaLength != yLength) {
      throw ArgumentError{"features must be n x dims, y, bounds and alphaOut n long, n and dims positive"};
    }
    if (maxRows < 2) throw ArgumentError{"maxRows must be at least 2"};
    if (cancel && cancelLength < 1) throw ArgumentError{"cancel must hold one element"};
    return doubleValue(env, solve(features, y, bound, n, dims, gamma, tolerance, maxIterations, maxRows, alpha, cancel));
  });
}

napi_value SvmDecisions(napi_env env, napi_callback_info info) {
  return withErrors(env, [&]() -> napi_value {
    napi_value argv[7];
    arguments(env, info, argv);
    size_t vectorLength, weightLength, queryLength, outLength;
    const double* vectors = typedArray<double>(env, argv[0], napi_float64_array, &vectorLength, "vectors");
    const double* weights = typedArray<double>(env, argv[1], napi_float64_array, &weightLength, "weights");
    const int64_t dims = count(env, argv[2], "dims");
    const double gamma = number(env, argv[3], "gamma");
    const double rho = number(env, argv[4], "rho");
    const double* queries = typedArray<double>(env, argv[5], napi_float64_array, &queryLength, "queries");
    double* out = typedArray<double>(env, argv[6], napi_float64_array, &outLength, "out");
    if (dims == 0 || vectorLength != weightLength * dims || queryLength != outLength * dims) {
      throw ArgumentError{"vectors must be weights x dims and queries out x dims, dims positive"};
    }
    const int64_t queryCount = static_cast<int64_t>(outLength);
    decisions(vectors, weights, static_cast<int64_t>(weightLength), dims, gamma, rho, queries, transposed(queries, queryCount, dims).data(), queryCount, out);
    return nullptr;
  });
}

napi_value V8Exp(napi_env env, napi_callback_info info) {
  return withErrors(env, [&]() -> napi_value {
    napi_value argv[2];
    arguments(env, info, argv);
    size_t inLength, outLength;
    const double* in = typedArray<double>(env, argv[0], napi_float64_array, &inLength, "x");
    double* out = typedArray<double>(env, argv[1], napi_float64_array, &outLength, "out");
    if (inLength != outLength) throw ArgumentError{"x and out must be as long"};
    expAll(in, static_cast<int64_t>(inLength), out);
    return nullptr;
  });
}
