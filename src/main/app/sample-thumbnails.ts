/**
 * A dataset's samples for the window, read from its cache in the data directory: per-class
 * counts, pages of sample indices (by class or a given list) and each sample as a PNG.
 * The last dataset read is kept while its cache file stays the same, so paging through
 * thumbnails reads (and verifies) the file once.
 */
import fs from 'node:fs';
import { PNG } from 'pngjs';
import type { SampleImage, SampleImageRequest, SamplePage, SamplePageRequest } from '../../shared/samples.js';
import { InvalidRequestError } from '../../shared/validation.js';
import { datasetCachePath } from '../engine/data/builtin-datasets.js';
import { readDatasetCache } from '../engine/data/dataset-cache.js';
import { sampleSize, type ImageDataset } from '../engine/data/dataset.js';

let cached: { file: string; mtimeMs: number; size: number; dataset: ImageDataset } | undefined;

/** The dataset as its cache holds it (the engine converts a built-in one first; this thread never does). */
export function cachedDataset(dataDir: string, name: string): ImageDataset {
  const file = datasetCachePath(dataDir, name);
  if (!fs.existsSync(file)) throw new InvalidRequestError(`dataset '${name}' has no cache file ${file}`);
  const { mtimeMs, size } = fs.statSync(file);
  if (cached?.file !== file || cached.mtimeMs !== mtimeMs || cached.size !== size) {
    cached = { file, mtimeMs, size, dataset: readDatasetCache(file) };
  }
  return cached.dataset;
}

export function classCounts(dataset: ImageDataset): number[] {
  const counts = new Array<number>(dataset.classNames.length).fill(0);
  for (const label of dataset.labels) counts[label]!++;
  return counts;
}

export function samplePage(dataset: ImageDataset, request: SamplePageRequest): SamplePage {
  const { classIndex, indices, page, pageSize } = request;
  if (classIndex !== undefined && classIndex >= dataset.classNames.length) {
    throw new InvalidRequestError(`class ${classIndex} is out of range: ${dataset.name} has ${dataset.classNames.length} classes`);
  }
  const outside = indices?.find((i) => i >= dataset.count);
  if (outside !== undefined) throw new InvalidRequestError(`sample ${outside} is out of range: ${dataset.name} has ${dataset.count} samples`);
  let chosen = indices ?? Array.from({ length: dataset.count }, (_, i) => i);
  if (classIndex !== undefined) chosen = chosen.filter((i) => dataset.labels[i] === classIndex);
  const samples = chosen.slice(page * pageSize, (page + 1) * pageSize).map((index) => ({ index, label: dataset.labels[index]! }));
  return { total: chosen.length, page, pageSize, samples };
}

/** One sample as an RGBA PNG at its own size (the window scales it up, pixelated). */
export function samplePng(dataset: ImageDataset, index: number): Buffer {
  if (dataset.dtype !== 'uint8') throw new InvalidRequestError(`${dataset.name} holds tabular features, not images: it has no thumbnails`);
  if (index >= dataset.count) throw new InvalidRequestError(`sample ${index} is out of range: ${dataset.name} has ${dataset.count} samples`);
  const { height, width, channels } = dataset;
  const pixels = (dataset.pixels as Uint8Array).subarray(index * sampleSize(dataset), (index + 1) * sampleSize(dataset));
  const png = new PNG({ width, height });
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < 3; c++) png.data[4 * p + c] = pixels[p * channels + (channels === 3 ? c : 0)]!;
    png.data[4 * p + 3] = 255;
  }
  return PNG.sync.write(png);
}

export function sampleImage(dataset: ImageDataset, request: SampleImageRequest): SampleImage {
  const png = samplePng(dataset, request.index);
  return { index: request.index, label: dataset.labels[request.index]!, pngBase64: png.toString('base64') };
}
