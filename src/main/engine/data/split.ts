/**
 * The seeded, stratified split of a dataset into train / held-out / test. Within each
 * class the samples are shuffled with the seed; the first `testFraction` go to test,
 * then `heldOutFraction` of the rest to held-out, the remainder to train. A dataset
 * with its own test set (CIFAR's test batch, MNIST's t10k files) keeps it as the test
 * split, and only the held-out part is drawn from the rest. The split is
 * stored beside the dataset cache so every later run uses the same indices, even if
 * this code changes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SplitDescription } from '../../../shared/engine-protocol.js';
import { InvalidRequestError } from '../../../shared/validation.js';
import { Random } from '../random.js';
import { writeFileAtomic } from './atomic-file.js';
import type { ImageDataset } from './dataset.js';

export interface SplitRule {
  seed: number;
  testFraction: number;
  heldOutFraction: number;
}

export interface DatasetSplit extends SplitRule {
  datasetDigest: string;
  /** sha256 of the three index lists, hex. */
  digest: string;
  train: Int32Array;
  heldOut: Int32Array;
  test: Int32Array;
}

/** Built-in datasets come without a fixed test set: 1/7 of each class (10,000 of 70,000 for Fashion-MNIST). */
export const DEFAULT_SPLIT_RULE: SplitRule = { seed: 0, testFraction: 1 / 7, heldOutFraction: 0.1 };

function splitDigest(train: Int32Array, heldOut: Int32Array, test: Int32Array): string {
  const hash = createHash('sha256');
  for (const part of [train, heldOut, test]) {
    hash.update(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
    hash.update('|');
  }
  return hash.digest('hex');
}

/**
 * The split, refused when a part the rule asks for would be empty: a model trained or
 * measured on no sample reports NaN, never a result.
 */
export function computeSplit(
  dataset: Pick<ImageDataset, 'name' | 'labels' | 'digest' | 'classNames'> & { testCount?: number },
  rule: SplitRule,
): DatasetSplit {
  for (const [field, value] of [['testFraction', rule.testFraction], ['heldOutFraction', rule.heldOutFraction]] as const) {
    if (!(value >= 0 && value < 1)) throw new Error(`split ${field} must be in [0, 1), got ${value}`);
  }
  const ownTest = dataset.testCount ?? 0;
  const firstOwnTest = dataset.labels.length - ownTest;
  const byClass: number[][] = dataset.classNames.map(() => []);
  for (let i = 0; i < firstOwnTest; i++) byClass[dataset.labels[i]!]!.push(i);
  const random = new Random(rule.seed, 'split');
  const train: number[] = [];
  const heldOut: number[] = [];
  const test: number[] = [];
  for (let i = firstOwnTest; i < dataset.labels.length; i++) test.push(i);
  for (const members of byClass) {
    random.shuffle(members);
    const nTest = ownTest > 0 ? 0 : Math.round(members.length * rule.testFraction);
    const nHeldOut = Math.round((members.length - nTest) * rule.heldOutFraction);
    test.push(...members.slice(0, nTest));
    heldOut.push(...members.slice(nTest, nTest + nHeldOut));
    train.push(...members.slice(nTest + nHeldOut));
  }
  const wanted = { train: true, test: ownTest > 0 || rule.testFraction > 0, 'held-out': rule.heldOutFraction > 0 };
  const empty = Object.entries({ train, test, 'held-out': heldOut }).filter(([part, members]) => members.length === 0 && wanted[part as keyof typeof wanted]);
  if (empty.length) {
    throw new InvalidRequestError(
      `${dataset.name}: ${dataset.labels.length} samples are too few to split: the ${empty.map(([part]) => part).join(' and ')} part would be empty ` +
        `(per class, ${ownTest > 0 ? 'the own test set stays test' : `${+rule.testFraction.toFixed(4)} goes to test`} and ${rule.heldOutFraction} of the rest is held out, rounded)`,
    );
  }
  const sorted = (xs: number[]) => Int32Array.from(xs).sort();
  const [trainIdx, heldOutIdx, testIdx] = [sorted(train), sorted(heldOut), sorted(test)];
  return {
    ...rule,
    datasetDigest: dataset.digest,
    digest: splitDigest(trainIdx, heldOutIdx, testIdx),
    train: trainIdx,
    heldOut: heldOutIdx,
    test: testIdx,
  };
}

/** What the catalog records of a split. */
export function describeSplit(split: DatasetSplit): SplitDescription {
  return {
    digest: split.digest,
    seed: split.seed,
    testFraction: split.testFraction,
    heldOutFraction: split.heldOutFraction,
    counts: { train: split.train.length, heldOut: split.heldOut.length, test: split.test.length },
  };
}

export function splitPath(dataDir: string, dataset: Pick<ImageDataset, 'name' | 'digest'>, rule: SplitRule): string {
  const id = createHash('sha256').update(JSON.stringify([rule.seed, rule.testFraction, rule.heldOutFraction])).digest('hex');
  return path.join(dataDir, 'splits', `${dataset.name}-${dataset.digest.slice(0, 12)}-${id.slice(0, 12)}.json`);
}

function readSplit(file: string, dataset: ImageDataset): DatasetSplit | undefined {
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const split = {
      ...(raw as unknown as DatasetSplit),
      train: Int32Array.from(raw.train as number[]),
      heldOut: Int32Array.from(raw.heldOut as number[]),
      test: Int32Array.from(raw.test as number[]),
    };
    const total = split.train.length + split.heldOut.length + split.test.length;
    if (split.datasetDigest !== dataset.digest || total !== dataset.count) return undefined;
    if (splitDigest(split.train, split.heldOut, split.test) !== split.digest) return undefined;
    return split;
  } catch {
    return undefined;
  }
}

/**
 * The stored split for this dataset and rule, else a new one with `store` to keep it:
 * a job calls `store` once its request is accepted, so a refused one writes no split file.
 */
export function findOrComputeSplit(
  dataDir: string,
  dataset: ImageDataset,
  rule: SplitRule = DEFAULT_SPLIT_RULE,
  notice: (message: string) => void = () => {},
): { split: DatasetSplit; store: () => void } {
  const file = splitPath(dataDir, dataset, rule);
  if (fs.existsSync(file)) {
    const stored = readSplit(file, dataset);
    if (stored) return { split: stored, store: () => {} };
    notice(`split file ${file} is unreadable or does not match the dataset; recomputing it`);
  }
  const split = computeSplit(dataset, rule);
  const json = JSON.stringify({ ...split, train: [...split.train], heldOut: [...split.heldOut], test: [...split.test] });
  return { split, store: () => writeFileAtomic(file, [Buffer.from(json, 'utf8')]) };
}

/** The stored split for this dataset and rule; made and stored on first use. */
export function loadOrCreateSplit(
  dataDir: string,
  dataset: ImageDataset,
  rule: SplitRule = DEFAULT_SPLIT_RULE,
  notice: (message: string) => void = () => {},
): DatasetSplit {
  const { split, store } = findOrComputeSplit(dataDir, dataset, rule, notice);
  store();
  return split;
}
