/**
 * The typed messages between the service side and the engine process that owns
 * TensorFlow.js. One request or event per line of this union; each side has one
 * handler per `type`.
 */
import type { BackendInfo } from './backend.js';
import type { Assessment, EvaluationChecks } from './evaluation.js';
import type { ForgetRule, ForgetSetRequest, ImageMatchReport } from './forget-set.js';
import type { GenerateOutcome, GenerateRequest } from './generate.js';
import type { LmEvaluationOutcome, LmEvaluationRequest } from './lm-evaluation.js';
import type { LmEpochMetrics, LmTrainConfig } from './lm-train-config.js';
import type { LmUnlearnConfig } from './lm-unlearn-config.js';
import type { DatasetSourceRequest, ImportFormat, TaskProgress } from './import.js';
import type { EpochMetrics, TrainConfig, TrainProgress } from './train-config.js';
import type { UnlearnConfig, UnlearnStep } from './unlearn-config.js';

export interface TrainJob {
  kind: 'train';
  config: TrainConfig;
  dataDir: string;
}

/**
 * Measures a saved checkpoint on the split it was trained with; given a forget set, also
 * the protocol's UA, RA, TA and MIA, the stronger checks and per-sample scores.
 */
export interface EvaluateJob {
  kind: 'evaluate';
  /** A checkpoint folder, or a hash or unique hash prefix under the data directory. */
  checkpoint: string;
  dataDir: string;
  forget?: ForgetSetReference & { checks: EvaluationChecks; batchSize: number };
}

/** A forget set's file and the digest of its indices the catalog recorded (the engine verifies the file against it). */
export interface ForgetSetReference {
  path: string;
  digest: string;
}

export interface ImportJob {
  kind: 'import';
  request: DatasetSourceRequest;
  dataDir: string;
}

export interface ForgetSetJob {
  kind: 'forget-set';
  request: ForgetSetRequest;
  dataDir: string;
  /** Compute and report the set, write nothing (not its file, not a new split). */
  preview?: boolean;
}

export interface UnlearnJob {
  kind: 'unlearn';
  config: UnlearnConfig;
  /** The forget set (the service resolves the catalog id). */
  forgetSet: ForgetSetReference;
  dataDir: string;
}

/** Continues a prompt with a language-model checkpoint. */
export interface GenerateJob {
  kind: 'generate';
  request: GenerateRequest;
  dataDir: string;
}

/** Trains a language model on the facts dataset (with `retainOf`, the Retrain of a split). */
export interface LmTrainJob {
  kind: 'lm-train';
  config: LmTrainConfig;
  dataDir: string;
}

/** Measures a language-model checkpoint (and its Retrain) as TOFU does. */
export interface LmEvaluateJob {
  kind: 'lm-evaluate';
  request: LmEvaluationRequest;
  dataDir: string;
}

/** Unlearns a forget split from a language-model checkpoint with a sequence method. */
export interface LmUnlearnJob {
  kind: 'lm-unlearn';
  config: LmUnlearnConfig;
  dataDir: string;
}

/** Brings a dataset into the data directory's cache (a built-in one is converted on first use). */
export interface PrepareDatasetJob {
  kind: 'prepare-dataset';
  dataset: string;
  dataDir: string;
}

export type EngineJob = PrepareDatasetJob | TrainJob | EvaluateJob | ImportJob | ForgetSetJob | UnlearnJob | GenerateJob | LmTrainJob | LmEvaluateJob | LmUnlearnJob;

/** What the catalog records of a dataset a job used. */
export interface DatasetDescription {
  name: string;
  digest: string;
  shape: [number, number, number];
  classNames: string[];
  sampleCount: number;
}

export interface SplitDescription {
  digest: string;
  seed: number;
  testFraction: number;
  heldOutFraction: number;
  counts: { train: number; heldOut: number; test: number };
}

export interface TrainJobResult {
  kind: 'train';
  checkpoint: { hash: string; path: string };
  history: EpochMetrics[];
  testAccuracy: number;
  parameterCount: number;
  dataset: DatasetDescription & { train: number; heldOut: number; test: number };
  split: SplitDescription;
  backend: BackendInfo;
  seconds: number;
}

