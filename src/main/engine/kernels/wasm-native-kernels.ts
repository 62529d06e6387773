/**
 * tfjs' own training kernels on the wasm backend (Conv2D, FusedConv2D with bias and relu,
 * both convolution gradients, MaxPool, MaxPoolGrad, BatchMatMul and _FusedMatMul, FusedBatchNorm) run by the native addon on the
 * wasm heap itself: oneDNN, multi-threaded (what PyTorch's CPU path uses), instead of
 * single-threaded wasm. A case the addon cannot take (another data format,
 * activation or dtype, or a geometry oneDNN refuses) goes to the kernel underneath.
 */
import { backend_util, util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { NativeAddon } from './native-addon.js';
import { disposeIntermediate, heapBuffer, heapOffset, replaceWasmKernel, type WasmHeapBackend } from './replace-wasm-kernel.js';

type Conv2DInfo = backend_util.Conv2DInfo;
type Pair = [number, number] | number;
type Padding = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil';
/** The attributes the convolution kernels share (tfjs types them per kernel). */
interface ConvAttrs {
  strides: Pair;
  pad: Padding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: Rounding;
}
type Shape4 = [number, number, number, number];

/** The addon's geometry: n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pad top, left, bottom, right. */
export function geometryOf(info: Conv2DInfo): Int32Array {
  const effectiveHeight = (info.filterHeight - 1) * info.dilationHeight + 1;
  const effectiveWidth = (info.filterWidth - 1) * info.dilationWidth + 1;
  const { top, left } = info.padInfo;
  // tfjs may pad more than the last window reads ('same' with a remainder); oneDNN wants
  // exactly the padding the output size implies (and never less than none: a 'valid'
  // stride that leaves a remainder just stops early).
  const bottom = Math.max(0, (info.outHeight - 1) * info.strideHeight + effectiveHeight - info.inHeight - top);
  const right = Math.max(0, (info.outWidth - 1) * info.strideWidth + effectiveWidth - info.inWidth - left);
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth, top, left, bottom, right,
  ]);
}

/** Runs `body` with the heap and each tensor's byte offset, after the output is made. */
function onHeap(backend: WasmHeapBackend, output: TensorInfo, tensors: (TensorInfo | undefined)[], body: (heap: ArrayBuffer, offsets: number[]) => void): TensorInfo {
  const offsets = tensors.map((t) => heapOffset(backend, t));
  body(heapBuffer(backend), offsets);
  return output;
}

function isUnsupported(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'LETHE_NATIVE_UNSUPPORTED';
}

/**
 * A native kernel with its fallback: geometries oneDNN refused once go straight to the
 * kernel underneath afterwards.
 */
function withFallback(previous: KernelFunc, run: (args: Parameters<KernelFunc>[0], refused: Set<string>) => TensorInfo | undefined): KernelFunc {
  const refused = new Set<string>();
  return (args) => run(args, refused) ?? previous(args);
}

function attempt(backend: WasmHeapBackend, output: TensorInfo, key: string, refused: Set<string>, call: () => void): TensorInfo | undefined {
  try {
    call();
    return output;
  } catch (error) {
    disposeIntermediate(backend, output);
    if (!isUnsupported(error)) throw error;
    refused.add(key);
    return undefined;
  }
}

function conv2DKernel(addon: NativeAddon, fused: boolean) {
  return (previous: KernelFunc) =>
    withFallback(previous, (args, refused) => {
      const backend = args.backend as unknown as WasmHeapBackend;
      const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
      const attrs = args.attrs as unknown as ConvAttrs & { dilations: Pair; activation?: string };
      const activation = fused ? (attrs.activation ?? 'linear') : 'linear';
      if (!x || !filter || x.dtype !== 'float32' || filter.dtype !== 'float32' || attrs.dataFormat !== 'NHWC') return undefined;
      if (preluActivationWeights || (activation !== 'linear' && activation !== 'relu')) return undefined;
      const info = backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
      if (bias && (bias.dtype !== 'float32' || util.sizeFromShape(bias.shape) !== info.outChannels)) return undefined;
      const geometry = geometryOf(info);
      const key = `${geometry.join(',')},${bias ? 1 : 0},${activation}`;
      if (refused.has(key)) return undefined;
      const y = backend.makeOutput(info.outShape, 'float32');
      return attempt(backend, y, key, refused, () =>
        onHeap(backend, y, [x, filter, bias, y], (heap, [xAt, filterAt, biasAt, yAt]) =>
          addon.conv2d(heap, geometry, xAt!, filterAt!, biasAt!, yAt!, activation === 'relu' ? 1 : 0)));
    });
}

