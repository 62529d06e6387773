/** What the catalog holds, as the service and every door see it. */

export const RUN_KINDS = ['train', 'retrain', 'unlearn', 'evaluate'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export const RUN_STATUSES = ['queued', 'running', 'finished', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type CheckpointRole = 'original' | 'retrain' | 'unlearned';

export interface RunRecord {
  id: string;
  kind: RunKind;
  status: RunStatus;
  dataset: string | null;
  model: string | null;
  method: string | null;
  aggregator: string | null;
  config: Record<string, unknown>;
  configHash: string;
  seed: number | null;
  backend: string | null;
  device: string | null;
  /** wasm only: whether the convolutions and matrix products ran natively (oneDNN) or in wasm, and why. */
  kernels: string | null;
  appVersion: string;
  ownerPid: number | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  deletedAt: number | null;
}

export interface MetricPoint {
  value: number;
  step: number;
  time: number;
}

/** A saved model, content-addressed: the same bytes are one checkpoint, whichever runs made them. */
export interface StoredCheckpoint {
  hash: string;
  path: string;
  model: string;
  dataset: string | null;
  createdAt: number;
}

/** A checkpoint as one run produced it. */
export interface CheckpointRecord extends StoredCheckpoint {
  role: CheckpointRole;
  runId: string;
}

export interface ArtifactRecord {
  id: number;
  runId: string;
  kind: string;
  path: string;
  hash: string;
  createdAt: number;
}

export interface DatasetRecord {
  id: number;
  name: string;
  digest: string;
  source: string;
  shape: [number, number, number];
  classNames: string[];
  sampleCount: number;
  createdAt: number;
}

export interface SplitRecord {
  id: number;
  datasetId: number;
  digest: string;
  seed: number;
  testFraction: number;
  heldOutFraction: number;
  counts: { train: number; heldOut: number; test: number };
  createdAt: number;
}

export interface ForgetSetRecord {
  id: number;
  datasetId: number;
  name: string;
  rule: Record<string, unknown>;
  seed: number | null;
  size: number;
  digest: string;
  path: string;
  createdAt: number;
  deletedAt: number | null;
}

export interface StudyRecord {
  id: number;
  name: string;
  description: string;
  /** The study config it was last run with (see study-config.ts). */
  config: Record<string, unknown> | null;
  forgetSetId: number | null;
  createdAt: number;
  deletedAt: number | null;
  runIds: string[];
}

/** A run as the Runs table shows it: the record plus its latest metrics. */
export interface RunSummary extends RunRecord {
  latestMetrics: Record<string, number>;
  durationSeconds: number | null;
}

/** Runs linked through checkpoints: the model an evaluation measured, the evaluations of a model run (newest first). */
export interface RunLinks {
  evaluatedRun: { id: string; kind: RunKind; method: string | null; deleted: boolean } | null;
  evaluations: { id: string; finishedAt: number | null; metrics: Record<string, number> }[];
}

/** Everything the run details view shows. */
export interface RunDetail extends RunSummary, RunLinks {
  params: Record<string, string>;
  metrics: Record<string, MetricPoint[]>;
  checkpoints: CheckpointRecord[];
  artifacts: ArtifactRecord[];
}

export interface PurgeReport {
  runs: number;
  checkpoints: number;
  removedPaths: string[];
}
