import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../src/shared/train-config.js';
import type { TrainProgress } from '../src/shared/train-config.js';
import { EngineClient, forkTransport, JobCancelledError, JobFailedError } from '../src/main/app/engine-client.js';
import { makeTempDir } from './helpers.js';

const dataDir = makeTempDir('engine');
const engine = new EngineClient(() => forkTransport(undefined, { ...process.env, LETHE_BACKEND: 'wasm' }));
const config = (overrides: Record<string, unknown> = {}) =>
  parseTrainConfig({ dataset: 'mnist', model: 'mlp', epochs: 1, batchSize: 128, lr: 0.05, ...overrides });

function checkpointFolders(): string[] {
  const root = path.join(dataDir, 'checkpoints');
  return fs.existsSync(root) ? fs.readdirSync(root) : [];
}

afterAll(async () => {
  await engine.shutdown();
});

describe('engine process', () => {
  it('reports its backend and runs a training job to a checkpoint', async () => {
    const backend = await engine.ready();
    expect(backend.name).toBe('wasm');
    expect(engine.pid).not.toBe(process.pid);
    const progress: TrainProgress[] = [];
    const job = engine.submit({ kind: 'train', config: config(), dataDir }, { onProgress: (p) => progress.push(p) });
    const result = await job.result;
    expect(result.kind).toBe('train');
    expect(result.dataset).toMatchObject({ name: 'mnist', train: 7712, heldOut: 859, test: 1429 });
    expect(result.history).toHaveLength(1);
    expect(result.testAccuracy).toBeGreaterThan(0.85);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toMatchObject({ step: 61, stepsPerEpoch: 61 });
    expect(checkpointFolders()).toEqual([result.checkpoint.hash]);
    expect(JSON.parse(fs.readFileSync(path.join(result.checkpoint.path, 'provenance.json'), 'utf8'))).toMatchObject({
      kind: 'train',
      backend: { name: 'wasm' },
      dataset: { name: 'mnist' },
    });
  });

  it('evaluates a saved checkpoint to the same test accuracy, and refuses a corrupted one', async () => {
    const trained = await engine.submit({ kind: 'train', config: config({ seed: 3 }), dataDir }).result;
    const evaluated = await engine.submit({ kind: 'evaluate', checkpoint: trained.checkpoint.hash.slice(0, 12), dataDir }).result;
    expect(evaluated.checkpoint.hash).toBe(trained.checkpoint.hash);
    expect(evaluated.splits.test.accuracy).toBe(trained.testAccuracy);
    expect(evaluated.splits.test.count).toBe(1429);
    expect(evaluated.splits.train.count + evaluated.splits.heldOut.count).toBe(7712 + 859);

    const weights = path.join(trained.checkpoint.path, 'weights.bin');
    const bytes = fs.readFileSync(weights);
    bytes[bytes.length - 1]! ^= 0x40;
    fs.writeFileSync(weights, bytes);
    const corrupt = engine.submit({ kind: 'evaluate', checkpoint: trained.checkpoint.path, dataDir });
    await expect(corrupt.result).rejects.toThrow(/is corrupt: its content hash is [0-9a-f]{64}, expected/);
    fs.rmSync(trained.checkpoint.path, { recursive: true });
  });

  // The CLI of a build forks out/main/engine.js; the desktop app forks the engine chunk in out/main/chunks.
  it.each(['engine.js', 'chunks/engine-main-*.js'])('the built engine (out/main/%s) evaluates against a forget set with its MIA worker threads', async (entry) => {
    const folder = path.resolve('out/main', path.dirname(entry));
    const pattern = new RegExp(`^${path.basename(entry).replace('.', '\\.').replace('*', '.*')}$`);
    const found = fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => pattern.test(f)) : [];
    expect(found, 'npm test builds out/ before the tests; run npm run build first').toHaveLength(1);
    const built = path.join(folder, found[0]!);
    const bundled = new EngineClient(() => forkTransport(built, { ...process.env, LETHE_BACKEND: 'wasm' }));
    try {
      const trained = await bundled.submit({ kind: 'train', config: config({ seed: 4 }), dataDir }).result;
      const forgetSet = await bundled.submit({ kind: 'forget-set', request: { dataset: 'mnist', rule: { kind: 'random', percent: 5, seed: 0 }, splitSeed: 0 }, dataDir }).result;
      const checks = { relearn: false, relearnSamples: 1, relearnBudget: 1, relearnLr: 1e-3, relearnBatchSize: 1, relearnTarget: 0.95, boundary: false, pgd: false, pgdEpsilon: 0.03, pgdSteps: 1, pgdSamples: 1 };
      const result = await bundled.submit({ kind: 'evaluate', checkpoint: trained.checkpoint.hash, dataDir, forget: { path: forgetSet.path, digest: forgetSet.digest, checks, batchSize: 500 } }).result;
      expect(result.assessment!.counts.forget).toBe(forgetSet.size);
      expect(Object.keys(result.assessment!.mia)).toHaveLength(5);
      expect(result.assessment!.MIA).toBe(result.assessment!.mia.confidence);
      expect(fs.statSync(result.scores!.path).size).toBeGreaterThan(0);
    } finally {
      await bundled.shutdown();
    }
  });

  it('cancels a job mid-epoch and writes no checkpoint', async () => {
    const before = checkpointFolders();
    let cancelledAt = 0;
    const job = engine.submit(
      { kind: 'train', config: config({ epochs: 5, seed: 9, batchSize: 32 }), dataDir },
      {
        onProgress: (p) => {
          if (!cancelledAt) {
            cancelledAt = p.step;
            engine.cancel(job.jobId);
          }
        },
      },
    );
    await expect(job.result).rejects.toBeInstanceOf(JobCancelledError);
    expect(cancelledAt).toBeLessThan(241);
    expect(checkpointFolders()).toEqual(before);
  });

  it('fails the running job with a reason when the engine process dies, then starts a new one', async () => {
    const firstPid = engine.pid;
    const job = engine.submit(
      { kind: 'train', config: config({ epochs: 5, seed: 10 }), dataDir },
      { onProgress: () => engine.kill() },
    );
    await expect(job.result).rejects.toBeInstanceOf(JobFailedError);
    await expect(job.result).rejects.toThrow(/the engine process exited \(signal SIGKILL\) while the job was running/);
    const next = engine.submit({ kind: 'train', config: config({ model: 'nope' }), dataDir });
    await expect(next.result).rejects.toThrow(/unknown model 'nope'; available: mlp, cnn, cnn3, resnet18/);
    expect(engine.pid).not.toBe(firstPid);
  });
});
