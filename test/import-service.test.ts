/** Import and forget sets through the service and a real engine process, as a user would. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LetheEvent } from '../src/shared/lethe-api.js';
import { METHOD_INFO, methodInfo } from '../src/main/engine/unlearn/method-info.js';
import { readDatasetCache } from '../src/main/engine/data/dataset-cache.js';
import { serviceForTests, makeTempDir, writeIdxPair } from './helpers.js';

const { dataDir, catalog, service } = serviceForTests('import-service');


let trainedCheckpoint = '';

function ended(runId: string): Promise<string> {
  return new Promise((resolve) =>
    service.subscribe((e) => {
      if (e.type === 'run-updated' && e.run.id === runId && ['finished', 'failed', 'cancelled'].includes(e.run.status)) resolve(e.run.status);
    }),
  );
}

const state = () => ({
  datasets: catalog.datasets.list().length,
  forgetSets: catalog.forgetSets.list().length,
  files: fs.existsSync(path.join(dataDir, 'datasets')) ? fs.readdirSync(path.join(dataDir, 'datasets')).sort() : [],
});

describe('import and forget through the service', () => {
  it('imports a dataset, detects a re-import, trains on it and makes forget sets', async () => {
    const source = path.join(makeTempDir('src'), 'squares');
    writeIdxPair(source, 800, 9);
    const first = await service.importDataset({ paths: [source], name: 'squares' });
    expect(first).toMatchObject({ alreadyImported: false, format: 'idx', dataset: { name: 'squares', sampleCount: 800, shape: [8, 8, 1], source: 'import:idx' } });
    expect(first.classCounts).toEqual([200, 200, 200, 200]);
    // Landed with its split: 1/7 of each class to test, 10% of the rest held out.
    const [split] = catalog.datasets.splits(first.dataset.id);
    expect(split).toMatchObject({ seed: 0, counts: { test: 4 * 29, heldOut: 4 * 17, train: 4 * 154 } });
    const again = await service.importDataset({ paths: [source], name: 'other-name' });
    expect(again).toMatchObject({ alreadyImported: true, dataset: { name: 'squares' } });
    expect(state().files).toEqual(['squares.bin']);
    expect((await service.listDatasets()).map((d) => d.name)).toContain('squares');

    const run = await service.startTraining({ dataset: 'squares', model: 'cnn', epochs: 2, batchSize: 32 });
    const finished = await new Promise<string>((resolve) =>
      service.subscribe((e) => {
        if (e.type === 'run-updated' && e.run.id === run.id && ['finished', 'failed'].includes(e.run.status)) resolve(e.run.status);
      }),
    );
    expect(finished).toBe('finished');
    expect((await service.getRun(run.id)).latestMetrics.test_accuracy).toBeGreaterThan(0.9);
    trainedCheckpoint = (await service.getRun(run.id)).checkpoints[0]!.hash;

    const ten = await service.createForgetSet({ dataset: 'squares', rule: { kind: 'random', percent: 10, seed: 2 } });
    expect(ten.forgetSet).toMatchObject({ name: 'random 10% (seed 2)', seed: 2 });
    const stored = JSON.parse(fs.readFileSync(ten.forgetSet.path, 'utf8')) as { indices: number[]; retain: { size: number } };
    expect(stored.indices).toHaveLength(ten.forgetSet.size);
    expect(stored.retain.size).toBe(ten.retainSize);
    const classes = await service.createForgetSet({ dataset: 'squares', rule: { kind: 'classes', classes: [2] } });
    expect(classes.warnings).toEqual(['the retain set has no sample of class 2 (2)']);
    const builtin = await service.createForgetSet({ dataset: 'mnist', rule: { kind: 'random', percent: 5, seed: 0 } });
    expect(builtin.forgetSet.size).toBe(Math.round(7712 * 0.05));
    expect((await service.listForgetSets()).map((f) => f.name)).toEqual(['random 10% (seed 2)', 'classes 2', 'random 5% (seed 0)']);
  });

  it('draws a seeded per-class subset of a dataset it has, as a dataset of its own', async () => {
    const source = readDatasetCache(path.join(dataDir, 'datasets', 'squares.bin'));
    const subset = await service.importDataset({ subsetOf: 'squares', perClass: 30, seed: 3, name: 'squares-120' });
    expect(subset).toMatchObject({ alreadyImported: false, format: 'subset', classCounts: [30, 30, 30, 30], dataset: { name: 'squares-120', sampleCount: 120, source: 'subset:squares, 30 per class, seed 3' } });
    const drawn = readDatasetCache(path.join(dataDir, 'datasets', 'squares-120.bin'));
    // Every drawn sample is a sample of the source with its label, no sample twice, in the source's order.
    const size = 8 * 8;
    const key = (d: typeof source, i: number) => `${d.labels[i]}:${Buffer.from(d.pixels.subarray(i * size, (i + 1) * size)).toString('hex')}`;
    const sourceIndex = new Map(Array.from({ length: source.count }, (_, i) => [key(source, i), i]));
    const found = Array.from({ length: drawn.count }, (_, i) => sourceIndex.get(key(drawn, i)));
    expect(found.every((i) => i !== undefined)).toBe(true);
    expect(new Set(found).size).toBe(120);
    expect(found).toEqual([...found].sort((a, b) => a! - b!));
    const [split] = catalog.datasets.splits(subset.dataset.id);
    expect(split!.counts.test + split!.counts.heldOut + split!.counts.train).toBe(120);
    // The same request draws the same samples; another seed draws others.
    expect(await service.importDataset({ subsetOf: 'squares', perClass: 30, seed: 3, name: 'squares-120' })).toMatchObject({ alreadyImported: true });
    const other = await service.importDataset({ subsetOf: 'squares', perClass: 30, seed: 4, name: 'squares-120b' });
    expect(other.dataset.digest).not.toBe(subset.dataset.digest);
  });

  it('writes nothing to the catalog or the data directory on bad input', async () => {
    const before = state();
    const dir = makeTempDir('bad-idx');
    writeIdxPair(dir, 10, 9);
    fs.truncateSync(path.join(dir, 'train-images-idx3-ubyte'), 100);
    await expect(service.importDataset({ paths: [dir] })).rejects.toThrow(/size disagrees with its header/);
    await expect(service.importDataset({ paths: ['relative/path'] })).rejects.toThrow(/import paths must be absolute/);
    await expect(service.importDataset({ paths: [dir], name: 'mnist' })).rejects.toThrow(/'mnist' is a built-in dataset/);
    await expect(service.importDataset({ subsetOf: 'squares', perClass: 201, name: 'too-many' })).rejects.toThrow(/squares: cannot draw 201 samples of every class: class 0 '0' has 200, 1 '1' has 200/);
    await expect(service.importDataset({ subsetOf: 'nope', perClass: 2, name: 'x' })).rejects.toThrow(/unknown dataset 'nope'/);
    await expect(service.importDataset({ subsetOf: 'squares', perClass: 2, name: 'mnist' })).rejects.toThrow(/'mnist' is a built-in dataset/);
    await expect(service.importDataset({ subsetOf: 'squares', perClass: 2.5, name: 'x' })).rejects.toThrow(/perClass must be a whole number/);
    await expect(service.importDataset({ subsetOf: 'squares', perClass: 2 } as never)).rejects.toThrow(/name/);
    await expect(service.importDataset({ subsetOf: 'squares', perclass: 2, name: 'x' } as never)).rejects.toThrow(/perclass: unknown key; did you mean 'perClass'\?/);
    await expect(service.createForgetSet({ dataset: 'squares', rule: { kind: 'random', percent: 120, seed: 0 } })).rejects.toThrow(/percentage must be in \(0, 100\)/);
    await expect(service.createForgetSet({ dataset: 'squares', rule: { kind: 'classes', classes: [4] } })).rejects.toThrow(/class 4 does not exist/);
    await expect(service.createForgetSet({ dataset: 'nope', rule: { kind: 'classes', classes: [0] } })).rejects.toThrow(/unknown dataset 'nope'/);
    const list = path.join(makeTempDir('list'), 'ids.txt');
    fs.writeFileSync(list, '1\n-2\n');
    await expect(service.createForgetSet({ dataset: 'squares', rule: { kind: 'file', paths: [list] } })).rejects.toThrow(/ids.txt, line 2: index -2 is negative/);
    expect(state()).toEqual(before);
  });
});

describe('unlearning through the service', () => {
  it('records method, aggregator, objective order, per-step series and the unlearned checkpoint', async () => {
    const [random10, , mnist5] = await service.listForgetSets();
    const run = await service.startUnlearning({ checkpoint: trainedCheckpoint.slice(0, 10), forgetSet: random10!.id, method: 'raul', aggregator: 'upgrad', epochs: 2, batchSize: 32, lr: 0.01 });
    expect(await ended(run.id)).toBe('finished');
    const detail = await service.getRun(run.id);
    expect(detail).toMatchObject({ kind: 'unlearn', method: 'raul', aggregator: 'upgrad', dataset: 'squares', model: 'cnn' });
    expect(detail.config.objectives).toEqual(['retain', 'forget']);
    expect(detail.params.objectives).toBe('retain | forget');
    const steps = Math.ceil(random10!.size / 32) * 2;
    expect(detail.metrics.loss_retain).toHaveLength(steps);
    expect(detail.metrics.weight_forget).toHaveLength(steps);
    expect(detail.metrics.cosine).toHaveLength(steps);
    expect(detail.checkpoints).toMatchObject([{ role: 'unlearned', model: 'cnn', dataset: 'squares' }]);
    expect(detail.latestMetrics.unlearning_accuracy).toBeCloseTo(1 - detail.latestMetrics.forget_accuracy!, 12);

    // Three objectives: every pair's cosine is stored, named by position.
    const bld = await service.startUnlearning({ checkpoint: trainedCheckpoint, forgetSet: random10!.id, method: 'bld', boundary: 'confused', epochs: 1, batchSize: 32 });
    expect(await ended(bld.id)).toBe('finished');
    const bldMetrics = (await service.getRun(bld.id)).metrics;
    expect(Object.keys(bldMetrics).filter((k) => k.startsWith('cosine')).sort()).toEqual(['cosine_1_2', 'cosine_1_3', 'cosine_2_3']);
    expect(Object.keys(bldMetrics).filter((k) => k.startsWith('weight_')).sort()).toEqual(['weight_boundary', 'weight_forget', 'weight_retain']);

    // A forget set of another dataset than the checkpoint's is bad input: refused with the reason, no run recorded.
    const runs = (await service.listRuns()).length;
    const mismatch = await service.startUnlearning({ checkpoint: trainedCheckpoint, forgetSet: mnist5!.id, method: 'ft', epochs: 1 });
    await expect(service.waitForRun(mismatch.id)).rejects.toThrow(/the forget set is from dataset mnist \([0-9a-f]{12}\), the checkpoint was trained on squares/);
    expect((await service.listRuns()).length).toBe(runs);
  });

  it('refuses unknown methods and aggregators and bad weights before recording a run', async () => {
    const before = (await service.listRuns()).length;
    const base = { checkpoint: trainedCheckpoint, forgetSet: 1 };
    await expect(service.startUnlearning({ ...base, method: 'forgetful' })).rejects.toThrow(/unknown method 'forgetful'; available: retrain, ft, ga, rl, salun, neggrad\+, l1-sparse, scrub, iu, bld, raul/);
    await expect(service.startUnlearning({ ...base, method: 'raul', aggregator: 'adam' })).rejects.toThrow(/unknown aggregator 'adam'/);
    await expect(service.startUnlearning({ ...base, method: 'raul', weights: [-1, 2] })).rejects.toThrow(/weights must be non-negative/);
    await expect(service.startUnlearning({ ...base, method: 'raul', weights: [1, 2, 3] })).rejects.toThrow(/raul has 2 objectives \(retain, forget\); 3 weights were given/);
    await expect(service.startUnlearning({ ...base, method: 'raul', forgetSet: 99 })).rejects.toThrow(/no forget set with id 99/);
    expect((await service.listRuns()).length).toBe(before);
  });
});

describe('cancellation through the service records nothing', () => {
  const checkpointFolders = () => {
    const root = path.join(dataDir, 'checkpoints');
    return fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
  };

  /** Starts a run, cancels it once `midRun` sees it under way, and returns it once ended. */
  async function cancelledMidRun(start: () => Promise<{ id: string }>, midRun: (event: LetheEvent, runId: string) => boolean) {
    let runId = '';
    let cancelling = false;
    const stop = service.subscribe((event) => {
      if (runId && !cancelling && midRun(event, runId)) {
        cancelling = true;
        void service.cancelRun(runId);
      }
    });
    runId = (await start()).id;
    await service.waitForRun(runId);
    stop();
    expect(cancelling, 'the run was seen under way').toBe(true);
    return service.getRun(runId);
  }
  const running = (event: LetheEvent, runId: string) => event.type === 'run-updated' && event.run.id === runId && event.run.status === 'running';

  it.each(Object.keys(METHOD_INFO))('%s: cancelled mid-run, it leaves no checkpoint and no result', async (method) => {
    const [random10] = await service.listForgetSets();
    const before = checkpointFolders();
    // Mid-run: at its first step, or once running for a method without steps.
    const midRun = methodInfo(method).closedForm ? running : (event: LetheEvent, runId: string) => event.type === 'unlearn-step' && event.runId === runId;
    const run = await cancelledMidRun(() => service.startUnlearning({ checkpoint: trainedCheckpoint, forgetSet: random10!.id, method, epochs: 3, batchSize: 8 }), midRun);
    expect(run).toMatchObject({ status: 'cancelled', error: null, checkpoints: [] });
    expect(run.latestMetrics.run_seconds).toBeUndefined();
    expect(run.latestMetrics.forget_accuracy).toBeUndefined();
    expect(checkpointFolders()).toEqual(before);
  });

  it('an evaluation cancelled mid-run records no metric and no score file', async () => {
    const [random10] = await service.listForgetSets();
    const run = await cancelledMidRun(() => service.startEvaluation({ checkpoint: trainedCheckpoint, forgetSet: random10!.id }), running);
    expect(run).toMatchObject({ status: 'cancelled', error: null, artifacts: [] });
    expect(run.latestMetrics).toEqual({});
  });
});
