/**
 * What every job on a saved checkpoint starts from: the checkpoint folder and its
 * provenance, the dataset and split it was trained with, and (when a forget set is
 * given) the forget and retain samples, checked to belong to that dataset and split.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveCheckpoint } from '../checkpoint.js';
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

function readJson<T>(file: string, what: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new Error(`cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
}

export function openCheckpoint(dataDir: string, reference: string, notice: (message: string) => void): CheckpointContext {
  const folder = resolveCheckpoint(checkpointsRoot(dataDir), reference);
  const provenanceFile = path.join(folder, 'provenance.json');
  const provenance = readJson<CheckpointProvenance>(provenanceFile, 'checkpoint provenance');
  const name = provenance.dataset?.name;
  if (!name) throw new Error(`${provenanceFile} does not name the dataset the model was trained on`);
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
