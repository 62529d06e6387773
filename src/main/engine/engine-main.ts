/**
 * Entry of the engine process: the only process that loads TensorFlow.js. It picks the
 * backend once, then runs jobs one at a time from its parent (child_process.fork in
 * headless use, Electron's utilityProcess in the app), reporting progress, results,
 * failures and cancellations as typed events.
 */
import type { BackendInfo } from '../../shared/backend.js';
import type { EngineEvent, EngineJob, EngineJobResult, EngineRequest } from '../../shared/engine-protocol.js';
import type { TaskProgress } from '../../shared/import.js';
import type { UnlearnStep } from '../../shared/unlearn-config.js';
import type { EpochMetrics, TrainProgress } from '../../shared/train-config.js';
import { InvalidRequestError } from '../../shared/validation.js';
import { initBackend } from './backend.js';
import { loadDataset } from './data/dataset-store.js';
import { runEvaluateJob } from './jobs/evaluate-job.js';
import { runForgetSetJob } from './jobs/forget-set-job.js';
import { runGenerateJob } from './jobs/generate-job.js';
import { runLmEvaluateJob } from './jobs/lm-evaluate-job.js';
import { lmTrainRequest, runLanguageModelTrainJob } from './jobs/lm-train-job.js';
import { runLmUnlearnJob } from './jobs/lm-unlearn-job.js';
import { runImportJob } from './jobs/import-job.js';
import { runUnlearnJob } from './jobs/unlearn-job.js';
import { runTrainJob, type JobContext } from './jobs/train-job.js';
import { CancelledError } from './train/trainer.js';

interface ParentChannel {
  send(event: EngineEvent): void;
  onMessage(handler: (request: EngineRequest) => void): void;
}

function parentChannel(): ParentChannel {
  const parentPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', h: (e: { data: unknown }) => void): void } }).parentPort;
  if (parentPort) {
    return {
      send: (event) => parentPort.postMessage(event),
      onMessage: (handler) => parentPort.on('message', (e) => handler(e.data as EngineRequest)),
    };
  }
  if (process.send) {
    process.on('disconnect', () => process.exit(0));
    return {
      send: (event) => process.send!(event),
      onMessage: (handler) => process.on('message', (m) => handler(m as EngineRequest)),
    };
  }
  throw new Error('the engine process must be started by Lethe (no parent channel)');
}

function runJob(
  job: EngineJob,
  context: JobContext,
  report: { onTaskProgress: (p: TaskProgress) => void; onUnlearnStep: (s: UnlearnStep) => void },
): Promise<EngineJobResult> {
  switch (job.kind) {
    case 'train':
      return runTrainJob(job.config, context);
    case 'evaluate':
      return runEvaluateJob(job, context);
    case 'import':
      return runImportJob(job.request, job.dataDir, report.onTaskProgress, context.signal);
    case 'prepare-dataset':
      return Promise.resolve({ kind: 'prepare-dataset', digest: loadDataset(job.dataDir, job.dataset, context.notice).digest });
    case 'forget-set':
      return runForgetSetJob(job.request, job.dataDir, context.notice, { preview: job.preview });
    case 'unlearn':
      return runUnlearnJob(job, context, report.onUnlearnStep);
    case 'generate':
      return Promise.resolve(runGenerateJob(job.request, job.dataDir));
    case 'lm-train':
      // Its epochs are not classifier epochs; the result carries their history.
      return runLanguageModelTrainJob(lmTrainRequest(job.config, job.dataDir), { signal: context.signal, onProgress: context.onProgress, notice: context.notice, backend: context.backend });
    case 'lm-unlearn':
      return runLmUnlearnJob(job.config, job.dataDir, context);
    case 'lm-evaluate':
      return Promise.resolve({ kind: 'lm-evaluate', ...runLmEvaluateJob(job.request, job.dataDir, context.notice) });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<void> {
  const channel = parentChannel();
  // Ctrl-C in a terminal signals the whole process group; the parent answers it by
  // cancelling the job, which must not die with the engine first.
  process.on('SIGINT', () => {});
  const queue: { jobId: string; job: EngineJob }[] = [];
  const running = new Map<string, AbortController>();
  let draining = false;
  let backendReady = false;

  channel.onMessage((request) => {
    switch (request.type) {
      case 'run':
        queue.push({ jobId: request.jobId, job: request.job });
        void drain();
        break;
      case 'cancel': {
        const queued = queue.findIndex((q) => q.jobId === request.jobId);
        if (queued >= 0) {
          queue.splice(queued, 1);
          channel.send({ type: 'cancelled', jobId: request.jobId });
        }
        running.get(request.jobId)?.abort();
        break;
      }
      case 'shutdown':
        for (const controller of running.values()) controller.abort();
        process.exit(0);
    }
  });

  let backend: BackendInfo;
  try {
    backend = await initBackend();
  } catch (error) {
    channel.send({ type: 'startup-failed', error: errorMessage(error) });
    process.exit(1);
  }
  channel.send({ type: 'ready', pid: process.pid, backend });
  backendReady = true;

  async function drain(): Promise<void> {
    if (draining || !backendReady) return;
    draining = true;
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { jobId, job } = next;
        const controller = new AbortController();
        running.set(jobId, controller);
        channel.send({ type: 'started', jobId });
        try {
          const context = {
            dataDir: job.dataDir,
            backend,
            signal: controller.signal,
            onProgress: (progress: TrainProgress) => channel.send({ type: 'progress', jobId, progress }),
            onEpoch: (metrics: EpochMetrics) => channel.send({ type: 'epoch', jobId, metrics }),
            notice: (message: string) => channel.send({ type: 'notice', jobId, message }),
          };
          const result = await runJob(job, context, {
            onTaskProgress: (progress) => channel.send({ type: 'task-progress', jobId, progress }),
            onUnlearnStep: (step) => channel.send({ type: 'unlearn-step', jobId, step }),
          });
          channel.send({ type: 'finished', jobId, result });
        } catch (error) {
          if (error instanceof CancelledError) channel.send({ type: 'cancelled', jobId });
          else channel.send({ type: 'failed', jobId, error: errorMessage(error), invalidInput: error instanceof InvalidRequestError });
        } finally {
          running.delete(jobId);
        }
      }
    } finally {
      draining = false;
    }
  }
  void drain();
}

void main();
