/**
 * The typed messages between the service side and the engine process that owns
 * TensorFlow.js. One request or event per line of this union; each side has one
 * handler per `type`.
 */
import type { BackendInfo } from './backend.js';
import type { EpochMetrics, TrainConfig, TrainProgress } from './train-config.js';

export interface TrainJob {
  kind: 'train';
  config: TrainConfig;
  dataDir: string;
}

export type EngineJob = TrainJob;

export interface TrainJobResult {
  kind: 'train';
  checkpoint: { hash: string; path: string };
  history: EpochMetrics[];
  testAccuracy: number;
  parameterCount: number;
  dataset: { name: string; digest: string; train: number; heldOut: number; test: number };
  backend: BackendInfo;
  seconds: number;
}

export type EngineJobResult = TrainJobResult;

export type EngineRequest =
  | { type: 'run'; jobId: string; job: EngineJob }
  | { type: 'cancel'; jobId: string }
  | { type: 'shutdown' };

export type EngineEvent =
  | { type: 'ready'; pid: number; backend: BackendInfo }
  | { type: 'startup-failed'; error: string }
  | { type: 'started'; jobId: string }
  | { type: 'progress'; jobId: string; progress: TrainProgress }
  | { type: 'epoch'; jobId: string; metrics: EpochMetrics }
  | { type: 'notice'; jobId: string; message: string }
  | { type: 'finished'; jobId: string; result: EngineJobResult }
  | { type: 'failed'; jobId: string; error: string }
  | { type: 'cancelled'; jobId: string };
