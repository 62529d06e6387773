import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import { Random } from '../src/main/engine/random.js';

/** C = op(A) op(B) in float64 by the definition; A, B batched [batch, rows, cols]. */
function reference(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], transposeA: boolean, transposeB: boolean): Float64Array {
  const [batch, ar, ac] = aShape as [number, number, number];
  const [, br, bc] = bShape as [number, number, number];
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const n = transposeB ? br : bc;
  const out = new Float64Array(batch * m * n);
  for (let p = 0; p < batch; p++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          const av = transposeA ? a[p * ar * ac + q * ac + i]! : a[p * ar * ac + i * ac + q]!;
          const bv = transposeB ? b[p * br * bc + j * bc + q]! : b[p * br * bc + q * bc + j]!;
          s += av * bv;
        }
        out[p * m * n + i * n + j] = s;
      }
  return out;
}

describe('wasm BatchMatMul with a transposed A', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each([
    [[1, 37, 19], [1, 37, 23], true, false],
    [[3, 8, 5], [3, 8, 6], true, false],
    [[2, 9, 4], [2, 7, 9], true, true],
    [[2, 4, 9], [2, 9, 7], false, false],
    [[1, 5, 9], [1, 7, 9], false, true],
  ])('A %j x B %j (transposeA %s, transposeB %s) equals the float64 product', (aShape, bShape, transposeA, transposeB) => {
    const random = new Random(7);
    const a = Float32Array.from({ length: aShape.reduce((x, y) => x * y) }, () => random.normal());
    const b = Float32Array.from({ length: bShape.reduce((x, y) => x * y) }, () => random.normal());
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => tf.matMul(tf.tensor3d(a, aShape as [number, number, number]), tf.tensor3d(b, bShape as [number, number, number]), transposeA, transposeB).dataSync());
    const want = reference(a, aShape, b, bShape, transposeA, transposeB);
    expect(got.length).toBe(want.length);
    want.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThan(1e-4 * (1 + Math.abs(v))));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives a dense layer the same weight gradient as the cpu backend', () => {
    const random = new Random(3);
    const x = Float32Array.from({ length: 64 * 30 }, () => random.normal());
    const w = Float32Array.from({ length: 30 * 12 }, () => random.normal());
    const gradient = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const xt = tf.tensor2d(x, [64, 30]);
        return tf.grad((wt: tf.Tensor) => tf.sum(tf.square(tf.matMul(xt, wt as tf.Tensor2D))))(tf.tensor2d(w, [30, 12])).dataSync();
      });
    };
    const onCpu = gradient('cpu');
    const onWasm = gradient('wasm');
    onCpu.forEach((v, i) => expect(Math.abs(onWasm[i]! - v)).toBeLessThan(1e-3 * (1 + Math.abs(v))));
  });
});
