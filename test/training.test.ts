import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../src/shared/train-config.js';
import { initBackend } from '../src/main/engine/backend.js';
import { loadCheckpoint, resolveCheckpoint, saveCheckpoint, CorruptCheckpointError } from '../src/main/engine/checkpoint.js';
import { makeInputBatch, makeLabelBatch } from '../src/main/engine/data/batches.js';
import { channelStatistics } from '../src/main/engine/data/dataset.js';
import { computeSplit } from '../src/main/engine/data/split.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import type { ModelArchitecture } from '../src/main/engine/models/model-spec.js';
import { SgdOptimizer } from '../src/main/engine/train/optimizers.js';
import { CancelledError, DivergedError, trainClassifier, trainingStep } from '../src/main/engine/train/trainer.js';
import { Random } from '../src/main/engine/random.js';
import { makeTempDir, syntheticDataset } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const dataset = syntheticDataset(480, 4, 8, 1);
const split = computeSplit(dataset, { seed: 0, testFraction: 0.25, heldOutFraction: 0.1 });

function model(architecture: ModelArchitecture, seed = 0): Classifier {
  return Classifier.create({
    architecture,
    inputShape: [8, 8, 1],
    numClasses: 4,
    normalization: channelStatistics(dataset, split.train),
    seed,
  });
}

describe('models', () => {
  it.each(['mlp', 'cnn', 'cnn3', 'resnet18'] as const)('%s gives one logit per class and seeded initial weights', (architecture) => {
    const a = model(architecture, 1);
    const b = model(architecture, 1);
    const c = model(architecture, 2);
    const x = makeInputBatch(dataset, [0, 1, 2]);
    const logits = a.predict(x);
    expect(logits.shape).toEqual([3, 4]);
    const first = (m: Classifier) => [...m.trainableVariables()[0]!.dataSync().slice(0, 8)];
    expect(first(a)).toEqual(first(b));
    expect(first(a)).not.toEqual(first(c));
    [a, b, c].forEach((m) => m.dispose());
    x.dispose();
    logits.dispose();
  });

  it('ResNet-18 has the CIFAR variant parameter count for 10 classes on 32x32x3', () => {
    const resnet = Classifier.create({
      architecture: 'resnet18',
      inputShape: [32, 32, 3],
      numClasses: 10,
      normalization: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
      seed: 0,
    });
    // torchvision-style CIFAR ResNet-18: 11,173,962 trainable parameters.
    expect(resnet.parameterCount()).toBe(11_173_962);
    // Kaiming-normal fan-out: std of the stem kernel is sqrt(2 / (3*3*64)).
    const stem = resnet.tensors().find((t) => t.name === 'stem/conv/kernel')!.variable.dataSync() as Float32Array;
    const std = Math.sqrt(stem.reduce((s, v) => s + v * v, 0) / stem.length);
    expect(std).toBeGreaterThan(Math.sqrt(2 / 576) * 0.9);
    expect(std).toBeLessThan(Math.sqrt(2 / 576) * 1.1);
    resnet.dispose();
  });

  it('BatchNorm updates running statistics in training mode only', () => {
    const m = model('resnet18');
    const mean = () => [...m.tensors().find((t) => t.name === 'stem/bn/running_mean')!.variable.dataSync()];
    const before = mean();
    const x = makeInputBatch(dataset, [0, 1, 2, 3]);
    tf.tidy(() => m.predict(x));
    expect(mean()).toEqual(before);
    const labels = makeLabelBatch(dataset, [0, 1, 2, 3]);
    trainingStep(m, new SgdOptimizer(0.9, 0), x, labels, 0.01);
    expect(mean()).not.toEqual(before);
    m.dispose();
    x.dispose();
    labels.dispose();
  });
});

