/**
 * The native kernels' bf16 precision: matrix products and convolutions (forward with bias
 * and relu, both gradients) read bf16 operands and accumulate and write fp32, so each
 * equals the fp32 computation on bf16-rounded operands (to fp32 rounding) and differs
 * from fp32 on the operands themselves; setting fp32 back gives fp32's results bit for
 * bit; a CPU without bf16 instructions refuses it. Skipped where the addon is not built
 * (see test/requirements.ts); the numeric tests also where the CPU has no bf16.
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import { loadNativeAddon } from '../src/main/engine/kernels/native-addon.js';
import { nativeConv2d, nativeDense } from '../src/main/engine/kernels/native-training-ops.js';
import { Random } from '../src/main/engine/random.js';
import { requirement } from './requirements.js';

const native = loadNativeAddon();
const nativeKernels = requirement('native', 'the native kernels addon', native.addon ? null : native.reason);

/** Whether this CPU runs bf16 (the addon refuses it otherwise). */
function bf16Runs(): boolean {
  try {
    native.addon!.setPrecision('bf16');
    return true;
  } catch {
    return false;
  } finally {
    native.addon!.setPrecision('fp32');
  }
}

function randomArray(length: number, seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length }, () => random.normal());
}

/** Each value rounded to the nearest bf16 (ties to even): the top 16 bits of its float32. */
function toBf16(values: Float32Array): Float32Array {
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  for (let i = 0; i < bits.length; i++) bits[i] = ((bits[i]! + 0x7fff + ((bits[i]! >>> 16) & 1)) & 0xffff0000) >>> 0;
  return new Float32Array(bits.buffer);
}

