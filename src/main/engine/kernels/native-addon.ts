/**
 * Finds and loads Lethe's native kernels (native/, built at install time against Debian's
 * oneDNN when libdnnl-dev is present; see scripts/build-native.mjs). They are optional:
 * without them the wasm backend keeps its own kernels, and why is reported.
 * LETHE_NATIVE=off leaves them unused (to compare, or to rule them out).
 * Their OpenMP threads wait passively unless OMP_WAIT_POLICY says otherwise (see below).
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's functions; tensors are byte offsets into the wasm heap's ArrayBuffer. */
export interface NativeAddon {
  conv2d(heap: ArrayBuffer, geometry: Int32Array, x: number, filter: number, bias: number, y: number, relu: number): void;
  /** The gradients asked for (offset >= 0) of act(conv(x, filter) + bias); act is relu when y is given. */
  conv2dBackward(heap: ArrayBuffer, geometry: Int32Array, dy: number, x: number, filter: number, y: number, dx: number, dw: number, db: number): void;
  /** Max-pooling (the window in the geometry's kh, kw), on every core. */
  maxPool(heap: ArrayBuffer, geometry: Int32Array, x: number, y: number): void;
  maxPoolGrad(heap: ArrayBuffer, geometry: Int32Array, x: number, dy: number, dx: number): void;
  /** Training-mode batch norm over a rows x channels matrix, + residual, relu. */
  batchNormForward(heap: ArrayBuffer, rows: number, channels: number, epsilon: number, x: number, gamma: number, beta: number, residual: number, relu: number, y: number, mean: number, variance: number): void;
  batchNormBackward(heap: ArrayBuffer, rows: number, channels: number, epsilon: number, dy: number, x: number, gamma: number, y: number, mean: number, variance: number, dx: number, dgamma: number, dbeta: number, dresidual: number): void;
  /** tfjs' FusedBatchNorm with per-channel statistics (offset, scale -1 when absent), each float step correctly rounded. */
  batchNormInference(heap: ArrayBuffer, rows: number, channels: number, epsilon: number, x: number, mean: number, variance: number, offset: number, scale: number, y: number): void;
  /**
   * PyTorch's SGD step with momentum and weight decay for every parameter at once; table holds
   * (count, theta, grad, velocity or -1 at the first step, thetaOut, velocityOut or -1) per parameter.
   */
  sgdUpdate(heap: ArrayBuffer, table: Float64Array, lr: number, momentum: number, weightDecay: number): void;
  /** A dense layer: y[m x n] = act(x[m x k] w[k x n] + bias), bias -1 when absent, act relu when relu is 1. */
  dense(heap: ArrayBuffer, m: number, k: number, n: number, x: number, w: number, bias: number, y: number, relu: number): void;
  /** The gradients asked for (offset >= 0) of dense; act is relu when y is given. */
  denseBackward(heap: ArrayBuffer, m: number, k: number, n: number, dy: number, x: number, w: number, y: number, dx: number, dw: number, db: number): void;
  /**
   * The mean softmax cross-entropy of rows x classes logits against int32 labels into loss, and
   * its gradient times the float at dloss into dlogits (each -1 when not asked for).
   */
  softmaxCrossEntropy(heap: ArrayBuffer, rows: number, classes: number, logits: number, labels: number, loss: number, dloss: number, dlogits: number): void;
  /** c[i] = op(a[i]) op(b[i]), row-major, a batch of 1 shared (oneDNN's sgemm). */
  batchMatMul(heap: ArrayBuffer, batchA: number, batchB: number, m: number, n: number, k: number, transposeA: number, transposeB: number, a: number, b: number, c: number): void;
  /**
   * c[i] = act(a[i] b[i] + bias) (bias -1: none; act relu when relu is 1), summed in the
   * order of the wasm backend's own fused product, to its bits.
   */
  inOrderMatMul(heap: ArrayBuffer, batchA: number, batchB: number, m: number, n: number, k: number, a: number, b: number, bias: number, relu: number, c: number): void;
  /**
   * The MIA attack's SVM (native/src/svm.cc, bit for bit evaluation/svm.ts's solver): fills
   * alphaOut and returns rho; throws once cancel[0] is non-zero.
   */
  svmSolve(features: Float64Array, y: Float64Array, bounds: Float64Array, dims: number, gamma: number, tolerance: number, maxIterations: number, maxRows: number, alphaOut: Float64Array, cancel: Int32Array | undefined): number;
  /** out[q] = sum_k weights[k] exp(-gamma |vectors_k - queries_q|^2) - rho. */
  svmDecisions(vectors: Float64Array, weights: Float64Array, dims: number, gamma: number, rho: number, queries: Float64Array, out: Float64Array): void;
  /** V8's Math.exp (fdlibm's), elementwise: what the SVM uses. */
  v8Exp(x: Float64Array, out: Float64Array): void;
  /**
   * What the convolutions and matrix products read their operands as from now on,
   * process-wide: fp32, or bf16 with fp32 accumulation and outputs. bf16 throws where
   * the CPU has no bf16 instructions.
   */
  setPrecision(precision: 'fp32' | 'bf16'): void;
  /** The instruction set oneDNN generates its kernels for (avx512_core_amx, avx512_core_bf16, avx2, ...). */
  isa(): string;
  /** "kind,geometry implementation" of every oneDNN primitive made so far. */
  implementations(): string[];
  threads(): number;
  version(): string;
}

export const ADDON_PATH = path.join('native', 'build', 'Release', 'lethe_native.node');

// Not named `require`: electron-vite injects a top-level `require` into the bundled entries.
const requireFromHere = createRequire(import.meta.url);

/** The addon built in the package this module belongs to, searched upward from here. */
function findAddon(): string | undefined {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(directory, ADDON_PATH);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

export type NativeLoad = { addon: NativeAddon; path: string } | { addon: undefined; reason: string };

let loaded: NativeLoad | undefined;

export function loadNativeAddon(setting: string | undefined = process.env.LETHE_NATIVE): NativeLoad {
  if (setting === 'off') return { addon: undefined, reason: 'LETHE_NATIVE=off' };
  if (setting !== undefined && setting !== '' && setting !== 'auto') {
    throw new Error(`LETHE_NATIVE must be auto or off; got '${setting}'`);
  }
  if (loaded) return loaded;
  const file = findAddon();
  if (!file) {
    loaded = { addon: undefined, reason: `${ADDON_PATH} was not built (it needs libdnnl-dev and a C++ compiler; run npm run build:native)` };
  } else {
    // libgomp reads its settings once, when the addon loads it. By default its idle
    // threads spin; when other processes hold the cores (tests, a second study), a
    // spinning thread keeps the one the step waits on off its core, and steps take tens
    // of times longer (MLP b256 at load 14: 902 samples/s spinning, 22,003 passive).
    process.env.OMP_WAIT_POLICY ??= 'passive';
    try {
      loaded = { addon: requireFromHere(file) as NativeAddon, path: file };
    } catch (error) {
      loaded = { addon: undefined, reason: `${file} did not load (${error instanceof Error ? error.message.split('\n')[0] : String(error)})` };
    }
  }
  return loaded;
}
