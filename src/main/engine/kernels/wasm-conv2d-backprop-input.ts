/**
 * Conv2DBackpropInput on the wasm backend through XNNPACK's forward convolution: the
 * stock kernel is a scalar loop, and for stride 1 the input gradient is itself a
 * convolution (the transposed-convolution identity),
 *   dx = conv2d(dy, W', explicit padding K - 1 - pad on each side),
 *   W'[kh, kw, co, ci] = W[K - 1 - kh, K - 1 - kw, ci, co],
 * which the backend's Conv2D runs fast. Strided or dilated cases keep the stock kernel.
 */
import { backend_util, getKernel, type Conv2DBackpropInputAttrs, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { disposeIntermediate, replaceWasmKernel } from './replace-wasm-kernel.js';

const byConvolution =
  (stock: KernelFunc): KernelFunc =>
  (args) => {
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const strides = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
    if (strides[0] !== 1 || strides[1] !== 1 || attrs.dataFormat === 'NCHW') return stock(args);
    const info = backend_util.computeConv2DInfo(
      attrs.inputShape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      1,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const { top, bottom, left, right } = info.padInfo;
    const [kh, kw] = filter.shape as [number, number, number, number];
    const run = (name: string, inputs: Record<string, TensorInfo>, kernelAttrs: object) =>
      getKernel(name, 'wasm')!.kernelFunc({ inputs, backend: args.backend, attrs: kernelAttrs as never }) as TensorInfo;
    const flipped = run('Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
    disposeIntermediate(args.backend, flipped);
    try {
      return run('Conv2D', { x: dy, filter: swapped }, {
        strides: [1, 1],
        pad: [[0, 0], [kh - 1 - top, kh - 1 - bottom], [kw - 1 - left, kw - 1 - right], [0, 0]],
        dataFormat: 'NHWC',
        dilations: [1, 1],
      });
    } finally {
      disposeIntermediate(args.backend, swapped);
    }
  };

export function registerWasmConv2DBackpropInput(): void {
  replaceWasmKernel('heap', 'Conv2DBackpropInput', byConvolution);
}
