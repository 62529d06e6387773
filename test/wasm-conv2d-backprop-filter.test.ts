import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import { MAX_PATCH_ELEMENTS } from '../src/main/engine/kernels/wasm-conv2d-backprop-filter.js';
import { Random } from '../src/main/engine/random.js';

type Pad = 'same' | 'valid';

/** dW by the definition, in float64. */
function referenceFilterGradient(
  x: Float32Array, xShape: number[], dy: Float32Array, dyShape: number[], k: number, stride: number, pad: Pad,
): Float64Array {
  const [b, ih, iw, ci] = xShape as [number, number, number, number];
  const [, oh, ow, co] = dyShape as [number, number, number, number];
  const padTop = pad === 'same' ? Math.floor(Math.max((oh - 1) * stride + k - ih, 0) / 2) : 0;
  const padLeft = pad === 'same' ? Math.floor(Math.max((ow - 1) * stride + k - iw, 0) / 2) : 0;
  const out = new Float64Array(k * k * ci * co);
  for (let n = 0; n < b; n++)
    for (let y = 0; y < oh; y++)
      for (let xo = 0; xo < ow; xo++)
        for (let kh = 0; kh < k; kh++) {
          const yy = y * stride + kh - padTop;
          if (yy < 0 || yy >= ih) continue;
          for (let kw = 0; kw < k; kw++) {
            const xx = xo * stride + kw - padLeft;
            if (xx < 0 || xx >= iw) continue;
            for (let c = 0; c < ci; c++) {
              const xv = x[((n * ih + yy) * iw + xx) * ci + c]!;
              const base = ((kh * k + kw) * ci + c) * co;
              const dyBase = ((n * oh + y) * ow + xo) * co;
              for (let o = 0; o < co; o++) out[base + o]! += xv * dy[dyBase + o]!;
            }
          }
        }
  return out;
}

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (got[i]! - want[i]!) ** 2;
    norm += want[i]! ** 2;
  }
  return Math.sqrt(diff / Math.max(norm, 1e-30));
}

function filterGradient(backend: string, x: Float32Array, xShape: number[], dy: Float32Array, filterShape: number[], stride: number, pad: Pad): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, xShape as [number, number, number, number]);
    const conv = (f: tf.Tensor) => tf.conv2d(xt, f as tf.Tensor4D, stride, pad);
    const dyt = tf.tensor(dy, conv(tf.zeros(filterShape)).shape);
    const g = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(conv(f), dyt)))(tf.zeros(filterShape));
    return g.dataSync() as Float32Array;
  });
}

function randomArray(n: number, random: Random): Float32Array {
  return Float32Array.from({ length: n }, () => random.normal());
}

function outSize(size: number, k: number, stride: number, pad: Pad): number {
  return pad === 'same' ? Math.ceil(size / stride) : Math.floor((size - k) / stride) + 1;
}

describe('wasm Conv2DBackpropFilter', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    await tf.setBackend('cpu');
    await tf.setBackend('wasm');
  });

  const grid: [number, number, number, Pad, number, number][] = [];
  for (const k of [1, 3, 5])
    for (const stride of [1, 2])
      for (const pad of ['same', 'valid'] as Pad[])
        for (const [ci, co] of [[1, 8], [3, 16], [16, 1], [64, 64]] as [number, number][]) grid.push([k, stride, ci, pad, co, 9]);

  it.each(grid)('kernel %i stride %i in %i %s out %i (9x9 input) matches cpu and float64 to 1e-4', (k, stride, ci, pad, co, size) => {
    const random = new Random(k * 1000 + stride * 100 + ci + co, 'conv');
    const xShape = [2, size, size, ci];
    const dyShape = [2, outSize(size, k, stride, pad), outSize(size, k, stride, pad), co];
    const x = randomArray(xShape.reduce((a, b) => a * b), random);
    const dy = randomArray(dyShape.reduce((a, b) => a * b), random);
    const filterShape = [k, k, ci, co];
    const wasm = filterGradient('wasm', x, xShape, dy, filterShape, stride, pad);
    const cpu = filterGradient('cpu', x, xShape, dy, filterShape, stride, pad);
    const exact = referenceFilterGradient(x, xShape, dy, dyShape, k, stride, pad);
    expect(wasm.length).toBe(exact.length);
    expect(relativeError(wasm, cpu)).toBeLessThan(1e-4);
    expect(relativeError(wasm, exact)).toBeLessThan(1e-4);
  });

  it('handles odd input sizes and asymmetric same padding', () => {
    const random = new Random(5);
    const xShape = [3, 7, 6, 2];
    const x = randomArray(3 * 7 * 6 * 2, random);
    const dyShape = [3, 4, 3, 5];
    const dy = randomArray(3 * 4 * 3 * 5, random);
    const wasm = filterGradient('wasm', x, xShape, dy, [3, 3, 2, 5], 2, 'same');
    expect(relativeError(wasm, referenceFilterGradient(x, xShape, dy, dyShape, 3, 2, 'same'))).toBeLessThan(1e-5);
  });

  it('splits a batch whose patch matrix exceeds the chunk limit and still sums every image', () => {
    // 3x3 kernel, 16 channels, 32x32 output: 147,456 patch elements per image.
    const images = Math.ceil(MAX_PATCH_ELEMENTS / (9 * 16 * 32 * 32)) + 3;
    const random = new Random(11);
    const xShape = [images, 32, 32, 16];
    const x = randomArray(xShape.reduce((a, b) => a * b), random);
    const dyShape = [images, 32, 32, 4];
    const dy = randomArray(dyShape.reduce((a, b) => a * b), random);
    const wasm = filterGradient('wasm', x, xShape, dy, [3, 3, 16, 4], 1, 'same');
    expect(relativeError(wasm, referenceFilterGradient(x, xShape, dy, dyShape, 3, 1, 'same'))).toBeLessThan(1e-5);
  });

  it('leaves no tensors behind', () => {
    tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const random = new Random(2);
    filterGradient('wasm', randomArray(2 * 8 * 8 * 3, random), [2, 8, 8, 3], randomArray(2 * 8 * 8 * 4, random), [3, 3, 3, 4], 1, 'same');
    expect(tf.memory().numTensors).toBe(before);
  });
});
