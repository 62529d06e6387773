// Lethe's native kernels, computed in place on the wasm backend's heap: the convolution
// passes of a training step through oneDNN (the library PyTorch's CPU convolutions run
// on), matrix products through its sgemm, and vectorised OpenMP loops for batch norm,
// the relu and bias gradients, max-pool's gradient and the SGD update. The caller passes
// the heap's ArrayBuffer and byte offsets of each tensor, so nothing is copied in or out;
// every offset is bounds-checked here.
//
// Layouts are tfjs's: activations NHWC, filters [kh, kw, in, out] (oneDNN's hwio).
// Primitives are made once per geometry and kept; oneDNN picks its own filter layout
// (and, for Winograd, activation layouts), and tensors are reordered to and from those
// through aligned scratch memory on each call.
#include <node_api.h>
#include <omp.h>

#include <dnnl.hpp>

#include "in-order-matmul.h"
#include "svm.h"

#include <algorithm>
#include <stdexcept>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine& cpu() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpuStream() {
  static dnnl::stream stream(cpu());
  return stream;
}

/**
 * What the convolutions and matrix products read their operands as (setPrecision): f32, or
 * bf16 (converted by oneDNN's reorders on the way in) with f32 accumulation and f32
 * outputs. Every other kernel, and every tensor tfjs holds, stays f32.
 */
dt operandType = dt::f32;

/** The primitive cache's key of a call: the same geometry is another primitive in bf16. */
std::string withPrecision(std::string key) { return operandType == dt::bf16 ? "bf16 " + key : key; }

/** A convolution's (or pooling window's) geometry, in the order the JS side writes it. */
struct Geometry {
  int64_t n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  static constexpr size_t kFields = 17;

  std::string key(const char* kind, int64_t extra) const {
    std::string k(kind);
    for (int64_t v : {n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, extra}) {
      k += ',';
      k += std::to_string(v);
    }
    return k;
  }
  memory::desc input(tag layout = tag::nhwc, dt type = dt::f32) const { return {{n, ic, ih, iw}, type, layout}; }
  memory::desc output(tag layout = tag::nhwc, dt type = dt::f32) const { return {{n, oc, oh, ow}, type, layout}; }
  memory::desc filter(tag layout, dt type = dt::f32) const { return {{oc, ic, kh, kw}, type, layout}; }
  memory::dims strides() const { return {sh, sw}; }
  // oneDNN counts dilation from 0 (no gaps), tfjs from 1.
  memory::dims dilations() const { return {dh - 1, dw - 1}; }
  memory::dims padBefore() const { return {pt, pl}; }
  memory::dims padAfter() const { return {pb, pr}; }
  size_t inputSize() const { return n * ih * iw * ic; }
  size_t outputSize() const { return n * oh * ow * oc; }
  size_t filterSize() const { return kh * kw * ic * oc; }
};

/** Thrown for bad arguments; becomes a JS Error. */
struct ArgumentError {
  std::string message;
};

struct Call {
  napi_env env;
  static constexpr size_t kMaxArguments = 16;
  size_t argc = kMaxArguments;
  napi_value argv[kMaxArguments];
  uint8_t* heap = nullptr;
  size_t heapBytes = 0;

  Call(napi_env env, napi_callback_info info, size_t expected) : env(env) {
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < expected) throw ArgumentError{"expected " + std::to_string(expected) + " arguments"};
    void* data = nullptr;
    if (napi_get_arraybuffer_info(env, argv[0], &data, &heapBytes) != napi_ok) {
      throw ArgumentError{"argument 1 must be the heap's ArrayBuffer"};
    }
    heap = static_cast<uint8_t*>(data);
  }

  /** The Int32Array geometry in argument `index`. */
  Geometry geometry(size_t index) const {
    bool isTyped = false;
    napi_is_typedarray(env, argv[index], &isTyped);
    if (!isTyped) throw ArgumentError{"argument " + std::to_string(index + 1) + " must be an Int32Array geometry"};
    napi_typedarray_type type;
    size_t length = 0;
    void* values = nullptr;
    napi_get_typedarray_info(env, argv[index], &type, &length, &values, nullptr, nullptr);
    if (type != napi_int32_array || length != Geometry::kFields) {
      throw ArgumentError{"geometry must be an Int32Array of " + std::to_string(Geometry::kFields)};
    }
    const int32_t* v = static_cast<const int32_t*>(values);
    for (size_t i = 0; i < Geometry::kFields; ++i) {
      const bool mayBeZeroOrNegative = i >= 13;  // paddings
      if (!mayBeZeroOrNegative && v[i] <= 0) throw ArgumentError{"geometry field " + std::to_string(i) + " must be positive"};
    }
    return {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16]};
  }

  double number(size_t index) const {
    double value = 0;
    if (napi_get_value_double(env, argv[index], &value) != napi_ok || !std::isfinite(value)) {
      throw ArgumentError{"argument " + std::to_string(index + 1) + " must be a finite number"};
    }
    return value;
  }

  /** A count in argument `index`, at least 1. */
  int64_t count(size_t index) const {
    const int64_t value = integer(index);
    if (value < 1) throw ArgumentError{"argument " + std::to_string(index + 1) + " must be a count >= 1"};
    return value;
  }

  int64_t integer(size_t index) const {
    int64_t value = 0;
    if (napi_get_value_int64(env, argv[index], &value) != napi_ok) {
      throw ArgumentError{"argument " + std::to_string(index + 1) + " must be a number"};
    }
    return value;
  }

  /** tensor(index, elements), or null where the offset is -1 (the tensor is not asked for). */
  float* optionalTensor(size_t index, size_t elements) const { return integer(index) >= 0 ? tensor(index, elements) : nullptr; }

  /** A float32 tensor of `elements` at the byte offset in argument `index`, inside the heap. */
  float* tensor(size_t index, size_t elements) const {
    float* at = inHeap(integer(index), elements);
    if (!at) throw ArgumentError{"tensor at argument " + std::to_string(index + 1) + " lies outside the heap"};
    return at;
  }

  /** The float32 tensor of `elements` at byte `offset`, or null where it would not lie inside the heap. */
  float* inHeap(int64_t offset, size_t elements) const {
    if (offset < 0 || offset % 4 != 0 || static_cast<size_t>(offset) + elements * 4 > heapBytes) return nullptr;
    return reinterpret_cast<float*>(heap + offset);
  }
};

/**
 * Scratch memory for tensors in a primitive's own layout, one slot per role in a call.
 * Calls are serialised (see guarded), so every primitive shares these.
 */
enum Slot { kInputSlot, kFilterSlot, kOutputSlot, kMaskSlot, kSlots };

float* scratch(Slot slot, size_t bytes) {
  // 64-byte aligned: oneDNN's Winograd kernels load whole cache lines with aligned loads.
  struct Buffer {
    std::unique_ptr<void, decltype(&std::free)> data{nullptr, &std::free};
    size_t bytes = 0;
  };
  static Buffer buffers[kSlots];
  Buffer& buffer = buffers[slot];
  if (buffer.bytes < bytes) {
    const size_t rounded = (bytes + 63) / 64 * 64;
    buffer.data.reset(std::aligned_alloc(64, rounded));
    if (!buffer.data) throw std::bad_alloc();
    buffer.bytes = rounded;
  }
  return static_cast<float*>(buffer.data.get());
}

/**
 * One tensor of a primitive: tfjs's layout (user) and the one the primitive chose, with
 * the reorders between them made on first use. Where they are the same the primitive
 * reads and writes the wasm heap directly.
 */
