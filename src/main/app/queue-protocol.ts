/**
 * What goes through Redis between the coordinator and its workers: a job with its paths
 * relative to the data directory and the inputs it reads (by hash), progress while it
 * runs, and its outcome: the result, the files uploaded for it and the per-epoch and
 * per-step series, which the coordinator records only once the job has finished (an
 * attempt cut short by a dead worker leaves nothing in the catalog).
 */
import type { BackendInfo } from '../../shared/backend.js';
import type { EngineJob, EngineJobResult, EvaluateJob, TrainJob, UnlearnJob } from '../../shared/engine-protocol.js';
import type { EpochMetrics, TrainProgress } from '../../shared/train-config.js';
import type { UnlearnStep } from '../../shared/unlearn-config.js';
import type { ArtifactRef } from './artifacts.js';

export const QUEUE_NAME = 'lethe-jobs';
/** Redis pub/sub channel on which the coordinator names a job to cancel; the worker running it stops it. */
export const CANCEL_CHANNEL = 'lethe-jobs:cancel';

/** The jobs that can run on another machine; imports and forget sets run where the catalog is. */
export type QueuedEngineJob = TrainJob | UnlearnJob | EvaluateJob;

export function runsAnywhere(job: EngineJob): job is QueuedEngineJob {
  return job.kind === 'train' || job.kind === 'unlearn' || job.kind === 'evaluate';
}

export interface QueuedJobData {
  /** Paths relative to the data directory, which is '' here. */
  job: QueuedEngineJob;
  inputs: ArtifactRef[];
}

export type QueuedJobProgress =
  | { type: 'started'; backend: BackendInfo; worker: string }
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'notice'; message: string };

export interface QueuedJobOutcome {
  /** Paths relative to the data directory. */
  result: EngineJobResult;
  /** Where the outputs were uploaded: `incoming/<uploadId>/` on the coordinator. */
  uploadId: string;
  outputs: ArtifactRef[];
  epochs: EpochMetrics[];
  steps: UnlearnStep[];
  worker: string;
}

/** The job with every path passed through `map` (to or from relative paths); its checkpoint must be a folder (withCheckpointFolder). */
export function mapJobPaths(job: QueuedEngineJob, map: (file: string) => string): QueuedEngineJob {
  const dataDir = map(job.dataDir);
  switch (job.kind) {
    case 'train':
      return { ...job, dataDir };
    case 'unlearn':
      return { ...job, dataDir, config: { ...job.config, checkpoint: map(job.config.checkpoint) }, forgetSet: { ...job.forgetSet, path: map(job.forgetSet.path) } };
    case 'evaluate':
      return { ...job, dataDir, checkpoint: map(job.checkpoint), forget: job.forget && { ...job.forget, path: map(job.forget.path) } };
  }
}

export function mapResultPaths(result: EngineJobResult, map: (file: string) => string): EngineJobResult {
  switch (result.kind) {
    case 'train':
    case 'unlearn':
      return { ...result, checkpoint: { ...result.checkpoint, path: map(result.checkpoint.path) } };
    case 'evaluate':
      return {
        ...result,
        checkpoint: { ...result.checkpoint, path: map(result.checkpoint.path) },
        scores: result.scores && { ...result.scores, path: map(result.scores.path) },
      };
    default:
      return result;
  }
}
