import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import { Random } from '../src/main/engine/random.js';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

/** The input gradient of sum(conv2d(x, w) * dy) on a backend. */
function inputGradient(backend: string, x: Float32Array, xShape: number[], w: Float32Array, wShape: number[], stride: number, pad: Pad, seed: number): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const wt = tf.tensor4d(w, wShape as [number, number, number, number]);
    const conv = (xt: tf.Tensor) => tf.conv2d(xt as tf.Tensor4D, wt, stride, pad);
    const outShape = conv(tf.zeros(xShape)).shape;
    const random = new Random(seed);
    const dy = tf.tensor(Float32Array.from({ length: outShape.reduce((a, b) => a * b) }, () => random.normal()), outShape);
    return tf.grad((xt: tf.Tensor) => tf.sum(tf.mul(conv(xt), dy)))(tf.tensor4d(x, xShape as [number, number, number, number])).dataSync() as Float32Array;
  });
}

describe('wasm Conv2DBackpropInput by the transposed-convolution identity', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each([
    [[2, 8, 8, 3], [3, 3, 3, 5], 1, 'same'],
    [[1, 7, 9, 4], [3, 3, 4, 2], 1, 'same'],
    [[2, 6, 6, 2], [5, 5, 2, 3], 1, 'same'],
    [[2, 9, 7, 3], [3, 3, 3, 4], 1, 'valid'],
    [[1, 5, 5, 6], [1, 1, 6, 4], 1, 'valid'],
    [[1, 8, 8, 2], [3, 3, 2, 3], 1, [[0, 0], [2, 0], [1, 1], [0, 0]]],
    [[2, 8, 8, 3], [3, 3, 3, 4], 2, 'same'],
  ] as [number[], number[], number, Pad][])('x %j, filter %j, stride %i, pad %j: the same gradient as the cpu backend', (xShape, wShape, stride, pad) => {
    const random = new Random(11);
    const x = Float32Array.from({ length: xShape.reduce((a, b) => a * b) }, () => random.normal());
    const w = Float32Array.from({ length: wShape.reduce((a, b) => a * b) }, () => random.normal());
    const onCpu = inputGradient('cpu', x, xShape, w, wShape, stride, pad, 5);
    tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const onWasm = inputGradient('wasm', x, xShape, w, wShape, stride, pad, 5);
    expect(tf.memory().numTensors).toBe(before);
    expect(onWasm.length).toBe(onCpu.length);
    let diff = 0;
    let norm = 0;
    onCpu.forEach((v, i) => {
      diff += (onWasm[i]! - v) ** 2;
      norm += v ** 2;
    });
    expect(Math.sqrt(diff / norm)).toBeLessThan(1e-5);
  });
});
