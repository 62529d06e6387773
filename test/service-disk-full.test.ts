/**
 * A catalog that stops taking writes while a run trains (SqliteError: database or disk
 * is full): the job stops and the run ends with the reason, never an uncaught error.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { EngineClient, forkTransport } from '../src/main/app/engine-client.js';
import { LetheService } from '../src/main/app/lethe-service.js';
import { Catalog } from '../src/main/catalog/catalog.js';
import { makeTempDir } from './helpers.js';

const dataDir = makeTempDir('disk-full');
const catalog = Catalog.open(dataDir);
const engine = new EngineClient(() => forkTransport(undefined, { ...process.env, LETHE_BACKEND: 'wasm' }));
const service = new LetheService({ catalog, engine, appVersion: 'test' });
const diskFull = () => {
  throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
};
const longTraining = { dataset: 'mnist', model: 'mlp', epochs: 50, batchSize: 256 };

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await engine.shutdown();
  catalog.close();
});

describe('a full disk during training', () => {
  it('stops the job at the first metrics that cannot be written and fails the run with the reason', async () => {
    vi.spyOn(catalog.runs, 'logMetrics').mockImplementation(diskFull);
    const run = await service.startTraining(longTraining);
    const ended = await service.waitForRun(run.id);
    expect(ended).toMatchObject({ status: 'failed', error: 'the catalog could not record the run: database or disk is full' });
    // Stopped after its first epoch, long before the 50th: no checkpoint was written.
    expect(fs.existsSync(path.join(dataDir, 'checkpoints')) ? fs.readdirSync(path.join(dataDir, 'checkpoints')) : []).toEqual([]);
  });

  it('hands the reason to whoever waits when not even the failure can be recorded, and the engine takes the next job', async () => {
    vi.spyOn(catalog.runs, 'logMetrics').mockImplementation(diskFull);
    vi.spyOn(catalog.runs, 'finish').mockImplementation(diskFull);
    const run = await service.startTraining(longTraining);
    await expect(service.waitForRun(run.id)).rejects.toThrow('the catalog could not record the run: database or disk is full');
    vi.restoreAllMocks();
    const next = await service.startTraining({ ...longTraining, epochs: 1, seed: 2 });
    expect(await service.waitForRun(next.id)).toMatchObject({ status: 'finished' });
  });
});
