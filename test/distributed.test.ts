/**
 * A study across machines, on one: Redis (Debian's redis-server on a free loopback
 * port), the coordinator's bridge, two `lethe worker` processes, one of them behind a
 * proxy that changes one byte of the first file it passes on. One worker is killed with
 * SIGKILL in the middle of a job. The study must end with every run recorded once and
 * the same numbers as the same study run on the local engine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { JobCancelledError } from '../src/main/app/engine-client.js';
import { QueueEngineClient } from '../src/main/app/queue-engine-client.js';
import { QUEUE_NAME } from '../src/main/app/queue-protocol.js';
import type { Catalog } from '../src/main/catalog/catalog.js';
import { runCli } from '../src/main/cli.js';
import { createBridge } from '../src/main/server.js';
import type { TrainJob } from '../src/shared/engine-protocol.js';
import { classifierTable, type StudyConfigInput, type StudyTable } from '../src/shared/study-config.js';
import { parseTrainConfig } from '../src/shared/train-config.js';
import { makeTempDir, serviceForTests, writeIdxPair } from './helpers.js';

const local = serviceForTests('distributed-local');
const coordinator = serviceForTests('distributed-coordinator');
const TOKEN = 'a'.repeat(48);
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Resolves once the process has printed a line matching `pattern` on stdout or stderr. */
function lineOf(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve) => {
    let buffer = '';
    const read = (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      const match = lines.find((line) => pattern.test(line));
      if (match) resolve(match);
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
  });
}

async function startRedis(): Promise<string> {
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', makeTempDir('redis')]);
  cleanups.push(() => redis.kill('SIGTERM'));
  const missing = new Promise<never>((_, reject) => redis.on('error', (error) => reject(new Error(`redis-server could not start (Debian: apt-get install redis-server): ${error.message}`))));
  await Promise.race([lineOf(redis, /Ready to accept connections/), missing]);
  return `redis://127.0.0.1:${port}`;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** Passes requests on to the bridge, changing one byte of the first artifact it sends back. */
function tamperingProxy(bridge: string): { server: http.Server; tampered: string[] } {
  const target = new URL(bridge);
  const tampered: string[] = [];
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        if (tampered.length === 0 && req.method === 'GET' && req.url!.startsWith('/api/artifacts/') && answer.statusCode === 200) {
          const middle = body.length >> 1;
          body.writeUInt8(body[middle]! ^ 0x01, middle);
          tampered.push(req.url!);
        }
        res.writeHead(answer.statusCode!, answer.headers);
        res.end(body);
      });
    });
    req.pipe(upstream);
  });
  return { server, tampered };
}

let redisUrl: Promise<string> | undefined;
const redis = () => (redisUrl ??= startRedis());