describe('trainer', () => {
  it('learns a small synthetic problem', async () => {
    const m = model('cnn');
    const config = parseTrainConfig({ dataset: 'synthetic', model: 'cnn', epochs: 4, batchSize: 32, lr: 0.05 });
    const history = await trainClassifier(m, dataset, split, config);
    expect(history).toHaveLength(4);
    expect(history[0]!.trainLoss).toBeGreaterThan(history[3]!.trainLoss);
    expect(history[3]!.testAccuracy).toBeGreaterThan(0.95);
    m.dispose();
  });

  it('keeps the tensor count flat over 50 steps (cnn and resnet18, with augmentation)', async () => {
    for (const architecture of ['cnn', 'resnet18'] as const) {
      const m = model(architecture);
      const optimizer = new SgdOptimizer(0.9, 5e-4);
      const random = new Random(0);
      const counts: number[] = [];
      for (let step = 0; step < 50; step++) {
        const indices = Array.from({ length: 8 }, () => split.train[random.int(split.train.length)]!);
        const x = makeInputBatch(dataset, indices, { cropPadding: 2, flip: true, random });
        const y = makeLabelBatch(dataset, indices);
        trainingStep(m, optimizer, x, y, 0.01);
        x.dispose();
        y.dispose();
        counts.push(tf.memory().numTensors);
      }
      // The optimizer's momentum buffers appear on the first step; after that nothing grows.
      expect(new Set(counts.slice(1)).size).toBe(1);
      optimizer.dispose();
      m.dispose();
    }
  });

  it('stops between steps when cancelled mid-epoch', async () => {
    const m = model('mlp');
    const controller = new AbortController();
    const steps: number[] = [];
    const config = parseTrainConfig({ dataset: 'synthetic', model: 'mlp', epochs: 3, batchSize: 8 });
    const run = trainClassifier(m, dataset, split, config, {
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: (p) => {
        steps.push(p.step);
        if (p.step === 5) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(steps[steps.length - 1]).toBe(5);
    m.dispose();
  });

  it('stops with the epoch, step and loss when the loss diverges', async () => {
    const m = model('mlp');
    const config = parseTrainConfig({ dataset: 'synthetic', model: 'mlp', epochs: 1, batchSize: 8, lr: 1e30, momentum: 0 });
    await expect(trainClassifier(m, dataset, split, config)).rejects.toThrow(DivergedError);
    await expect(trainClassifier(model('mlp'), dataset, split, config)).rejects.toThrow(/diverged: loss is (NaN|Infinity) at epoch 1, step \d+/);
    m.dispose();
  });
});

describe('checkpoints', () => {
  it('round-trip a trained model to the bit, into a content-addressed folder', async () => {
    const root = makeTempDir('ckpt');
    const m = model('resnet18', 4);
    const x = makeInputBatch(dataset, [0, 1, 2, 3]);
    const y = makeLabelBatch(dataset, [0, 1, 2, 3]);
    trainingStep(m, new SgdOptimizer(0.9, 0), x, y, 0.05);
    const saved = saveCheckpoint(root, m, { note: 'test' });
    expect(path.basename(saved.path)).toBe(saved.hash);
    expect(fs.readdirSync(root)).toEqual([saved.hash]);
    const restored = loadCheckpoint(resolveCheckpoint(root, saved.hash.slice(0, 10)));
    const before = m.predict(x).dataSync();
    const after = restored.predict(x).dataSync();
    expect(Buffer.from(after.buffer).equals(Buffer.from(before.buffer))).toBe(true);
    expect(saveCheckpoint(root, restored).hash).toBe(saved.hash);
    [m, restored].forEach((c) => c.dispose());
    x.dispose();
    y.dispose();
  });

  it('refuses a checkpoint whose content does not match its hash', () => {
    const root = makeTempDir('ckpt-bad');
    const m = model('mlp');
    const saved = saveCheckpoint(root, m);
    const weights = path.join(saved.path, 'weights.bin');
    const bytes = fs.readFileSync(weights);
    bytes[100]! ^= 1;
    fs.writeFileSync(weights, bytes);
    expect(() => loadCheckpoint(saved.path)).toThrow(CorruptCheckpointError);
    expect(() => loadCheckpoint(saved.path)).toThrow(/is corrupt: its content hash is [0-9a-f]{64}, expected/);
    expect(() => resolveCheckpoint(root, 'ffffff')).toThrow(/no checkpoint found at 'ffffff'/);
    m.dispose();
  });

  it('verifies a copy under another name against the hash its provenance records', () => {
    const m = model('mlp');
    const saved = saveCheckpoint(makeTempDir('ckpt-src'), m);
    const copy = path.join(makeTempDir('ckpt-copy'), 'x');
    fs.cpSync(saved.path, copy, { recursive: true });
    loadCheckpoint(copy).dispose();
    const weights = path.join(copy, 'weights.bin');
    const bytes = fs.readFileSync(weights);
    bytes[bytes.length - 1]! ^= 1;
    fs.writeFileSync(weights, bytes);
    expect(() => loadCheckpoint(copy)).toThrow(`checkpoint ${copy} is corrupt: its content hash is`);
    fs.copyFileSync(path.join(saved.path, 'weights.bin'), weights);
    fs.writeFileSync(path.join(copy, 'provenance.json'), '{}');
    expect(() => loadCheckpoint(copy)).toThrow(new CorruptCheckpointError(`checkpoint ${copy} cannot be verified: its folder is not named by its content hash and its provenance.json records none`));
    m.dispose();
  });
});
