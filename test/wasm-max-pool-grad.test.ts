import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import { Random } from '../src/main/engine/random.js';

function poolGradient(backend: string, x: Float32Array, shape: number[], size: number, stride: number, pad: 'same' | 'valid'): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const pool = (xt: tf.Tensor) => tf.maxPool(xt as tf.Tensor4D, size, stride, pad);
    const out = pool(tf.zeros(shape));
    const random = new Random(2);
    const dy = tf.tensor(Float32Array.from({ length: out.size }, () => random.normal()), out.shape);
    return tf.grad((xt: tf.Tensor) => tf.sum(tf.mul(pool(xt), dy)))(tf.tensor4d(x, shape as [number, number, number, number])).dataSync() as Float32Array;
  });
}

describe('wasm MaxPoolGrad over the heap', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each([
    [[2, 8, 8, 3], 2, 2, 'valid'],
    [[1, 7, 9, 4], 2, 2, 'valid'],
    [[2, 7, 7, 2], 3, 2, 'same'],
    [[1, 6, 5, 3], 3, 1, 'same'],
  ] as [number[], number, number, 'same' | 'valid'][])('x %j, window %i, stride %i, %s: equals the cpu backend, ties (ReLU zeros) included', (shape, size, stride, pad) => {
    const random = new Random(9);
    // Half the inputs are exact zeros, as after a ReLU, so many windows tie.
    const x = Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => Math.max(0, random.normal()));
    const onCpu = poolGradient('cpu', x, shape, size, stride, pad);
    tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const onWasm = poolGradient('wasm', x, shape, size, stride, pad);
    expect(tf.memory().numTensors).toBe(before);
    // Overlapping windows add several gradients into one cell, in another order than the cpu backend.
    expect(onWasm.length).toBe(onCpu.length);
    onCpu.forEach((v, i) => expect(Math.abs(onWasm[i]! - v)).toBeLessThan(1e-5));
  });
});
