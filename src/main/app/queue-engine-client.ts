/**
 * An engine client whose training, unlearning and evaluation jobs run on workers
 * (`lethe worker`) through a BullMQ queue on Redis; imports and forget sets, which
 * write the coordinator's data directory, stay with the local engine. The service
 * cannot tell it from the local client: a job's result arrives with its paths in the
 * coordinator's data directory, once the worker's uploads have been checked by hash and
 * moved into place, so the service records it exactly as a local one.
 *
 * A queued job's id is the hash of its content: a coordinator restarted mid-study joins
 * the job it had queued (waiting, running or finished) instead of queueing it twice.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { BackendInfo } from '../../shared/backend.js';
import type { EngineJob, EngineJobResult, ResultOf } from '../../shared/engine-protocol.js';
import { InvalidRequestError } from '../../shared/validation.js';
import { checkResultFiles, commitUpload, describeFile, jobInputs, relativePath, withCheckpointFolder } from './artifacts.js';
import { JobCancelledError, JobFailedError, JobRefusedError, type JobEngine, type JobHandlers, type RunningJob } from './engine-client.js';
import { CANCEL_CHANNEL, mapJobPaths, mapResultPaths, QUEUE_NAME, runsAnywhere, type QueuedEngineJob, type QueuedJobData, type QueuedJobOutcome, type QueuedJobProgress } from './queue-protocol.js';

/** What a worker puts before the message of a job whose input it refused (no retry). */
export const REFUSED_PREFIX = 'refused: ';

export interface QueueSettings {
  /** redis://[:password@]host:port[/db], or rediss:// for TLS. */
  url: string;
  /** How often a failing job is tried before it is recorded failed. */
  attempts?: number;
}

export const DEFAULT_ATTEMPTS = 3;

/** A Redis connection for BullMQ; the URL carries the password and, as rediss://, TLS. */
export function redisConnection(url: string): Redis {
  if (!/^rediss?:\/\/[^/]/.test(url)) throw new InvalidRequestError(`queue URL must be redis://HOST:PORT or rediss://HOST:PORT (TLS), got '${url}'`);
  // BullMQ's blocking calls need unlimited retries; a worker waits out a Redis restart.
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
}

interface Watcher {
  handlers: JobHandlers;
  resolve: (outcome: QueuedJobOutcome) => void;
  reject: (error: Error) => void;
}

export class QueueEngineClient implements JobEngine {
  private readonly connections: Redis[];
  private readonly queue: Queue<QueuedJobData, QueuedJobOutcome>;
  private readonly events: QueueEvents;
  private readonly watchers = new Map<string, Watcher[]>();
  private readonly attempts: number;

