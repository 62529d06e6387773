import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import { gramianOf } from '../src/main/engine/moo/gramian.js';
import { multiObjectiveStep } from '../src/main/engine/moo/multi-objective-step.js';
import { mean } from '../src/main/engine/moo/mean.js';
import { upgrad } from '../src/main/engine/moo/upgrad.js';
import { SgdOptimizer } from '../src/main/engine/train/optimizers.js';
import { heldOutReferenceLoss, sharedClasses, uniformReferenceLoss } from '../src/main/engine/unlearn/reference-losses.js';
import { parseUnlearnConfig, type UnlearnStep } from '../src/shared/unlearn-config.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import { Random } from '../src/main/engine/random.js';
import { makeOptimizer } from '../src/main/engine/train/trainer.js';
import { makeStepper } from '../src/main/engine/unlearn/method.js';
import { raul } from '../src/main/engine/unlearn/methods/raul.js';
import { syntheticDataset } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('RAUL reference losses reproduce the spec values', () => {
  it('UniDist: H(U, p) and its gradient for logits (2, 0, -1)', () => {
    const z = tf.tensor2d([[2, 0, -1]]);
    expect(uniformReferenceLoss(z).dataSync()[0]).toBeCloseTo(1.836513, 5);
    const grad = tf.grad((x: tf.Tensor) => uniformReferenceLoss(x as tf.Tensor2D))(z).dataSync();
    [0.510461, -0.219138, -0.291323].forEach((v, i) => expect(grad[i]).toBeCloseTo(v, 5));
    // Mean over the batch: the gradient per row is (p - 1/C) / B.
    const two = tf.tensor2d([[2, 0, -1], [2, 0, -1]]);
    const g2 = tf.grad((x: tf.Tensor) => uniformReferenceLoss(x as tf.Tensor2D))(two).dataSync();
    expect(g2[0]).toBeCloseTo(0.510461 / 2, 5);
  });

  it('HeldDist: per-class KL of mean predictions', () => {
    const forget = tf.tensor2d([[2, 0, -1], [1, 1, 0]]);
    const heldOut = tf.tensor2d([[0, 0, 0], [0, 1, 0]]);
    const loss = heldOutReferenceLoss(forget, Int32Array.from([0, 0]), heldOut, Int32Array.from([0, 1]));
    expect(loss.dataSync()[0]).toBeCloseTo(0.227668, 5);
    // The reference is not detached: gradients reach the held-out logits too.
    const g = tf.grad((h: tf.Tensor) => heldOutReferenceLoss(forget, Int32Array.from([0, 0]), h as tf.Tensor2D, Int32Array.from([0, 1])))(heldOut);
    expect(Math.max(...g.dataSync().map(Math.abs))).toBeGreaterThan(1e-3);
    expect(sharedClasses(Int32Array.from([2, 0, 2]), Int32Array.from([0, 1, 2]))).toEqual([0, 2]);
    expect(sharedClasses(Int32Array.from([2, 2]), Int32Array.from([0, 1]))).toEqual([]);
    expect(() => heldOutReferenceLoss(forget, Int32Array.from([2, 2]), heldOut, Int32Array.from([0, 1]))).toThrow(/share no class; skip it/);
  });
});

describe('multi-objective step', () => {
  it('applies d = w^T J with the weighting of the Gramian, and records losses, weights and cosines', () => {
    // Two quadratic objectives with gradients (1, 0) and (-0.5, 1) at theta = 0.
    const theta = tf.variable(tf.zeros([2]));
    const objectives = [
      () => ({ loss: tf.sum(tf.mul(theta, tf.tensor1d([1, 0]))) as tf.Scalar }),
      () => ({ loss: tf.sum(tf.mul(theta, tf.tensor1d([-0.5, 1]))) as tf.Scalar }),
    ];
    const before = tf.memory().numTensors;
    const record = multiObjectiveStep([theta], objectives, upgrad(), new SgdOptimizer(0, 0), 0.1);
    const w = upgrad()(gramianOf([[1, 0], [-0.5, 1]]), 2);
    expect(record.weights[0]).toBeCloseTo(w[0]!, 12);
    const d = [w[0]! - 0.5 * w[1]!, w[1]!];
    const after = theta.dataSync();
    expect(after[0]).toBeCloseTo(-0.1 * d[0]!, 6);
    expect(after[1]).toBeCloseTo(-0.1 * d[1]!, 6);
    expect(record.losses).toEqual([0, 0]);
    expect(record.cosines[0]).toBeCloseTo(-0.5 / Math.sqrt(1.25), 6);
    expect(tf.memory().numTensors).toBe(before);
    theta.dispose();
  });

  it('with UPGrad decreases every objective on a conflicting pair, where the mean raises one', () => {
    const run = (weighting: ReturnType<typeof mean>) => {
      const theta = tf.variable(tf.tensor1d([1, 1]));
      // L1 = |theta - (3, 0)|^2 / 2, L2 = 10 * |theta - (0, 3)|^2 / 2: conflicting, unequal scales.
      const L1 = () => tf.mul(0.5, tf.sum(tf.square(tf.sub(theta, tf.tensor1d([3, 0]))))) as tf.Scalar;
      const L2 = () => tf.mul(5, tf.sum(tf.square(tf.sub(theta, tf.tensor1d([0, 3]))))) as tf.Scalar;
      const before = [L1().dataSync()[0]!, L2().dataSync()[0]!];
      multiObjectiveStep([theta], [() => ({ loss: L1() }), () => ({ loss: L2() })], weighting, new SgdOptimizer(0, 0), 0.01);
      const after = [L1().dataSync()[0]!, L2().dataSync()[0]!];
      theta.dispose();
      return after.map((a, i) => a - before[i]!);
    };
    for (const change of run(upgrad())) expect(change).toBeLessThan(0);
    expect(Math.max(...run(mean()))).toBeGreaterThan(0);
  });
});