function startWorker(queue: string, bridge: string, dataDir: string, token = TOKEN): ChildProcess {
  const bin = path.resolve(import.meta.dirname, '../bin/lethe.mjs');
  const child = spawn(process.execPath, [bin, 'worker', '--queue', queue, '--bridge', bridge, '--stall-seconds', '5', '--data-dir', dataDir], {
    env: { ...process.env, LETHE_BACKEND: 'wasm', LETHE_BRIDGE_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => child.kill('SIGKILL'));
  return child;
}

/** The squares dataset as IDX files, written once per test file. */
let squaresDir: string | undefined;
function squares(): string {
  if (squaresDir) return squaresDir;
  squaresDir = path.join(makeTempDir('squares'), 'squares');
  writeIdxPair(squaresDir, 1200, 9);
  return squaresDir;
}


const study: StudyConfigInput = {
  name: 'squares-distributed',
  dataset: 'squares',
  model: 'mlp',
  original: { epochs: 1, batchSize: 64, lr: 0.05 },
  forget: { kind: 'random', percent: 10, seed: 1 },
  seeds: [1],
  evaluation: { relearnSamples: 32, relearnBudget: 3, pgdSamples: 20, pgdSteps: 2 },
  methods: [
    { label: 'FT', method: 'ft', epochs: 1 },
    { label: 'GA', method: 'ga', epochs: 1, lr: 1e-3 },
  ],
};

/** Every finished run by config hash, with its metrics (timings left out) and series lengths. */
function recordedRuns(catalog: Catalog): Map<string, { kind: string; metrics: Record<string, number>; series: Record<string, number> }[]> {
  const runs = new Map<string, { kind: string; metrics: Record<string, number>; series: Record<string, number> }[]>();
  for (const run of catalog.runs.list()) {
    const metrics = Object.fromEntries(Object.entries(catalog.runs.latestMetrics(run.id)).filter(([key]) => !key.endsWith('seconds')));
    const series = Object.fromEntries(Object.entries(catalog.runs.metricSeries(run.id)).map(([key, points]) => [key, points.length]));
    runs.set(run.configHash, [...(runs.get(run.configHash) ?? []), { kind: `${run.kind} ${run.status}`, metrics, series }]);
  }
  return runs;
}

/** The table without what depends on timing: run times, and whether a row is the fastest. */
function tableNumbers(table: StudyTable): unknown {
  // Run ids and run times differ between the two catalogs; every number measured on a model must not.
  return table.rows.map(({ rte: _rte, best, runs, ...row }) => ({
    ...row,
    best: best.filter((column) => column !== 'rte'),
    runs: runs.map(({ runId: _runId, evaluationId: _evaluationId, seconds: _seconds, ...run }) => run),
  }));
}

describe('a study on workers (BullMQ on Redis)', () => {
  it('survives a killed worker and a tampered transfer, and records the same runs as the local engine', { timeout: 600_000 }, async () => {
    await local.service.importDataset({ paths: [squares()], name: 'squares' });
    await coordinator.service.importDataset({ paths: [squares()], name: 'squares' });
    await local.service.runStudy(study);

    const queue = await redis();
    const bridge = await listen(createBridge({ service: coordinator.service, token: TOKEN, staticDir: makeTempDir('no-window') }));
    const proxy = tamperingProxy(bridge);
    const workers = [startWorker(queue, await listen(proxy.server), makeTempDir('worker-a')), startWorker(queue, bridge, makeTempDir('worker-b'))];

    // The first worker to be in the middle of a job is killed.
    const killed = Promise.race(workers.map((worker) => lineOf(worker, /: running on /).then(() => worker))).then((worker) => {
      worker.kill('SIGKILL');
      return worker;
    });
    let err = '';
    const code = await runCli(['study', 'run', writeStudy(), '--queue', queue, '--data-dir', coordinator.dataDir], { out: () => {}, err: (t) => (err += t + '\n'), isTTY: false });
    expect({ code, err }).toEqual({ code: 0, err: expect.not.stringMatching(/failed:/) });
    expect((await killed).signalCode).toBe('SIGKILL');

    // Every run once, finished, with the local run's numbers and series (no leftovers of the killed attempt).
    const expected = recordedRuns(local.catalog);
    const recorded = recordedRuns(coordinator.catalog);
    expect(recorded.size).toBe(8);
    expect([...recorded.values()].every((runs) => runs.length === 1 && runs[0]!.kind.endsWith('finished'))).toBe(true);
    expect(recorded).toEqual(expected);
    expect(tableNumbers(classifierTable(await coordinator.service.getStudyTable(study.name)))).toEqual(tableNumbers(classifierTable(await local.service.getStudyTable(study.name))));
    expect((await coordinator.service.getStudyTable(study.name)).rows.every((row) => row.repeats === 1)).toBe(true);

    // The queue's record: the killed worker's job went to another, the tampered file was refused and its job tried again.
    const connection = new Redis(queue, { maxRetriesPerRequest: null });
    const jobs = new Queue(QUEUE_NAME, { connection });
    const logs = (await Promise.all((await jobs.getJobs(['completed'])).map((job) => jobs.getJobLogs(job.id!)))).flatMap((l) => l.logs);
    await jobs.close();
    connection.disconnect();
    expect(proxy.tampered).toHaveLength(1);
    expect(logs.some((line) => /^attempt \d+ on .*: refused .* its sha256 is [0-9a-f]{64}, the job names [0-9a-f]{64}$/.test(line))).toBe(true);
    expect(logs.some((line) => /stopped answering/.test(line))).toBe(true);
    // Uploads were moved into place; nothing is left half-way.
    expect(fs.readdirSync(path.join(coordinator.dataDir, 'incoming'))).toEqual([]);
  });

  it("records a job that failed on every attempt as failed, with each attempt's error", { timeout: 300_000 }, async () => {
    // Database 1: a keyspace (and queue) of its own, away from the first test's worker.
    const queue = `${await redis()}/1`;
    await coordinator.service.importDataset({ paths: [squares()], name: 'squares' });
    const bridge = await listen(createBridge({ service: coordinator.service, token: TOKEN, staticDir: makeTempDir('no-window') }));
    startWorker(queue, bridge, makeTempDir('worker-c'), 'not-the-token');
    const failing: StudyConfigInput = { ...study, name: 'squares-failing', original: { ...study.original, seed: 7 } };
    const attempt = (n: number) => `attempt ${n} on [^:]+:\\d+: fetching datasets/squares.bin from ${bridge}: HTTP 401`;
    const expected = new RegExp(`failed 2 times: ${attempt(1)}.*; ${attempt(2)}`);
    await expect(coordinator.service.runStudy(failing, { queue, attempts: 2 })).rejects.toThrow(expected);
    const failed = coordinator.catalog.runs.list().filter((run) => run.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toMatch(expected);
  });

  it('joins the job it had queued when the coordinator comes back, instead of queueing it twice', { timeout: 300_000 }, async () => {
    const queue = `${await redis()}/2`;
    await coordinator.service.importDataset({ paths: [squares()], name: 'squares' });
    const bridge = await listen(createBridge({ service: coordinator.service, token: TOKEN, staticDir: makeTempDir('no-window') }));
    const worker = startWorker(queue, bridge, makeTempDir('worker-d'));
    let log = '';
    worker.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const job: TrainJob = { kind: 'train', config: parseTrainConfig({ dataset: 'squares', model: 'mlp', epochs: 1, batchSize: 64, seed: 11 }), dataDir: coordinator.dataDir };

    const before = new QueueEngineClient(coordinator.engine, { url: queue });
    const first = before.submit(job);
    const finishedOnWorker = lineOf(worker, /: finished on /);
    const firstEnded = expect(first.result).rejects.toThrow('the coordinator stopped following the queue');
    await lineOf(worker, /: running on /);
    await before.close(); // the coordinator goes away in the middle of the job
    await firstEnded;
    await finishedOnWorker;

    const after = new QueueEngineClient(coordinator.engine, { url: queue });
    const second = after.submit(job);
    const result = await second.result;
    await after.close();
    expect(second.jobId).toBe(first.jobId);
    expect(result.checkpoint.path).toBe(path.join(coordinator.dataDir, 'checkpoints', result.checkpoint.hash));
    expect(fs.readdirSync(result.checkpoint.path).sort()).toEqual(['model.json', 'provenance.json', 'weights.bin']);
    expect(log.match(/: running on /g)).toHaveLength(1);
  });

  it('stops a cancelled job on the worker that runs it, without trying it again', { timeout: 300_000 }, async () => {
    const queue = `${await redis()}/3`;
    await coordinator.service.importDataset({ paths: [squares()], name: 'squares' });
    const bridge = await listen(createBridge({ service: coordinator.service, token: TOKEN, staticDir: makeTempDir('no-window') }));
    const worker = startWorker(queue, bridge, makeTempDir('worker-e'));
    const job: TrainJob = { kind: 'train', config: parseTrainConfig({ dataset: 'squares', model: 'mlp', epochs: 500, batchSize: 8, seed: 12 }), dataDir: coordinator.dataDir };
    const client = new QueueEngineClient(coordinator.engine, { url: queue });
    const running = client.submit(job);
    const cancelled = expect(running.result).rejects.toThrow(JobCancelledError);
    const stopped = lineOf(worker, /: attempt 1 on .* failed: the job was cancelled$/);
    const connection = new Redis(queue, { maxRetriesPerRequest: null });
    // The worker logs the cancelled attempt before BullMQ records it failed: wait for BullMQ's own event.
    const events = new QueueEvents(QUEUE_NAME, { connection: connection.duplicate() });
    await events.waitUntilReady();
    const recordedFailed = new Promise<void>((resolve) => events.on('failed', ({ jobId }) => jobId === running.jobId && resolve()));
    await lineOf(worker, /: running on /);
    client.cancel(running.jobId);
    await cancelled;
    await stopped;
    await recordedFailed;
    await events.close();
    await client.close();
    const jobs = new Queue(QUEUE_NAME, { connection });
    const queued = (await jobs.getJob(running.jobId))!;
    expect([await queued.getState(), queued.attemptsMade, queued.failedReason]).toEqual(['failed', 1, 'the job was cancelled']);
    await jobs.close();
    connection.disconnect();
  });

  it('refuses a queue that is not a Redis URL before recording anything', async () => {
    const studies = coordinator.catalog.studies.list().length;
    let err = '';
    const code = await runCli(['study', 'run', writeStudy(), '--queue', 'http://127.0.0.1:6379', '--data-dir', coordinator.dataDir], { out: () => {}, err: (t) => (err += t), isTTY: false });
    expect(code).toBe(2);
    expect(err).toMatch(/invalid study run options: queue must be redis:\/\/HOST:PORT or rediss:\/\/HOST:PORT \(TLS\)/);
    expect(coordinator.catalog.studies.list()).toHaveLength(studies);
  });
});

function writeStudy(): string {
  const file = path.join(makeTempDir('study'), 'study.json');
  fs.writeFileSync(file, JSON.stringify(study));
  return file;
}