struct Layout {
  memory::desc user, chosen;
  Slot slot;
  std::unique_ptr<dnnl::reorder> toChosen, toUser;

  Layout(const memory::desc& user, const memory::desc& chosen, Slot slot) : user(user), chosen(chosen), slot(slot) {}

  /** The tensor as the primitive reads it. */
  memory in(float* data) {
    memory source(user, cpu(), data);
    if (user == chosen) return source;
    if (!toChosen) toChosen = std::make_unique<dnnl::reorder>(dnnl::reorder::primitive_desc(cpu(), user, cpu(), chosen));
    memory target(chosen, cpu(), scratch(slot, chosen.get_size()));
    toChosen->execute(cpuStream(), source, target);
    return target;
  }
  /** Where the primitive writes the tensor. */
  memory out(float* data) {
    return user == chosen ? memory(user, cpu(), data) : memory(chosen, cpu(), scratch(slot, chosen.get_size()));
  }
  /** Copies what the primitive wrote into tfjs's layout, when it wrote elsewhere. */
  void finish(float* data) {
    if (user == chosen) return;
    if (!toUser) toUser = std::make_unique<dnnl::reorder>(dnnl::reorder::primitive_desc(cpu(), chosen, cpu(), user));
    memory source(chosen, cpu(), scratch(slot, chosen.get_size()));
    memory target(user, cpu(), data);
    toUser->execute(cpuStream(), source, target);
  }
};

/**
 * 3x3 stride-1 convolutions run by Winograd's F(4x4, 3x3) (2.25 times fewer
 * multiplications; oneDNN's kernels need their own blocked layouts, hence the reorders),
 * everything else, or where oneDNN has no Winograd kernel, directly on NHWC.
 */
bool winogradFits(const Geometry& g) {
  // Its layouts block channels by 16: a 3-channel image would be padded to 16 and the
  // direct kernel is 4 times faster there (measured on cnn3's first layer).
  const bool blocked = g.ic % 16 == 0 && g.oc % 16 == 0;
  return blocked && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1;
}

struct Algorithm {
  dnnl::algorithm kind;
  tag activations;  // any (the primitive's choice) for Winograd, nhwc otherwise
  dt operands;      // what the primitive reads x, the filter and dy as (its outputs are f32)
};

dnnl::convolution_forward::desc forwardDesc(const Geometry& g, const Algorithm& a, bool bias) {
  const memory::desc input = g.input(a.activations, a.operands), output = g.output(a.activations);
  if (bias) {
    return {dnnl::prop_kind::forward_training, a.kind, input, g.filter(tag::any, a.operands), memory::desc({g.oc}, dt::f32, tag::x), output,
            g.strides(), g.dilations(), g.padBefore(), g.padAfter()};
  }
  return {dnnl::prop_kind::forward_training, a.kind, input, g.filter(tag::any, a.operands), output, g.strides(), g.dilations(), g.padBefore(), g.padAfter()};
}

/**
 * Builds with Winograd where it fits and oneDNN has it, else directly on NHWC; in bf16
 * always directly (oneDNN's Winograd is f32 only; its bf16 kernels are AMX / AVX512-BF16
 * direct ones).
 */
template <typename Make>
auto withBestAlgorithm(const Geometry& g, Make make) {
  if (operandType == dt::f32 && winogradFits(g)) {
    try {
      return make(Algorithm{dnnl::algorithm::convolution_winograd, tag::any, dt::f32});
    } catch (const dnnl::error&) {
      // no Winograd kernel for this shape or CPU
    }
  }
  return make(Algorithm{dnnl::algorithm::convolution_direct, tag::nhwc, operandType});
}

dnnl::convolution_forward::primitive_desc forwardPd(const Geometry& g, const Algorithm& a, bool bias, bool relu) {
  dnnl::primitive_attr attr;
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  return {forwardDesc(g, a, bias), attr, cpu()};
}

struct Forward {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward primitive;
  Layout input, filter, output;
  Forward(const Geometry& g, bool bias, bool relu)
      : pd(withBestAlgorithm(g, [&](const Algorithm& a) { return forwardPd(g, a, bias, relu); })),
        primitive(pd),
        input(g.input(), pd.src_desc(), kInputSlot),
        filter(g.filter(tag::hwio), pd.weights_desc(), kFilterSlot),
        output(g.output(), pd.dst_desc(), kOutputSlot) {}
};

/**
 * A backward pass of kind Op (data or weights), with the same algorithm's forward as its
 * hint. Of x, the filter and y, the one the pass computes the gradient of (`computed`) is
 * f32; the two it reads are the algorithm's operand type.
 */
template <typename Op>
typename Op::primitive_desc backwardPd(const Geometry& g, const Algorithm& a, int computed) {
  const auto type = [&](int argument) { return argument == computed ? dt::f32 : a.operands; };
  return {typename Op::desc(a.kind, g.input(a.activations, type(DNNL_ARG_SRC)), g.filter(tag::any, type(DNNL_ARG_WEIGHTS)),
                            g.output(a.activations, type(DNNL_ARG_DST)), g.strides(), g.dilations(), g.padBefore(), g.padAfter()),
          cpu(), forwardPd(g, a, false, false)};
}

struct BackwardInput {
  dnnl::convolution_backward_data::primitive_desc pd;
  dnnl::convolution_backward_data primitive;
  Layout gradient, filter, inputGradient;
  explicit BackwardInput(const Geometry& g)
      : pd(withBestAlgorithm(g, [&](const Algorithm& a) { return backwardPd<dnnl::convolution_backward_data>(g, a, DNNL_ARG_SRC); })),
        primitive(pd),
        gradient(g.output(), pd.diff_dst_desc(), kOutputSlot),
        filter(g.filter(tag::hwio), pd.weights_desc(), kFilterSlot),
        inputGradient(g.input(), pd.diff_src_desc(), kInputSlot) {}
};

struct BackwardFilter {
  dnnl::convolution_backward_weights::primitive_desc pd;
  dnnl::convolution_backward_weights primitive;
  Layout input, gradient, filterGradient;
  explicit BackwardFilter(const Geometry& g)
      : pd(withBestAlgorithm(g, [&](const Algorithm& a) { return backwardPd<dnnl::convolution_backward_weights>(g, a, DNNL_ARG_WEIGHTS); })),
        primitive(pd),
        input(g.input(), pd.src_desc(), kInputSlot),
        gradient(g.output(), pd.diff_dst_desc(), kOutputSlot),
        filterGradient(g.filter(tag::hwio), pd.diff_weights_desc(), kFilterSlot) {}
};

std::vector<std::string> implementations;

/**
 * The primitive of kind T for this geometry (key), made on first use and kept: making one
 * generates its code. Each made is noted with the implementation oneDNN chose.
 */
template <typename T, typename... Args>
T& primitiveFor(const std::string& key, Args&&... args) {
  static std::unordered_map<std::string, std::unique_ptr<T>> cache;
  auto found = cache.find(key);
  if (found != cache.end()) return *found->second;
  T& made = *cache.emplace(key, std::make_unique<T>(std::forward<Args>(args)...)).first->second;
  implementations.push_back(key + " " + made.pd.impl_info_str());
  return made;
}

napi_value undefinedValue(napi_env env) {
  napi_value result;
  napi_get_undefined(env, &result);
  return result;
}