describe('an objective without a term in a step', () => {
  it('is skipped with its reason: a zero gradient row, loss 0, the other objectives aggregated as usual', () => {
    const theta = tf.variable(tf.zeros([2]));
    const objectives = [() => ({ loss: tf.sum(tf.mul(theta, tf.tensor1d([1, -2]))) as tf.Scalar }), { skipped: 'nothing to compare' }];
    const before = tf.memory().numTensors;
    const record = multiObjectiveStep([theta], objectives, upgrad(), new SgdOptimizer(0, 0), 0.1);
    const w = upgrad()(gramianOf([[1, -2], [0, 0]]), 2);
    expect(record.losses).toEqual([0, 0]);
    expect(record.skipped).toEqual([{ objective: 1, reason: 'nothing to compare' }]);
    expect(record.weights[0]).toBeCloseTo(w[0]!, 12);
    expect(record.cosines).toEqual([0]);
    const after = theta.dataSync();
    expect(after[0]).toBeCloseTo(-0.1 * w[0]!, 6);
    expect(after[1]).toBeCloseTo(0.2 * w[0]!, 6);
    expect(tf.memory().numTensors).toBe(before);
    theta.dispose();
  });

  it('RAUL-HeldDist skips the forget term on batches that share no class with the held-out batch, and still trains on retain', async () => {
    // Class 0 is forgotten and the held-out split has no class-0 sample at all.
    const dataset = syntheticDataset(160, 4, 8, 1, 5);
    const indices = Int32Array.from({ length: 160 }, (_, i) => i);
    const ofClass = (keep: (label: number) => boolean) => indices.filter((i) => keep(dataset.labels[i]!));
    const forget = ofClass((l) => l === 0).subarray(0, 20);
    const heldOut = ofClass((l) => l !== 0).subarray(0, 30);
    const retain = indices.filter((i) => !forget.includes(i) && !heldOut.includes(i));
    const model = Classifier.create({ architecture: 'mlp', inputShape: [8, 8, 1], numClasses: 4, normalization: { mean: [0.5], std: [0.25] }, seed: 4 });
    const original = Classifier.create(model.spec);
    const config = parseUnlearnConfig({ checkpoint: 'x', forgetSet: 1, method: 'raul', reference: 'heldout', aggregator: 'upgrad', batchSize: 32, epochs: 1, lr: 0.05 });
    const optimizer = makeOptimizer(config);
    const weighting = upgrad();
    const signal = new AbortController().signal;
    const steps: UnlearnStep[] = [];
    const first = Float32Array.from(model.trainableVariables()[0]!.dataSync());
    await raul.run({
      model, original, dataset, forget, retain, heldOut, optimizer, weighting, signal,
      config: { ...config, lr: 0.05, epochs: 1 },
      random: new Random(1, 'unlearn'),
      step: makeStepper(model, optimizer, weighting, 0.05, signal, (s) => steps.push(s)),
    });
    expect(steps).toHaveLength(Math.ceil(retain.length / 32));
    for (const step of steps) {
      expect(step.skipped).toEqual([{ objective: 1, reason: "the held-out batch has no sample of the forget batch's classes (class0)" }]);
      expect(step.losses[0]).toBeGreaterThan(0);
      expect(step.losses[1]).toBe(0);
    }
    const moved = model.trainableVariables()[0]!.dataSync().some((v, i) => v !== first[i]);
    expect(moved).toBe(true);
    model.dispose();
    original.dispose();
    optimizer.dispose();
  });
});
