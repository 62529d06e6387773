import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { EngineClient, forkTransport } from '../src/main/app/engine-client.js';
import { LetheService } from '../src/main/app/lethe-service.js';
import { Catalog } from '../src/main/catalog/catalog.js';
import type { ImageDataset } from '../src/main/engine/data/dataset.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import { datasetDigest } from '../src/main/engine/data/dataset-cache.js';
import { Random } from '../src/main/engine/random.js';

export function makeTempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lethe-test-${label}-`));
}

/** An IDX file: the big-endian magic number and dimensions, then the data. */
export function idxFile(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d >>> 0, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** MNIST-style train images and labels (8x8 grey) of a seeded synthetic dataset, for importing. */
export function writeIdxPair(dir: string, count: number, seed: number): void {
  const d = syntheticDataset(count, 4, 8, 1, seed);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), idxFile(0x803, [count, 8, 8], d.pixels as Uint8Array));
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idxFile(0x801, [count], d.labels));
}

/**
 * A small learnable image dataset: each class is a bright square at its own position
 * on a noisy background, so a model can separate the classes in a few steps.
 */
export function syntheticDataset(count: number, classes = 4, size = 8, channels = 1, seed = 1): ImageDataset {
  const random = new Random(seed, 'synthetic');
  const pixels = new Uint8Array(count * size * size * channels);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % classes;
    labels[n] = label;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inSquare = Math.floor(y / (size / 2)) * 2 + Math.floor(x / (size / 2)) === label % 4;
        for (let c = 0; c < channels; c++) {
          pixels[((n * size + y) * size + x) * channels + c] = inSquare ? 200 + random.int(56) : random.int(60);
        }
      }
    }
  }
  return {
    name: 'synthetic',
    digest: datasetDigest(pixels, labels),
    height: size,
    width: size,
    channels,
    classNames: Array.from({ length: classes }, (_, i) => `class${i}`),
    count,
    dtype: 'uint8',
    pixels,
    labels,
    testCount: 0,
  };
}

/**
 * A Lethe service over a fresh catalog and a real engine process on wasm, as the doors
 * use it; closed after the file's tests.
 */
export function serviceForTests(label: string): { dataDir: string; catalog: Catalog; engine: EngineClient; service: LetheService } {
  const dataDir = makeTempDir(label);
  const catalog = Catalog.open(dataDir);
  const engine = new EngineClient(() => forkTransport(undefined, { ...process.env, LETHE_BACKEND: 'wasm' }));
  const service = new LetheService({ catalog, engine, appVersion: 'test' });
  afterAll(async () => {
    await engine.shutdown();
    catalog.close();
  });
  return { dataDir, catalog, engine, service };
}

/** An independent copy of a model's tensors. */
export function copyOf(model: Classifier): Classifier {
  const copy = Classifier.create(model.spec);
  copy.tensors().forEach((t, i) => t.variable.assign(model.tensors()[i]!.variable));
  return copy;
}
