/**
 * Conv2DBackpropFilter for the wasm backend, which ships without one (so conv nets
 * cannot train there out of the box).
 *
 * dW[kh, kw, ci, co] = sum over (b, oh, ow) of x[b, oh*s + kh - pad, ow*s + kw - pad, ci]
 *                      * dy[b, oh, ow, co]
 * which is one matrix product once the input patches are laid out as a matrix:
 * colsT (K x M, K = kh*kw*ci, M = b*oh*ow, patch rows written contiguously) times
 * dy (M x co) gives dW as K x co, already in the filter's [kh, kw, ci, co] order.
 * The product runs in XNNPACK through the backend's own BatchMatMul export; colsT is
 * built in chunks of whole images so its size stays bounded for large batches.
 */
import {
  backend_util,
  getKernel,
  registerKernel,
  util,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { heapOffset, type WasmHeapBackend } from './replace-wasm-kernel.js';

type BatchMatMulFn = (
  aId: number, aShape: Uint8Array, aRank: number,
  bId: number, bShape: Uint8Array, bRank: number,
  transposeA: boolean, transposeB: boolean, outId: number,
) => void;

/** Upper bound on the patch matrix of one chunk, in float32 elements (64 MiB). */
export const MAX_PATCH_ELEMENTS = 16 * 1024 * 1024;

const batchMatMulByModule = new WeakMap<object, BatchMatMulFn>();

function wasmBatchMatMul(backend: WasmHeapBackend): BatchMatMulFn {
  let fn = batchMatMulByModule.get(backend.wasm);
  if (!fn) {
    fn = backend.wasm.cwrap('BatchMatMul', null, [
      'number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number',
    ]) as BatchMatMulFn;
    batchMatMulByModule.set(backend.wasm, fn);
  }
  return fn;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

function heapIndex(backend: WasmHeapBackend, t: TensorInfo): number {
  return heapOffset(backend, t) >>> 2;
}

function dataId(backend: WasmHeapBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).id;
}

export function conv2DBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: unknown;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const backend = args.backend as WasmHeapBackend;
  const { x, dy } = args.inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs;
  if (dataFormat !== 'NHWC') {
    throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got dataFormat ${dataFormat}`);
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const K = filterHeight * filterWidth * inChannels;
  const pixelsPerImage = outHeight * outWidth;
  const imagesPerChunk = Math.max(1, Math.min(batchSize, Math.floor(MAX_PATCH_ELEMENTS / (K * pixelsPerImage))));
  const matMul = wasmBatchMatMul(backend);
  const singleChunk = imagesPerChunk >= batchSize;

  // Allocate everything before taking heap views: allocation may grow the heap.
  const result = singleChunk ? null : backend.makeOutput([...filterShape], 'float32');
  if (result) backend.wasm.HEAPF32.fill(0, heapIndex(backend, result), heapIndex(backend, result) + K * outChannels);

  let partial: TensorInfo | null = null;
  for (let b0 = 0; b0 < batchSize; b0 += imagesPerChunk) {
    const images = Math.min(imagesPerChunk, batchSize - b0);
    const M = images * pixelsPerImage;
    const colsT = backend.makeOutput([1, K, M], 'float32');
    const dyChunk = singleChunk ? null : backend.makeOutput([1, M, outChannels], 'float32');
    const out = backend.makeOutput([1, K, outChannels], 'float32');
    const heap = backend.wasm.HEAPF32;
    const xBase = heapIndex(backend, x);
    const colsBase = heapIndex(backend, colsT);

    let dst = colsBase;
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        for (let ci = 0; ci < inChannels; ci++) {
          for (let b = b0; b < b0 + images; b++) {
            for (let oh = 0; oh < outHeight; oh++) {
              const ih = oh * strideHeight + kh - padTop;
              if (ih < 0 || ih >= inHeight) {
                heap.fill(0, dst, dst + outWidth);
                dst += outWidth;
                continue;
              }
              const rowBase = xBase + (b * inHeight + ih) * inWidth * inChannels + ci;
              for (let ow = 0; ow < outWidth; ow++) {
                const iw = ow * strideWidth + kw - padLeft;
                heap[dst++] = iw >= 0 && iw < inWidth ? heap[rowBase + iw * inChannels]! : 0;
              }
            }
          }
        }
      }
    }

    let dyOperand = dy;
    if (dyChunk) {
      const from = heapIndex(backend, dy) + b0 * pixelsPerImage * outChannels;
      heap.copyWithin(heapIndex(backend, dyChunk), from, from + M * outChannels);
      dyOperand = dyChunk;
    }
    matMul(
      dataId(backend, colsT), shapeBytes([1, K, M]), 3,
      dataId(backend, dyOperand), shapeBytes([1, M, outChannels]), 3,
      false, false, dataId(backend, out),
    );
    backend.disposeData(colsT.dataId);
    if (dyChunk) backend.disposeData(dyChunk.dataId);

    if (!result) {
      partial = out;
      break;
    }
    const sum = backend.wasm.HEAPF32;
    const outBase = heapIndex(backend, out);
    const resultBase = heapIndex(backend, result);
    for (let i = 0; i < K * outChannels; i++) sum[resultBase + i]! += sum[outBase + i]!;
    backend.disposeData(out.dataId);
  }

  const output = result ?? partial!;
  util.assert(util.sizeFromShape(filterShape) === K * outChannels, () => 'filter shape mismatch');
  return { dataId: output.dataId, shape: [...filterShape], dtype: 'float32' };
}

export const conv2DBackpropFilterWasmConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as KernelConfig['kernelFunc'],
};

/** Registers the kernel unless the backend already has one; safe to call repeatedly. */
export function registerWasmTrainingKernels(): void {
  if (!getKernel('Conv2DBackpropFilter', 'wasm')) registerKernel(conv2DBackpropFilterWasmConfig);
}
