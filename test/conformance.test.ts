/**
 * Conformance suites driven by the registries, as scikit-learn checks every estimator:
 * a method, an aggregator or an import format is covered here by being registered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMPORT_FORMATS, type ImportFormat } from '../src/shared/import.js';
import { parseTrainConfig } from '../src/shared/train-config.js';
import { parseUnlearnConfig, type UnlearnStep } from '../src/shared/unlearn-config.js';
import { initBackend } from '../src/main/engine/backend.js';
import { channelStatistics } from '../src/main/engine/data/dataset.js';
import { runImporter } from '../src/main/engine/data/importers/import-format.js';
import type { ImportedData } from '../src/main/engine/data/importers/imported-data.js';
import { computeSplit } from '../src/main/engine/data/split.js';
import { retainOf, selectByRule } from '../src/main/engine/forget/forget-rules.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import { multiply, trace, type Weighting } from '../src/main/engine/moo/gramian.js';
import { mean } from '../src/main/engine/moo/mean.js';
import { AGGREGATORS, createAggregator, type AggregatorInfo } from '../src/main/engine/moo/registry.js';
import { Random } from '../src/main/engine/random.js';
import { CancelledError, makeOptimizer, trainClassifier } from '../src/main/engine/train/trainer.js';
import { METHOD_INFO, methodInfo } from '../src/main/engine/unlearn/method-info.js';
import { unlearnMethod } from '../src/main/engine/unlearn/method-registry.js';
import { makeStepper } from '../src/main/engine/unlearn/method.js';
import { copyOf, makeTempDir, syntheticDataset, idxFile } from './helpers.js';

describe('every unlearning method in the registry', () => {
  const dataset = syntheticDataset(120, 4, 4, 1, 31);
  const split = computeSplit(dataset, { seed: 0, testFraction: 0.2, heldOutFraction: 0.1 });
  const forget = selectByRule({ kind: 'random', percent: 10, seed: 1 }, dataset.labels, dataset.classNames, split.train).indices;
  const retain = retainOf(split.train, forget);
  let base: Classifier;

  beforeAll(async () => {
    await initBackend('wasm');
    base = Classifier.create({ architecture: 'mlp', inputShape: [4, 4, 1], numClasses: 4, normalization: channelStatistics(dataset, split.train), seed: 2 });
    await trainClassifier(base, dataset, split, parseTrainConfig({ dataset: 's', model: 'mlp', epochs: 1, batchSize: 32, lr: 0.05 }));
  });

  const weightsOf = (model: Classifier) => model.trainableVariables().map((v) => Float32Array.from(v.dataSync()));

  /** One run as the unlearning job sets it up, on copies of the base model; the signal may be replaced. */
  interface Outcome {
    /** The unlearned model's weights, or the error the run ended with. */
    weights?: Float32Array[];
    error?: unknown;
    originalBefore: Float32Array[];
    originalAfter: Float32Array[];
    steps: UnlearnStep[];
  }

  async function run(method: string, signal: AbortSignal = new AbortController().signal, batchSize = 16): Promise<Outcome> {
    const info = methodInfo(method);
    const config = parseUnlearnConfig({ checkpoint: 'x', forgetSet: 1, method, batchSize, epochs: 1, seed: 5 });
    const lr = config.lr ?? info.defaults.lr;
    const model = copyOf(base);
    const original = copyOf(base);
    const originalBefore = weightsOf(original);
    const optimizer = makeOptimizer(config);
    const weighting = info.multiObjective ? createAggregator(config.aggregator, { weights: config.weights, seed: config.seed }) : mean();
    const steps: UnlearnStep[] = [];
    const dispose = (result?: Classifier) => {
      if (result && result !== model) result.dispose();
      [model, original].forEach((m) => m.dispose());
      optimizer.dispose();
    };
    try {
      const result =
        (await unlearnMethod(method).run({
          model,
          original,
          dataset,
          forget,
          retain,
          heldOut: split.heldOut,
          config: { ...config, lr, epochs: 1 },
          optimizer,
          weighting,
          random: new Random(config.seed, 'unlearn'),
          signal,
          step: makeStepper(model, optimizer, weighting, lr, signal, (s) => steps.push(s)),
        })) ?? model;
      const outcome = { weights: weightsOf(result), originalBefore, originalAfter: weightsOf(original), steps };
      dispose(result);
      return outcome;
    } catch (error) {
      const outcome = { error, originalBefore, originalAfter: weightsOf(original), steps };
      dispose();
      return outcome;
    }
  }

  const bitIdentical = (a: Float32Array[], b: Float32Array[]) => a.length === b.length && a.every((t, i) => t.every((v, k) => Object.is(v, b[i]![k])));

  it.each(Object.keys(METHOD_INFO))('%s: a finite new model, the original untouched, the same result for the same seed, its objectives in every step record', async (method) => {
    const info = methodInfo(method);
    const first = await run(method);
    expect(first.weights, `${method} failed: ${String(first.error)}`).toBeDefined();
    const weights = first.weights!;
    expect(weights.every((t) => t.every(Number.isFinite)), `${method}: every weight finite`).toBe(true);
    expect(bitIdentical(weights, first.originalBefore), `${method}: the weights changed`).toBe(false);
    expect(bitIdentical(first.originalAfter, first.originalBefore), `${method}: the original model untouched`).toBe(true);
    expect(bitIdentical(weightsOf(base), first.originalBefore), `${method}: the model it started from untouched`).toBe(true);

    const again = await run(method);
    expect(bitIdentical(again.weights!, weights), `${method}: the same seed gives the same model`).toBe(true);
    expect(again.steps).toEqual(first.steps);

    const m = info.objectives.length;
    if (info.closedForm) {
      expect(first.steps).toEqual([]);
      return;
    }
    expect(first.steps.length, `${method}: per-step records`).toBeGreaterThan(0);
    for (const step of first.steps) {
      expect(step.losses).toHaveLength(m);
      expect(step.weights).toHaveLength(m);
      expect(step.cosines).toHaveLength((m * (m - 1)) / 2);
      expect(step.losses.every(Number.isFinite)).toBe(true);
    }
  });

  it.each(Object.keys(METHOD_INFO))('%s: cancellation is honoured at the first check after it, mid-run, and leaves the original untouched', async (method) => {
    // A signal that turns aborted on its third reading: two steps (or iterations) run, the third must stop.
    let reads = 0;
    const signal = {
      get aborted() {
        reads += 1;
        return reads >= 3;
      },
    } as AbortSignal;
    // Small batches: even a pass over the forget set alone takes more than two steps.
    const outcome = await run(method, signal, 4);
    expect(outcome.error, `${method}: the run stops with a cancellation`).toBeInstanceOf(CancelledError);
    expect(reads, `${method}: it stops at the first check that sees the cancellation`).toBe(3);
    if (!methodInfo(method).closedForm) expect(outcome.steps).toHaveLength(2);
    expect(bitIdentical(outcome.originalAfter, outcome.originalBefore)).toBe(true);
  });
});