/** Runs a kernel body, turning argument and oneDNN errors into JS exceptions. */
template <typename Body>
napi_value guarded(napi_env env, Body body) {
  // The caches and scratch buffers are shared by every JS thread that loads the addon.
  static std::mutex lock;
  std::lock_guard<std::mutex> held(lock);
  try {
    body();
  } catch (const ArgumentError& error) {
    napi_throw_type_error(env, "LETHE_NATIVE_ARGUMENT", error.message.c_str());
  } catch (const dnnl::error& error) {
    napi_throw_error(env, "LETHE_NATIVE_UNSUPPORTED", (std::string("oneDNN: ") + error.what()).c_str());
  } catch (const std::exception& error) {
    napi_throw_error(env, "LETHE_NATIVE_FAILED", error.what());
  }
  return undefinedValue(env);
}

// conv2d(heap, geometry, x, filter, bias or -1, y, relu 0|1)
napi_value Conv2D(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 7);
    const Geometry g = call.geometry(1);
    float* x = call.tensor(2, g.inputSize());
    float* w = call.tensor(3, g.filterSize());
    float* bias = call.optionalTensor(4, g.oc);
    const bool hasBias = bias != nullptr;
    float* y = call.tensor(5, g.outputSize());
    const bool relu = call.integer(6) != 0;
    const std::string key = withPrecision(g.key(hasBias ? "conv2d+bias" : "conv2d", relu));
    Forward& conv = primitiveFor<Forward>(key, g, hasBias, relu);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, conv.input.in(x)},
        {DNNL_ARG_WEIGHTS, conv.filter.in(w)},
        {DNNL_ARG_DST, conv.output.out(y)},
    };
    if (hasBias) args.emplace(DNNL_ARG_BIAS, memory(conv.pd.bias_desc(), cpu(), bias));
    conv.primitive.execute(cpuStream(), args);
    conv.output.finish(y);
    cpuStream().wait();
  });
}

// The elementwise and reduction loops below are memory-bound only once vectorised; the
// build targets no particular CPU, so each is compiled for AVX-512, AVX2 and the baseline
// and the loader picks the best the machine has (GCC function multiversioning). Their
// pointers never alias (outputs are fresh tensors), and saying so (__restrict__) is what
// lets GCC vectorise the loops with several outputs.
#define LETHE_VECTORIZED __attribute__((target_clones("avx512f", "avx2", "default")))

/**
 * Below this many elements of work a loop runs on the calling thread alone: waking the
 * other threads (passive OpenMP waits by default, see src/main/engine/kernels/native-addon.ts)
 * costs tens of microseconds, more than they save on a bias or a small layer's update
 * (the MLP's SGD step was 20 % of its training step, four of its six parameters tiny).
 */
constexpr int64_t kParallelElements = 1 << 15;

/** Calls body(begin, end) with each thread's share of [0, count); units of `elementsPerUnit` elements each. */
template <typename Body>
void inParallel(int64_t count, int64_t elementsPerUnit, Body body) {
#pragma omp parallel if (count * elementsPerUnit >= kParallelElements)
  {
    const int64_t threads = omp_get_num_threads(), id = omp_get_thread_num();
    body(count * id / threads, count * (id + 1) / threads);
  }
}

/**
 * Per-channel sums over the rows of a rows x channels matrix, `sets` of them at once:
 * each thread adds its rows into its own double accumulators (add(begin, end, sums), sums
 * holding sets x channels), then the threads' sums are added in thread order, so the
 * result does not vary from run to run.
 */
template <typename Add>
std::vector<double> channelSums(int64_t rows, int64_t channels, int sets, Add add) {
  const int threads = rows * channels >= kParallelElements ? omp_get_max_threads() : 1;
  const size_t width = static_cast<size_t>(sets) * channels;
  std::vector<double> partial(threads * width, 0.0);
#pragma omp parallel num_threads(threads)
  {
    const int64_t count = omp_get_num_threads(), id = omp_get_thread_num();
    add(rows * id / count, rows * (id + 1) / count, partial.data() + id * width);
  }
  std::vector<double> total(width, 0.0);
  for (int t = 0; t < threads; ++t) {
    for (size_t i = 0; i < width; ++i) total[i] += partial[t * width + i];
  }
  return total;
}

LETHE_VECTORIZED void addRows(const float* x, int64_t channels, int64_t begin, int64_t end, double* sums) {
  for (int64_t r = begin; r < end; ++r) {
    const float* row = x + r * channels;
    for (int64_t c = 0; c < channels; ++c) sums[c] += row[c];
  }
}

/** sums[c] += x and squares[c] += x * x, over rows. */
LETHE_VECTORIZED void addMoments(const float* x, int64_t channels, int64_t begin, int64_t end, double* sums, double* squares) {
  for (int64_t r = begin; r < end; ++r) {
    const float* row = x + r * channels;
    for (int64_t c = 0; c < channels; ++c) {
      sums[c] += row[c];
      squares[c] += static_cast<double>(row[c]) * row[c];
    }
  }
}

/** dz = dy where the relu passed (y > 0), or dy itself when there was no relu. */
template <bool Masked>
__attribute__((always_inline)) inline float throughRelu(const float* dy, const float* y, int64_t i) {
  // A product, not a select: GCC vectorises it (a select here is "control flow"), and it
  // is tfjs' own relu gradient, dy * step(y), NaN included.
  if constexpr (Masked) return dy[i] * static_cast<float>(y[i] > 0.f);
  return dy[i];
}

template <bool Masked>
__attribute__((always_inline)) inline void addGradientSumsOf(const float* dy, const float* y, const float* x, int64_t channels, int64_t begin, int64_t end,
                                                             double* sumDz, double* sumDzX) {
  for (int64_t r = begin; r < end; ++r) {
    const int64_t at = r * channels;
    for (int64_t c = 0; c < channels; ++c) {
      const float dz = throughRelu<Masked>(dy, y, at + c);
      sumDz[c] += dz;
      sumDzX[c] += static_cast<double>(dz) * x[at + c];
    }
  }
}

/** sumDz[c] += dz and sumDzX[c] += dz * x, over rows (y: the relu's output, or null). */
LETHE_VECTORIZED void addGradientSums(const float* dy, const float* y, const float* x, int64_t channels, int64_t begin, int64_t end, double* sumDz, double* sumDzX) {
  if (y) addGradientSumsOf<true>(dy, y, x, channels, begin, end, sumDz, sumDzX);
  else addGradientSumsOf<false>(dy, y, x, channels, begin, end, sumDz, sumDzX);
}

/** dz = dy where the relu passed (y > 0), else 0. */
LETHE_VECTORIZED void reluMask(const float* dy, const float* y, float* dz, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) dz[i] = throughRelu<true>(dy, y, i);
}

template <bool Residual, bool Relu>
__attribute__((always_inline)) inline void scaleRowsOf(const float* __restrict__ x, const float* __restrict__ scale, const float* __restrict__ shift,
                                                       const float* __restrict__ residual, float* __restrict__ y, int64_t channels, int64_t begin, int64_t end) {
  for (int64_t r = begin; r < end; ++r) {
    const int64_t at = r * channels;
    for (int64_t c = 0; c < channels; ++c) {
      float v = x[at + c] * scale[c] + shift[c];
      if constexpr (Residual) v += residual[at + c];
      if constexpr (Relu) v = v > 0.f ? v : 0.f;
      y[at + c] = v;
    }
  }
}

/** y = act(x * scale + shift + residual) per row. */
LETHE_VECTORIZED void scaleRows(const float* x, const float* scale, const float* shift, const float* residual, bool relu, float* y, int64_t channels, int64_t begin, int64_t end) {
  if (residual && relu) scaleRowsOf<true, true>(x, scale, shift, residual, y, channels, begin, end);
  else if (residual) scaleRowsOf<true, false>(x, scale, shift, residual, y, channels, begin, end);
  else if (relu) scaleRowsOf<false, true>(x, scale, shift, residual, y, channels, begin, end);
  else scaleRowsOf<false, false>(x, scale, shift, residual, y, channels, begin, end);
}

