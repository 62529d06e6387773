/**
 * Distributed-study benchmark: the same small study (an MLP on a synthetic 16x16
 * dataset: original, Retrain, FT, GA and RL with two seeds, each evaluated) on the local
 * engine, then on 1 and on 2 `lethe worker` processes through Redis (Debian's
 * redis-server on a free loopback port), each from an empty data directory. Prints one
 * JSON line per case with the study's wall time, and the overhead per job of the queue
 * against the local engine: (1 worker - local) / jobs, which holds the queue, the
 * transfers and the engine process each queued job starts. Workers are started (and
 * have reported their backend) before the clock starts. Run: npm run bench
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EngineClient, forkTransport } from '../src/main/app/engine-client.js';
import { LetheService } from '../src/main/app/lethe-service.js';
import { Catalog } from '../src/main/catalog/catalog.js';
import { Random } from '../src/main/engine/random.js';
import { createBridge } from '../src/main/server.js';
import type { StudyConfigInput } from '../src/shared/study-config.js';

const SAMPLES = 4000;
const SIZE = 16;
const TOKEN = 'c'.repeat(48);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lethe-bench-distributed-'));
const env = { ...process.env, LETHE_BACKEND: 'wasm' };

const study: StudyConfigInput = {
  name: 'bench-distributed',
  dataset: 'blocks',
  model: 'mlp',
  original: { epochs: 2, batchSize: 64, lr: 0.05 },
  forget: { kind: 'random', percent: 10, seed: 1 },
  seeds: [1, 2],
  evaluation: { relearnSamples: 64, relearnBudget: 5, pgdSamples: 50, pgdSteps: 3 },
  methods: [
    { label: 'FT', method: 'ft', epochs: 1 },
    { label: 'GA', method: 'ga', epochs: 1, lr: 1e-3 },
    { label: 'RL', method: 'rl', epochs: 1 },
  ],
};

/** Ten classes, each a bright block at its own place on noise, as IDX files. */
function writeDataset(dir: string): void {
  const random = new Random(3, 'bench');
  const pixels = new Uint8Array(SAMPLES * SIZE * SIZE);
  const labels = new Uint8Array(SAMPLES);
  for (let n = 0; n < SAMPLES; n++) {
    const label = n % 10;
    labels[n] = label;
    for (let i = 0; i < SIZE * SIZE; i++) {
      const inBlock = Math.floor(i / SIZE / 4) === label % 4 && Math.floor((i % SIZE) / 4) === Math.floor(label / 4);
      pixels[n * SIZE * SIZE + i] = inBlock ? 150 + random.int(100) : random.int(90);
    }
  }
  const header = (magic: number, dims: number[]) => {
    const b = Buffer.alloc(4 + 4 * dims.length);
    b.writeUInt32BE(magic, 0);
    dims.forEach((v, i) => b.writeUInt32BE(v, 4 + 4 * i));
    return b;
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), Buffer.concat([header(0x803, [SAMPLES, SIZE, SIZE]), Buffer.from(pixels)]));
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), Buffer.concat([header(0x801, [SAMPLES]), Buffer.from(labels)]));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let text = '';
    const read = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) resolve();
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
  });
}

/** A coordinator on a fresh data directory with the dataset imported; the study's wall time with `workers` workers (0: local engine). */
async function timeStudy(source: string, workers: number, queue: string): Promise<{ seconds: number; jobs: number }> {
  const dataDir = path.join(work, `coordinator-${workers}`);
  const catalog = Catalog.open(dataDir);
  const engine = new EngineClient(() => forkTransport(undefined, env));
  const service = new LetheService({ catalog, engine, appVersion: 'bench' });
  const bridge = createBridge({ service, token: TOKEN, staticDir: work });
  const children: ChildProcess[] = [];
  try {
    await service.importDataset({ paths: [source], name: 'blocks' });
    await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
    const bridgeUrl = `http://127.0.0.1:${(bridge.address() as net.AddressInfo).port}`;
    for (let i = 0; i < workers; i++) {
      const child = spawn(process.execPath, ['bin/lethe.mjs', 'worker', '--queue', queue, '--bridge', bridgeUrl, '--data-dir', path.join(work, `worker-${workers}-${i}`)], {
        env: { ...env, LETHE_BRIDGE_TOKEN: TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      await waitForLine(child, /^worker .*: /m);
    }
    const started = performance.now();
    const outcome = await service.runStudy(study, workers > 0 ? { queue } : {});
    const seconds = (performance.now() - started) / 1000;
    if (outcome.failed.length > 0) throw new Error(`runs failed: ${JSON.stringify(outcome.failed)}`);
    return { seconds, jobs: outcome.created };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    bridge.closeAllConnections();
    bridge.close();
    await engine.shutdown();
    catalog.close();
  }
}

const source = path.join(work, 'blocks');
writeDataset(source);
const port = await freePort();
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work]);
await waitForLine(redis, /Ready to accept connections/);
try {
  const local = await timeStudy(source, 0, '');
  console.log(JSON.stringify({ case: 'local engine', jobs: local.jobs, seconds: Number(local.seconds.toFixed(1)) }));
  // A Redis database per case: each starts from an empty queue.
  const one = await timeStudy(source, 1, `redis://127.0.0.1:${port}/1`);
  const overhead = (one.seconds - local.seconds) / one.jobs;
  console.log(JSON.stringify({ case: '1 worker', jobs: one.jobs, seconds: Number(one.seconds.toFixed(1)), overheadPerJobSeconds: Number(overhead.toFixed(2)) }));
  const two = await timeStudy(source, 2, `redis://127.0.0.1:${port}/2`);
  console.log(JSON.stringify({ case: '2 workers', jobs: two.jobs, seconds: Number(two.seconds.toFixed(1)), speedupOver1Worker: Number((one.seconds / two.seconds).toFixed(2)), cores: os.availableParallelism() }));
} finally {
  redis.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
}
