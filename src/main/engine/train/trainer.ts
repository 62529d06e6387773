/**
 * The training loop: seeded shuffling, optional augmentation, one optimizer step per
 * batch, per-epoch train and test metrics, progress events, and cancellation checked
 * between steps (the loop yields to the event loop after each step so a cancel message
 * can arrive).
 */
import * as tf from '@tensorflow/tfjs';
import type { EpochMetrics, TrainConfig, TrainProgress } from '../../../shared/train-config.js';
import { makeInputBatch, makeLabelBatch, type Augmentation } from '../data/batches.js';
import type { ImageDataset } from '../data/dataset.js';
import { applyBufferUpdates } from '../models/layers.js';
import type { Classifier } from '../models/classifier.js';
import { Random } from '../random.js';
import { countCorrect, evaluate, trainingCrossEntropy } from './evaluate.js';
import { AdamWOptimizer, SgdOptimizer, type Optimizer } from './optimizers.js';
import { makeSchedule } from './schedules.js';

export class CancelledError extends Error {
  constructor() {
    super('cancelled by the user');
    this.name = 'CancelledError';
  }
}

export class DivergedError extends Error {
  constructor(readonly epoch: number, readonly step: number, readonly loss: number) {
    super(`training diverged: loss is ${loss} at epoch ${epoch + 1}, step ${step + 1}`);
    this.name = 'DivergedError';
  }
}

export function makeOptimizer(config: Pick<TrainConfig, 'optimizer' | 'momentum' | 'weightDecay'>): Optimizer {
  return config.optimizer === 'adamw'
    ? new AdamWOptimizer(config.weightDecay)
    : new SgdOptimizer(config.momentum, config.weightDecay);
}

/** One step of mean cross-entropy training on a batch; returns the batch loss and correct count. */
export function trainingStep(
  model: Classifier,
  optimizer: Optimizer,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  lr: number,
): { loss: number; correct: number } {
  const params = model.trainableVariables();
  let correct = 0;
  const updates: ReturnType<Classifier['forward']>['bufferUpdates'] = [];
  const { value, grads } = tf.variableGrads(() => {
    const { logits, bufferUpdates } = model.forward(x, true);
    updates.push(...bufferUpdates);
    correct = countCorrect(logits, labels).dataSync()[0]!;
    return trainingCrossEntropy(logits, labels);
  }, params);
  const loss = value.dataSync()[0]!;
  if (Number.isFinite(loss)) {
    optimizer.step(params, params.map((p) => grads[p.name]!), lr);
    applyBufferUpdates(updates);
  } else {
    for (const u of updates) u.value.dispose();
  }
  value.dispose();
  tf.dispose(grads);
  return { loss, correct };
}

export interface TrainHooks {
  onProgress?: (progress: TrainProgress) => void;
  onEpoch?: (metrics: EpochMetrics) => void;
  signal?: AbortSignal;
  /** Minimum milliseconds between progress events. */
  progressIntervalMs?: number;
}

export const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function trainClassifier(
  model: Classifier,
  dataset: ImageDataset,
  split: { train: Int32Array; test: Int32Array },
  config: TrainConfig,
  hooks: TrainHooks = {},
): Promise<EpochMetrics[]> {
  const optimizer = makeOptimizer(config);
  const schedule = makeSchedule(config);
  const shuffleRandom = new Random(config.seed, 'shuffle');
  const augmentation: Augmentation | undefined =
    config.augmentCrop > 0 || config.augmentFlip
      ? { cropPadding: config.augmentCrop, flip: config.augmentFlip, random: new Random(config.seed, 'augment') }
      : undefined;
  const n = split.train.length;
  if (n === 0) throw new Error('the training split is empty');
  const stepsPerEpoch = Math.ceil(n / config.batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;
  const interval = hooks.progressIntervalMs ?? 250;
  const history: EpochMetrics[] = [];
  const started = performance.now();
  let samplesDone = 0;
  let lastProgress = -Infinity;

  try {
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      const epochStart = performance.now();
      const order = shuffleRandom.permutation(n);
      let lossSum = 0;
      let correct = 0;
      let lr = config.lr;
      for (let step = 0; step < stepsPerEpoch; step++) {
        if (hooks.signal?.aborted) throw new CancelledError();
        const positions = order.subarray(step * config.batchSize, (step + 1) * config.batchSize);
        const indices = positions.map((p) => split.train[p]!);
        lr = schedule(epoch, (epoch * stepsPerEpoch + step) / totalSteps);
        const x = makeInputBatch(dataset, indices, augmentation);
        const labels = makeLabelBatch(dataset, indices);
        const result = trainingStep(model, optimizer, x, labels, lr);
        x.dispose();
        labels.dispose();
        if (!Number.isFinite(result.loss)) throw new DivergedError(epoch, step, result.loss);
        lossSum += result.loss * indices.length;
        correct += result.correct;
        samplesDone += indices.length;

        const now = performance.now();
        const isLast = step === stepsPerEpoch - 1;
        if (hooks.onProgress && (now - lastProgress >= interval || isLast)) {
          lastProgress = now;
          const rate = samplesDone / ((now - started) / 1000);
          const remaining = n * config.epochs - samplesDone;
          hooks.onProgress({
            epoch,
            epochs: config.epochs,
            step: step + 1,
            stepsPerEpoch,
            loss: result.loss,
            samplesPerSecond: rate,
            etaSeconds: rate > 0 ? remaining / rate : Infinity,
          });
        }
        await nextTick();
      }
      const test = evaluate(model, dataset, split.test, config.evalBatchSize);
      const metrics: EpochMetrics = {
        epoch,
        lr,
        trainLoss: lossSum / n,
        trainAccuracy: correct / n,
        testLoss: test.loss,
        testAccuracy: test.accuracy,
        seconds: (performance.now() - epochStart) / 1000,
      };
      history.push(metrics);
      hooks.onEpoch?.(metrics);
      await nextTick();
    }
  } finally {
    optimizer.dispose();
  }
  return history;
}
