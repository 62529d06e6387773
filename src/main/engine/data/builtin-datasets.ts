/**
 * Datasets that ship inside npm packages, so Lethe works with no download:
 * Fashion-MNIST (package `fashion-mnist`, 70,000 images) and MNIST (package `mnist`,
 * 10,000 digits). Each is converted once into the binary cache in the data directory.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { datasetDigest, CorruptCacheError, readDatasetCache, writeDatasetCache } from './dataset-cache.js';
import type { ImageDataset } from './dataset.js';
import { InvalidRequestError } from '../../../shared/validation.js';

// Not named `require`: electron-vite injects a top-level `require` into the bundled entries.
const requireFromHere = createRequire(import.meta.url);

interface BuiltinDataset {
  name: string;
  description: string;
  classNames: string[];
  /** Pixels of every image of one class as 0..255 integers, one entry per image. */
  readClass(classIndex: number): ArrayLike<number>[];
}

function packageFile(pkg: string, ...parts: string[]): string {
  return path.join(path.dirname(requireFromHere.resolve(`${pkg}/package.json`)), ...parts);
}

function readJsonData(file: string): unknown {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { data: unknown }).data;
}

const IMAGE_PIXELS = 28 * 28;

export const BUILTIN_DATASETS: readonly BuiltinDataset[] = [
  {
    name: 'fashion-mnist',
    description: 'Zalando Fashion-MNIST: 70,000 grayscale 28x28 clothing images, 10 classes',
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    // The package stores one array of 784 integers per image; its class-0 file also holds
    // two empty records (70,002 entries for 70,000 images), which are not images.
    readClass: (c) =>
      (readJsonData(packageFile('fashion-mnist', 'src', 'clothes', `${c}.json`)) as number[][]).filter((image) => image.length > 0),
  },
  {
    name: 'mnist',
    description: 'MNIST handwritten digits: 10,000 grayscale 28x28 images, 10 classes',
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    // The package stores one flat array per class with values in [0, 1].
    readClass: (c) => {
      const flat = readJsonData(packageFile('mnist', 'src', 'digits', `${c}.json`)) as number[];
      const images: Uint8Array[] = [];
      for (let start = 0; start + IMAGE_PIXELS <= flat.length; start += IMAGE_PIXELS) {
        images.push(Uint8Array.from(flat.slice(start, start + IMAGE_PIXELS), (v) => Math.round(v * 255)));
      }
      return images;
    },
  },
];

export function builtinDataset(name: string): BuiltinDataset {
  const found = BUILTIN_DATASETS.find((d) => d.name === name);
  if (!found) {
    throw new InvalidRequestError(`unknown dataset '${name}'; built-in datasets: ${BUILTIN_DATASETS.map((d) => d.name).join(', ')}`);
  }
  return found;
}

/** Reads a built-in dataset from its npm package, samples in class order. */
export function convertBuiltin(spec: BuiltinDataset): ImageDataset {
  const perClass = spec.classNames.map((_, c) => spec.readClass(c));
  const count = perClass.reduce((n, images) => n + images.length, 0);
  const pixels = new Uint8Array(count * IMAGE_PIXELS);
  const labels = new Uint8Array(count);
  let n = 0;
  perClass.forEach((images, c) => {
    for (const image of images) {
      if (image.length !== IMAGE_PIXELS) {
        throw new Error(`${spec.name}: image ${n} of class ${c} has ${image.length} pixels, expected ${IMAGE_PIXELS}`);
      }
      pixels.set(image, n * IMAGE_PIXELS);
      labels[n++] = c;
    }
  });
  return {
    name: spec.name,
    digest: datasetDigest(pixels, labels),
    height: 28,
    width: 28,
    channels: 1,
    classNames: spec.classNames,
    count,
    dtype: 'uint8',
    pixels,
    labels,
    testCount: 0,
  };
}

export function datasetCachePath(dataDir: string, name: string): string {
  return path.join(dataDir, 'datasets', `${name}.bin`);
}

/**
 * Loads a built-in dataset from the cache, converting it on first use. A cache that
 * fails its checks is reported through `notice` and rebuilt, never used.
 */
export function loadBuiltinDataset(dataDir: string, name: string, notice: (message: string) => void = () => {}): ImageDataset {
  const spec = builtinDataset(name);
  const file = datasetCachePath(dataDir, name);
  if (fs.existsSync(file)) {
    try {
      return readDatasetCache(file);
    } catch (error) {
      if (!(error instanceof CorruptCacheError)) throw error;
      notice(`${error.message}; rebuilding it`);
    }
  }
  const dataset = convertBuiltin(spec);
  writeDatasetCache(file, dataset);
  return dataset;
}
