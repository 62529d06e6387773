import type { ImageDataset } from '../dataset.js';
import { InvalidRequestError } from '../../../../shared/validation.js';

/** What an importer produces: a dataset less its name and digest (the import job adds them). */
export type ImportedData = Omit<ImageDataset, 'name' | 'digest' | 'count'>;

export type ImportProgress = (done: number, total: number, phase: string) => void;

export class ImportError extends InvalidRequestError {}

/** Labels must fit the uint8 label store. */
export function checkClassCount(count: number, source: string): void {
  if (count > 256) throw new ImportError(`${source}: ${count} classes; Lethe stores at most 256`);
  if (count < 2) throw new ImportError(`${source}: only ${count} class; classification needs at least 2`);
}
