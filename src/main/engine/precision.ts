/**
 * A job's precision: fp32, or bf16 convolutions and matrix products in the native kernels
 * (bf16 operands, fp32 accumulation and outputs; parameters, gradients and optimizer state
 * stay fp32 tensors, so the master weights are fp32). The setting is process-wide in the
 * addon, and the engine runs one job at a time, so a job sets it for its run and puts fp32
 * back after.
 */
import type { BackendInfo } from '../../shared/backend.js';
import type { Precision } from '../../shared/train-config.js';
import { InvalidRequestError } from '../../shared/validation.js';
import { loadNativeAddon, type NativeAddon } from './kernels/native-addon.js';

/** The addon that runs bf16 here, or a refusal saying why none does (before the job writes anything). */
function bf16Addon(backend: BackendInfo): NativeAddon {
  if (backend.name !== 'wasm') {
    throw new InvalidRequestError(`precision bf16 needs Lethe's native kernels, which run on the wasm backend; this engine runs ${backend.name} (use precision fp32)`);
  }
  const native = loadNativeAddon();
  if (!native.addon) throw new InvalidRequestError(`precision bf16 needs Lethe's native kernels, which are unused here: ${native.reason} (use precision fp32)`);
  return native.addon;
}

/**
 * Sets the convolutions and matrix products to `precision` (bf16 where it cannot run is
 * refused) and returns what puts fp32 back.
 */
export function enterPrecision(precision: Precision, backend: BackendInfo): () => void {
  if (precision === 'fp32') return () => {};
  const addon = bf16Addon(backend);
  try {
    addon.setPrecision('bf16');
  } catch (error) {
    throw new InvalidRequestError(`precision bf16: ${(error as Error).message}`);
  }
  return () => addon.setPrecision('fp32');
}

/** Runs `job` with the convolutions and matrix products at `precision`. */
export async function atPrecision<T>(precision: Precision, backend: BackendInfo, job: () => Promise<T>): Promise<T> {
  const leave = enterPrecision(precision, backend);
  try {
    return await job();
  } finally {
    leave();
  }
}