  constructor(
    private readonly local: JobEngine,
    settings: QueueSettings,
  ) {
    this.connections = [redisConnection(settings.url), redisConnection(settings.url)];
    this.attempts = settings.attempts ?? DEFAULT_ATTEMPTS;
    this.queue = new Queue(QUEUE_NAME, { connection: this.connections[0]! });
    this.events = new QueueEvents(QUEUE_NAME, { connection: this.connections[1]! });
    // Without a listener an unreachable Redis would throw from the emitter; the awaited calls report it.
    this.queue.on('error', () => {});
    this.events.on('error', () => {});
    this.events.on('progress', ({ jobId, data }) => this.onProgress(jobId, data as QueuedJobProgress));
    this.events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, (w) => w.resolve(parseOutcome(returnvalue))));
    this.events.on('failed', ({ jobId, failedReason }) => void this.onFailed(jobId, failedReason));
    this.events.on('removed', ({ jobId }) => this.settle(jobId, (w) => w.reject(new JobCancelledError(jobId))));
    this.events.on('stalled', ({ jobId }) => {
      const message = 'the worker running this job stopped answering; the job goes back to the queue for another worker';
      for (const watcher of this.watchers.get(jobId) ?? []) watcher.handlers.onNotice?.(message);
      void this.queue.getJob(jobId).then((job) => job?.log(message));
    });
  }

  ready(): Promise<BackendInfo> {
    return this.local.ready();
  }

  submit<J extends EngineJob>(job: J, handlers: JobHandlers = {}): RunningJob<ResultOf<J>> {
    if (!runsAnywhere(job)) return this.local.submit(job, handlers);
    let located: QueuedEngineJob;
    let relative: QueuedEngineJob;
    try {
      located = withCheckpointFolder(job);
      relative = mapJobPaths(located, (file) => relativePath(job.dataDir, file));
    } catch (error) {
      return { jobId: `${job.kind}-refused`, result: Promise.reject(error as Error) };
    }
    const jobId = `${job.kind}-${createHash('sha256').update(JSON.stringify(relative)).digest('hex').slice(0, 32)}`;
    const result = this.run(jobId, located, relative, handlers) as Promise<ResultOf<J>>;
    return { jobId, result };
  }

  private async run(jobId: string, job: QueuedEngineJob, relative: QueuedEngineJob, handlers: JobHandlers): Promise<EngineJobResult> {
    const inputs = await Promise.all(jobInputs(job).map((file) => describeFile(job.dataDir, file)));
    const outcome = new Promise<QueuedJobOutcome>((resolve, reject) => {
      this.watchers.set(jobId, [...(this.watchers.get(jobId) ?? []), { handlers, resolve, reject }]);
    });
    try {
      await this.events.waitUntilReady();
      const existing = await this.queue.getJob(jobId);
      const state = existing && (await existing.getState());
      if (existing && state === 'completed') this.settle(jobId, (w) => w.resolve(parseOutcome(existing.returnvalue)));
      else {
        // A job that failed before is tried again when its run is asked for again.
        if (existing && state === 'failed') await existing.remove();
        if (!existing || state === 'failed') {
          const data: QueuedJobData = { job: relative, inputs };
          await this.queue.add(job.kind, data, { jobId, attempts: this.attempts, removeOnComplete: { age: 7 * 86400 }, removeOnFail: { age: 7 * 86400 } });
        }
      }
    } catch (error) {
      this.settle(jobId, (w) => w.reject(new JobFailedError(jobId, `the queue could not take the job: ${(error as Error).message}`)));
    }
    const done = await outcome;
    try {
      await commitUpload(job.dataDir, done.uploadId, done.outputs);
      await checkResultFiles(job.dataDir, done.result);
    } catch (error) {
      // Not kept as done: the next request for this run queues it again.
      await this.queue.remove(jobId).catch(() => {});
      throw new JobFailedError(jobId, `the worker's outputs were refused: ${(error as Error).message}`);
    }
    // The series of the attempt that finished, recorded as a local job records them live.
    for (const epoch of done.epochs) handlers.onEpoch?.(epoch);
    for (const step of done.steps) handlers.onUnlearnStep?.(step);
    return mapResultPaths(done.result, (file) => path.join(job.dataDir, file));
  }

  private settle(jobId: string, how: (watcher: Watcher) => void): void {
    const watchers = this.watchers.get(jobId);
    this.watchers.delete(jobId);
    for (const watcher of watchers ?? []) how(watcher);
  }

  private onProgress(jobId: string, progress: QueuedJobProgress): void {
    for (const { handlers } of this.watchers.get(jobId) ?? []) {
      if (progress.type === 'started') handlers.onStarted?.(progress.backend);
      else if (progress.type === 'progress') handlers.onProgress?.(progress.progress);
      else handlers.onNotice?.(progress.message);
    }
  }

  /** The job has used its last attempt: the error names every attempt's, from the job's log. */
  private async onFailed(jobId: string, failedReason: string): Promise<void> {
    if (failedReason.startsWith(REFUSED_PREFIX)) {
      const reason = failedReason.slice(REFUSED_PREFIX.length);
      this.settle(jobId, (w) => w.reject(new JobRefusedError(jobId, reason)));
      return;
    }
    const logs = await this.queue.getJobLogs(jobId).catch(() => ({ logs: [] as string[] }));
    const attempts = logs.logs.filter((line) => line.startsWith('attempt '));
    const message = attempts.length > 0 ? `failed ${attempts.length} times: ${attempts.join('; ')}` : failedReason;
    this.settle(jobId, (w) => w.reject(new JobFailedError(jobId, message)));
  }

  /** Removes a job still waiting, and tells the worker running it to stop it. */
  cancel(jobId: string): void {
    if (!this.watchers.has(jobId)) {
      this.local.cancel(jobId);
      return;
    }
    this.settle(jobId, (w) => w.reject(new JobCancelledError(jobId)));
    void this.queue
      .getJob(jobId)
      .then(async (job) => {
        if (job && (await job.isActive())) await this.connections[0]!.publish(CANCEL_CHANNEL, jobId);
        else await job?.remove();
      })
      .catch(() => {});
  }

  async close(): Promise<void> {
    for (const [jobId] of this.watchers) this.settle(jobId, (w) => w.reject(new JobFailedError(jobId, 'the coordinator stopped following the queue')));
    await this.events.close();
    await this.queue.close();
    for (const connection of this.connections) connection.disconnect();
  }
}

/** BullMQ hands the return value back as JSON text in events and as an object from a fetched job. */
function parseOutcome(value: unknown): QueuedJobOutcome {
  return (typeof value === 'string' ? JSON.parse(value) : value) as QueuedJobOutcome;
}
