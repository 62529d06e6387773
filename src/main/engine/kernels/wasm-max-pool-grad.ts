/**
 * MaxPoolGrad for the wasm backend, written over the wasm heap: the stock kernel took a
 * quarter of a 3-conv CNN's training step. Each output cell routes its gradient to the
 * first maximum of its window (the cpu backend's rule), so the work is one pass over
 * the windows, O(output x window), with no tensors made on the way.
 */
import { backend_util, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs';
import { heapOffset, replaceWasmKernel, type WasmHeapBackend } from './replace-wasm-kernel.js';

const maxPoolGradOnHeap: KernelFunc = (args) => {
  const backend = args.backend as unknown as WasmHeapBackend;
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  // Allocate before taking the heap view: allocation may grow (and replace) the heap.
  const dx = backend.makeOutput([...input.shape], 'float32');
  const heap = backend.wasm.HEAPF32;
  const at = (t: TensorInfo) => heapOffset(backend, t) >>> 2;
  const [xBase, dyBase, dxBase] = [at(input), at(dy), at(dx)];
  heap.fill(0, dxBase, dxBase + batchSize * inHeight * inWidth * C);
  for (let b = 0; b < batchSize; b++) {
    const image = b * inHeight * inWidth * C;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        const gradient = dyBase + ((b * outHeight + oy) * outWidth + ox) * C;
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let where = -1;
          for (let fy = 0; fy < filterHeight; fy++) {
            const y = y0 + fy;
            if (y < 0 || y >= inHeight) continue;
            for (let fx = 0; fx < filterWidth; fx++) {
              const x = x0 + fx;
              if (x < 0 || x >= inWidth) continue;
              const offset = image + (y * inWidth + x) * C + c;
              const value = heap[xBase + offset]!;
              if (value > best || where < 0) {
                best = value;
                where = offset;
              }
            }
          }
          if (where >= 0) heap[dxBase + where]! += heap[gradient + c]!;
        }
      }
    }
  }
  return dx;
};

export function registerWasmMaxPoolGrad(): void {
  replaceWasmKernel('heap', 'MaxPoolGrad', () => maxPoolGradOnHeap);
}
