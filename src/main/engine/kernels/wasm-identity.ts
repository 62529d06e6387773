/**
 * Identity for the wasm backend without a copy: the stock kernel copies the whole tensor,
 * and tfjs clones every tensor it saves for the backward pass through Identity, so each
 * activation of a training step was copied once or twice. Tensors are never written in
 * place, so sharing the data under one more reference (as the cpu backend's Identity
 * and the wasm backend's own Reshape do) is enough.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { replaceWasmKernel } from './replace-wasm-kernel.js';

const shareData: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: TensorInfo };
  (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

export function registerWasmIdentity(): void {
  replaceWasmKernel('heap', 'Identity', (stock) => (args) => ((args.inputs as { x: TensorInfo }).x.dtype === 'string' ? stock(args) : shareData(args)));
}