function conv2DBackpropInputKernel(addon: NativeAddon) {
  return (previous: KernelFunc) =>
    withFallback(previous, (args, refused) => {
      const backend = args.backend as unknown as WasmHeapBackend;
      const { dy, filter } = args.inputs as Record<string, TensorInfo>;
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as ConvAttrs & { inputShape: Shape4 };
      if (dy!.dtype !== 'float32' || filter!.dtype !== 'float32' || dataFormat !== 'NHWC') return undefined;
      const info = backend_util.computeConv2DInfo(inputShape, filter!.shape as Shape4, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
      const geometry = geometryOf(info);
      const key = geometry.join(',');
      if (refused.has(key)) return undefined;
      const dx = backend.makeOutput([...inputShape], 'float32');
      return attempt(backend, dx, key, refused, () =>
        onHeap(backend, dx, [dy, filter, dx], (heap, [dyAt, filterAt, dxAt]) =>
          addon.conv2dBackward(heap, geometry, dyAt!, -1, filterAt!, -1, dxAt!, -1, -1)));
    });
}

function conv2DBackpropFilterKernel(addon: NativeAddon) {
  return (previous: KernelFunc) =>
    withFallback(previous, (args, refused) => {
      const backend = args.backend as unknown as WasmHeapBackend;
      const { x, dy } = args.inputs as Record<string, TensorInfo>;
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as ConvAttrs & { filterShape: Shape4 };
      if (x!.dtype !== 'float32' || dy!.dtype !== 'float32' || dataFormat !== 'NHWC') return undefined;
      const info = backend_util.computeConv2DInfo(x!.shape as Shape4, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
      const geometry = geometryOf(info);
      const key = geometry.join(',');
      if (refused.has(key)) return undefined;
      const dw = backend.makeOutput([...filterShape], 'float32');
      return attempt(backend, dw, key, refused, () =>
        onHeap(backend, dw, [x, dy, dw], (heap, [xAt, dyAt, dwAt]) =>
          addon.conv2dBackward(heap, geometry, dyAt!, xAt!, -1, -1, -1, dwAt!, -1)));
    });
}

/** MaxPool on every core (the stock wasm kernel runs on one). */
function maxPoolKernel(addon: NativeAddon) {
  return (previous: KernelFunc) =>
    withFallback(previous, (args) => {
      const backend = args.backend as unknown as WasmHeapBackend;
      const { x } = args.inputs as Record<string, TensorInfo>;
      const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as Omit<ConvAttrs, 'dataFormat'> & { filterSize: Pair };
      if (x!.dtype !== 'float32') return undefined;
      const info = backend_util.computePool2DInfo(x!.shape as Shape4, filterSize, strides, 1, pad, dimRoundingMode);
      const y = backend.makeOutput(info.outShape, 'float32');
      return onHeap(backend, y, [x, y], (heap, [xAt, yAt]) => addon.maxPool(heap, geometryOf(info), xAt!, yAt!));
    });
}

function maxPoolGradKernel(addon: NativeAddon) {
  return (previous: KernelFunc) =>
    withFallback(previous, (args) => {
      const backend = args.backend as unknown as WasmHeapBackend;
      const { dy, input } = args.inputs as Record<string, TensorInfo>;
      const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as Omit<ConvAttrs, 'dataFormat'> & { filterSize: Pair };
      if (dy!.dtype !== 'float32' || input!.dtype !== 'float32') return undefined;
      const info = backend_util.computePool2DInfo(input!.shape as Shape4, filterSize, strides, 1, pad, dimRoundingMode);
      const dx = backend.makeOutput([...input!.shape], 'float32');
      return onHeap(backend, dx, [input, dy, dx], (heap, [xAt, dyAt, dxAt]) =>
        addon.maxPoolGrad(heap, geometryOf(info), xAt!, dyAt!, dxAt!));
    });
}

/**
 * BatchMatMul through oneDNN's sgemm; and _FusedMatMul (tf.fused.matMul: the dense layers'
 * forward outside training) with a per-column bias and a linear or relu activation, summed
 * in the stock kernel's own order so its results keep their bits (the evaluation's
 * membership attacks turn a last-bit change of a probability into a different verdict).
 * Other fusions and transposed operands go underneath. (With leading batch dimensions
 * and a bias, the stock kernel's results differ from the cpu backend's; these do not.)
 */
function batchMatMulKernel(addon: NativeAddon, fused: boolean) {
  return (previous: KernelFunc) =>
    withFallback(previous, (args) => {
      const backend = args.backend as unknown as WasmHeapBackend;
      const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
      const { transposeA, transposeB, activation = 'linear' } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string };
      if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
      if (fused && (transposeA || transposeB || preluActivationWeights || (activation !== 'linear' && activation !== 'relu'))) return undefined;
      // Leading dimensions are batches: equal on both sides, or one side's a single matrix.
      const leadA = a!.shape.slice(0, -2), leadB = b!.shape.slice(0, -2);
      const [batchA, batchB] = [util.sizeFromShape(leadA), util.sizeFromShape(leadB)];
      if (batchA !== 1 && batchB !== 1 && !util.arraysEqual(leadA, leadB)) return undefined;
      const [rowsA, columnsA] = a!.shape.slice(-2) as [number, number];
      const [rowsB, columnsB] = b!.shape.slice(-2) as [number, number];
      const [m, k] = transposeA ? [columnsA, rowsA] : [rowsA, columnsA];
      const n = transposeB ? rowsB : columnsB;
      if (m * n * k === 0) return undefined;
      if (fused && bias && (bias.dtype !== 'float32' || util.sizeFromShape(bias.shape) !== n || bias.shape.at(-1) !== n)) return undefined;
      const c = backend.makeOutput([...backend_util.assertAndGetBroadcastShape(leadA, leadB), m, n], 'float32');
      return onHeap(backend, c, [a, b, c, bias], (heap, [aAt, bAt, cAt, biasAt]) =>
        fused
          ? addon.inOrderMatMul(heap, batchA, batchB, m, n, k, aAt!, bAt!, biasAt!, activation === 'relu' ? 1 : 0, cAt!)
          : addon.batchMatMul(heap, batchA, batchB, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0, aAt!, bAt!, cAt!));
    });
}

/**
 * FusedBatchNorm with given statistics (the models' input normalisation, inference-mode
 * batch norm), multi-threaded and vectorised, in the order of the wasm kernel's source, each
 * step correctly rounded (the stock kernel's build is off by 1 ulp in a few percent of its
 * outputs). Statistics that broadcast otherwise than per channel go underneath.
 */
function batchNormInferenceKernel(addon: NativeAddon) {
  return (previous: KernelFunc) =>
    withFallback(previous, (args) => {
      const backend = args.backend as unknown as WasmHeapBackend;
      const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
      const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
      if (!x || !mean || !variance || x.shape.length === 0) return undefined;
      const channels = x.shape[x.shape.length - 1]!;
      const perChannel = (t: TensorInfo | undefined) => t === undefined || (t.dtype === 'float32' && util.sizeFromShape(t.shape) === channels);
      if (x.dtype !== 'float32' || channels === 0 || ![mean, variance, offset, scale].every(perChannel)) return undefined;
      const y = backend.makeOutput([...x.shape], 'float32');
      return onHeap(backend, y, [x, mean, variance, offset, scale, y], (heap, [xAt, meanAt, varianceAt, offsetAt, scaleAt, yAt]) =>
        addon.batchNormInference(heap, util.sizeFromShape(x.shape) / channels, channels, varianceEpsilon, xAt!, meanAt!, varianceAt!, offsetAt!, scaleAt!, yAt!));
    });
}

/** Puts the native kernels over the wasm backend's (call after the wasm-heap kernels). */
export function registerWasmNativeKernels(addon: NativeAddon): void {
  replaceWasmKernel('native', 'Conv2D', conv2DKernel(addon, false));
  replaceWasmKernel('native', 'FusedConv2D', conv2DKernel(addon, true));
  replaceWasmKernel('native', 'Conv2DBackpropInput', conv2DBackpropInputKernel(addon));
  replaceWasmKernel('native', 'Conv2DBackpropFilter', conv2DBackpropFilterKernel(addon));
  replaceWasmKernel('native', 'MaxPool', maxPoolKernel(addon));
  replaceWasmKernel('native', 'MaxPoolGrad', maxPoolGradKernel(addon));
  replaceWasmKernel('native', 'BatchMatMul', batchMatMulKernel(addon, false));
  replaceWasmKernel('native', '_FusedMatMul', batchMatMulKernel(addon, true));
  replaceWasmKernel('native', 'FusedBatchNorm', batchNormInferenceKernel(addon));
}
