/**
 * Makes a forget set: selects train samples by rule, index list or matching images,
 * then writes `<data-dir>/forget-sets/<id>.json` (rule, split, sorted indices, digests)
 * atomically. Nothing is written when the request is refused, not even a new split,
 * nor for a preview, which reports the same set (same digest) as saving it would make.
 */
import path from 'node:path';
import type { ForgetSetJobResult } from '../../../shared/engine-protocol.js';
import { describeRule, type ForgetSetRequest, type ImageMatchReport } from '../../../shared/forget-set.js';
import { describeDataset } from '../data/dataset.js';
import { loadDataset } from '../data/dataset-store.js';
import { isImageFile, listFiles } from '../data/images.js';
import { DEFAULT_SPLIT_RULE, findOrComputeSplit } from '../data/split.js';
import { ForgetSetError, retainOf, retainWarnings, selectByRule } from '../forget/forget-rules.js';
import { matchImages } from '../forget/image-match.js';
import { indicesDigest, writeForgetSetFile } from '../forget/forget-set-file.js';
import { readIndexList } from '../forget/index-list.js';

/** How many of the set's first indices a result lists (for thumbnails). */
const SAMPLE_INDICES = 48;

function classCounts(indices: Int32Array, labels: Uint8Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const i of indices) counts[labels[i]!]!++;
  return counts;
}

export async function runForgetSetJob(
  request: ForgetSetRequest,
  dataDir: string,
  notice: (m: string) => void,
  { preview = false }: { preview?: boolean } = {},
): Promise<ForgetSetJobResult> {
  const dataset = loadDataset(dataDir, request.dataset, notice);
  const { split, store: storeSplit } = findOrComputeSplit(dataDir, dataset, { ...DEFAULT_SPLIT_RULE, seed: request.splitSeed }, notice);
  const { rule } = request;
  let indices: Int32Array;
  let warnings: string[];
  let report: ImageMatchReport | undefined;
  if (rule.kind !== 'file') {
    ({ indices, warnings } = selectByRule(rule, dataset.labels, dataset.classNames, split.train));
  } else {
    const files = listFiles(rule.paths, () => true);
    const images = files.filter(isImageFile);
    const lists = files.filter((f) => !isImageFile(f));
    if (images.length && lists.length) throw new ForgetSetError('give either index lists or images, not both');
    if (images.length) {
      ({ indices, report } = matchImages(rule.paths, dataset, split.train));
    } else {
      if (lists.length !== 1) throw new ForgetSetError(`give one index list, got ${lists.length}: ${lists.join(', ')}`);
      indices = readIndexList(lists[0]!, { column: rule.column, count: dataset.count, train: split.train, dataset });
    }
    warnings = retainWarnings(indices, dataset.labels, dataset.classNames, split.train);
  }
  const retain = retainOf(split.train, indices, rule.kind === 'file' ? rule.paths.join(', ') : describeRule(rule));
  const digest = indicesDigest(indices);
  const file = path.join(dataDir, 'forget-sets', `${dataset.name}-${digest.slice(0, 16)}.json`);
  // Accepted: the split it is drawn from is stored first, then the set (rewritten whole, so a damaged copy is healed).
  if (!preview) {
    storeSplit();
    writeForgetSetFile(file, { dataset, split, rule, indices, retain });
  }
  return {
    kind: 'forget-set',
    name: request.name ?? describeRule(rule),
    dataset: describeDataset(dataset),
    splitDigest: split.digest,
    rule,
    size: indices.length,
    retainSize: retain.length,
    digest,
    path: file,
    warnings,
    report,
    trainClassCounts: classCounts(split.train, dataset.labels, dataset.classNames.length),
    forgetClassCounts: classCounts(indices, dataset.labels, dataset.classNames.length),
    sampleIndices: [...indices.subarray(0, SAMPLE_INDICES)],
  };
}
