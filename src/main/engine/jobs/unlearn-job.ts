/**
 * An unlearning job: the original checkpoint (verified), its dataset and split from its
 * provenance, the forget set (which must belong to that dataset and split), then the
 * method with its objectives combined by the aggregator. The result is evaluated on the
 * forget, retain and test samples and saved as a new checkpoint only when the run ends
 * well: a cancelled or diverged run leaves no checkpoint behind.
 */
import path from 'node:path';
import type { UnlearnJob, UnlearnJobResult } from '../../../shared/engine-protocol.js';
import type { UnlearnStep } from '../../../shared/unlearn-config.js';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint.js';
import { describeDataset } from '../data/dataset.js';
import { checkJobFitsInHeap, measureModelMemory, optimizerSlots } from '../memory-estimate.js';
import type { Classifier } from '../models/classifier.js';
import { mean } from '../moo/mean.js';
import { atPrecision } from '../precision.js';
import { createAggregator } from '../moo/registry.js';
import { Random } from '../random.js';
import { evaluate } from '../train/evaluate.js';
import { makeOptimizer } from '../train/trainer.js';
import { methodInfo } from '../unlearn/method-info.js';
import { makeStepper } from '../unlearn/method.js';
import { unlearnMethod } from '../unlearn/method-registry.js';
import { openCheckpointWithForgetSet } from './checkpoint-context.js';
import { checkpointsRoot, type JobContext } from './train-job.js';

export function runUnlearnJob(job: UnlearnJob, context: JobContext, onStep: (step: UnlearnStep) => void): Promise<UnlearnJobResult> {
  return atPrecision(job.config.precision, context.backend, () => unlearn(job, context, onStep));
}

async function unlearn(job: UnlearnJob, context: JobContext, onStep: (step: UnlearnStep) => void): Promise<UnlearnJobResult> {
  const { config } = job;
  const info = methodInfo(config.method);
  const method = unlearnMethod(config.method);
  const weighting = info.multiObjective ? createAggregator(config.aggregator, { weights: config.weights, seed: config.seed }) : mean();
  if (config.weights && config.weights.length !== info.objectives.length) {
    throw new Error(`${config.method} has ${info.objectives.length} objectives (${info.objectives.join(', ')}); ${config.weights.length} weights were given`);
  }
  const { folder, dataset, split, forget, retain } = openCheckpointWithForgetSet(job.dataDir, config.checkpoint, job.forgetSet, context.notice);
  const lr = config.lr ?? info.defaults.lr;
  const epochs = config.epochs ?? info.defaults.epochs;

  const model = loadCheckpoint(folder);
  try {
    // The original stays loaded, and each objective's gradient is kept for the aggregator.
    checkJobFitsInHeap(context.backend.name, measureModelMemory(model), {
      batchSize: config.batchSize,
      evalBatchSize: config.evalBatchSize,
      parameterCopies: 2 + info.objectives.length + optimizerSlots(config.optimizer, config.momentum),
      samples: dataset.count,
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
  const original = loadCheckpoint(folder);
  let result: Classifier | undefined;
  const optimizer = makeOptimizer(config);
  const accuracies = (m: Classifier) => ({
    forget: evaluate(m, dataset, forget, config.evalBatchSize).accuracy,
    retain: evaluate(m, dataset, retain, config.evalBatchSize).accuracy,
    test: evaluate(m, dataset, split.test, config.evalBatchSize).accuracy,
  });
  try {
    const originalAccuracy = accuracies(original);
    let steps = 0;
    const stepper = makeStepper(model, optimizer, weighting, lr, context.signal, (step) => {
      steps += 1;
      onStep(step);
    });
    const started = performance.now();
    result = (await method.run({
      model,
      original,
      dataset,
      forget,
      retain,
      heldOut: split.heldOut,
      config: { ...config, lr, epochs },
      optimizer,
      weighting,
      random: new Random(config.seed, 'unlearn'),
      signal: context.signal,
      step: stepper,
    })) ?? model;
    const seconds = (performance.now() - started) / 1000;
    const accuracy = accuracies(result);
    const aggregator = info.multiObjective ? config.aggregator : null;
    const checkpoint = saveCheckpoint(checkpointsRoot(job.dataDir), result, {
      kind: 'unlearn',
      method: config.method,
      aggregator,
      objectives: info.objectives,
      config: { ...config, lr, epochs },
      from: path.basename(folder),
      forgetSet: { path: job.forgetSet.path, size: forget.length },
      dataset: { name: dataset.name, digest: dataset.digest },
      split: { digest: split.digest, seed: split.seed },
      backend: context.backend,
      accuracy,
    });
    return {
      kind: 'unlearn',
      checkpoint,
      original: path.basename(folder),
      method: config.method,
      aggregator,
      objectives: info.objectives,
      accuracy,
      originalAccuracy,
      steps,
      dataset: describeDataset(dataset),
      backend: context.backend,
      seconds,
    };
  } finally {
    optimizer.dispose();
    if (result && result !== model) result.dispose();
    model.dispose();
    original.dispose();
  }
}
