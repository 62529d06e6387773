/**
 * The jobs panel's list, kept from the service's own events (runs queued, running and
 * ended, training progress, unlearning steps, study progress) and from the jobs the
 * service follows directly (imports, whole studies): queued and running jobs with their
 * progress and ETA, and the last failures with their error text. Every change is
 * published whole, so a window only listens.
 */
import { progressFraction } from '../../shared/format.js';
import { JOB_FAILURES_KEPT, type JobEntry, type JobFailure, type JobKind, type JobList } from '../../shared/jobs.js';
import type { LetheEvent } from '../../shared/lethe-api.js';
import { methodName } from '../../shared/run-label.js';
import { JobCancelledError } from './engine-client.js';
import { methodInfo } from '../engine/unlearn/method-info.js';

interface ActiveJob extends JobEntry {
  cancel: () => void;
  /** Unlearning: epochs planned and steps seen, to estimate completion from the first epoch's length. */
  epochs?: number;
  stepsInFirstEpoch?: number;
}

export class JobBoard {
  private readonly active = new Map<string, ActiveJob>();
  private failures: JobFailure[] = [];

  constructor(
    private readonly publish: (jobs: JobList) => void,
    private readonly cancelRun: (runId: string) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  list(): JobList {
    return { active: [...this.active.values()].map(({ cancel: _cancel, epochs: _epochs, stepsInFirstEpoch: _steps, ...entry }) => entry), failures: [...this.failures] };
  }

  /** False when no such job is queued or running. */
  cancel(id: string): boolean {
    const job = this.active.get(id);
    job?.cancel();
    return job !== undefined;
  }

  has(id: string): boolean {
    return this.active.has(id);
  }

  /**
   * Follows a job the runs do not describe (an import, a whole study) until `result`
   * settles; without `cancel`, cancelling it cancels its current run (a study stops there).
   */
  follow(job: { id: string; kind: JobKind; label: string }, result: Promise<unknown>, cancel?: () => void): void {
    const entry: ActiveJob = {
      ...job,
      status: 'running',
      progress: null,
      etaSeconds: null,
      detail: null,
      runId: null,
      startedAt: this.now(),
      cancel: cancel ?? (() => void (entry.runId && this.cancelRun(entry.runId).catch(() => undefined))),
    };
    this.active.set(job.id, entry);
    this.changed();
    result.then(
      () => this.end(job.id),
      (error: Error) => this.end(job.id, error instanceof JobCancelledError ? undefined : error.message),
    );
  }

  onEvent(event: LetheEvent): void {
    switch (event.type) {
      case 'run-updated': {
        const { run } = event;
        if ((run.status === 'queued' || run.status === 'running') && run.deletedAt === null) {
          const known = this.active.get(run.id);
          const label = `${methodName(run)} · ${run.model ?? ''} on ${run.dataset ?? ''}`;
          const epochs = run.kind === 'unlearn' || run.kind === 'retrain' ? Number(run.config.epochs ?? (run.method ? methodInfo(run.method).defaults.epochs : 1)) : undefined;
          this.active.set(run.id, {
            ...(known ?? { id: run.id, progress: null, etaSeconds: null, detail: null, runId: run.id, cancel: () => void this.cancelRun(run.id).catch(() => undefined) }),
            kind: run.kind,
            label,
            status: run.status,
            epochs,
            startedAt: run.startedAt,
          });
        } else if (this.active.has(run.id)) {
          this.end(run.id, run.status === 'failed' ? (run.error ?? 'failed') : undefined);
          return;
        } else return;
        break;
      }
      case 'run-refused':
        if (!this.active.has(event.runId)) return;
        this.end(event.runId, event.error);
        return;
      case 'run-progress': {
        const job = this.active.get(event.runId);
        if (!job) return;
        job.progress = progressFraction(event.progress);
        job.etaSeconds = event.progress.etaSeconds;
        break;
      }
      case 'unlearn-step': {
        const job = this.active.get(event.runId);
        if (!job?.epochs) return;
        const { epoch, step } = event.step;
        if (epoch > 0) job.stepsInFirstEpoch ??= step;
        const done = job.stepsInFirstEpoch ? (step + 1) / (job.stepsInFirstEpoch * job.epochs) : epoch / job.epochs;
        this.estimate(job, done);
        break;
      }
      case 'task-progress': {
        const job = this.active.get(event.task);
        if (!job) return;
        job.detail = event.progress.phase;
        this.estimate(job, event.progress.total > 0 ? event.progress.done / event.progress.total : 0);
        break;
      }
      case 'study-progress': {
        const job = this.active.get(`study:${event.progress.study}`);
        if (!job) return;
        const { label, status, runId, done, total } = event.progress;
        if (status === 'started') {
          job.detail = label;
          job.runId = runId;
        }
        this.estimate(job, done / total);
        break;
      }
      default:
        return;
    }
    this.changed();
  }

  /** Completion, and an ETA from the time taken so far once there is some. */
  private estimate(job: ActiveJob, done: number): void {
    job.progress = Math.min(1, Math.max(0, done));
    const elapsed = job.startedAt === null ? 0 : (this.now() - job.startedAt) / 1000;
    job.etaSeconds = job.progress > 0 && elapsed > 0 ? (elapsed * (1 - job.progress)) / job.progress : null;
  }

  private end(id: string, error?: string): void {
    const job = this.active.get(id);
    if (!job) return;
    this.active.delete(id);
    if (error !== undefined) {
      this.failures = [{ id, kind: job.kind, label: job.label, error, runId: job.runId, at: this.now() }, ...this.failures].slice(0, JOB_FAILURES_KEPT);
    }
    this.changed();
  }

  private changed(): void {
    this.publish(this.list());
  }
}