template <bool Masked, bool Residual>
__attribute__((always_inline)) inline void normGradientRowsOf(const float* __restrict__ dy, const float* __restrict__ y, const float* __restrict__ x,
                                                              const float* __restrict__ k, const float* __restrict__ mean, const float* __restrict__ invstd,
                                                              const float* __restrict__ meanDz, const float* __restrict__ meanDzXhat, float* __restrict__ dx,
                                                              float* __restrict__ dresidual, int64_t channels, int64_t begin, int64_t end) {
  for (int64_t r = begin; r < end; ++r) {
    const int64_t at = r * channels;
    for (int64_t c = 0; c < channels; ++c) {
      const float dz = throughRelu<Masked>(dy, y, at + c);
      const float xhat = (x[at + c] - mean[c]) * invstd[c];
      dx[at + c] = k[c] * (dz - meanDz[c] - xhat * meanDzXhat[c]);
      if constexpr (Residual) dresidual[at + c] = dz;
    }
  }
}

/** dx = k * (dz - meanDz - (x - mean) * invstd * meanDzXhat) per row; dresidual = dz when asked. */
LETHE_VECTORIZED void normGradientRows(const float* dy, const float* y, const float* x, const float* k, const float* mean, const float* invstd,
                                       const float* meanDz, const float* meanDzXhat, float* dx, float* dresidual, int64_t channels, int64_t begin,
                                       int64_t end) {
  if (y && dresidual) normGradientRowsOf<true, true>(dy, y, x, k, mean, invstd, meanDz, meanDzXhat, dx, dresidual, channels, begin, end);
  else if (y) normGradientRowsOf<true, false>(dy, y, x, k, mean, invstd, meanDz, meanDzXhat, dx, dresidual, channels, begin, end);
  else if (dresidual) normGradientRowsOf<false, true>(dy, y, x, k, mean, invstd, meanDz, meanDzXhat, dx, dresidual, channels, begin, end);
  else normGradientRowsOf<false, false>(dy, y, x, k, mean, invstd, meanDz, meanDzXhat, dx, dresidual, channels, begin, end);
}

template <bool OneChannel>
__attribute__((always_inline)) inline void inferenceRowsOf(const float* __restrict__ x, const float* __restrict__ mean, const float* __restrict__ scale,
                                                           const float* __restrict__ factor, const float* __restrict__ offset, float* __restrict__ y,
                                                           int64_t channels, int64_t begin, int64_t end) {
  if constexpr (OneChannel) {
    const float m = mean[0], s = scale[0], f = factor[0], o = offset[0];
    for (int64_t i = begin; i < end; ++i) y[i] = o + (x[i] - m) * s / f;
  } else {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t at = r * channels;
      for (int64_t c = 0; c < channels; ++c) y[at + c] = offset[c] + (x[at + c] - mean[c]) * scale[c] / factor[c];
    }
  }
}

/** tfjs' FusedBatchNorm arithmetic per row: offset + (x - mean) * scale / factor, in this order. */
LETHE_VECTORIZED void inferenceRows(const float* x, const float* mean, const float* scale, const float* factor, const float* offset, float* y, int64_t channels,
                                    int64_t begin, int64_t end) {
  if (channels == 1) inferenceRowsOf<true>(x, mean, scale, factor, offset, y, channels, begin, end);
  else inferenceRowsOf<false>(x, mean, scale, factor, offset, y, channels, begin, end);
}

LETHE_VECTORIZED void sgdRange(const float* __restrict__ theta, const float* __restrict__ grad, const float* __restrict__ velocity, float lr, float momentum,
                               float weightDecay, float* __restrict__ thetaOut, float* __restrict__ velocityOut, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    float d = grad[i] + theta[i] * weightDecay;
    if (velocityOut) {
      d = velocity ? velocity[i] * momentum + d : d;
      velocityOut[i] = d;
    }
    thetaOut[i] = theta[i] - d * lr;
  }
}

/**
 * Calls cell(offset) with the offset in its image of each position of the pooling window
 * at output (oy, ox) that lies inside the image (padding is skipped), row by row.
 */
template <typename Cell>
inline __attribute__((always_inline)) void forEachWindowCell(const Geometry& g, int64_t oy, int64_t ox, Cell cell) {
  const int64_t y0 = oy * g.sh - g.pt, x0 = ox * g.sw - g.pl;
  for (int64_t fy = 0; fy < g.kh; ++fy) {
    const int64_t row = y0 + fy * g.dh;
    if (row < 0 || row >= g.ih) continue;
    for (int64_t fx = 0; fx < g.kw; ++fx) {
      const int64_t column = x0 + fx * g.dw;
      if (column < 0 || column >= g.iw) continue;
      cell((row * g.iw + column) * g.ic);
    }
  }
}

/**
 * One image of maxPoolGrad, each window over all channels at once (contiguous in NHWC):
 * first each channel's maximum, then the gradient goes to the first position holding it
 * (the tfjs cpu backend's rule), which keeps both passes free of per-channel branches.
 */
LETHE_VECTORIZED void maxPoolGradImage(const Geometry& g, const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dx, float* __restrict__ best,
                                       float* __restrict__ open) {
  const int64_t C = g.ic;
  std::fill(dx, dx + g.ih * g.iw * C, 0.f);
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    for (int64_t ox = 0; ox < g.ow; ++ox) {
      bool any = false;
      forEachWindowCell(g, oy, ox, [&](int64_t cell) {
        const float* values = x + cell;
        if (!any) std::copy(values, values + C, best);
        for (int64_t c = 0; c < C; ++c) best[c] = values[c] > best[c] ? values[c] : best[c];
        any = true;
      });
      if (!any) continue;  // a window entirely in the padding
      std::fill(open, open + C, 1.f);
      const float* gradient = dy + (oy * g.ow + ox) * C;
      forEachWindowCell(g, oy, ox, [&](int64_t cell) {
        for (int64_t c = 0; c < C; ++c) {
          const bool take = open[c] != 0.f && x[cell + c] == best[c];
          dx[cell + c] += take ? gradient[c] : 0.f;
          open[c] = take ? 0.f : open[c];
        }
      });
    }
  }
}

/**
 * One image of maxPool, each window over all channels at once (contiguous in NHWC): the
 * cpu backend's rule, from -infinity the values greater than the maximum so far (a NaN never
 * is), which maxPoolGradImage's first maximum matches.
 */
LETHE_VECTORIZED void maxPoolImage(const Geometry& g, const float* __restrict__ x, float* __restrict__ y) {
  const int64_t C = g.ic;
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    for (int64_t ox = 0; ox < g.ow; ++ox) {
      float* best = y + (oy * g.ow + ox) * C;
      std::fill(best, best + C, -INFINITY);
      forEachWindowCell(g, oy, ox, [&](int64_t cell) {
        const float* values = x + cell;
        for (int64_t c = 0; c < C; ++c) best[c] = values[c] > best[c] ? values[c] : best[c];
      });
    }
  }
}

// maxPool(heap, geometry, x, y): max-pooling, kh/kw the window, oc = ic; images in parallel
// (the stock wasm kernel runs on one thread).
napi_value MaxPool(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 4);
    const Geometry g = call.geometry(1);
    if (g.oc != g.ic) throw ArgumentError{"max-pool keeps the channel count"};
    const float* x = call.tensor(2, g.inputSize());
    float* y = call.tensor(3, g.outputSize());
    const int64_t image = g.ih * g.iw * g.ic, pooled = g.oh * g.ow * g.ic;
    inParallel(g.n, image, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) maxPoolImage(g, x + b * image, y + b * pooled);
    });
  });
}