describe('every aggregator in the registry', () => {
  const random = new Random(11, 'conformance');
  /** J J^T of m random gradients in `dims` dimensions (rank min(m, dims)). */
  const gramian = (m: number, dims: number) => {
    const rows = Array.from({ length: m }, () => Array.from({ length: dims }, () => random.normal()));
    const g = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) g[i * m + j] = rows[i]!.reduce((s, v, k) => s + v * rows[j]![k]!, 0);
    return g;
  };
  const permuted = (g: Float64Array, m: number, p: Int32Array) => Float64Array.from({ length: m * m }, (_, k) => g[p[Math.floor(k / m)]! * m + p[k % m]!]!);
  const entries = Object.entries(AGGREGATORS) as [string, AggregatorInfo][];

  it.each(entries)('%s: finite weights, one per objective, on full-rank, singular and zero Gramians', (name) => {
    for (const m of [2, 3, 5]) {
      for (const g of [gramian(m, 8), gramian(m, 1), new Float64Array(m * m)]) {
        const w = createAggregator(name)(g, m);
        expect(w).toHaveLength(m);
        expect([...w].every(Number.isFinite), `${name}, m = ${m}: ${[...w].join(', ')}`).toBe(true);
      }
    }
  });

  it.each(entries.filter(([, info]) => info.properties.permutationEquivariant))('%s: permuting the objectives permutes the weights', (name) => {
    for (const m of [2, 3, 4]) {
      for (let trial = 0; trial < 10; trial++) {
        const g = gramian(m, 6);
        const p = random.permutation(m);
        const w = createAggregator(name)(g, m);
        const wp = createAggregator(name)(permuted(g, m, p), m);
        const scale = Math.max(1, ...[...w].map(Math.abs));
        // Row i of the permuted problem is objective p[i] of the original.
        p.forEach((source, i) => expect(Math.abs(wp[i]! - w[source]!), `${name}, m = ${m}`).toBeLessThanOrEqual(1e-6 * scale));
      }
    }
  });

  it.each(entries.filter(([, info]) => info.properties.nonConflicting))('%s: never conflicts with an objective, (G w)_j >= 0', (name) => {
    for (let trial = 0; trial < 200; trial++) {
      const m = 2 + (trial % 4);
      const g = gramian(m, 3 + (trial % 5));
      const w: Float64Array = (createAggregator(name) as Weighting)(g, m);
      // The weightings solve on the normalised, 1e-4-regularised Gramian: allow that much (and rounding).
      const slack = 1.001e-4 * trace(g, m) * Math.max(...[...w].map(Math.abs));
      for (const v of multiply(g, m, w)) expect(v, `${name}, m = ${m}`).toBeGreaterThanOrEqual(-slack - 1e-12);
    }
  });

  it('the non-conflict check has teeth: the plain mean conflicts with g2 for g1 = (1, 0), g2 = (-0.9, 0.1)', () => {
    const g = Float64Array.from([1, -0.9, -0.9, 0.82]);
    expect([...multiply(g, 2, createAggregator('mean')(g, 2))].map((v) => +v.toFixed(12))).toEqual([0.05, -0.04]);
  });
});

