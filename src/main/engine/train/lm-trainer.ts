/**
 * Training a language model on sequences: seeded shuffling, AdamW with a linear warm-up
 * and cosine decay, gradients clipped to a global norm, progress events and cancellation
 * between steps, as the classifier trainer does.
 */
import * as tf from '@tensorflow/tfjs';
import type { LmEpochMetrics, LmTrainConfig } from '../../../shared/lm-train-config.js';
import type { TrainProgress } from '../../../shared/train-config.js';
import type { Transformer } from '../models/transformer.js';
import { Random } from '../random.js';
import { disposeBatch, makeSequenceBatch, type Sequence } from '../text/sequences.js';
import { AdamWOptimizer } from './optimizers.js';
import { warmupCosine } from './schedules.js';
import { sequenceNll } from './sequence-loss.js';
import { CancelledError, DivergedError, nextTick } from './trainer.js';

/** What the loop needs of a language-model training config (epochs, batch, AdamW, warm-up, clipping, seed). */
export type LmTrainingOptions = Pick<LmTrainConfig, 'epochs' | 'batchSize' | 'lr' | 'weightDecay' | 'warmupFraction' | 'clipNorm' | 'seed'>;

export interface LmTrainHooks {
  onProgress?: (progress: TrainProgress) => void;
  onEpoch?: (metrics: LmEpochMetrics) => void;
  signal?: AbortSignal;
  progressIntervalMs?: number;
}

/** Scales the gradients so their joint L2 norm is at most `maxNorm`; returns the norm before. */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): { clipped: tf.Tensor[]; norm: number } {
  const norm = Math.sqrt(tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))).dataSync()[0]!));
  if (!(norm > maxNorm)) return { clipped: grads, norm };
  return { clipped: grads.map((g) => tf.mul(g, maxNorm / norm)), norm };
}

/** One AdamW step on the batch's mean answer-token NLL; returns the loss. */
export function languageModelStep(model: Transformer, optimizer: AdamWOptimizer, sequences: readonly Sequence[], lr: number, clipNorm: number): number {
  const batch = makeSequenceBatch(sequences);
  const params = model.trainableVariables();
  try {
    const { value, grads } = tf.variableGrads(() => sequenceNll(model, batch), params);
    const loss = value.dataSync()[0]!;
    if (Number.isFinite(loss)) {
      const raw = params.map((p) => grads[p.name]!);
      const { clipped } = clipByGlobalNorm(raw, clipNorm);
      optimizer.step(params, clipped, lr);
      if (clipped !== raw) tf.dispose(clipped);
    }
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  } finally {
    disposeBatch(batch);
  }
}

export async function trainLanguageModel(model: Transformer, sequences: readonly Sequence[], config: LmTrainingOptions, hooks: LmTrainHooks = {}): Promise<LmEpochMetrics[]> {
  const n = sequences.length;
  if (n === 0) throw new Error('there are no training sequences');
  const stepsPerEpoch = Math.ceil(n / config.batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;
  const schedule = warmupCosine(config.lr, Math.round(totalSteps * config.warmupFraction), totalSteps);
  const optimizer = new AdamWOptimizer(config.weightDecay);
  const shuffle = new Random(config.seed, 'shuffle');
  const interval = hooks.progressIntervalMs ?? 250;
  const history: LmEpochMetrics[] = [];
  const started = performance.now();
  let sequencesDone = 0;
  let lastProgress = -Infinity;
  try {
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      const epochStart = performance.now();
      const order = shuffle.permutation(n);
      let lossSum = 0;
      let tokens = 0;
      let lr = config.lr;
      for (let step = 0; step < stepsPerEpoch; step++) {
        if (hooks.signal?.aborted) throw new CancelledError();
        const chosen = Array.from(order.subarray(step * config.batchSize, (step + 1) * config.batchSize), (i) => sequences[i]!);
        lr = schedule(epoch * stepsPerEpoch + step);
        const loss = languageModelStep(model, optimizer, chosen, lr, config.clipNorm);
        if (!Number.isFinite(loss)) throw new DivergedError(epoch, step, loss);
        lossSum += loss;
        tokens += chosen.reduce((sum, s) => sum + s.tokens.length - 1, 0);
        sequencesDone += chosen.length;
        const now = performance.now();
        const isLast = step === stepsPerEpoch - 1;
        if (hooks.onProgress && (now - lastProgress >= interval || isLast)) {
          lastProgress = now;
          const rate = sequencesDone / ((now - started) / 1000);
          hooks.onProgress({
            epoch,
            epochs: config.epochs,
            step: step + 1,
            stepsPerEpoch,
            loss,
            samplesPerSecond: rate,
            etaSeconds: rate > 0 ? (n * config.epochs - sequencesDone) / rate : Infinity,
          });
        }
        await nextTick();
      }
      const seconds = (performance.now() - epochStart) / 1000;
      const metrics: LmEpochMetrics = { epoch, lr, trainLoss: lossSum / stepsPerEpoch, tokensPerSecond: tokens / seconds, seconds };
      history.push(metrics);
      hooks.onEpoch?.(metrics);
    }
  } finally {
    optimizer.dispose();
  }
  return history;
}
