/**
 * A training job end to end: dataset (cached), stored split, model from a seeded spec,
 * the training loop, and the checkpoint written atomically at the very end, so a
 * cancelled or failed job leaves nothing behind.
 */
import path from 'node:path';
import type { BackendInfo } from '../../../shared/backend.js';
import type { TrainJobResult } from '../../../shared/engine-protocol.js';
import type { EpochMetrics, TrainConfig, TrainProgress } from '../../../shared/train-config.js';
import { saveCheckpoint } from '../checkpoint.js';
import { loadDataset } from '../data/dataset-store.js';
import { ensureWritableDir } from '../data/data-dir.js';
import { channelStatistics, describeDataset } from '../data/dataset.js';
import { DEFAULT_SPLIT_RULE, describeSplit, loadOrCreateSplit } from '../data/split.js';
import { checkJobFitsInHeap, measureSpecMemory, optimizerSlots } from '../memory-estimate.js';
import { Classifier } from '../models/classifier.js';
import { atPrecision } from '../precision.js';
import { MODEL_ARCHITECTURES, type ModelArchitecture } from '../models/model-spec.js';
import { trainClassifier } from '../train/trainer.js';

export interface JobContext {
  dataDir: string;
  backend: BackendInfo;
  signal: AbortSignal;
  onProgress: (progress: TrainProgress) => void;
  onEpoch: (metrics: EpochMetrics) => void;
  notice: (message: string) => void;
}

export function checkpointsRoot(dataDir: string): string {
  return path.join(dataDir, 'checkpoints');
}

export function runTrainJob(config: TrainConfig, context: JobContext): Promise<TrainJobResult> {
  return atPrecision(config.precision, context.backend, () => train(config, context));
}

async function train(config: TrainConfig, context: JobContext): Promise<TrainJobResult> {
  if (!(MODEL_ARCHITECTURES as readonly string[]).includes(config.model)) {
    throw new Error(`unknown model '${config.model}'; available: ${MODEL_ARCHITECTURES.join(', ')}`);
  }
  const started = Date.now();
  ensureWritableDir(context.dataDir);
  const dataset = loadDataset(context.dataDir, config.dataset, context.notice);
  if (dataset.height * dataset.width === 1 && config.model !== 'mlp') {
    throw new Error(`model ${config.model} needs images; ${dataset.name} is tabular (${dataset.channels} features): use the mlp model`);
  }
  const architecture = {
    architecture: config.model as ModelArchitecture,
    inputShape: [dataset.height, dataset.width, dataset.channels] as [number, number, number],
    numClasses: dataset.classNames.length,
    seed: config.seed,
  };
  // Before the split is written: a job that cannot fit is refused, not aborted mid-run.
  checkJobFitsInHeap(context.backend.name, measureSpecMemory(architecture), {
    batchSize: config.batchSize,
    evalBatchSize: config.evalBatchSize,
    parameterCopies: 1 + optimizerSlots(config.optimizer, config.momentum),
    samples: dataset.count,
  });
  const split = loadOrCreateSplit(context.dataDir, dataset, { ...DEFAULT_SPLIT_RULE, seed: config.splitSeed }, context.notice);
  const model = Classifier.create({
    ...architecture,
    normalization: channelStatistics(dataset, split.train),
  });
  try {
    const history = await trainClassifier(model, dataset, split, config, {
      signal: context.signal,
      onProgress: context.onProgress,
      onEpoch: context.onEpoch,
    });
    const finished = Date.now();
    const checkpoint = saveCheckpoint(checkpointsRoot(context.dataDir), model, {
      kind: 'train',
      config,
      dataset: { name: dataset.name, digest: dataset.digest },
      split: { digest: split.digest, seed: split.seed },
      backend: context.backend,
      history,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
    });
    const last = history[history.length - 1]!;
    return {
      kind: 'train',
      checkpoint,
      history,
      testAccuracy: last.testAccuracy,
      parameterCount: model.parameterCount(),
      dataset: {
        ...describeDataset(dataset),
        train: split.train.length,
        heldOut: split.heldOut.length,
        test: split.test.length,
      },
      split: describeSplit(split),
      backend: context.backend,
      seconds: (finished - started) / 1000,
    };
  } finally {
    model.dispose();
  }
}