describe('every import format: a generated dataset written in it and read back', () => {
  const random = new Random(5, 'import-conformance');
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => random.int(256));
  type Expected = Pick<ImportedData, 'height' | 'width' | 'channels' | 'classNames' | 'testCount' | 'dtype' | 'labels'> & { pixels: ArrayLike<number> };

  /** Samples grouped by class, as folder-per-class formats read them back. */
  function generated(count: number, testCount: number, height: number, width: number, channels: number, classNames: string[]): Expected & { pixels: Uint8Array } {
    const labels = Uint8Array.from({ length: count }, (_, n) => (n < count - testCount ? Math.floor((n * classNames.length) / (count - testCount)) : n % classNames.length));
    return { height, width, channels, classNames, labels, pixels: bytes(count * height * width * channels), testCount, dtype: 'uint8' };
  }


  /** Writes a generated dataset in the format; what the importer must read back. */
  const writers: Record<ImportFormat, (dir: string) => Expected> = {
    idx: (dir) => {
      const data = generated(9, 3, 5, 4, 1, ['0', '1', '2']);
      const size = 5 * 4;
      const train = 9 - 3;
      fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), idxFile(0x803, [train, 5, 4], data.pixels.subarray(0, train * size)));
      fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idxFile(0x801, [train], data.labels.subarray(0, train)));
      fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), idxFile(0x803, [3, 5, 4], data.pixels.subarray(train * size)));
      fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idxFile(0x801, [3], data.labels.subarray(train)));
      return data;
    },
    cifar: (dir) => {
      const classNames = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
      const data = generated(5, 2, 32, 32, 3, classNames);
      // CIFAR records are planar (all red, then green, then blue); Lethe stores HWC.
      const record = (n: number) => {
        const out = Buffer.alloc(3073);
        out[0] = data.labels[n]!;
        for (let q = 0; q < 1024; q++) for (let c = 0; c < 3; c++) out[1 + c * 1024 + q] = data.pixels[n * 3072 + 3 * q + c]!;
        return out;
      };
      fs.writeFileSync(path.join(dir, 'data_batch_1.bin'), Buffer.concat([0, 1, 2].map(record)));
      fs.writeFileSync(path.join(dir, 'test_batch.bin'), Buffer.concat([3, 4].map(record)));
      fs.writeFileSync(path.join(dir, 'batches.meta.txt'), `${classNames.join('\n')}\n`);
      return data;
    },
    csv: (dir) => {
      const data = generated(6, 0, 1, 1, 3, ['a', 'b']);
      const features = Float32Array.from(data.pixels, (v) => v / 8 - 5);
      const lines = ['x1,x2,x3,label', ...Array.from(data.labels, (label, n) => [...features.subarray(3 * n, 3 * n + 3)].join(',') + `,${data.classNames[label]}`)];
      fs.writeFileSync(path.join(dir, 'table.csv'), lines.join('\n'));
      return { ...data, pixels: features, dtype: 'float32' };
    },
    'image-folder': (dir) => {
      const data = generated(6, 0, 3, 2, 3, ['cat', 'dog', 'emu']);
      data.labels.forEach((label, n) => {
        const png = new PNG({ width: 2, height: 3 });
        for (let q = 0; q < 6; q++) png.data.set([...data.pixels.subarray((n * 6 + q) * 3, (n * 6 + q) * 3 + 3), 255], 4 * q);
        fs.mkdirSync(path.join(dir, data.classNames[label]!), { recursive: true });
        fs.writeFileSync(path.join(dir, data.classNames[label]!, `${n}.png`), PNG.sync.write(png));
      });
      return data;
    },
  };

  it.each([...IMPORT_FORMATS])('%s', async (format) => {
    const dir = makeTempDir(`conformance-${format}`);
    const expected = writers[format](dir);
    const paths = format === 'csv' ? [path.join(dir, 'table.csv')] : [dir];
    const { format: guessed, data } = await runImporter({ paths }, () => {});
    expect(guessed).toBe(format);
    expect([data.height, data.width, data.channels, data.testCount, data.dtype]).toEqual([expected.height, expected.width, expected.channels, expected.testCount, expected.dtype]);
    expect(data.classNames).toEqual(expected.classNames);
    expect([...data.labels]).toEqual([...expected.labels]);
    expect([...data.pixels]).toEqual(Array.from(expected.pixels));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
