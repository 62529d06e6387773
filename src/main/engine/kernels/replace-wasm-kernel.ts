/**
 * The one way Lethe swaps a wasm kernel for a faster one: the kernel's config (its setup
 * function included) is kept, only its function is replaced, and the new function gets
 * the one it replaces for the cases it leaves alone. Replacements stack: a later layer
 * (the native kernels) wraps an earlier one (the wasm-heap kernels), which wraps the
 * stock kernel. Each (layer, kernel) once per process; a process without the wasm
 * backend is left as it is.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';

const replaced = new Set<string>();

export function replaceWasmKernel(layer: string, name: string, build: (previous: KernelFunc) => KernelFunc): void {
  const key = `${layer}:${name}`;
  if (replaced.has(key)) return;
  const config = getKernel(name, 'wasm');
  if (!config) return;
  replaced.add(key);
  unregisterKernel(name, 'wasm');
  registerKernel({ ...config, kernelFunc: build(config.kernelFunc) } as KernelConfig);
}

/** Frees an intermediate a kernel made on the backend. */
export function disposeIntermediate(backend: unknown, tensor: TensorInfo): void {
  (backend as { disposeData(dataId: object): boolean }).disposeData(tensor.dataId);
}
