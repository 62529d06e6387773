/**
 * The one way Lethe swaps a stock wasm kernel for a faster one: the kernel's config
 * (its setup function included) is kept, only its function is replaced, and the new
 * function gets the stock one for the cases it leaves alone. Once per kernel; a process
 * without the wasm backend is left as it is.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';

const replaced = new Set<string>();

export function replaceWasmKernel(name: string, build: (stock: KernelFunc) => KernelFunc): void {
  if (replaced.has(name)) return;
  const config = getKernel(name, 'wasm');
  if (!config) return;
  replaced.add(name);
  unregisterKernel(name, 'wasm');
  registerKernel({ ...config, kernelFunc: build(config.kernelFunc) } as KernelConfig);
}

/** Frees an intermediate a kernel made on the backend. */
export function disposeIntermediate(backend: unknown, tensor: TensorInfo): void {
  (backend as { disposeData(dataId: object): boolean }).disposeData(tensor.dataId);
}
