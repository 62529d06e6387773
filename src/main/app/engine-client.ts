/**
 * The service side of the engine process: starts it, sends jobs, routes its events to
 * each job's handlers, and turns a crash into a failed job. It never loads TensorFlow.js,
 * so the caller's event loop (the Electron main process, the CLI) stays free.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BackendInfo } from '../../shared/backend.js';
import type { EngineEvent, EngineJob, EngineJobResult, EngineRequest, ResultOf } from '../../shared/engine-protocol.js';
import type { TaskProgress } from '../../shared/import.js';
import type { UnlearnStep } from '../../shared/unlearn-config.js';
import type { EpochMetrics, TrainProgress } from '../../shared/train-config.js';
import { InvalidRequestError } from '../../shared/validation.js';

/** How the client talks to one engine process; child_process here, utilityProcess in the app. */
export interface EngineTransport {
  send(request: EngineRequest): void;
  onMessage(handler: (event: EngineEvent) => void): void;
  onExit(handler: (code: number | null, signal: string | null) => void): void;
  kill(): void;
  readonly pid: number | undefined;
}

export type TransportFactory = () => EngineTransport;

/** The engine entry next to this file: TypeScript source under tsx, JavaScript when built. */
export function defaultEngineEntry(): string {
  const source = fileURLToPath(new URL('../engine/engine-main.ts', import.meta.url));
  return fs.existsSync(source) ? source : fileURLToPath(new URL('./engine.js', import.meta.url));
}

export function forkTransport(entry = defaultEngineEntry(), env: NodeJS.ProcessEnv = process.env): EngineTransport {
  const execArgv = entry.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  const child = fork(entry, [], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  return {
    send: (request) => {
      if (child.connected) child.send(request);
    },
    onMessage: (handler) => child.on('message', (m) => handler(m as EngineEvent)),
    onExit: (handler) => child.on('exit', handler),
    kill: () => child.kill('SIGKILL'),
    get pid() {
      return child.pid;
    },
  };
}

export class JobCancelledError extends Error {
  constructor(readonly jobId: string) {
    super('the job was cancelled');
    this.name = 'JobCancelledError';
  }
}

export class JobFailedError extends Error {
  constructor(readonly jobId: string, message: string) {
    super(message);
    this.name = 'JobFailedError';
  }
}

/** The engine refused the job's input (a missing file, a malformed import): bad input, not a failure. */
export class JobRefusedError extends InvalidRequestError {
  constructor(readonly jobId: string, message: string) {
    super(message);
  }
}

export interface JobHandlers {
  onStarted?: () => void;
  onProgress?: (progress: TrainProgress) => void;
  onEpoch?: (metrics: EpochMetrics) => void;
  onNotice?: (message: string) => void;
  onTaskProgress?: (progress: TaskProgress) => void;
  onUnlearnStep?: (step: UnlearnStep) => void;
}

interface PendingJob {
  handlers: JobHandlers;
  resolve: (result: EngineJobResult) => void;
  reject: (error: Error) => void;
}

export interface RunningJob<R extends EngineJobResult = EngineJobResult> {
  jobId: string;
  result: Promise<R>;
}

export class EngineClient {
  private transport: EngineTransport | undefined;
  private readyPromise: Promise<BackendInfo> | undefined;
  private readonly pending = new Map<string, PendingJob>();

  constructor(private readonly createTransport: TransportFactory = () => forkTransport()) {}

  /** Starts the engine if needed and resolves with the backend it chose. */
  ready(): Promise<BackendInfo> {
    if (!this.readyPromise) this.readyPromise = this.start();
    return this.readyPromise;
  }

  get pid(): number | undefined {
    return this.transport?.pid;
  }

  private start(): Promise<BackendInfo> {
    const transport = this.createTransport();
    this.transport = transport;
    return new Promise<BackendInfo>((resolve, reject) => {
      transport.onMessage((event) => {
        if (event.type === 'ready') resolve(event.backend);
        else if (event.type === 'startup-failed') reject(new Error(`the engine could not start: ${event.error}`));
        else this.route(event);
      });
      transport.onExit((code, signal) => {
        if (this.transport !== transport) return;
        this.transport = undefined;
        this.readyPromise = undefined;
        const how = signal ? `signal ${signal}` : `code ${code}`;
        reject(new Error(`the engine process exited during start-up (${how})`));
        for (const [jobId, job] of this.pending) {
          job.reject(new JobFailedError(jobId, `the engine process exited (${how}) while the job was running`));
        }
        this.pending.clear();
      });
    });
  }

  private route(event: Exclude<EngineEvent, { type: 'ready' | 'startup-failed' }>): void {
    const job = this.pending.get(event.jobId);
    if (!job) return;
    switch (event.type) {
      case 'started':
        job.handlers.onStarted?.();
        break;
      case 'progress':
        job.handlers.onProgress?.(event.progress);
        break;
      case 'epoch':
        job.handlers.onEpoch?.(event.metrics);
        break;
      case 'notice':
        job.handlers.onNotice?.(event.message);
        break;
      case 'task-progress':
        job.handlers.onTaskProgress?.(event.progress);
        break;
      case 'unlearn-step':
        job.handlers.onUnlearnStep?.(event.step);
        break;
      case 'finished':
        this.pending.delete(event.jobId);
        job.resolve(event.result);
        break;
      case 'failed':
        this.pending.delete(event.jobId);
        job.reject(event.invalidInput ? new JobRefusedError(event.jobId, event.error) : new JobFailedError(event.jobId, event.error));
        break;
      case 'cancelled':
        this.pending.delete(event.jobId);
        job.reject(new JobCancelledError(event.jobId));
        break;
    }
  }

  /** Queues a job; the engine runs jobs one at a time in submission order. */
  submit<J extends EngineJob>(job: J, handlers: JobHandlers = {}): RunningJob<ResultOf<J>> {
    const jobId = randomUUID();
    const result = new Promise<ResultOf<J>>((resolve, reject) => {
      this.pending.set(jobId, { handlers, resolve: resolve as (r: EngineJobResult) => void, reject });
    });
    this.ready().then(
      () => this.transport?.send({ type: 'run', jobId, job }),
      (error: Error) => {
        this.pending.get(jobId)?.reject(new JobFailedError(jobId, error.message));
        this.pending.delete(jobId);
      },
    );
    return { jobId, result };
  }

  cancel(jobId: string): void {
    // Through the same ready() chain as submit, so a cancel never overtakes its own run request.
    this.ready().then(
      () => this.transport?.send({ type: 'cancel', jobId }),
      () => {},
    );
  }

  /** Ends the engine process (running jobs fail with the reason). */
  kill(): void {
    this.transport?.kill();
  }

  async shutdown(): Promise<void> {
    const transport = this.transport;
    if (!transport) return;
    await new Promise<void>((resolve) => {
      transport.onExit(() => resolve());
      transport.send({ type: 'shutdown' });
      setTimeout(() => transport.kill(), 5000).unref();
    });
  }
}