// maxPoolGrad(heap, geometry, x, dy, dx): each output cell's gradient goes to the first
// maximum of its window; kh/kw are the window, oc = ic.
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 5);
    const Geometry g = call.geometry(1);
    if (g.oc != g.ic) throw ArgumentError{"max-pool keeps the channel count"};
    const float* x = call.tensor(2, g.inputSize());
    const float* dy = call.tensor(3, g.outputSize());
    float* dx = call.tensor(4, g.inputSize());
    const int64_t image = g.ih * g.iw * g.ic, pooled = g.oh * g.ow * g.ic;
    inParallel(g.n, image, [&](int64_t begin, int64_t end) {
      std::vector<float> best(g.ic), open(g.ic);
      for (int64_t b = begin; b < end; ++b) maxPoolGradImage(g, x + b * image, dy + b * pooled, dx + b * image, best.data(), open.data());
    });
  });
}

/** dz = dy where the relu passed (y > 0), else 0, over rows, adding each column of dz into sums. */
LETHE_VECTORIZED void reluMaskRows(const float* __restrict__ dy, const float* __restrict__ y, float* __restrict__ dz, int64_t columns, int64_t begin, int64_t end,
                                   double* __restrict__ sums) {
  for (int64_t r = begin; r < end; ++r) {
    const int64_t at = r * columns;
    for (int64_t c = 0; c < columns; ++c) {
      const float v = throughRelu<true>(dy, y, at + c);
      dz[at + c] = v;
      sums[c] += v;
    }
  }
}

/**
 * The gradient that reaches the pre-activation of a rows x columns output: dy where the relu
 * passed (y > 0), else 0; dy itself without relu. With db, the bias gradient (dz's column
 * sums) is taken in the same pass.
 */
float* gradientThroughRelu(float* dy, const float* y, int64_t rows, int64_t columns, float* db) {
  float* dz = y ? scratch(kMaskSlot, rows * columns * sizeof(float)) : dy;
  if (db) {
    const std::vector<double> sums = channelSums(rows, columns, 1, [&](int64_t begin, int64_t end, double* partial) {
      if (y) reluMaskRows(dy, y, dz, columns, begin, end, partial);
      else addRows(dy, columns, begin, end, partial);
    });
    for (int64_t c = 0; c < columns; ++c) db[c] = static_cast<float>(sums[c]);
  } else if (y) {
    inParallel(rows * columns, 1, [&](int64_t begin, int64_t end) { reluMask(dy, y, dz, begin, end); });
  }
  return dz;
}

/**
 * Runs body with OpenMP limited to the calling thread when alone; oneDNN sizes a primitive's
 * thread partition when it is made, so a primitive made and run inside stays on one thread.
 */
template <typename Body>
void onOneThreadIf(bool alone, Body body) {
  const int threads = omp_get_max_threads();
  if (!alone) return body();
  omp_set_num_threads(1);
  try {
    body();
  } catch (...) {
    omp_set_num_threads(threads);
    throw;
  }
  omp_set_num_threads(threads);
}

/**
 * A small filter gradient of a layer with few input channels (a first layer) runs on one
 * thread: oneDNN's direct kernel for it synchronises its threads so often that under passive
 * waits two threads took 4-6 ms where one takes 0.25 (the small CNN's first layer at batch 64,
 * 7.2M multiply-adds, load 4.5).
 */
bool filterGradientAlone(const Geometry& g) {
  constexpr int64_t kAloneMultiplyAdds = int64_t{1} << 24;
  return g.ic < 16 && static_cast<int64_t>(g.outputSize() * g.kh * g.kw * g.ic) < kAloneMultiplyAdds;
}

// conv2dBackward(heap, geometry, dy, x, filter, y or -1, dx or -1, dw or -1, db or -1): the
// gradients of y = act(conv(x, filter) + bias) that are asked for (offset >= 0), act = relu
// when y is given, else identity. x is read only for dw, filter only for dx.
napi_value Conv2DBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 9);
    const Geometry g = call.geometry(1);
    float* dy = call.tensor(2, g.outputSize());
    const float* y = call.optionalTensor(5, g.outputSize());
    float* dx = call.optionalTensor(6, g.inputSize());
    float* dw = call.optionalTensor(7, g.filterSize());
    float* db = call.optionalTensor(8, g.oc);
    float* dz = gradientThroughRelu(dy, y, g.n * g.oh * g.ow, g.oc, db);
    if (dx) {
      float* w = call.tensor(4, g.filterSize());
      BackwardInput& conv = primitiveFor<BackwardInput>(withPrecision(g.key("conv2d-backprop-input", 0)), g);
      conv.primitive.execute(cpuStream(), {
                                              {DNNL_ARG_DIFF_DST, conv.gradient.in(dz)},
                                              {DNNL_ARG_WEIGHTS, conv.filter.in(w)},
                                              {DNNL_ARG_DIFF_SRC, conv.inputGradient.out(dx)},
                                          });
      conv.inputGradient.finish(dx);
    }
    if (dw) {
      float* x = call.tensor(3, g.inputSize());
      // In bf16 on one thread too: oneDNN 2.6.3's AMX filter-gradient kernel, on two threads of
      // a busy machine, stalled calls for up to a second (ResNet-18 b64: 140 calls took 42.7 s
      // on two threads, 1.7 s on one); the other bf16 kernels did not.
      onOneThreadIf(operandType == dt::bf16 || filterGradientAlone(g), [&] {
        BackwardFilter& conv = primitiveFor<BackwardFilter>(withPrecision(g.key("conv2d-backprop-filter", 0)), g);
        conv.primitive.execute(cpuStream(), {
                                                {DNNL_ARG_SRC, conv.input.in(x)},
                                                {DNNL_ARG_DIFF_DST, conv.gradient.in(dz)},
                                                {DNNL_ARG_DIFF_WEIGHTS, conv.filterGradient.out(dw)},
                                            });
        conv.filterGradient.finish(dw);
      });
    }
    cpuStream().wait();
  });
}

/** Batch norm's rows x channels matrix and epsilon, arguments 2 to 4 of both passes. */
struct NormShape {
  int64_t rows, channels;
  double epsilon;
  size_t elements;
};

NormShape normShape(const Call& call) {
  const int64_t rows = call.count(1), channels = call.count(2);
  const double epsilon = call.number(3);
  if (epsilon < 0) throw ArgumentError{"epsilon must be >= 0"};
  return {rows, channels, epsilon, static_cast<size_t>(rows * channels)};
}

