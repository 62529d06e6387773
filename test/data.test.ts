import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetCachePath, loadBuiltinDataset } from '../src/main/engine/data/builtin-datasets.js';
import { CorruptCacheError, datasetDigest, readDatasetCache, writeDatasetCache } from '../src/main/engine/data/dataset-cache.js';
import { ensureWritableDir } from '../src/main/engine/data/data-dir.js';
import { channelStatistics } from '../src/main/engine/data/dataset.js';
import { computeSplit, DEFAULT_SPLIT_RULE, loadOrCreateSplit, splitPath } from '../src/main/engine/data/split.js';
import { InvalidRequestError } from '../src/shared/validation.js';
import { makeTempDir, syntheticDataset } from './helpers.js';

describe('stratified split', () => {
  const dataset = syntheticDataset(1000, 4);

  it('is the same for the same seed and different for another seed', () => {
    const a = computeSplit(dataset, { seed: 1, testFraction: 0.2, heldOutFraction: 0.1 });
    const b = computeSplit(dataset, { seed: 1, testFraction: 0.2, heldOutFraction: 0.1 });
    const c = computeSplit(dataset, { seed: 2, testFraction: 0.2, heldOutFraction: 0.1 });
    expect([...a.train]).toEqual([...b.train]);
    expect([...a.test]).toEqual([...b.test]);
    expect(a.digest).toBe(b.digest);
    expect([...a.test]).not.toEqual([...c.test]);
    expect(a.digest).not.toBe(c.digest);
  });

  it('keeps every class in proportion and the parts disjoint and complete', () => {
    const s = computeSplit(dataset, { seed: 3, testFraction: 0.2, heldOutFraction: 0.1 });
    // 250 per class: 50 test, 20 held out (10% of the remaining 200), 180 train.
    for (const [part, perClass] of [[s.test, 50], [s.heldOut, 20], [s.train, 180]] as const) {
      const counts = [0, 0, 0, 0];
      for (const i of part) counts[dataset.labels[i]!]! += 1;
      expect(counts).toEqual([perClass, perClass, perClass, perClass]);
    }
    const all = [...s.train, ...s.heldOut, ...s.test].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('is stored and read back; a damaged file is recomputed with a notice', () => {
    const dir = makeTempDir('split');
    const first = loadOrCreateSplit(dir, dataset, DEFAULT_SPLIT_RULE);
    const file = splitPath(dir, dataset, DEFAULT_SPLIT_RULE);
    expect(fs.existsSync(file)).toBe(true);
    expect([...loadOrCreateSplit(dir, dataset).train]).toEqual([...first.train]);
    fs.writeFileSync(file, '{"train": [1, 2');
    const notices: string[] = [];
    const again = loadOrCreateSplit(dir, dataset, DEFAULT_SPLIT_RULE, (m) => notices.push(m));
    expect(notices[0]).toMatch(/unreadable or does not match/);
    expect(again.digest).toBe(first.digest);
  });

  it('refuses a split with an empty part the rule asks for, so no accuracy is ever NaN', () => {
    const two = syntheticDataset(2, 2);
    expect(() => computeSplit(two, DEFAULT_SPLIT_RULE)).toThrow(InvalidRequestError);
    expect(() => computeSplit(two, DEFAULT_SPLIT_RULE)).toThrow(
      'synthetic: 2 samples are too few to split: the test and held-out part would be empty (per class, 0.1429 goes to test and 0.1 of the rest is held out, rounded)',
    );
    // Without a held-out fraction an empty held-out part is what was asked for.
    expect(computeSplit(syntheticDataset(8, 2), { seed: 0, testFraction: 0.25, heldOutFraction: 0 }).heldOut).toHaveLength(0);
  });

  it('refuses fractions outside [0, 1)', () => {
    expect(() => computeSplit(dataset, { seed: 0, testFraction: 1, heldOutFraction: 0.1 })).toThrow(/testFraction must be in \[0, 1\)/);
  });
});

describe('dataset cache', () => {
  it('round-trips pixels and labels exactly', () => {
    const dir = makeTempDir('cache');
    const d = syntheticDataset(50, 5, 6, 3);
    const file = path.join(dir, 'd.bin');
    writeDatasetCache(file, d);
    const back = readDatasetCache(file);
    expect(Buffer.from(back.pixels).equals(Buffer.from(d.pixels))).toBe(true);
    expect([...back.labels]).toEqual([...d.labels]);
    expect(back.digest).toBe(d.digest);
    expect([back.height, back.width, back.channels, back.count]).toEqual([6, 6, 3, 50]);
  });

  it('detects truncation and altered content', () => {
    const dir = makeTempDir('cache-bad');
    const file = path.join(dir, 'd.bin');
    writeDatasetCache(file, syntheticDataset(20));
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 7));
    expect(() => readDatasetCache(file)).toThrow(CorruptCacheError);
    expect(() => readDatasetCache(file)).toThrow(/truncated/);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 30]! ^= 0xff;
    fs.writeFileSync(file, flipped);
    expect(() => readDatasetCache(file)).toThrow(/digest does not match/);
  });

  it('refuses a cache of samples with a zero dimension (imported before they were refused)', () => {
    const file = path.join(makeTempDir('cache-zero'), 'd.bin');
    const labels = Uint8Array.from({ length: 100 }, (_, i) => i % 2);
    const pixels = new Uint8Array(0);
    const zeroWide = { ...syntheticDataset(100), width: 0, pixels, labels, digest: datasetDigest(pixels, labels) };
    writeDatasetCache(file, zeroWide);
    expect(() => readDatasetCache(file)).toThrow(CorruptCacheError);
    expect(() => readDatasetCache(file)).toThrow(`dataset cache ${file} is corrupt: 100 samples of 8x0x1 values; a dataset needs samples of at least 1x1x1 (import it again)`);
  });

  it('rebuilds a truncated built-in cache instead of using it', () => {
    const dir = makeTempDir('builtin');
    const first = loadBuiltinDataset(dir, 'mnist');
    expect(first.count).toBe(10_000);
    expect([first.height, first.width, first.channels]).toEqual([28, 28, 1]);
    const file = datasetCachePath(dir, 'mnist');
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 1000);
    const notices: string[] = [];
    const rebuilt = loadBuiltinDataset(dir, 'mnist', (m) => notices.push(m));
    expect(notices.join()).toMatch(/corrupt.*rebuilding/);
    expect(rebuilt.digest).toBe(first.digest);
    expect(fs.statSync(file).size).toBe(size);
  });

  it('names an unknown dataset and the ones that exist', () => {
    expect(() => loadBuiltinDataset(makeTempDir('unknown'), 'cifar-11')).toThrow(/unknown dataset 'cifar-11'.*fashion-mnist, mnist/);
  });
});

describe('data directory', () => {
  it('refuses a directory that cannot be written, naming it', () => {
    const dir = makeTempDir('notdir');
    const file = path.join(dir, 'plain-file');
    fs.writeFileSync(file, '');
    expect(() => ensureWritableDir(path.join(file, 'lethe'))).toThrow(new RegExp(`data directory ${file}/lethe is not writable`));
  });
});

describe('channel statistics', () => {
  it('computes per-channel mean and std of pixels in [0, 1]', () => {
    const d = syntheticDataset(2, 1, 2, 2);
    d.pixels.set([0, 255, 255, 255, 0, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0]);
    const { mean, std } = channelStatistics(d, [0, 1]);
    expect(mean[0]).toBeCloseTo(2 / 8, 10);
    expect(mean[1]).toBeCloseTo(4 / 8, 10);
    expect(std[1]).toBeCloseTo(0.5, 10);
  });
});