export interface SplitEvaluation {
  loss: number;
  accuracy: number;
  count: number;
}

export interface EvaluateJobResult {
  kind: 'evaluate';
  checkpoint: { hash: string; path: string };
  model: string;
  dataset: { name: string; digest: string };
  splits: { train: SplitEvaluation; heldOut: SplitEvaluation; test: SplitEvaluation };
  /** With a forget set: the protocol's metrics and the per-sample score file. */
  assessment?: Assessment;
  scores?: { path: string; hash: string };
  backend: BackendInfo;
  seconds: number;
}

export interface ImportJobResult {
  kind: 'import';
  format: ImportFormat | 'subset';
  /** The converted dataset, not yet in place: the service moves or drops it. */
  stagingFile: string;
  dataset: {
    name: string;
    digest: string;
    shape: [number, number, number];
    dtype: 'uint8' | 'float32';
    classNames: string[];
    sampleCount: number;
    testCount: number;
    classCounts: number[];
  };
  /** The default split (seed 0), stored beside the dataset for every later run. */
  split: SplitDescription;
  seconds: number;
  peakRssBytes: number;
}

export interface ForgetSetJobResult {
  kind: 'forget-set';
  name: string;
  dataset: DatasetDescription;
  splitDigest: string;
  rule: ForgetRule;
  size: number;
  retainSize: number;
  digest: string;
  /** Where the set is (or, for a preview, would be) stored. */
  path: string;
  warnings: string[];
  report?: ImageMatchReport;
  /** Per class: samples in the train split, and in the forget set. */
  trainClassCounts: number[];
  forgetClassCounts: number[];
  /** The first forget indices (sorted). */
  sampleIndices: number[];
}

export interface UnlearnJobResult {
  kind: 'unlearn';
  checkpoint: { hash: string; path: string };
  /** The checkpoint unlearned from. */
  original: string;
  method: string;
  aggregator: string | null;
  objectives: string[];
  /** Top-1 accuracies after unlearning; UA = 1 - forgetAccuracy. */
  accuracy: { forget: number; retain: number; test: number };
  /** The same before unlearning, for reference. */
  originalAccuracy: { forget: number; retain: number; test: number };
  steps: number;
  dataset: DatasetDescription;
  backend: BackendInfo;
  /** Run time of the unlearning procedure alone (RTE), without loading or evaluation. */
  seconds: number;
}

export interface GenerateJobResult extends GenerateOutcome {
  kind: 'generate';
}

export interface LmTrainJobResult {
  kind: 'lm-train';
  checkpoint: { hash: string; path: string };
  history: LmEpochMetrics[];
  parameterCount: number;
  dataset: { name: 'facts'; digest: string };
  /** The people trained on (indices into the dataset). */
  people: number[];
  sequences: number;
  backend: BackendInfo;
  seconds: number;
}

export interface LmEvaluateJobResult extends LmEvaluationOutcome {
  kind: 'lm-evaluate';
}

export interface LmUnlearnJobResult {
  kind: 'lm-unlearn';
  checkpoint: { hash: string; path: string };
  /** Per step: each objective's loss and the aggregator's weights. */
  steps: { losses: number[]; weights: number[] }[];
  seconds: number;
}

export interface PrepareDatasetJobResult {
  kind: 'prepare-dataset';
  digest: string;
}

export type EngineJobResult =
  | PrepareDatasetJobResult
  | LmUnlearnJobResult
  | TrainJobResult
  | EvaluateJobResult
  | ImportJobResult
  | ForgetSetJobResult
  | UnlearnJobResult
  | GenerateJobResult
  | LmTrainJobResult
  | LmEvaluateJobResult;

/** The result type that belongs to a job type. */
export type ResultOf<J extends EngineJob> = Extract<EngineJobResult, { kind: J['kind'] }>;

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
  | { type: 'task-progress'; jobId: string; progress: TaskProgress }
  | { type: 'unlearn-step'; jobId: string; step: UnlearnStep }
  | { type: 'finished'; jobId: string; result: EngineJobResult }
  /** `invalidInput`: the job's input was refused (an InvalidRequestError), nothing went wrong in running it. */
  | { type: 'failed'; jobId: string; error: string; invalidInput: boolean }
  | { type: 'cancelled'; jobId: string };
