/**
 * Loads a checkpoint (verifying its hash) and measures loss and accuracy on the train,
 * held-out and test parts of the split it was trained with, read from its provenance.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EvaluateJobResult } from '../../../shared/engine-protocol.js';
import { loadCheckpoint, resolveCheckpoint } from '../checkpoint.js';
import { loadDataset } from '../data/dataset-store.js';
import { DEFAULT_SPLIT_RULE, loadOrCreateSplit } from '../data/split.js';
import { evaluate } from '../train/evaluate.js';
import { checkpointsRoot, type JobContext } from './train-job.js';

interface TrainingProvenance {
  dataset?: { name?: string; digest?: string };
  split?: { seed?: number };
}

const EVAL_BATCH_SIZE = 1000;

export async function runEvaluateJob(
  reference: string,
  context: Pick<JobContext, 'dataDir' | 'backend' | 'notice'>,
): Promise<EvaluateJobResult> {
  const started = Date.now();
  const folder = resolveCheckpoint(checkpointsRoot(context.dataDir), reference);
  const provenanceFile = path.join(folder, 'provenance.json');
  let provenance: TrainingProvenance;
  try {
    provenance = JSON.parse(fs.readFileSync(provenanceFile, 'utf8')) as TrainingProvenance;
  } catch (error) {
    throw new Error(`checkpoint ${folder} has no readable provenance.json, so its dataset is unknown: ${(error as Error).message}`);
  }
  const datasetName = provenance.dataset?.name;
  if (!datasetName) throw new Error(`${provenanceFile} does not name the dataset the model was trained on`);
  const model = loadCheckpoint(folder);
  try {
    const dataset = loadDataset(context.dataDir, datasetName, context.notice);
    if (provenance.dataset?.digest && provenance.dataset.digest !== dataset.digest) {
      throw new Error(
        `checkpoint ${folder} was trained on ${datasetName} with digest ${provenance.dataset.digest}, ` +
          `but the dataset now has digest ${dataset.digest}`,
      );
    }
    const split = loadOrCreateSplit(context.dataDir, dataset, { ...DEFAULT_SPLIT_RULE, seed: provenance.split?.seed ?? 0 }, context.notice);
    const measure = (indices: Int32Array) => evaluate(model, dataset, indices, EVAL_BATCH_SIZE);
    return {
      kind: 'evaluate',
      checkpoint: { hash: path.basename(folder), path: folder },
      model: model.spec.architecture,
      dataset: { name: dataset.name, digest: dataset.digest },
      splits: { train: measure(split.train), heldOut: measure(split.heldOut), test: measure(split.test) },
      backend: context.backend,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    model.dispose();
  }
}