// batchNormForward(heap, rows, channels, epsilon, x, gamma, beta, residual or -1, relu, y, mean, variance):
// y = act(gamma * (x - mean) / sqrt(variance + epsilon) + beta + residual) over a rows x channels
// matrix, with the batch's own per-channel mean and (biased) variance, which are written out too.
napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 12);
    const auto [R, C, epsilon, elements] = normShape(call);
    const float* x = call.tensor(4, elements);
    const float* gamma = call.tensor(5, C);
    const float* beta = call.tensor(6, C);
    const float* residual = call.optionalTensor(7, elements);
    const bool relu = call.integer(8) != 0;
    float* y = call.tensor(9, elements);
    float* mean = call.tensor(10, C);
    float* variance = call.tensor(11, C);
    // One pass for both moments: in double, E[x^2] - E[x]^2 loses nothing that matters here.
    const std::vector<double> moments = channelSums(R, C, 2, [&](int64_t begin, int64_t end, double* partial) { addMoments(x, C, begin, end, partial, partial + C); });
    const double* sums = moments.data();
    const double* squares = moments.data() + C;
    std::vector<float> scale(C), shift(C);
    for (int64_t c = 0; c < C; ++c) {
      const double mu = sums[c] / R;
      const double var = std::max(0.0, squares[c] / R - mu * mu);
      mean[c] = static_cast<float>(mu);
      variance[c] = static_cast<float>(var);
      const double s = gamma[c] / std::sqrt(var + epsilon);
      scale[c] = static_cast<float>(s);
      shift[c] = static_cast<float>(beta[c] - mu * s);
    }
    inParallel(R, C, [&](int64_t begin, int64_t end) { scaleRows(x, scale.data(), shift.data(), residual, relu, y, C, begin, end); });
  });
}

// batchNormBackward(heap, rows, channels, epsilon, dy, x, gamma, y or -1, mean, variance, dx, dgamma,
// dbeta, dresidual or -1): the gradients of batchNormForward (y given when it applied relu).
napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 14);
    const auto [R, C, epsilon, elements] = normShape(call);
    const float* dy = call.tensor(4, elements);
    const float* x = call.tensor(5, elements);
    const float* gamma = call.tensor(6, C);
    const float* y = call.optionalTensor(7, elements);
    const float* mean = call.tensor(8, C);
    const float* variance = call.tensor(9, C);
    float* dx = call.tensor(10, elements);
    float* dgamma = call.tensor(11, C);
    float* dbeta = call.tensor(12, C);
    float* dresidual = call.optionalTensor(13, elements);
    // Sums of dz and dz * x in one pass (dz: dy through the relu's mask, read on the fly).
    const std::vector<double> sums = channelSums(R, C, 2, [&](int64_t begin, int64_t end, double* partial) { addGradientSums(dy, y, x, C, begin, end, partial, partial + C); });
    const double* sumDz = sums.data();
    const double* sumDzX = sums.data() + C;
    // dx = gamma * invstd * (dz - mean(dz) - xhat * mean(dz * xhat)), xhat = (x - mean) * invstd
    std::vector<float> k(C), meanDz(C), meanDzXhat(C), inv(C);
    for (int64_t c = 0; c < C; ++c) {
      const double invstd = 1.0 / std::sqrt(static_cast<double>(variance[c]) + epsilon);
      const double dzXhat = (sumDzX[c] - mean[c] * sumDz[c]) * invstd;
      dbeta[c] = static_cast<float>(sumDz[c]);
      dgamma[c] = static_cast<float>(dzXhat);
      k[c] = static_cast<float>(gamma[c] * invstd);
      meanDz[c] = static_cast<float>(sumDz[c] / R);
      meanDzXhat[c] = static_cast<float>(dzXhat / R);
      inv[c] = static_cast<float>(invstd);
    }
    inParallel(R, C, [&](int64_t begin, int64_t end) {
      normGradientRows(dy, y, x, k.data(), mean, inv.data(), meanDz.data(), meanDzXhat.data(), dx, dresidual, C, begin, end);
    });
  });
}

// batchNormInference(heap, rows, channels, epsilon, x, mean, variance, offset or -1, scale or -1, y):
// tfjs' FusedBatchNorm (given statistics: inference, and the models' input normalisation)
// over a rows x channels matrix, in the order of the wasm kernel's source,
// offset + (x - mean) * scale / sqrt(variance + epsilon), each step a correctly rounded float
// operation. The stock wasm kernel's build differs from that in the last bit of a few
// percent of its outputs (measured: 259 of 4,096), so the two agree to 1 ulp, not to the bit.
napi_value BatchNormInference(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 10);
    const auto [R, C, epsilon, elements] = normShape(call);
    const float* x = call.tensor(4, elements);
    const float* mean = call.tensor(5, C);
    const float* variance = call.tensor(6, C);
    const float* offset = call.optionalTensor(7, C);
    const float* scale = call.optionalTensor(8, C);
    float* y = call.tensor(9, elements);
    std::vector<float> factor(C), offsets(C, 0.f), scales(C, 1.f);
    for (int64_t c = 0; c < C; ++c) {
      factor[c] = std::sqrt(variance[c] + static_cast<float>(epsilon));
      if (offset) offsets[c] = offset[c];
      if (scale) scales[c] = scale[c];
    }
    // One channel: a flat loop over every element (rows of one value do not vectorise).
    const int64_t units = C == 1 ? static_cast<int64_t>(elements) : R;
    inParallel(units, C == 1 ? 1 : C, [&](int64_t begin, int64_t end) { inferenceRows(x, mean, scales.data(), factor.data(), offsets.data(), y, C, begin, end); });
  });
}

/** One parameter of sgdUpdate: its size and its tensors' pointers (velocity, velocityOut null when absent). */
struct SgdParameter {
  int64_t count;
  const float* theta;
  const float* grad;
  const float* velocity;
  float* thetaOut;
  float* velocityOut;
};

// sgdUpdate(heap, table, lr, momentum, weightDecay): PyTorch's SGD for every parameter at once,
// table a Float64Array of (count, theta, grad, velocity or -1, thetaOut, velocityOut or -1) per
// parameter: d = grad + weightDecay * theta; with momentum v = momentum * v + d (v = d at the
// first step, when there is no velocity yet) and d = v; theta -= lr * d. One parallel region for
// the whole model (each thread a contiguous share of all the elements): waking the threads once
// per parameter cost more than most parameters' updates.
napi_value SgdUpdate(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 5);
    bool isTyped = false;
    napi_is_typedarray(env, call.argv[1], &isTyped);
    napi_typedarray_type type = napi_int8_array;
    size_t length = 0;
    void* values = nullptr;
    if (isTyped) napi_get_typedarray_info(env, call.argv[1], &type, &length, &values, nullptr, nullptr);
    constexpr size_t kFields = 6;
    if (!isTyped || type != napi_float64_array || length % kFields != 0) {
      throw ArgumentError{"argument 2 must be a Float64Array of 6 numbers per parameter"};
    }
    const double* table = static_cast<const double*>(values);
    const float lr = static_cast<float>(call.number(2));
    const float momentum = static_cast<float>(call.number(3));
    const float weightDecay = static_cast<float>(call.number(4));
    std::vector<SgdParameter> parameters;
    std::vector<int64_t> starts{0};  // each parameter's first element in the concatenation
    for (size_t p = 0; p < length / kFields; ++p) {
      const double* row = table + p * kFields;
      const auto at = [&](size_t field, int64_t count, bool optional) -> float* {
        const double offset = row[field];
        if (optional && offset == -1) return nullptr;
        // A Float64Array holds the offsets: whole numbers below 2^53 convert exactly.
        float* tensor = offset >= 0 && offset == std::floor(offset) && offset <= 9.0e15 ? call.inHeap(static_cast<int64_t>(offset), static_cast<size_t>(count)) : nullptr;
        if (!tensor) throw ArgumentError{"parameter " + std::to_string(p) + "'s tensor " + std::to_string(field) + " lies outside the heap"};
        return tensor;
      };
      if (!(row[0] >= 1) || row[0] != std::floor(row[0]) || row[0] > 9.0e15) throw ArgumentError{"parameter " + std::to_string(p) + "'s count must be >= 1"};
      const int64_t n = static_cast<int64_t>(row[0]);
      SgdParameter parameter{n, at(1, n, false), at(2, n, false), at(3, n, true), at(4, n, false), at(5, n, true)};
      if (parameter.velocity && !parameter.velocityOut) throw ArgumentError{"parameter " + std::to_string(p) + " has a velocity but nowhere to write the next"};
      parameters.push_back(parameter);
      starts.push_back(starts.back() + n);
    }
    inParallel(starts.back(), 1, [&](int64_t begin, int64_t end) {
      for (size_t p = 0; p < parameters.size(); ++p) {
        const int64_t from = std::max(begin, starts[p]), to = std::min(end, starts[p + 1]);
        if (from >= to) continue;
        const SgdParameter& q = parameters[p];
        sgdRange(q.theta, q.grad, q.velocity, lr, momentum, weightDecay, q.thetaOut, q.velocityOut, from - starts[p], to - starts[p]);
      }
    });
  });
}

