/**
 * Imports a dataset: the importer streams the files (or a subset is drawn from a dataset
 * Lethe has), the result is written to a staging
 * cache file and described to the service, which either moves it into place and records
 * it, or drops it (same content already imported). A failed import leaves no file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ImportJobResult } from '../../../shared/engine-protocol.js';
import { isSubsetRequest, type DatasetSourceRequest, type ImportFormat, type TaskProgress } from '../../../shared/import.js';
import { datasetDigest, writeDatasetCache } from '../data/dataset-cache.js';
import { sampleSize } from '../data/dataset.js';
import { loadDataset } from '../data/dataset-store.js';
import { subsetOfDataset } from '../data/subset.js';
import { runImporter } from '../data/importers/import-format.js';
import { ImportError, type ImportedData } from '../data/importers/imported-data.js';
import { DEFAULT_SPLIT_RULE, describeSplit, findOrComputeSplit } from '../data/split.js';
import { InvalidRequestError } from '../../../shared/validation.js';
import { CancelledError } from '../train/trainer.js';

export async function runImportJob(request: DatasetSourceRequest, dataDir: string, onProgress: (p: TaskProgress) => void, signal?: AbortSignal): Promise<ImportJobResult> {
  const started = Date.now();
  let last = 0;
  // Importers report progress as they read, so a cancel is noticed there.
  const progress = (done: number, total: number, phase: string) => {
    if (signal?.aborted) throw new CancelledError();
    const now = Date.now();
    if (now - last >= 250 || done === total) {
      last = now;
      onProgress({ phase, done, total });
    }
  };
  let format: ImportFormat | 'subset';
  let data: ImportedData;
  let name: string;
  if (isSubsetRequest(request)) {
    format = 'subset';
    data = subsetOfDataset(loadDataset(dataDir, request.subsetOf), request.perClass, request.seed);
    name = request.name;
  } else {
    ({ format, data } = await runImporter(request, progress));
    name = request.name ?? path.basename(request.paths[0]!).replace(/\.(csv|bin|gz)$/i, '').replace(/[^A-Za-z0-9._-]/g, '-');
  }
  if (signal?.aborted) throw new CancelledError();
  const count = data.labels.length;
  if (data.pixels.length !== count * sampleSize(data)) throw new Error(`importer produced ${data.pixels.length} values for ${count} samples`);
  const digest = datasetDigest(data.pixels, data.labels);
  const dataset = { ...data, name, digest, count };
  // A dataset too small to split is refused before anything is written.
  let split: ReturnType<typeof findOrComputeSplit>;
  try {
    split = findOrComputeSplit(dataDir, dataset, DEFAULT_SPLIT_RULE);
  } catch (error) {
    if (error instanceof InvalidRequestError) throw new ImportError(`${isSubsetRequest(request) ? `subset of ${request.subsetOf}` : request.paths.join(', ')}: ${error.message}`);
    throw error;
  }
  const stagingFile = path.join(dataDir, 'datasets', `.import-${process.pid}-${randomBytes(4).toString('hex')}.bin`);
  try {
    writeDatasetCache(stagingFile, dataset);
  } catch (error) {
    fs.rmSync(stagingFile, { force: true });
    throw error;
  }
  // Splits are keyed by content digest, so storing it now is safe even if the service drops the staging file.
  split.store();
  return {
    kind: 'import',
    format,
    stagingFile,
    dataset: {
      name,
      digest,
      shape: [data.height, data.width, data.channels],
      dtype: data.dtype,
      classNames: data.classNames,
      sampleCount: count,
      testCount: data.testCount,
      classCounts: data.classNames.map((_, c) => data.labels.reduce((n, l) => n + (l === c ? 1 : 0), 0)),
    },
    split: describeSplit(split.split),
    seconds: (Date.now() - started) / 1000,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
