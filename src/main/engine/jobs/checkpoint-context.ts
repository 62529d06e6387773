/**
 * What every job on a saved checkpoint starts from: the checkpoint folder and its
 * provenance, the dataset and split it was trained with, and (when a forget set is
 * given) the forget and retain samples, checked to belong to that dataset and split.
 */
import path from 'node:path';
import { CorruptCheckpointError, resolveCheckpoint } from '../checkpoint.js';
import { MIB, readFileBounded } from '../data/bounded-read.js';
import type { ImageDataset } from '../data/dataset.js';
import { loadDataset } from '../data/dataset-store.js';
import { DEFAULT_SPLIT_RULE, loadOrCreateSplit, type DatasetSplit } from '../data/split.js';
import { readForgetSetFile } from '../forget/forget-set-file.js';
import type { ForgetSetReference } from '../../../shared/engine-protocol.js';
import { checkpointsRoot } from './train-job.js';

export interface CheckpointProvenance {
  dataset?: { name?: string; digest?: string };
  split?: { seed?: number };
  /** The checkpoint this one was unlearned from. */
  from?: string;
  kind?: string;
}

export interface CheckpointContext {
  folder: string;
  provenance: CheckpointProvenance;
  dataset: ImageDataset;
  split: DatasetSplit;
}

export interface ForgetContext extends CheckpointContext {
  forget: Int32Array;
  retain: Int32Array;
}

function readProvenance(file: string): CheckpointProvenance {
  let provenance: unknown;
  try {
    provenance = JSON.parse(readFileBounded(file, 64 * MIB, 'a checkpoint provenance').toString('utf8'));
  } catch (error) {
    throw new CorruptCheckpointError(`cannot read the checkpoint provenance ${file}: ${(error as Error).message}`);
  }
  if (typeof provenance !== 'object' || provenance === null) throw new CorruptCheckpointError(`${file} is not a checkpoint provenance (a JSON object)`);
  return provenance;
}

export function openCheckpoint(dataDir: string, reference: string, notice: (message: string) => void): CheckpointContext {
  const folder = resolveCheckpoint(checkpointsRoot(dataDir), reference);
  const provenanceFile = path.join(folder, 'provenance.json');
  const provenance = readProvenance(provenanceFile);
  const name = provenance.dataset?.name;
  if (typeof name !== 'string' || !name) throw new CorruptCheckpointError(`${provenanceFile} does not name the dataset the model was trained on`);
  const dataset = loadDataset(dataDir, name, notice);
  if (provenance.dataset?.digest && provenance.dataset.digest !== dataset.digest) {
    throw new Error(`checkpoint ${folder} was trained on ${name} with digest ${provenance.dataset.digest}, but the dataset now has digest ${dataset.digest}`);
  }
  const split = loadOrCreateSplit(dataDir, dataset, { ...DEFAULT_SPLIT_RULE, seed: provenance.split?.seed ?? 0 }, notice);
  return { folder, provenance, dataset, split };
}

/** The checkpoint's context and the forget set's samples, verified against its catalog digest and the checkpoint's split. */
export function openCheckpointWithForgetSet(dataDir: string, reference: string, forgetSet: ForgetSetReference, notice: (message: string) => void): ForgetContext {
  const context = openCheckpoint(dataDir, reference, notice);
  return { ...context, ...readForgetSetFile(forgetSet.path, forgetSet.digest, context.dataset, context.split) };
}
