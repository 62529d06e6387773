/**
 * Catalog query cost at scale: a catalog of 10,000 runs (train, unlearn and evaluate,
 * each with its params, per-epoch metrics and latest-metric cache, a checkpoint for
 * every train and unlearn run) and the calls the doors make most: the service's
 * listRuns and getRun (by an 8-character id prefix), and the lookups a new run makes
 * (checkpoint by hash prefix, forget set and dataset by id, a study's finished run by
 * config hash). Then the case the bug report measured: 200 concurrent listRuns requests
 * to the HTTP bridge over a catalog of 36 runs (client and bridge in this process).
 * p50 / p95 in milliseconds, one JSON line per call. Run: npm run bench
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EngineClient } from '../src/main/app/engine-client.js';
import { LetheService } from '../src/main/app/lethe-service.js';
import { Catalog } from '../src/main/catalog/catalog.js';
import { Random } from '../src/main/engine/random.js';
import { createBridge } from '../src/main/server.js';
import { parseUnlearnConfig } from '../src/shared/unlearn-config.js';

const EPOCHS = 10;
const random = new Random(0, 'bench-catalog');
const hex = (seed: string) => createHash('sha256').update(seed).digest('hex');

/** A catalog of `count` finished runs with params, metrics and checkpoints. */
function buildCatalog(count: number) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lethe-bench-catalog-'));
  const catalog = Catalog.open(dataDir);
  const datasetIds = ['mnist', 'fashion-mnist', 'cifar10'].map(
    (name) => catalog.datasets.upsert({ name, digest: hex(name), source: 'builtin', shape: [28, 28, 1], classNames: Array.from({ length: 10 }, String), sampleCount: 60_000 }).id,
  );
  const forgetSetIds = Array.from({ length: 50 }, (_, i) =>
    catalog.forgetSets.add({
      datasetId: datasetIds[i % datasetIds.length]!,
      name: `random ${i}%`,
      rule: { kind: 'random', percent: i + 1, seed: i },
      seed: i,
      size: 600 * (i + 1),
      digest: hex(`forget-${i}`),
      path: path.join(dataDir, 'forget-sets', `f${i}.json`),
    }).id,
  );
  const runIds: string[] = [];
  const checkpointHashes: string[] = [];
  const configHashes: string[] = [];
  catalog.db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = hex(`run-${i}`).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5');
      const kind = i % 3 === 0 ? 'train' : i % 3 === 1 ? 'unlearn' : 'evaluate';
      const config =
        kind === 'unlearn'
          ? parseUnlearnConfig({ checkpoint: hex(`cp-${i - 1}`), forgetSet: forgetSetIds[i % forgetSetIds.length]!, method: 'raul', seed: i, lr: 0.005 })
          : { dataset: 'mnist', model: 'cnn', epochs: EPOCHS, lr: 0.05, batchSize: 128, seed: i, optimizer: 'sgd', momentum: 0.9, weightDecay: 5e-4 };
      const run = catalog.runs.create({ id, kind, dataset: 'mnist', model: 'cnn', method: kind === 'unlearn' ? 'raul' : undefined, config, seed: i, appVersion: 'bench', ownerPid: process.pid }, 1_700_000_000_000 + i);
      catalog.runs.setParams(id, Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)])));
      for (let epoch = 1; epoch <= EPOCHS; epoch++) {
        catalog.runs.logMetrics(id, { train_loss: random.next(), train_accuracy: random.next(), test_loss: random.next(), test_accuracy: random.next(), lr: 0.05, epoch_seconds: 3 }, epoch);
      }
      catalog.runs.finish(id, 'finished');
      if (kind !== 'evaluate') {
        const hash = hex(`cp-${i}`);
        catalog.checkpoints.add({ hash, path: path.join(dataDir, 'checkpoints', hash), role: kind === 'train' ? 'original' : 'unlearned', runId: id, model: 'cnn', dataset: 'mnist' });
        checkpointHashes.push(hash);
      }
      runIds.push(id);
      configHashes.push(run.configHash);
    }
  })();
  // listRuns and getRun never reach the engine; the client is never started.
  const service = new LetheService({ catalog, engine: new EngineClient(), appVersion: 'bench' });
  const close = () => {
    catalog.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { catalog, service, datasetIds, forgetSetIds, runIds, checkpointHashes, configHashes, close };
}

function percentiles(samples: number[]): { p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3));
  return { p50: at(0.5), p95: at(0.95) };
}

async function measure(name: string, repeats: number, call: (i: number) => unknown, runs = RUNS): Promise<void> {
  for (let i = 0; i < 3; i++) await call(i);
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await call(i);
    samples.push(performance.now() - started);
  }
  console.log(JSON.stringify({ bench: 'catalog', call: name, runs, repeats, ms: percentiles(samples) }));
}

const pick = <T>(list: T[]) => list[random.int(list.length)]!;
const RUNS = 10_000;
const buildStarted = performance.now();
const { catalog, service, datasetIds, forgetSetIds, runIds, checkpointHashes, configHashes, close } = buildCatalog(RUNS);
const buildSeconds = (performance.now() - buildStarted) / 1000;
console.log(JSON.stringify({ bench: 'catalog', build: { runs: RUNS, checkpoints: checkpointHashes.length, metricRows: RUNS * EPOCHS * 6, seconds: Number(buildSeconds.toFixed(1)) } }));
await measure('listRuns', 20, () => service.listRuns());
await measure('getRun (id prefix)', 200, () => service.getRun(pick(runIds).slice(0, 8)));
await measure('checkpoint by hash prefix', 200, () => catalog.checkpoints.byHashPrefix(pick(checkpointHashes).slice(0, 12)));
await measure('forget set by id', 200, () => catalog.forgetSets.byId(pick(forgetSetIds)));
await measure('dataset by id', 200, () => catalog.datasets.byId(pick(datasetIds)));
await measure('finished run by config hash', 200, () => catalog.runs.latestFinished('unlearn', pick(configHashes)));
close();

/** 200 listRuns requests at once to the bridge, five times: each request's latency. */
async function bridgeBurst(): Promise<void> {
  const small = buildCatalog(36);
  await measure('listRuns', 200, () => small.service.listRuns(), 36);
  const token = 'b'.repeat(48);
  const server = createBridge({ service: small.service, token, staticDir: os.tmpdir() });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${origin}/api/call/listRuns`;
  const call = async () => {
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', origin }, body: '[]' });
    if (response.status !== 200) throw new Error(`listRuns answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
    return performance.now() - started;
  };
  await Promise.all(Array.from({ length: 20 }, call));
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) samples.push(...(await Promise.all(Array.from({ length: 200 }, call))));
  console.log(JSON.stringify({ bench: 'catalog', call: 'bridge listRuns, 200 concurrent', runs: 36, repeats: samples.length, ms: percentiles(samples) }));
  await new Promise((resolve) => server.close(resolve));
  small.close();
}
await bridgeBurst();
