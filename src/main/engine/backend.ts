/**
 * Picks the compute backend at engine start: tfjs-node-gpu -> tfjs-node -> wasm -> cpu,
 * or what LETHE_BACKEND names. The native packages are optional dependencies (their
 * install downloads libtensorflow, which fails on machines without that access), so
 * each is tried and a missing or broken one is recorded as a fallback reason.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { BACKEND_NAMES, type BackendInfo, type BackendName } from '../../shared/backend.js';
import { registerWasmTrainingKernels } from './kernels/wasm-conv2d-backprop-filter.js';
import { registerWasmConv2DBackpropInput } from './kernels/wasm-conv2d-backprop-input.js';
import { registerWasmMatMulTransposeA } from './kernels/wasm-matmul-transpose-a.js';
import { registerWasmIdentity } from './kernels/wasm-identity.js';
import { registerWasmMaxPoolGrad } from './kernels/wasm-max-pool-grad.js';
import { loadNativeAddon } from './kernels/native-addon.js';
import { registerNativeTrainingOps } from './kernels/native-training-ops.js';
import { registerWasmNativeKernels } from './kernels/wasm-native-kernels.js';

// Not named `require`: electron-vite injects a top-level `require` into the bundled entries.
const requireFromHere = createRequire(import.meta.url);

// Silences tfjs' console advice about installing tfjs-node; the choice is reported instead.
tf.enableProdMode();

/** Loads a module by name; injectable so the choice can be tested without the addons. */
export type ModuleLoader = (name: string) => unknown;

export interface BackendEnvironment {
  load: ModuleLoader;
  /** Name of the GPU that a native backend sees, or undefined. */
  gpuName: () => string | undefined;
  cpuName: () => string;
}

export const nodeEnvironment: BackendEnvironment = {
  load: (name) => requireFromHere(name),
  gpuName: () => {
    try {
      const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
        encoding: 'utf8',
        timeout: 5000,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      return out.split('\n')[0]?.trim() || undefined;
    } catch {
      return undefined;
    }
  },
  cpuName: () => {
    const cpus = os.cpus();
    return `CPU (${cpus[0]?.model.trim() ?? 'unknown model'}, ${cpus.length} cores)`;
  },
};

export function parseBackendRequest(value: string | undefined): BackendName | 'auto' {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new Error(`LETHE_BACKEND must be one of auto, ${BACKEND_NAMES.join(', ')}; got '${value}'`);
}

/** tfjs-node exposes whether libtensorflow placed ops on a GPU on its backend object. */
function nativeUsesGpu(): boolean {
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
  return backend.isUsingGpuDevice === true;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

async function tryNative(pkg: string, env: BackendEnvironment): Promise<string | undefined> {
  try {
    env.load(pkg);
  } catch (error) {
    return `${pkg} is not usable (${errorText(error)})`;
  }
  if (!(await tf.setBackend('tensorflow'))) return `${pkg} loaded but the tensorflow backend did not initialise`;
  return undefined;
}

function wasmDirectory(): string {
  return path.dirname(requireFromHere.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep;
}

/** Which kernels the wasm backend runs with (native or its own), in words. */
let wasmKernels = '';

async function useWasm(): Promise<string | undefined> {
  try {
    registerWasmTrainingKernels();
    registerWasmMatMulTransposeA();
    registerWasmConv2DBackpropInput();
    registerWasmMaxPoolGrad();
    registerWasmIdentity();
    const native = loadNativeAddon();
    if (native.addon) {
      registerWasmNativeKernels(native.addon);
      registerNativeTrainingOps(native.addon);
      const threads = native.addon.threads();
      wasmKernels = `native kernels (oneDNN ${native.addon.version()}, ${threads} thread${threads === 1 ? '' : 's'})`;
    } else {
      wasmKernels = `wasm's own, single-threaded (native kernels unused: ${native.reason})`;
    }
    setWasmPaths(wasmDirectory());
    if (await tf.setBackend('wasm')) return undefined;
    return 'the wasm backend did not initialise';
  } catch (error) {
    return `the wasm backend failed (${errorText(error)})`;
  }
}

/** Chooses, initialises and reports the backend. Call once per engine process. */
export async function initBackend(
  requested: BackendName | 'auto' = parseBackendRequest(process.env.LETHE_BACKEND),
  env: BackendEnvironment = nodeEnvironment,
): Promise<BackendInfo> {
  const order: BackendName[] = requested === 'auto' ? [...BACKEND_NAMES] : [requested];
  const fallbacks: string[] = [];
  for (const candidate of order) {
    if (candidate === 'tensorflow-gpu') {
      const failure = await tryNative('@tensorflow/tfjs-node-gpu', env);
      if (failure) {
        fallbacks.push(failure);
        continue;
      }
      if (!nativeUsesGpu()) {
        // The GPU build loads without a matching CUDA/cuDNN and quietly runs on the CPU.
        fallbacks.push(
          '@tensorflow/tfjs-node-gpu loaded but libtensorflow found no usable GPU ' +
            '(it needs CUDA 11.2 and cuDNN 8.1); it runs on the CPU',
        );
        return report(requested, 'tensorflow', env.cpuName(), fallbacks);
      }
      return report(requested, 'tensorflow-gpu', env.gpuName() ?? 'GPU (name unavailable)', fallbacks);
    }
    if (candidate === 'tensorflow') {
      const failure = await tryNative('@tensorflow/tfjs-node', env);
      if (failure) {
        fallbacks.push(failure);
        continue;
      }
      return report(requested, 'tensorflow', env.cpuName(), fallbacks);
    }
    if (candidate === 'wasm') {
      const failure = await useWasm();
      if (failure) {
        fallbacks.push(failure);
        continue;
      }
      return report(requested, 'wasm', env.cpuName(), fallbacks);
    }
    if (await tf.setBackend('cpu')) return report(requested, 'cpu', env.cpuName(), fallbacks);
    fallbacks.push('the cpu backend did not initialise');
  }
  throw new Error(`no compute backend could start: ${fallbacks.join('; ')}`);
}

function report(
  requested: BackendName | 'auto',
  name: BackendName,
  device: string,
  fallbacks: string[],
): BackendInfo {
  return { requested, name, tfjsBackend: tf.getBackend(), device, fallbacks, ...(name === 'wasm' ? { kernels: wasmKernels } : {}) };
}
