/**
 * A worker: takes training, unlearning and evaluation jobs from the BullMQ queue and
 * runs each in an engine process, as the local job queue does: one process per job
 * running at once (--concurrency), kept for the next job. Before a job it
 * fetches the inputs it lacks from the coordinator's bridge, each checked against the
 * sha256 the job names and written atomically (a file whose hash differs is refused and
 * the attempt fails, so BullMQ tries the job again); after it, it uploads what the job
 * made. It never touches a catalog: the result goes back as the job's return value.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BackendInfo } from '../../shared/backend.js';
import type { EpochMetrics } from '../../shared/train-config.js';
import type { UnlearnStep } from '../../shared/unlearn-config.js';
import { InvalidRequestError } from '../../shared/validation.js';
import { temporarySibling } from '../engine/data/atomic-file.js';
import { describeFile, relativePath, resultOutputs, sha256OfFile, sharedFile, type ArtifactRef } from './artifacts.js';
import { EngineClient, JobCancelledError } from './engine-client.js';
import { redisConnection, REFUSED_PREFIX } from './queue-engine-client.js';
import { CANCEL_CHANNEL, mapJobPaths, mapResultPaths, QUEUE_NAME, type QueuedJobData, type QueuedJobOutcome, type QueuedJobProgress } from './queue-protocol.js';

export interface WorkerSettings {
  queue: string;
  /** The coordinator's bridge (`lethe serve`), e.g. http://10.0.0.5:8123 */
  bridge: string;
  token: string;
  /** The worker's own data directory: a cache of the coordinator's files. */
  dataDir: string;
  concurrency: number;
  /** How long a job's lock lasts without renewal: a dead worker's job goes to another after about this long. */
  stallSeconds: number;
  /** Starts an engine process when no idle one is left. */
  createEngine: () => EngineClient;
  log: (line: string) => void;
}

const PROGRESS_INTERVAL_MS = 500;