/** `batch` row-major rows x columns matrices, or their transposes as stored (columns x rows). */
memory::desc matrices(int64_t batch, int64_t rows, int64_t columns, bool transposed) {
  return {{batch, rows, columns}, dt::f32, transposed ? memory::dims{rows * columns, 1, rows} : memory::dims{rows * columns, columns, 1}};
}

/**
 * A batch of products through oneDNN's matmul primitive (sgemm has no bf16): the operands
 * reordered into its bf16 layouts, f32 accumulation, c written in place as f32.
 */
struct MatMul {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul primitive;
  Layout a, b;
  MatMul(int64_t batchA, int64_t batchB, int64_t M, int64_t N, int64_t K, bool transposeA, bool transposeB)
      : pd(dnnl::matmul::desc({{batchA, M, K}, operandType, tag::any}, {{batchB, K, N}, operandType, tag::any}, matrices(std::max(batchA, batchB), M, N, false)),
           cpu()),
        primitive(pd),
        a(matrices(batchA, M, K, transposeA), pd.src_desc(), kInputSlot),
        b(matrices(batchB, K, N, transposeB), pd.weights_desc(), kFilterSlot) {}
};

/** c[i] = op(a[i]) op(b[i]) over max(batchA, batchB) products in bf16 (a batch of 1 is shared). */
void bf16Products(int64_t batchA, int64_t batchB, int64_t M, int64_t N, int64_t K, bool transposeA, bool transposeB, const float* a, const float* b, float* c) {
  const std::string key = withPrecision("matmul," + std::to_string(batchA) + "," + std::to_string(batchB) + "," + std::to_string(M) + "," + std::to_string(N) + "," +
                                        std::to_string(K) + "," + std::to_string(transposeA) + "," + std::to_string(transposeB));
  MatMul& product = primitiveFor<MatMul>(key, batchA, batchB, M, N, K, transposeA, transposeB);
  product.primitive.execute(cpuStream(), {
                                             {DNNL_ARG_SRC, product.a.in(const_cast<float*>(a))},
                                             {DNNL_ARG_WEIGHTS, product.b.in(const_cast<float*>(b))},
                                             {DNNL_ARG_DST, memory(product.pd.dst_desc(), cpu(), c)},
                                         });
  cpuStream().wait();
}

/**
 * c = op(a) op(b), row-major, through oneDNN's sgemm (in bf16, its matmul primitive); a product
 * too small to repay waking the other threads (see kParallelElements) runs on the calling one.
 */
void product(bool transposeA, bool transposeB, int64_t M, int64_t N, int64_t K, const float* a, const float* b, float* c) {
  if (operandType == dt::bf16) return bf16Products(1, 1, M, N, K, transposeA, transposeB, a, b, c);
  dnnl_status_t status = dnnl_success;
  onOneThreadIf(M * N * K < kParallelElements * 64, [&] {
    status = dnnl_sgemm(transposeA ? 'T' : 'N', transposeB ? 'T' : 'N', M, N, K, 1.f, a, transposeA ? M : K, b, transposeB ? K : N, 0.f, c, N);
  });
  if (status != dnnl_success) throw std::runtime_error("oneDNN sgemm failed with status " + std::to_string(status));
}

// batchMatMul(heap, batchA, batchB, m, n, k, transposeA, transposeB, a, b, c): c[i] = op(a[i]) op(b[i])
// over max(batchA, batchB) products (a batch of 1 is shared), row-major, through oneDNN's sgemm
// (in bf16, its matmul primitive).
napi_value BatchMatMul(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 11);
    const int64_t batchA = call.count(1), batchB = call.count(2), M = call.count(3), N = call.count(4), K = call.count(5);
    const bool transposeA = call.integer(6) != 0, transposeB = call.integer(7) != 0;
    if (batchA != batchB && batchA != 1 && batchB != 1) throw ArgumentError{"batch sizes must match or be 1"};
    const int64_t batch = std::max(batchA, batchB);
    const float* a = call.tensor(8, static_cast<size_t>(batchA * M * K));
    const float* b = call.tensor(9, static_cast<size_t>(batchB * K * N));
    float* c = call.tensor(10, static_cast<size_t>(batch * M * N));
    // In bf16 the whole batch is one matmul primitive.
    if (operandType == dt::bf16) return bf16Products(batchA, batchB, M, N, K, transposeA, transposeB, a, b, c);
    for (int64_t i = 0; i < batch; ++i) {
      product(transposeA, transposeB, M, N, K, a + (batchA == 1 ? 0 : i * M * K), b + (batchB == 1 ? 0 : i * K * N), c + i * M * N);
    }
  });
}

/** oneDNN's name for the instruction set it generates code for here (ONEDNN_MAX_CPU_ISA may lower it). */
std::string isaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "isa " + std::to_string(static_cast<int>(isa));
  }
}

/** Whether oneDNN runs bf16 in hardware here: its ISAs are bit sets, each containing the ones below. */
bool hasBf16Instructions() {
  const int isa = static_cast<int>(dnnl::get_effective_cpu_isa()), bf16 = static_cast<int>(dnnl::cpu_isa::avx512_core_bf16);
  return (isa & bf16) == bf16;
}

// setPrecision('fp32' | 'bf16'): what the convolutions and matrix products read their operands
// as from now on, process-wide. bf16 where the CPU has no bf16 instructions is refused
// (oneDNN would emulate it, slower than f32).
napi_value SetPrecision(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    char name[8] = {0};
    size_t length = 0;
    if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof(name), &length) != napi_ok) throw ArgumentError{"precision must be a string"};
    const std::string precision(name, length);
    if (precision == "fp32") {
      operandType = dt::f32;
    } else if (precision == "bf16") {
      if (!hasBf16Instructions()) {
        throw ArgumentError{"bf16 needs a CPU with AVX512-BF16 or AMX instructions; oneDNN runs " + isaName(dnnl::get_effective_cpu_isa()) + " here"};
      }
      operandType = dt::bf16;
    } else {
      throw ArgumentError{"precision must be fp32 or bf16; got '" + precision + "'"};
    }
  });
}

template <bool Bias, bool Relu>
__attribute__((always_inline)) inline void biasRowsOf(const float* __restrict__ bias, float* __restrict__ y, int64_t columns, int64_t begin, int64_t end) {
  for (int64_t r = begin; r < end; ++r) {
    float* row = y + r * columns;
    for (int64_t c = 0; c < columns; ++c) {
      float v = row[c];
      if constexpr (Bias) v += bias[c];
      if constexpr (Relu) v = v > 0.f ? v : 0.f;
      row[c] = v;
    }
  }
}