/** The largest difference relative to the largest magnitude of `expected`. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  let [scale, worst] = [0, 0];
  expected.forEach((v, i) => {
    scale = Math.max(scale, Math.abs(v));
    worst = Math.max(worst, Math.abs(actual[i]! - v));
  });
  return worst / scale;
}

function atPrecision<T>(precision: 'fp32' | 'bf16', compute: () => T): T {
  native.addon!.setPrecision(precision);
  try {
    return compute();
  } finally {
    native.addon!.setPrecision('fp32');
  }
}

describe.skipIf(nativeKernels.skip)('native kernels in bf16', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterEach(() => native.addon!.setPrecision('fp32'));

  /**
   * `compute(operands)` in bf16 against fp32 on the bf16-rounded operands (`close`: only
   * fp32 accumulation's rounding apart) and on the operands themselves (bf16's rounding
   * apart, about 1e-2, and not equal); fp32 after bf16 is fp32 before it, bit for bit.
   */
  function expectBf16(operands: Float32Array[], compute: (operands: Float32Array[]) => Float32Array, close: number): void {
    const fp32 = compute(operands);
    const bf16 = atPrecision('bf16', () => compute(operands));
    const onRounded = compute(operands.map(toBf16));
    expect(relativeError(bf16, onRounded)).toBeLessThan(close);
    const error = relativeError(bf16, fp32);
    expect(error).toBeLessThan(2e-2);
    expect(error).toBeGreaterThan(1e-4);
    expect(compute(operands)).toEqual(fp32);
  }

  it.skipIf(!native.addon || !bf16Runs()).each([
    [5, 64, 300, 48, false, false],
    [1, 64, 300, 48, true, false],
    [3, 20, 70, 30, true, true],
    [1, 256, 784, 256, false, true],
  ])('matrix products (batch %i, %i x %i times %i, transposed %s / %s) read bf16 and accumulate fp32', (batch, m, k, n, transposeA, transposeB) => {
    const shapeA = transposeA ? [batch, k, m] : [batch, m, k];
    const shapeB = transposeB ? [n, k] : [k, n]; // one matrix shared by every product of the batch
    const product = ([a, b]: Float32Array[]) => tf.tidy(() => tf.matMul(tf.tensor(a!, shapeA), tf.tensor(b!, shapeB), transposeA, transposeB).dataSync() as Float32Array);
    expectBf16([randomArray(batch * m * k, 1), randomArray(k * n, 2)], product, 1e-5);
  });

  it.skipIf(!native.addon || !bf16Runs())('the dense op (a layer\'s product + bias + relu) and its gradients read bf16 and accumulate fp32', () => {
    const [m, k, n] = [64, 300, 48];
    const bias = randomArray(n, 7), dy = randomArray(m * n, 8);
    const forward = ([x, w]: Float32Array[]) => tf.tidy(() => nativeDense(tf.tensor2d(x!, [m, k]), tf.tensor2d(w!, [k, n]), tf.tensor1d(bias), 'relu').dataSync() as Float32Array);
    expectBf16([randomArray(m * k, 1), randomArray(k * n, 2)], forward, 1e-5);
    // Without relu, the weight gradient is x^T dy (x and dy the operands) and the input gradient dy w^T.
    const gradients = (x: Float32Array, w: Float32Array, dys: Float32Array) =>
      tf.tidy(() => {
        const grads = tf.grads((xt: tf.Tensor, wt: tf.Tensor) => nativeDense(xt as tf.Tensor2D, wt as tf.Tensor2D, tf.tensor1d(bias), 'linear').mul(tf.tensor2d(dys, [m, n])).sum());
        return grads([tf.tensor2d(x, [m, k]), tf.tensor2d(w, [k, n])]).map((g) => g.dataSync() as Float32Array);
      });
    const w = randomArray(k * n, 2), x = randomArray(m * k, 1);
    expectBf16([x, dy], ([xs, dys]) => gradients(xs!, w, dys!)[1]!, 1e-5);
    expectBf16([dy, w], ([dys, ws]) => gradients(x, ws!, dys!)[0]!, 1e-5);
  });

  it.skipIf(!native.addon || !bf16Runs()).each([
    [[2, 8, 8, 16], [3, 3, 16, 32], 1, 'relu'],
    [[2, 9, 7, 3], [3, 3, 3, 8], 2, 'linear'],
    [[2, 6, 6, 5], [5, 5, 5, 7], 1, 'relu'],
  ] as const)('convolutions (x %j, filter %j, stride %i, bias, %s) and both gradients read bf16 and accumulate fp32', (xShape, wShape, strides, activation) => {
    const pad = [[0, 0], [1, 1], [1, 1], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]];
    const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b);
    const x = randomArray(size(xShape), 3), w = randomArray(size(wShape), 4), bias = randomArray(wShape[3], 5);
    // Forward through the fused op (conv + bias + relu in one native call).
    const forward = ([xs, ws]: Float32Array[]) =>
      tf.tidy(() => nativeConv2d(tf.tensor4d(xs!, [...xShape]), tf.tensor4d(ws!, [...wShape]), tf.tensor1d(bias), strides, pad, activation).dataSync() as Float32Array);
    expectBf16([x, w], forward, 1e-5);
    // The gradients from a fixed dy: tfjs' Conv2DBackpropInput (dy, filter) and Conv2DBackpropFilter (x, dy) kernels.
    const outShape = tf.tidy(() => tf.conv2d(tf.zeros([...xShape]) as tf.Tensor4D, tf.zeros([...wShape]) as tf.Tensor4D, strides, pad).shape);
    const dy = randomArray(size(outShape), 6);
    const inputGradient = ([dys, ws]: Float32Array[]) =>
      tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(dys!, outShape), tf.tensor4d(ws!, [...wShape]), [...xShape] as [number, number, number, number], strides, pad).dataSync() as Float32Array);
    expectBf16([dy, w], inputGradient, 1e-5);
    const filterGradient = ([xs, dys]: Float32Array[]) =>
      tf.tidy(() => {
        const gradient = tf.grad((filter: tf.Tensor) => tf.conv2d(tf.tensor4d(xs!, [...xShape]), filter as tf.Tensor4D, strides, pad).mul(tf.tensor4d(dys!, outShape)).sum());
        return gradient(tf.tensor4d(w, [...wShape])).dataSync() as Float32Array;
      });
    expectBf16([x, dy], filterGradient, 1e-5);
  });

  it('is refused where oneDNN has no bf16 instructions, naming the instruction set', () => {
    // ONEDNN_MAX_CPU_ISA caps what oneDNN uses, as a CPU without bf16 would; read once per process.
    const script = "import { loadNativeAddon } from './src/main/engine/kernels/native-addon.ts'; const { addon } = loadNativeAddon(); try { addon.setPrecision('bf16'); console.log('accepted'); } catch (e) { console.log(e.message); }";
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ONEDNN_MAX_CPU_ISA: 'AVX512_CORE_VNNI' } });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout.trim()).toBe('bf16 needs a CPU with AVX512-BF16 or AMX instructions; oneDNN runs avx512_core_vnni here');
    expect(() => native.addon!.setPrecision('fp16' as 'bf16')).toThrow("precision must be fp32 or bf16; got 'fp16'");
  });
});