/** Downloads one input unless the worker already has it with that hash. */
async function fetchInput(settings: WorkerSettings, ref: ArtifactRef): Promise<void> {
  const target = sharedFile(settings.dataDir, ref.path);
  if (fs.existsSync(target) && (await sha256OfFile(target)) === ref.sha256) return;
  const response = await fetch(new URL(`/api/artifacts/${ref.path}`, settings.bridge), { headers: { authorization: `Bearer ${settings.token}` } });
  if (!response.ok) throw new Error(`fetching ${ref.path} from ${settings.bridge}: HTTP ${response.status} ${await response.text()}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== ref.sha256) throw new Error(`refused ${ref.path} from ${settings.bridge}: its sha256 is ${sha256}, the job names ${ref.sha256}`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = temporarySibling(target);
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, target);
}

async function upload(settings: WorkerSettings, uploadId: string, ref: ArtifactRef): Promise<void> {
  const response = await fetch(new URL(`/api/uploads/${uploadId}/${ref.path}`, settings.bridge), {
    method: 'PUT',
    headers: { authorization: `Bearer ${settings.token}`, 'content-type': 'application/octet-stream', 'x-content-sha256': ref.sha256 },
    body: fs.readFileSync(sharedFile(settings.dataDir, ref.path)),
  });
  if (!response.ok) throw new Error(`uploading ${ref.path} to ${settings.bridge}: HTTP ${response.status} ${await response.text()}`);
}

export class QueueWorker {
  private readonly connection: Redis;
  /** Subscribed to the coordinator's cancellations (a subscribed connection can do nothing else). */
  private readonly cancellations: Redis;
  private readonly worker: Worker<QueuedJobData, QueuedJobOutcome>;
  /** Engines between jobs; one that crashed restarts on its next job. */
  private readonly idleEngines: EngineClient[] = [];
  readonly name = `${os.hostname()}:${process.pid}`;

  constructor(private readonly settings: WorkerSettings) {
    this.connection = redisConnection(settings.queue);
    this.worker = new Worker(QUEUE_NAME, (job, _token, signal) => this.process(job, signal), {
      connection: this.connection,
      concurrency: settings.concurrency,
      lockDuration: settings.stallSeconds * 1000,
      stalledInterval: settings.stallSeconds * 1000,
      autorun: false,
    });
    this.worker.on('error', (error) => settings.log(`queue error: ${error.message}`));
    this.cancellations = redisConnection(settings.queue);
    this.cancellations.on('error', () => {});
    this.cancellations.on('message', (_channel: string, jobId: string) => {
      if (this.worker.cancelJob(jobId, 'cancelled by the coordinator')) settings.log(`${jobId}: cancelled by the coordinator`);
    });
  }

  /** The backend and device jobs will run on (starting the first engine, kept for the first job). */
  async backend(): Promise<BackendInfo> {
    const engine = this.idleEngines.pop() ?? this.settings.createEngine();
    try {
      return await engine.ready();
    } finally {
      this.idleEngines.push(engine);
    }
  }

  /** Takes jobs until close(). */
  async run(): Promise<void> {
    await this.cancellations.subscribe(CANCEL_CHANNEL);
    await this.worker.run();
  }

  async close(): Promise<void> {
    await this.worker.close();
    await Promise.all(this.idleEngines.map((engine) => engine.shutdown()));
    this.connection.disconnect();
    this.cancellations.disconnect();
  }

  private async process(job: Job<QueuedJobData, QueuedJobOutcome>, signal: AbortSignal | undefined): Promise<QueuedJobOutcome> {
    const { settings } = this;
    const attempt = `attempt ${job.attemptsMade + 1} on ${this.name}`;
    settings.log(`${job.id}: ${job.data.job.kind}, ${attempt}`);
    const engine = this.idleEngines.pop() ?? settings.createEngine();
    try {
      for (const ref of job.data.inputs) await fetchInput(settings, ref);
      const local = mapJobPaths(job.data.job, (file) => path.join(settings.dataDir, file));
      const backend = await engine.ready();
      const report = (progress: QueuedJobProgress) => void job.updateProgress(progress).catch(() => {});
      report({ type: 'started', backend, worker: this.name });
      const epochs: EpochMetrics[] = [];
      const steps: UnlearnStep[] = [];
      let lastProgress = 0;
      const running = engine.submit(local, {
        onProgress: (progress) => {
          if (Date.now() - lastProgress < PROGRESS_INTERVAL_MS) return;
          lastProgress = Date.now();
          report({ type: 'progress', progress });
        },
        onEpoch: (epoch) => epochs.push(epoch),
        onUnlearnStep: (step) => steps.push(step),
        onNotice: (message) => report({ type: 'notice', message }),
      });
      signal?.addEventListener('abort', () => engine.cancel(running.jobId));
      settings.log(`${job.id}: running on ${backend.name}`);
      const result = await running.result;
      const outputs = await Promise.all(resultOutputs(result).map((file) => describeFile(settings.dataDir, file)));
      const uploadId = `${job.id}-${randomBytes(6).toString('hex')}`;
      for (const ref of outputs) await upload(settings, uploadId, ref);
      settings.log(`${job.id}: finished on ${backend.name} (${backend.device}), ${outputs.length} files uploaded`);
      return { result: mapResultPaths(result, (file) => relativePath(settings.dataDir, file)), uploadId, outputs, epochs, steps, worker: this.name };
    } catch (error) {
      const message = (error as Error).message;
      settings.log(`${job.id}: ${attempt} failed: ${message}`);
      // Bad input fails the same way on every worker, and a cancelled job is not wanted: no retry.
      if (error instanceof InvalidRequestError) throw new UnrecoverableError(REFUSED_PREFIX + message);
      if (error instanceof JobCancelledError) throw new UnrecoverableError(message);
      await job.log(`${attempt}: ${message}`);
      throw error;
    } finally {
      this.idleEngines.push(engine);
    }
  }
}