/** y = act(y + bias) in place, per row (bias may be null). */
LETHE_VECTORIZED void biasRows(const float* bias, bool relu, float* y, int64_t columns, int64_t begin, int64_t end) {
  if (bias && relu) biasRowsOf<true, true>(bias, y, columns, begin, end);
  else if (bias) biasRowsOf<true, false>(bias, y, columns, begin, end);
  else if (relu) biasRowsOf<false, true>(bias, y, columns, begin, end);
}

// dense(heap, m, k, n, x, w, bias or -1, y, relu 0|1): a fully connected layer,
// y[m x n] = act(x[m x k] w[k x n] + bias), act = relu or identity: the product, then the
// bias and the relu in one pass over y (tfjs composes them from three kernels).
napi_value Dense(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 9);
    const int64_t M = call.count(1), K = call.count(2), N = call.count(3);
    const float* x = call.tensor(4, M * K);
    const float* w = call.tensor(5, K * N);
    const float* bias = call.optionalTensor(6, N);
    float* y = call.tensor(7, M * N);
    const bool relu = call.integer(8) != 0;
    product(false, false, M, N, K, x, w, y);
    if (bias || relu) inParallel(M, N, [&](int64_t begin, int64_t end) { biasRows(bias, relu, y, N, begin, end); });
  });
}

// denseBackward(heap, m, k, n, dy, x, w, y or -1, dx or -1, dw or -1, db or -1): the gradients
// of dense that are asked for (offset >= 0), act = relu when y is given (its mask read from y),
// else identity: dz = dy through the relu, db = the column sums of dz, dw = x^T dz, dx = dz w^T.
// x is read only for dw, w only for dx.
napi_value DenseBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 11);
    const int64_t M = call.count(1), K = call.count(2), N = call.count(3);
    float* dy = call.tensor(4, M * N);
    const float* y = call.optionalTensor(7, M * N);
    float* dx = call.optionalTensor(8, M * K);
    float* dw = call.optionalTensor(9, K * N);
    float* db = call.optionalTensor(10, N);
    const float* dz = gradientThroughRelu(dy, y, M, N, db);
    if (dw) product(true, false, K, N, M, call.tensor(5, M * K), dz, dw);
    if (dx) product(false, true, M, K, N, dz, call.tensor(6, K * N), dx);
  });
}

// softmaxCrossEntropy(heap, rows, classes, logits, labels, loss or -1, dloss or -1, dlogits or -1):
// the mean over rows of -log softmax(logits)[label] into loss (one float), and with dlogits its
// gradient, dloss * (softmax(logits) - onehot(label)) / rows, dloss the one float at its offset.
// labels are int32; one outside [0, classes) picks nothing, as tfjs' oneHot (a row of zeros):
// it adds 0 to the loss and gets no gradient. Each row's exponentials are summed in double.
// Small (a batch of logits): on the calling thread.
napi_value SoftmaxCrossEntropy(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 8);
    const int64_t R = call.count(1), C = call.count(2);
    const float* logits = call.tensor(3, R * C);
    const int32_t* labels = reinterpret_cast<const int32_t*>(call.tensor(4, R));
    float* loss = call.optionalTensor(5, 1);
    float* dlogits = call.optionalTensor(7, R * C);
    const float scale = dlogits ? *call.tensor(6, 1) / static_cast<float>(R) : 0.f;
    std::vector<float> shifted(C);
    double total = 0;
    for (int64_t r = 0; r < R; ++r) {
      const float* row = logits + r * C;
      float top = row[0];
      for (int64_t c = 1; c < C; ++c) top = row[c] > top ? row[c] : top;
      double sum = 0;
      for (int64_t c = 0; c < C; ++c) {
        shifted[c] = row[c] - top;
        sum += std::exp(static_cast<double>(shifted[c]));
      }
      const int32_t label = labels[r];
      const bool picked = label >= 0 && label < C;
      if (picked) total += shifted[label] - std::log(sum);
      if (!dlogits) continue;
      float* gradient = dlogits + r * C;
      for (int64_t c = 0; c < C; ++c) {
        const double probability = picked ? std::exp(static_cast<double>(shifted[c])) / sum : 0.0;
        gradient[c] = static_cast<float>(probability - (c == label ? 1.0 : 0.0)) * scale;
      }
    }
    if (loss) *loss = static_cast<float>(-total / static_cast<double>(R));
  });
}

// inOrderMatMul(heap, batchA, batchB, m, n, k, a, b, bias or -1, relu, c): c[i] = act(a[i] b[i]
// + bias), row-major, summed in the wasm backend's own order and so to its bits
// (in-order-matmul.cc); a batch of 1 is shared.
napi_value InOrderMatMul(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Call call(env, info, 11);
    const int64_t batchA = call.count(1), batchB = call.count(2), M = call.count(3), N = call.count(4), K = call.count(5);
    if (batchA != batchB && batchA != 1 && batchB != 1) throw ArgumentError{"batch sizes must match or be 1"};
    const int64_t batch = std::max(batchA, batchB);
    const float* a = call.tensor(6, static_cast<size_t>(batchA * M * K));
    const float* b = call.tensor(7, static_cast<size_t>(batchB * K * N));
    const float* bias = call.optionalTensor(8, static_cast<size_t>(N));
    const bool relu = call.integer(9) != 0;
    float* c = call.tensor(10, static_cast<size_t>(batch * M * N));
    for (int64_t i = 0; i < batch; ++i) {
      const float* ai = a + (batchA == 1 ? 0 : i * M * K);
      const float* bi = b + (batchB == 1 ? 0 : i * K * N);
      inParallel(M, N * K, [&](int64_t begin, int64_t end) { inOrderMatMulRows(ai, bi, bias, relu, c + i * M * N, K, N, begin, end); });
    }
  });
}

// isa(): the instruction set oneDNN generates its kernels for here.
napi_value Isa(napi_env env, napi_callback_info) {
  const std::string text = isaName(dnnl::get_effective_cpu_isa());
  napi_value result;
  napi_create_string_utf8(env, text.c_str(), text.size(), &result);
  return result;
}

// implementations(): "kind,geometry implementation" for every primitive made so far.
napi_value Implementations(napi_env env, napi_callback_info) {
  napi_value list;
  napi_create_array_with_length(env, implementations.size(), &list);
  for (size_t i = 0; i < implementations.size(); ++i) {
    napi_value text;
    napi_create_string_utf8(env, implementations[i].c_str(), implementations[i].size(), &text);
    napi_set_element(env, list, i, text);
  }
  return list;
}

// threads(): how many threads the kernels use (OMP_NUM_THREADS, else the cores).
napi_value Threads(napi_env env, napi_callback_info) {
  napi_value result;
  napi_create_int32(env, omp_get_max_threads(), &result);
  return result;
}

// version(): oneDNN's version as "major.minor.patch".
napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  const std::string text = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  napi_value result;
  napi_create_string_utf8(env, text.c_str(), text.size(), &result);
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"conv2d", nullptr, Conv2D, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, MaxPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackward", nullptr, Conv2DBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormForward", nullptr, BatchNormForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormBackward", nullptr, BatchNormBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormInference", nullptr, BatchNormInference, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgdUpdate", nullptr, SgdUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchMatMul", nullptr, BatchMatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setPrecision", nullptr, SetPrecision, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"isa", nullptr, Isa, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dense", nullptr, Dense, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"denseBackward", nullptr, DenseBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxCrossEntropy", nullptr, SoftmaxCrossEntropy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"inOrderMatMul", nullptr, InOrderMatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"implementations", nullptr, Implementations, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, Threads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"svmSolve", nullptr, SvmSolve, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"svmDecisions", nullptr, SvmDecisions, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"v8Exp", nullptr, V8Exp, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
