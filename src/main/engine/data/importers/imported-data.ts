import type { ImageDataset } from '../dataset.js';
import { InvalidRequestError } from '../../../../shared/validation.js';
import { formatBytes, MIB } from '../bounded-read.js';

/** What an importer produces: a dataset less its name and digest (the import job adds them). */
export type ImportedData = Omit<ImageDataset, 'name' | 'digest' | 'count'>;

export type ImportProgress = (done: number, total: number, phase: string) => void;

export class ImportError extends InvalidRequestError {}

/**
 * A dataset is held in memory and its cache is read whole (Node reads at most 2 GiB
 * into one buffer): the samples and labels must fit below that, with room for the header.
 */
const MAX_DATASET_BYTES = 2 * 1024 * MIB - 16 * MIB;

/** Refuses, before anything is allocated, a dataset whose samples and labels would pass MAX_DATASET_BYTES. */
export function checkDatasetBytes(bytes: number, source: string): void {
  if (bytes > MAX_DATASET_BYTES) {
    throw new ImportError(`${source}: ${formatBytes(bytes)} of samples, more than the ${formatBytes(MAX_DATASET_BYTES)} a dataset may hold (Lethe keeps it in memory)`);
  }
}

/** The number of classes the labels use (the largest label + 1), which must fit the uint8 label store. */
export function classCountOf(labels: Uint8Array, source: string): number {
  if (labels.length === 0) throw new ImportError(`${source} holds no sample`);
  let largest = 0;
  for (const label of labels) largest = Math.max(largest, label);
  checkClassCount(largest + 1, source);
  return largest + 1;
}

/** Labels must fit the uint8 label store. */
export function checkClassCount(count: number, source: string): void {
  if (count > 256) throw new ImportError(`${source}: ${count} classes; Lethe stores at most 256`);
  if (count < 2) throw new ImportError(`${source}: every sample has the same label (${count} class); classification needs at least 2 classes`);
}
