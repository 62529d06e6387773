/**
 * The forget-set file, `<data-dir>/forget-sets/<dataset>-<digest>.json`: written once
 * by the forget-set job, read by every job that uses the set. Reading verifies it as a
 * checkpoint is verified: the indices must be train samples of the split it names and
 * hash to the digest the catalog recorded, so a file edited on disk is refused.
 */
import { createHash } from 'node:crypto';
import type { ForgetRule } from '../../../shared/forget-set.js';
import { writeFileAtomic } from '../data/atomic-file.js';
import { MIB, readFileBounded } from '../data/bounded-read.js';
import type { ImageDataset } from '../data/dataset.js';
import type { DatasetSplit } from '../data/split.js';
import { ForgetSetError, retainOf } from './forget-rules.js';

/** Sorted indices of every sample of a 10-million-sample dataset, as JSON, fit in 128 MiB. */
const MAX_FORGET_SET_FILE_BYTES = 128 * MIB;

interface ForgetSetFile {
  dataset: { name: string; digest: string };
  split: { digest: string; seed: number };
  rule: ForgetRule;
  size: number;
  digest: string;
  retain: { size: number; digest: string };
  indices: number[];
}

export function indicesDigest(indices: Int32Array): string {
  return createHash('sha256').update(new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength)).digest('hex');
}

export function writeForgetSetFile(
  file: string,
  set: { dataset: ImageDataset; split: DatasetSplit; rule: ForgetRule; indices: Int32Array; retain: Int32Array },
): void {
  const body: ForgetSetFile = {
    dataset: { name: set.dataset.name, digest: set.dataset.digest },
    split: { digest: set.split.digest, seed: set.split.seed },
    rule: set.rule,
    size: set.indices.length,
    digest: indicesDigest(set.indices),
    retain: { size: set.retain.length, digest: indicesDigest(set.retain) },
    indices: [...set.indices],
  };
  writeFileAtomic(file, [Buffer.from(JSON.stringify(body), 'utf8')]);
}

/** The forget and retain samples of a stored forget set, verified against `digest` (the catalog's) and the split. */
export function readForgetSetFile(file: string, digest: string, dataset: ImageDataset, split: DatasetSplit): { forget: Int32Array; retain: Int32Array } {
  let stored: Partial<ForgetSetFile>;
  try {
    stored = JSON.parse(readFileBounded(file, MAX_FORGET_SET_FILE_BYTES, 'a forget-set file').toString('utf8')) as Partial<ForgetSetFile>;
  } catch (error) {
    if (error instanceof SyntaxError) throw new ForgetSetError(`forget set ${file} is not valid JSON (${error.message})`);
    throw error;
  }
  if (!stored?.dataset?.digest || !stored.split?.digest || !Array.isArray(stored.indices)) {
    throw new ForgetSetError(`forget set ${file} lacks its dataset, split or indices: it is not a forget-set file Lethe wrote`);
  }
  if (stored.dataset.digest !== dataset.digest) {
    throw new ForgetSetError(
      `the forget set is from dataset ${stored.dataset.name} (${stored.dataset.digest.slice(0, 12)}), ` +
        `the checkpoint was trained on ${dataset.name} (${dataset.digest.slice(0, 12)})`,
    );
  }
  if (stored.split.digest !== split.digest) {
    throw new ForgetSetError(`the forget set was drawn from another split (seed ${stored.split.seed}) than the checkpoint's (seed ${split.seed})`);
  }
  const inTrain = new Uint8Array(dataset.count);
  for (const i of split.train) inTrain[i] = 1;
  const forget = new Int32Array(stored.indices.length);
  stored.indices.forEach((value, k) => {
    if (!Number.isInteger(value) || !inTrain[value as number]) {
      throw new ForgetSetError(`forget set ${file}, item ${k}: ${JSON.stringify(value)} is not a train sample of ${dataset.name} (the file was changed after it was made)`);
    }
    if (k > 0 && (value as number) <= forget[k - 1]!) {
      throw new ForgetSetError(`forget set ${file}, item ${k}: the indices are not strictly ascending (the file was changed after it was made)`);
    }
    forget[k] = value as number;
  });
  const actual = indicesDigest(forget);
  if (actual !== digest) {
    throw new ForgetSetError(`forget set ${file} was changed after it was made: its indices hash to ${actual.slice(0, 16)}, the catalog recorded ${digest.slice(0, 16)}`);
  }
  return { forget, retain: retainOf(split.train, forget, `forget set ${file}`) };
}
