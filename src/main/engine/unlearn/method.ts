/**
 * What an unlearning method is: a name, its objectives in row order, its defaults, and
 * a run over a context holding the model, the data and the step machinery. Every
 * method is one file under methods/ and one line in the registry.
 */
import * as tf from '@tensorflow/tfjs';
import type { UnlearnConfig, UnlearnStep } from '../../../shared/unlearn-config.js';
import { makeInputBatch, makeLabelBatch } from '../data/batches.js';
import type { ImageDataset } from '../data/dataset.js';
import type { Classifier } from '../models/classifier.js';
import type { MethodName } from './method-info.js';
import type { Weighting } from '../moo/gramian.js';
import { multiObjectiveStep, type Objective, type ObjectiveValue } from '../moo/multi-objective-step.js';
import type { Random } from '../random.js';
import { trainingCrossEntropy } from '../train/evaluate.js';
import type { Optimizer } from '../train/optimizers.js';
import { CancelledError } from '../train/trainer.js';

export interface UnlearnContext {
  model: Classifier;
  /** The model before unlearning, frozen (a separate copy); for references and teachers. */
  original: Classifier;
  dataset: ImageDataset;
  forget: Int32Array;
  retain: Int32Array;
  heldOut: Int32Array;
  config: UnlearnConfig & { lr: number; epochs: number };
  optimizer: Optimizer;
  /** The aggregator's weighting (multi-objective methods). */
  weighting: Weighting;
  random: Random;
  signal: AbortSignal;
  /** Runs one step over the objectives (one for single-objective methods) and reports it. */
  step(epoch: number, objectives: Objective[], model?: Classifier, optimizer?: Optimizer): Promise<void>;
}

export interface UnlearnMethod {
  name: MethodName;
  /** Runs the method; a method that builds a new model (Retrain) returns it. */
  run(context: UnlearnContext): Promise<Classifier | void>;
}

/** Shuffled batches of `indices` for one pass. */
export function* batchesOf(indices: Int32Array, batchSize: number, random: Random): Generator<Int32Array> {
  const order = random.permutation(indices.length);
  for (let start = 0; start < indices.length; start += batchSize) {
    yield Int32Array.from(order.subarray(start, start + batchSize), (p) => indices[p]!);
  }
}

/** An endless stream of shuffled batches, reshuffled at each pass. */
export function cycled(indices: Int32Array, batchSize: number, random: Random): () => Int32Array {
  let current = batchesOf(indices, batchSize, random);
  return () => {
    let next = current.next();
    if (next.done) {
      current = batchesOf(indices, batchSize, random);
      next = current.next();
    }
    return next.value as Int32Array;
  };
}

/** Cross-entropy of the model on a batch with the given labels (true ones unless replaced). */
export function crossEntropyObjective(model: Classifier, dataset: ImageDataset, batch: Int32Array, sign = 1, labels?: Int32Array): () => ObjectiveValue {
  return () => {
    const x = makeInputBatch(dataset, batch);
    const y = labels ? tf.tensor1d(labels, 'int32') : makeLabelBatch(dataset, batch);
    const { logits, bufferUpdates } = model.forward(x, true);
    const loss = trainingCrossEntropy(logits, y);
    return { loss: sign === 1 ? loss : (tf.neg(loss) as tf.Scalar), bufferUpdates };
  };
}

/** The step machinery shared by all methods: aggregate, apply, check for divergence and cancellation, report. */
export function makeStepper(
  defaultModel: Classifier,
  defaultOptimizer: Optimizer,
  weighting: Weighting,
  lr: number,
  signal: AbortSignal,
  onStep: (step: UnlearnStep) => void,
): UnlearnContext['step'] {
  let step = 0;
  return async (epoch, objectives, model = defaultModel, optimizer = defaultOptimizer) => {
    if (signal.aborted) throw new CancelledError();
    const record = multiObjectiveStep(model.trainableVariables(), objectives, weighting, optimizer, lr);
    const bad = record.losses.findIndex((l) => !Number.isFinite(l));
    if (bad >= 0) throw new Error(`the loss became ${record.losses[bad]} at epoch ${epoch + 1}, step ${step + 1} (objective ${bad + 1}); the run stops and keeps no checkpoint`);
    onStep({ epoch, step: step++, ...record });
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
}
