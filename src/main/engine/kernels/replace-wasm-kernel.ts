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
/** Each replaced kernel's function before Lethe's first replacement of it. */
const original = new Map<string, KernelFunc>();
/** Kernels that run their original function instead of Lethe's replacements. */
const stock = new Set<string>((process.env.LETHE_STOCK_KERNELS ?? '').split(',').map((name) => name.trim()).filter(Boolean));

/**
 * Runs the named kernels' original functions (the wasm backend's own) instead of Lethe's
 * replacements from now on, and every other kernel with its replacements; [] restores them
 * all. To compare results with and without a replacement (LETHE_STOCK_KERNELS=a,b at start).
 */
export function useStockKernels(names: readonly string[]): void {
  stock.clear();
  for (const name of names) stock.add(name);
}

export function replaceWasmKernel(layer: string, name: string, build: (previous: KernelFunc) => KernelFunc): void {
  const key = `${layer}:${name}`;
  if (replaced.has(key)) return;
  const config = getKernel(name, 'wasm');
  if (!config) return;
  replaced.add(key);
  if (!original.has(name)) original.set(name, config.kernelFunc);
  const stockFunc = original.get(name)!;
  const replacement = build(config.kernelFunc);
  unregisterKernel(name, 'wasm');
  registerKernel({ ...config, kernelFunc: (args) => (stock.has(name) ? stockFunc(args) : replacement(args)) } as KernelConfig);
}

/** The parts of the wasm backend that kernels written over its heap touch (not all are in its public typings). */
export interface WasmHeapBackend {
  wasm: {
    HEAPU8: Uint8Array;
    HEAPF32: Float32Array;
    cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
  };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: object): boolean;
}

/** The heap's memory as it is now (growing the heap replaces it). */
export function heapBuffer(backend: WasmHeapBackend): ArrayBuffer {
  return backend.wasm.HEAPU8.buffer as ArrayBuffer;
}

/**
 * A tensor's byte offset in the heap, -1 for an absent one. Take offsets after making
 * every output: making one may grow (and so replace) the heap.
 */
export function heapOffset(backend: WasmHeapBackend, tensor: TensorInfo | undefined): number {
  return tensor ? backend.dataIdMap.get(tensor.dataId).memoryOffset : -1;
}

/** Frees an intermediate a kernel made on the backend. */
export function disposeIntermediate(backend: unknown, tensor: TensorInfo): void {
  (backend as { disposeData(dataId: object): boolean }).disposeData(tensor.dataId);
}
