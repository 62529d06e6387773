/** What compute a job really ran on; recorded with every job. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  /** The backend that was asked for ('auto' when none was). */
  requested: BackendName | 'auto';
  /** The backend that runs: tensorflow-gpu only when a GPU device really executes ops. */
  name: BackendName;
  /** tfjs' own backend name ('tensorflow', 'wasm', 'cpu'). */
  tfjsBackend: string;
  /** GPU name, or the CPU model and core count. */
  device: string;
  /** Why a faster backend was not used; empty when the first choice ran. */
  fallbacks: string[];
  /** wasm only: whether its convolutions run natively (oneDNN) or in wasm, and why. */
  kernels?: string;
}
