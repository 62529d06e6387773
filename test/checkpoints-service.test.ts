/**
 * Checkpoints through the service and a real engine: shared by the runs that make the
 * same bytes, verified wherever they live before a run is recorded, and found again in a
 * copied data directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineClient, forkTransport } from '../src/main/app/engine-client.js';
import { LetheService } from '../src/main/app/lethe-service.js';
import { Catalog } from '../src/main/catalog/catalog.js';
import { InvalidRequestError } from '../src/shared/validation.js';
import { makeTempDir, serviceForTests, writeIdxPair } from './helpers.js';

const { dataDir, catalog, service } = serviceForTests('checkpoints-service');


const recipe = { dataset: 'tiles', model: 'mlp', epochs: 1, batchSize: 64, seed: 4 };
const noChecks = { relearn: false, boundary: false, pgd: false };
let checkpoint = '';
let forgetSet = 0;

describe('checkpoints through the service', () => {
  it('gives two runs that make the same bytes the same checkpoint, and purge keeps it while one of them lives', async () => {
    const source = path.join(makeTempDir('tiles-src'), 'tiles');
    writeIdxPair(source, 400, 3);
    await service.importDataset({ paths: [source], name: 'tiles' });
    const first = await service.waitForRun((await service.startTraining(recipe)).id);
    const second = await service.waitForRun((await service.startTraining(recipe)).id);
    expect([first.status, second.status]).toEqual(['finished', 'finished']);
    const [one, two] = [(await service.getRun(first.id)).checkpoints, (await service.getRun(second.id)).checkpoints];
    expect(one).toHaveLength(1);
    checkpoint = one[0]!.hash;
    expect(two).toMatchObject([{ hash: checkpoint, role: 'original', runId: second.id }]);

    await service.deleteRun(first.id);
    expect(catalog.purge({ graceMs: 0 })).toMatchObject({ runs: 1, checkpoints: 0, removedPaths: [] });
    expect((await service.getRun(second.id)).checkpoints).toMatchObject([{ hash: checkpoint }]);
    expect(fs.existsSync(path.join(dataDir, 'checkpoints', checkpoint, 'weights.bin'))).toBe(true);
  });

  it('refuses an altered checkpoint wherever it lives before recording a run, and records the hash of a good one', async () => {
    forgetSet = (await service.createForgetSet({ dataset: 'tiles', rule: { kind: 'random', percent: 10, seed: 1 } })).forgetSet.id;
    const folder = path.join(dataDir, 'checkpoints', checkpoint);
    const outside = makeTempDir('outside');
    const intact = path.join(outside, 'x');
    const flipped = path.join(outside, 'y');
    fs.cpSync(folder, intact, { recursive: true });
    fs.cpSync(folder, flipped, { recursive: true });
    const weights = fs.readFileSync(path.join(flipped, 'weights.bin'));
    weights[weights.length >> 1]! ^= 1;
    fs.writeFileSync(path.join(flipped, 'weights.bin'), weights);
    const runs = (await service.listRuns()).length;

    const refused = [
      () => service.startEvaluation({ checkpoint: flipped, forgetSet, checks: noChecks }),
      () => service.startUnlearning({ checkpoint: flipped, forgetSet, method: 'ft', epochs: 1 }),
      () => service.startEvaluation({ checkpoint: path.join(outside, 'missing'), forgetSet }),
      () => service.startUnlearning({ checkpoint: '%', forgetSet, method: 'ft' }),
      () => service.startUnlearning({ checkpoint: checkpoint.toUpperCase(), forgetSet, method: 'ft' }),
    ];
    for (const attempt of refused) await expect(attempt()).rejects.toBeInstanceOf(InvalidRequestError);
    // `runs rm %` and `runs rm _`: no wildcards in id prefixes.
    for (const reference of ['%', '_']) await expect(service.deleteRun(reference)).rejects.toThrow(`no run with id '${reference}'`);
    await expect(service.startEvaluation({ checkpoint: flipped, forgetSet })).rejects.toThrow(`checkpoint folder ${flipped} holds no checkpoint of this catalog`);
    // The catalog's own copy altered: refused by hash too.
    const original = fs.readFileSync(path.join(folder, 'weights.bin'));
    fs.copyFileSync(path.join(flipped, 'weights.bin'), path.join(folder, 'weights.bin'));
    await expect(service.startEvaluation({ checkpoint: checkpoint.slice(0, 8), forgetSet })).rejects.toThrow(`checkpoint ${folder} is corrupt`);
    fs.writeFileSync(path.join(folder, 'weights.bin'), original);
    expect((await service.listRuns()).length).toBe(runs);

    const run = await service.startUnlearning({ checkpoint: intact, forgetSet, method: 'ft', epochs: 1, batchSize: 64 });
    expect(run.config.checkpoint).toBe(checkpoint);
    const { params } = await service.getRun(run.id);
    expect(params.checkpoint).toBe(checkpoint);
    // Only what applies to fine-tuning: no aggregator, no other method's options.
    for (const option of ['aggregator', 'maskRatio', 'reference', 'temperature', 'fisherSamples']) {
      expect(run.config).not.toHaveProperty(option);
      expect(params).not.toHaveProperty(option);
    }
    expect((await service.waitForRun(run.id)).status).toBe('finished');
  });

  it('works in a copy of the data directory after the original is gone', async () => {
    catalog.db.pragma('wal_checkpoint(TRUNCATE)');
    const copy = path.join(makeTempDir('copied'), 'data');
    fs.cpSync(dataDir, copy, { recursive: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
    const copied = Catalog.open(copy);
    const engine = new EngineClient(() => forkTransport(undefined, { ...process.env, LETHE_BACKEND: 'wasm' }));
    afterAll(async () => {
      await engine.shutdown();
      copied.close();
    });
    const moved = new LetheService({ catalog: copied, engine, appVersion: 'test' });
    expect((await moved.listForgetSets()).map((f) => f.path)).toEqual([expect.stringMatching(new RegExp(`^${copy}/forget-sets/`))]);

    const unlearned = await moved.waitForRun((await moved.startUnlearning({ checkpoint, forgetSet, method: 'ga', epochs: 1, batchSize: 64 })).id);
    expect(unlearned).toMatchObject({ status: 'finished', error: null });
    const evaluation = await moved.waitForRun((await moved.startEvaluation({ checkpoint, forgetSet, checks: noChecks })).id);
    expect(evaluation).toMatchObject({ status: 'finished', error: null });
    const detail = await moved.getRun(evaluation.id);
    expect(detail.artifacts[0]!.path.startsWith(`${copy}${path.sep}artifacts${path.sep}`)).toBe(true);
    expect(fs.existsSync(detail.artifacts[0]!.path)).toBe(true);
  });
});
