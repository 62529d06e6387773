/**
 * The native training kernels (native/, oneDNN) against the cpu backend: the fused
 * convolution and batch-norm ops forward and backward, whole training steps of the conv
 * nets, and the addon's refusal of tensors outside the heap. Where the addon is not
 * built these tests are skipped, except in CI or under LETHE_REQUIRE_NATIVE=1, where its
 * absence fails (test/requirements.ts).
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import type { Activation } from '../src/main/engine/kernels/activation.js';
import { loadNativeAddon } from '../src/main/engine/kernels/native-addon.js';
import { hasNativeTrainingOps, nativeBatchNormTraining, nativeConv2d, nativeDense, type ConvPadding } from '../src/main/engine/kernels/native-training-ops.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import type { ModelArchitecture } from '../src/main/engine/models/model-spec.js';
import { Random } from '../src/main/engine/random.js';
import { SgdOptimizer } from '../src/main/engine/train/optimizers.js';
import { crossEntropy, trainingCrossEntropy } from '../src/main/engine/train/evaluate.js';
import { trainingStep } from '../src/main/engine/train/trainer.js';
import { requirement } from './requirements.js';

const native = loadNativeAddon();
const nativeKernels = requirement('native', 'the native kernels addon', native.addon ? null : native.reason);

function randomArray(length: number, seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length }, () => random.normal());
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let [scale, worst] = [1, 0];
  expected.forEach((v, i) => {
    scale = Math.max(scale, Math.abs(v));
    worst = Math.max(worst, Math.abs(actual[i]! - v));
  });
  expect(worst / scale, what).toBeLessThan(tolerance);
}

describe.skipIf(nativeKernels.skip)('native training kernels', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('are in use on the wasm backend', () => {
    tf.setBackend('wasm');
    expect(hasNativeTrainingOps()).toBe(true);
  });

  const same = (k: number): ConvPadding => [[0, 0], [(k - 1) / 2, (k - 1) / 2], [(k - 1) / 2, (k - 1) / 2], [0, 0]];
  it.each([
    [[2, 8, 8, 3], [3, 3, 3, 8], 1, same(3), true, 'relu'],
    [[2, 9, 7, 4], [3, 3, 4, 6], 2, same(3), false, 'linear'],
    [[3, 8, 8, 5], [1, 1, 5, 7], 2, 'valid', false, 'linear'],
    [[1, 7, 7, 2], [5, 5, 2, 3], 1, 'valid', true, 'relu'],
    [[2, 6, 6, 16], [3, 3, 16, 16], 1, same(3), true, 'linear'],
  ] as [number[], number[], number, ConvPadding, boolean, Activation][])(
    'conv x %j filter %j stride %i pad %j bias %s %s: output and gradients equal the cpu backend',
    (xShape, wShape, strides, pad, withBias, activation) => {
      const x = randomArray(xShape.reduce((a, b) => a * b), 1);
      const w = randomArray(wShape.reduce((a, b) => a * b), 2).map((v) => v * 0.3);
      const b = randomArray(wShape[3]!, 3);
      const run = (backend: string) => {
        tf.setBackend(backend);
        return tf.tidy(() => {
          const xt = tf.tensor4d(x, xShape as [number, number, number, number]);
          const wt = tf.tensor4d(w, wShape as [number, number, number, number]);
          const bt = tf.tensor1d(b);
          const conv = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
            backend === 'wasm'
              ? nativeConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, withBias ? (bi as tf.Tensor1D) : undefined, strides, pad, activation)
              : tf.fused.conv2d({ x: xi as tf.Tensor4D, filter: wi as tf.Tensor4D, strides, pad, bias: withBias ? bi : undefined, activation });
          const y = conv(xt, wt, bt);
          const dy = tf.tensor(randomArray(y.size, 4), y.shape);
          const grads = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi?: tf.Tensor) => tf.sum(tf.mul(conv(xi, wi, bi ?? bt), dy)))(withBias ? [xt, wt, bt] : [xt, wt]);
          return [y, ...grads].map((t) => t.dataSync() as Float32Array);
        });
      };
      const expected = run('cpu');
      tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const actual = run('wasm');
      expect(tf.memory().numTensors).toBe(before);
      ['y', 'dx', 'dfilter', 'dbias'].forEach((what, i) => {
        if (what === 'dbias' && !withBias) return;
        expectClose(actual[i]!, expected[i]!, 1e-4, what);
      });
    },
  );

  // Sizes on both sides of the threshold for waking the threads (products of 2M
  // multiply-adds, loops of 32k elements), with and without bias and relu.
  it.each([
    [5, 7, 3, true, 'relu'],
    [6, 4, 9, false, 'relu'],
    [8, 5, 6, true, 'linear'],
    [64, 784, 256, true, 'relu'],
    [200, 300, 170, false, 'linear'],
  ] as [number, number, number, boolean, Activation][])('dense %i x %i -> %i bias %s %s: output and gradients equal the composed ops on the cpu backend', (rows, fanIn, units, withBias, activation) => {
    const x = randomArray(rows * fanIn, 12);
    const w = randomArray(fanIn * units, 13).map((v) => v / Math.sqrt(fanIn));
    const b = randomArray(units, 14);
    const run = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const [xt, wt, bt] = [tf.tensor2d(x, [rows, fanIn]), tf.tensor2d(w, [fanIn, units]), tf.tensor1d(b)];
        const dense = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor): tf.Tensor => {
          if (backend === 'wasm') return nativeDense(xi as tf.Tensor2D, wi as tf.Tensor2D, withBias ? (bi as tf.Tensor1D) : undefined, activation);
          const z = withBias ? tf.add(tf.matMul(xi as tf.Tensor2D, wi as tf.Tensor2D), bi) : tf.matMul(xi as tf.Tensor2D, wi as tf.Tensor2D);
          return activation === 'relu' ? tf.relu(z) : z;
        };
        const y = dense(xt, wt, bt);
        const dy = tf.tensor(randomArray(y.size, 15), y.shape);
        const grads = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi?: tf.Tensor) => tf.sum(tf.mul(dense(xi, wi, bi ?? bt), dy)))(withBias ? [xt, wt, bt] : [xt, wt]);
        // The weights' gradient alone: the input's is not computed when the tape does not ask.
        const [dwAlone] = tf.grads((wi: tf.Tensor) => tf.sum(tf.mul(dense(xt, wi, bt), dy)))([wt]);
        return [y, ...grads, dwAlone!].map((t) => t.dataSync() as Float32Array);
      });
    };
    const expected = run('cpu');
    tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const actual = run('wasm');
    expect(tf.memory().numTensors).toBe(before);
    // The relu must cut some of the outputs, and pass others, for its mask to be checked.
    if (activation === 'relu') expect(actual[0]!.filter((v) => v === 0).length).toBeGreaterThan(0);
    if (activation === 'relu') expect(actual[0]!.filter((v) => v === 0).length).toBeLessThan(rows * units);
    const names = withBias ? ['y', 'dx', 'dw', 'dbias', 'dw alone'] : ['y', 'dx', 'dw', 'dw alone'];
    names.forEach((what, i) => expectClose(actual[i]!, expected[i]!, 1e-5, what));
  });

  it.each([
    [[4, 5, 5, 8], 'relu', true],
    [[3, 4, 6, 3], 'linear', false],
    [[2, 3, 3, 16], 'relu', false],
  ] as [number[], Activation, boolean][])('batch norm %j %s residual %s: output, statistics and gradients equal the cpu backend', (shape, activation, withResidual) => {
    const size = shape.reduce((a, b) => a * b);
    const channels = shape[3]!;
    const x = randomArray(size, 5).map((v, i) => v * 2 + (i % channels));
    const gamma = randomArray(channels, 6).map((v) => 1 + 0.2 * v);
    const beta = randomArray(channels, 7);
    const residual = randomArray(size, 8);
    const epsilon = 1e-5;
    const run = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const [xt, rt] = [tf.tensor4d(x, shape as [number, number, number, number]), tf.tensor4d(residual, shape as [number, number, number, number])];
        const [gt, bt] = [tf.tensor1d(gamma), tf.tensor1d(beta)];
        const norm = (xi: tf.Tensor4D, gi: tf.Tensor1D, bi: tf.Tensor1D, ri: tf.Tensor4D) => {
          if (backend === 'wasm') return nativeBatchNormTraining(xi, gi, bi, epsilon, activation, withResidual ? ri : undefined);
          const { mean, variance } = tf.moments(xi, [0, 1, 2]);
          let y: tf.Tensor4D = tf.batchNorm4d(xi, mean as tf.Tensor1D, variance as tf.Tensor1D, bi, gi, epsilon);
          if (withResidual) y = tf.add(y, ri);
          return { y: activation === 'relu' ? tf.relu(y) : y, mean, variance };
        };
        const { y, mean, variance } = norm(xt, gt, bt, rt);
        const dy = tf.tensor(randomArray(size, 9), shape);
        const grads = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor, ri?: tf.Tensor) =>
          tf.sum(tf.mul(norm(xi as tf.Tensor4D, gi as tf.Tensor1D, bi as tf.Tensor1D, (ri ?? rt) as tf.Tensor4D).y, dy)),
        )(withResidual ? [xt, gt, bt, rt] : [xt, gt, bt]);
        return [y, mean, variance, ...grads].map((t) => t.dataSync() as Float32Array);
      });
    };
    const expected = run('cpu');
    tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const actual = run('wasm');
    expect(tf.memory().numTensors).toBe(before);
    ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta', 'dresidual'].forEach((what, i) => {
      if (what === 'dresidual' && !withResidual) return;
      expectClose(actual[i]!, expected[i]!, 1e-4, what);
    });
  });

  it.each([
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[2, 7, 5], [2, 3, 7], true, true],
    [[1, 4, 6], [3, 6, 2], false, false],
    [[3, 4, 6], [6, 2], false, false],
  ] as [number[], number[], boolean, boolean][])('matMul %j x %j (transposed %s, %s) equals the cpu backend', (aShape, bShape, transposeA, transposeB) => {
    const a = randomArray(aShape.reduce((p, d) => p * d), 10);
    const b = randomArray(bShape.reduce((p, d) => p * d), 11);
    const run = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const product = tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), transposeA, transposeB);
        return { shape: product.shape, values: product.dataSync() as Float32Array };
      });
    };
    const expected = run('cpu');
    const actual = run('wasm');
    expect(actual.shape).toEqual(expected.shape);
    expectClose(actual.values, expected.values, 1e-5, 'product');
  });

  it.each([
    [[64, 28, 28, 16], 2, 2, 'valid'],
    [[2, 7, 9, 5], 2, 2, 'valid'],
    [[2, 7, 7, 3], 3, 2, 'same'],
    [[1, 6, 5, 4], 3, 1, 'same'],
  ] as [number[], number, number, 'same' | 'valid'][])('max-pool x %j, window %i, stride %i, %s: the cpu backend\'s output, to the bit', (shape, size, stride, pad) => {
    // Negative values too, so that no window's maximum is a padding zero or an initial value.
    const x = randomArray(shape.reduce((a, b) => a * b), 16).map((v) => v - 2);
    const pool = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => tf.maxPool(tf.tensor4d(x, shape as [number, number, number, number]), size, stride, pad).dataSync() as Float32Array);
    };
    const expected = pool('cpu');
    expect(Array.from(pool('wasm'))).toEqual(Array.from(expected));
  });

  it.each([
    [[6, 10], [3, 0, 9, 9, 1, 4]],
    // Labels outside the classes pick nothing (tfjs' oneHot gives a row of zeros).
    [[5, 4], [2, -1, 4, 0, 3]],
    [[300, 10], Array.from({ length: 300 }, (_, i) => (i * 7) % 10)],
  ] as [[number, number], number[]][])('training cross-entropy of logits %j: the loss and its gradient equal the composed ops on the cpu backend', (shape, labels) => {
    // Large logits too: the softmax must be taken stably.
    const logits = randomArray(shape[0] * shape[1], 17).map((v, i) => (i % 13 === 0 ? 60 * v : 3 * v));
    const run = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const [l, y] = [tf.tensor2d(logits, shape), tf.tensor1d(labels, 'int32')];
        const loss = trainingCrossEntropy(l, y);
        // dy = 3, so that the gradient's scale by dy is checked too.
        const dlogits = tf.grad((li: tf.Tensor) => tf.mul(trainingCrossEntropy(li as tf.Tensor2D, y), 3))(l);
        return [loss.dataSync() as Float32Array, dlogits.dataSync() as Float32Array];
      });
    };
    const expected = run('cpu');
    tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const actual = run('wasm');
    expect(tf.memory().numTensors).toBe(before);
    expectClose(actual[0]!, expected[0]!, 1e-6, 'loss');
    expectClose(actual[1]!, expected[1]!, 1e-6, 'dlogits');
  });

  it('measurements keep the stock kernels\' bits: a forward outside training and crossEntropy run none of the training ops', async () => {
    tf.setBackend('wasm');
    const model = Classifier.create({ architecture: 'mlp', inputShape: [8, 8, 1], numClasses: 10, normalization: { mean: [0.5], std: [0.25] }, seed: 1 });
    const [x, y] = [tf.tensor4d(randomArray(4 * 64, 30), [4, 8, 8, 1]), tf.tensor1d([1, 2, 3, 4], 'int32')];
    const measuring = await tf.profile(() => tf.tidy(() => void crossEntropy(model.predict(x), y)));
    expect(measuring.kernelNames.filter((name) => name.startsWith('Lethe'))).toEqual([]);
    const training = await tf.profile(() => tf.tidy(() => void trainingCrossEntropy(model.forward(x, true).logits, y)));
    expect(training.kernelNames).toEqual(expect.arrayContaining(['LetheDense', 'LetheSoftmaxCrossEntropy']));
    tf.dispose([x, y]);
    model.dispose();
  });

  // One native call updates every parameter: sizes below and above the threshold for
  // waking the threads (32k elements), so a thread's share crosses parameters' boundaries.
  it.each([
    [0.9, 5e-4],
    [0, 0.1],
  ])('SGD (momentum %d, weight decay %d) updates every parameter in one call as the composed ops do on the cpu backend', (momentum, weightDecay) => {
    const shapes = [[3], [200, 200], [7, 5], [1], [33, 1000]];
    const train = (backend: string) => {
      tf.setBackend(backend);
      const params = shapes.map((shape, i) => tf.variable(tf.tensor(randomArray(shape.reduce((a, b) => a * b), 20 + i), shape)));
      const optimizer = new SgdOptimizer(momentum, weightDecay);
      const before = tf.memory().numTensors;
      for (let step = 0; step < 3; step++) {
        const grads = shapes.map((shape, i) => tf.tensor(randomArray(shape.reduce((a, b) => a * b), 40 + 10 * step + i), shape));
        optimizer.step(params, grads, 0.05 * (step + 1));
        tf.dispose(grads);
      }
      // The velocities (one per parameter, with momentum) are all the update keeps.
      const kept = tf.memory().numTensors - before;
      const values = params.map((p) => p.dataSync() as Float32Array);
      optimizer.dispose();
      tf.dispose(params);
      return { values, kept };
    };
    const expected = train('cpu');
    const actual = train('wasm');
    expect(actual.kept).toBe(momentum !== 0 ? shapes.length : 0);
    expect(actual.kept).toBe(expected.kept);
    actual.values.forEach((v, i) => expectClose(v, expected.values[i]!, 1e-6, `parameter ${i}`));
  });

  it.each([
    [[6, 7], [7, 5], true, 'relu'],
    [[33, 70], [70, 37], true, 'linear'],
    [[6, 7], [7, 5], false, 'relu'],
    [[2, 6, 7], [2, 7, 5], true, 'relu'],
  ] as [number[], number[], boolean, 'linear' | 'relu'][])('fused matMul %j x %j bias %s %s equals the cpu backend', (aShape, bShape, withBias, activation) => {
    const a = randomArray(aShape.reduce((p, d) => p * d), 12);
    const b = randomArray(bShape.reduce((p, d) => p * d), 13);
    // Large enough that the bias moves the relu's cut: a dropped bias or relu shows.
    const bias = randomArray(bShape.at(-1)!, 14).map((v) => 3 * v);
    const run = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const product = tf.fused.matMul({ a: tf.tensor(a, aShape), b: tf.tensor(b, bShape), bias: withBias ? tf.tensor1d(bias) : undefined, activation });
        return { shape: product.shape, values: product.dataSync() as Float32Array };
      });
    };
    const expected = run('cpu');
    const actual = run('wasm');
    expect(actual.shape).toEqual(expected.shape);
    expectClose(actual.values, expected.values, 1e-5, 'fused product');
    if (activation === 'relu') expect(actual.values.some((v) => v === 0)).toBe(true);
  });

  it('fused matMul sums in the stock wasm kernel\'s order: bias first, then each product in turn, each rounded to float32', () => {
    // What XNNPACK's kernel computes, written out; a sum in another order or with fused
    // multiply-adds (oneDNN's sgemm) differs in the last bit of some of these 4,096 outputs.
    const [m, k, n] = [64, 300, 64];
    const a = randomArray(m * k, 15), b = randomArray(k * n, 16), bias = randomArray(n, 17);
    const expected = new Float32Array(m * n);
    for (let r = 0; r < m; r++) {
      for (let j = 0; j < n; j++) {
        let sum = bias[j]!;
        for (let i = 0; i < k; i++) sum = Math.fround(sum + Math.fround(a[r * k + i]! * b[i * n + j]!));
        expected[r * n + j] = 0 < sum ? sum : 0;
      }
    }
    tf.setBackend('wasm');
    const actual = tf.tidy(() => tf.fused.matMul({ a: tf.tensor2d(a, [m, k]), b: tf.tensor2d(b, [k, n]), bias: tf.tensor1d(bias), activation: 'relu' }).dataSync() as Float32Array);
    expect(actual).toEqual(expected);
  });

  // Small images keep the cpu backend's side of ResNet-18 to seconds. Its last stages
  // normalise over 4 samples, which amplifies rounding step after step (after two, the
  // wasm backend without native kernels is itself 2e-3 off the cpu backend), so one step;
  // and its 3x3 convolutions run by Winograd, whose transforms round more than a direct
  // convolution (1.5e-4 measured on the stem's filter, 6e-5 for wasm without native).
  it.each([
    ['mlp', 8, 2, 1e-4],
    ['cnn3', 16, 2, 1e-4],
    ['resnet18', 8, 1, 5e-4],
  ] as [ModelArchitecture, number, number, number][])('%s on %i-pixel images: %i training steps give the cpu backend\'s losses and parameters', (architecture, side, steps, tolerance) => {
    const input: [number, number, number] = [side, side, 3];
    const random = new Random(3);
    const xs = Float32Array.from({ length: 4 * side * side * 3 }, () => random.next());
    const ys = Int32Array.from({ length: 4 }, (_, i) => i % 10);
    const step = (backend: string) => {
      tf.setBackend(backend);
      const model = Classifier.create({ architecture, inputShape: input, numClasses: 10, normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }, seed: 1 });
      const optimizer = new SgdOptimizer(0.9, 5e-4);
      const [x, y] = [tf.tensor4d(xs, [4, ...input]), tf.tensor1d(ys, 'int32')];
      const before = tf.memory().numTensors;
      const losses = Array.from({ length: steps }, () => trainingStep(model, optimizer, x, y, 0.05).loss);
      const tensorsGrew = tf.memory().numTensors - before;
      const parameters = model.tensors().map((t) => t.variable.dataSync() as Float32Array);
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
      return { losses, parameters, tensorsGrew };
    };
    const expected = step('cpu');
    const actual = step('wasm');
    expect(actual.tensorsGrew).toBe(expected.tensorsGrew);
    actual.losses.forEach((loss, i) => expect(Math.abs(loss - expected.losses[i]!)).toBeLessThan(1e-4));
    actual.parameters.forEach((p, i) => expectClose(p, expected.parameters[i]!, tolerance, `parameter ${i}`));
  });

  // tfjs' FusedBatchNorm in float32 steps: offset + (x - mean) * scale / sqrt(variance + epsilon).
  function batchNormInFloat32(x: Float32Array, channels: number, p: { mean: Float32Array; variance: Float32Array; offset?: Float32Array; scale?: Float32Array }, epsilon: number): Float32Array {
    const f = Math.fround;
    const at = (values: Float32Array | undefined, c: number, otherwise: number) => (values ? values[values.length === 1 ? 0 : c]! : otherwise);
    return x.map((v, i) => {
      const c = i % channels;
      const factor = f(Math.sqrt(f(at(p.variance, c, 1) + f(epsilon))));
      return f(at(p.offset, c, 0) + f(f(f(v - at(p.mean, c, 0)) * at(p.scale, c, 1)) / factor));
    });
  }

  it.each([
    [[64, 28, 28, 1], 1, true, 0],
    [[8, 32, 32, 3], 3, true, 0],
    [[4, 5, 5, 64], 64, false, 1e-3],
    [[3, 70], 70, true, 1e-5],
  ] as [number[], number, boolean, number][])('FusedBatchNorm x %j, statistics of %i, offset and scale %s, epsilon %d: each float step correctly rounded', (shape, statistics, affine, epsilon) => {
    tf.setBackend('wasm');
    const size = shape.reduce((a, b) => a * b);
    const x = randomArray(size, 7).map((v) => v * 40 + 100);
    const mean = randomArray(statistics, 8);
    const variance = randomArray(statistics, 9).map((v) => v * v + 0.1);
    const offset = affine ? randomArray(statistics, 10) : undefined;
    const scale = affine ? randomArray(statistics, 11) : undefined;
    const vector = (v: Float32Array | undefined) => (v ? tf.tensor1d(v) : undefined);
    const y = tf.batchNorm(tf.tensor(x, shape), tf.tensor1d(mean), tf.tensor1d(variance), vector(offset), vector(scale), epsilon);
    expect(Array.from(y.dataSync())).toEqual(Array.from(batchNormInFloat32(x, shape[shape.length - 1]!, { mean, variance, offset, scale }, epsilon)));
  });

  it('FusedBatchNorm with statistics that broadcast otherwise (the stock wasm kernel) is within 1 ulp of the same steps', () => {
    tf.setBackend('wasm');
    const x = randomArray(96, 7).map((v) => v * 40 + 100);
    const [mean, variance, offset, scale] = [Float32Array.of(0.37), Float32Array.of(2.3), Float32Array.of(0.11), Float32Array.of(1.7)];
    const y = tf.batchNorm(tf.tensor(x, [2, 4, 4, 3]), tf.tensor1d(mean), tf.tensor1d(variance), tf.tensor1d(offset), tf.tensor1d(scale), 0).dataSync();
    const expected = batchNormInFloat32(x, 3, { mean, variance, offset, scale }, 0);
    // One float32 ulp of the value: 2^(exponent - 23).
    const ulp = (v: number) => 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
    y.forEach((v, i) => expect(Math.abs(v - expected[i]!), `element ${i}`).toBeLessThanOrEqual(ulp(expected[i]!)));
  });

  it('a first layer\'s filter gradient, run on one thread, leaves the kernels\' thread count as it was', () => {
    const threads = native.addon!.threads();
    // x 2 x 6 x 6 x 1, 3x3 filter to 4 channels, same padding; dy at 0, x after it, dw after that.
    const geometry = Int32Array.from([2, 6, 6, 1, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1]);
    const heap = new ArrayBuffer(4096);
    new Float32Array(heap).fill(1);
    native.addon!.conv2dBackward(heap, geometry, 0, 2 * 6 * 6 * 4 * 4, -1, -1, -1, 2048, -1);
    // Every one of the 2 x 6 x 6 positions meets the filter's centre tap: dw there is the sum of 72 ones.
    expect(new Float32Array(heap, 2048 + 4 * 4 * 4, 4)).toEqual(Float32Array.of(72, 72, 72, 72));
    expect(native.addon!.threads()).toBe(threads);
  });

  it('refuses a tensor that lies outside the heap, naming it', () => {
    const heap = new ArrayBuffer(1024);
    const geometry = Int32Array.from([1, 4, 4, 1, 4, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(() => native.addon!.conv2d(heap, geometry, 0, 64, -1, 4096, 0)).toThrow(/argument 6 lies outside the heap/);
    expect(() => native.addon!.conv2d(heap, geometry.subarray(0, 5), 0, 64, -1, 128, 0)).toThrow(/geometry must be an Int32Array of 17/);
    expect(() => native.addon!.sgdUpdate(heap, Float64Array.of(4, 0, 16, -1, 1020, -1), 0.1, 0, 0)).toThrow(/parameter 0's tensor 4 lies outside the heap/);
  });

  it('load with passive OpenMP threads unless OMP_WAIT_POLICY says otherwise', () => {
    // libgomp reads the policy when the addon loads it, so each case is a fresh process.
    const policyAfterLoad = (policy: string | undefined): string => {
      const env = { ...process.env };
      if (policy === undefined) delete env.OMP_WAIT_POLICY;
      else env.OMP_WAIT_POLICY = policy;
      const script = "import { loadNativeAddon } from './src/main/engine/kernels/native-addon.ts'; loadNativeAddon(); console.log(process.env.OMP_WAIT_POLICY);";
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env });
      expect(child.status, child.stderr).toBe(0);
      return child.stdout.trim();
    };
    expect(policyAfterLoad(undefined)).toBe('passive');
    expect(policyAfterLoad('active')).toBe('active');
  });
});
