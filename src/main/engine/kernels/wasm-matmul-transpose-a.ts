/**
 * BatchMatMul with transposeA on the wasm backend, made fast: XNNPACK's kernel behind
 * the stock one is quick for A x B and A x B^T but falls to a slow path when A is
 * transposed (measured 2.4 against 30 GFLOP/s), and every dense layer's weight gradient,
 * dW = x^T dy, takes that path. Transposing A first with the backend's own Transpose
 * kernel and multiplying untransposed gives the same product at the fast rate.
 */
import { getKernel, type BatchMatMulAttrs, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { disposeIntermediate, replaceWasmKernel } from './replace-wasm-kernel.js';

const transposingA =
  (stock: KernelFunc): KernelFunc =>
  (args) => {
    const attrs = args.attrs as unknown as BatchMatMulAttrs;
    if (!attrs.transposeA) return stock(args);
    const a = args.inputs.a as TensorInfo;
    const rank = a.shape.length;
    const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
    const aT = getKernel('Transpose', 'wasm')!.kernelFunc({ inputs: { x: a }, backend: args.backend, attrs: { perm } }) as TensorInfo;
    try {
      return stock({ ...args, inputs: { ...args.inputs, a: aT }, attrs: { ...args.attrs, transposeA: false } });
    } finally {
      disposeIntermediate(args.backend, aT);
    }
  };

export function registerWasmMatMulTransposeA(): void {
  replaceWasmKernel('heap', 'BatchMatMul', transposingA);
}
