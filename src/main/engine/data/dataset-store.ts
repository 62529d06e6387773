/**
 * Datasets by name: the built-in ones (converted from their npm packages on first use)
 * and imported ones, stored as `<data-dir>/datasets/<name>.bin` by `lethe import`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BUILTIN_DATASETS, datasetCachePath, loadBuiltinDataset } from './builtin-datasets.js';
import { readDatasetCache } from './dataset-cache.js';
import type { ImageDataset } from './dataset.js';
import { InvalidRequestError } from '../../../shared/validation.js';

export function isBuiltinDataset(name: string): boolean {
  return BUILTIN_DATASETS.some((d) => d.name === name);
}

export function loadDataset(dataDir: string, name: string, notice: (message: string) => void = () => {}): ImageDataset {
  if (isBuiltinDataset(name)) return loadBuiltinDataset(dataDir, name, notice);
  const file = datasetCachePath(dataDir, name);
  if (!fs.existsSync(file)) {
    const dir = path.dirname(file);
    const imported = fs.existsSync(dir)
      ? fs.readdirSync(dir).filter((f) => f.endsWith('.bin') && !f.startsWith('.')).map((f) => f.slice(0, -4)).filter((n) => !isBuiltinDataset(n))
      : [];
    throw new InvalidRequestError(
      `unknown dataset '${name}'; built-in datasets: ${BUILTIN_DATASETS.map((d) => d.name).join(', ')}` +
        (imported.length ? `; imported: ${imported.join(', ')}` : ''),
    );
  }
  return readDatasetCache(file);
}
