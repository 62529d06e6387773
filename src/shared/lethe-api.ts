/**
 * The one API the window talks to, implemented once by the Lethe service on the main
 * side and reached through three doors: IPC in the app (window.lethe), the HTTP bridge
 * in a browser, and the CLI in-process. Every door validates arguments with
 * `validateArguments` before they reach the service.
 */
import { z } from 'zod';
import type { BackendInfo } from './backend.js';
import type { DatasetRecord, ForgetSetRecord, RunDetail, RunSummary, StudyRecord } from './catalog-types.js';
import { ParetoRequestSchema, StudyConfigSchema, type ParetoAnalysis, type ParetoRequest, type StudyConfigInput, type AnyStudyTable } from './study-config.js';
import { HistogramRequestSchema, type HistogramRequestInput, type ScoreHistograms } from './score-histograms.js';
import { EvaluationRequestSchema, type EvaluationRequestInput } from './evaluation.js';
import { ForgetSetRequestSchema, type ForgetSetRequestInput, type ImageMatchReport } from './forget-set.js';
import { GenerateRequestSchema, type GenerateOutcome, type GenerateRequestInput } from './generate.js';
import { LmEvaluationRequestSchema, type LmEvaluationOutcome, type LmEvaluationRequestInput } from './lm-evaluation.js';
import { LmTrainConfigSchema, type LmTrainConfigInput } from './lm-train-config.js';
import { LmUnlearnConfigSchema, type LmUnlearnConfigInput } from './lm-unlearn-config.js';
import { ImportRequestSchema, type ImportFormat, type ImportRequestInput, type TaskProgress } from './import.js';
import { TrainConfigSchema, type EpochMetrics, type TrainConfigInput, type TrainProgress } from './train-config.js';
import { UnlearnConfigSchema, type UnlearnConfigInput, type UnlearnStep } from './unlearn-config.js';
import { formatIssues, InvalidRequestError } from './validation.js';

export { InvalidRequestError };

export interface DatasetOption {
  name: string;
  description: string;
  classNames: string[];
}

export interface ModelOption {
  name: string;
  description: string;
}

export interface LetheRequests {
  /** The compute backend and device the engine process chose. */
  engineInfo(): Promise<BackendInfo>;
  listDatasets(): Promise<DatasetOption[]>;
  listModels(): Promise<ModelOption[]>;
  listRuns(): Promise<RunSummary[]>;
  getRun(id: string): Promise<RunDetail>;
  /** Records the run as queued and hands it to the engine; returns at once. */
  startTraining(config: TrainConfigInput): Promise<RunSummary>;
  cancelRun(id: string): Promise<void>;
  /** Soft delete; `lethe purge` removes it for good. */
  deleteRun(id: string): Promise<void>;
  /** Imports files or a folder (absolute paths, as dropped on the window) as a dataset. */
  importDataset(request: ImportRequestInput): Promise<ImportOutcome>;
  /** Makes a forget set by rule or from dropped files (absolute paths). */
  createForgetSet(request: ForgetSetRequestInput): Promise<ForgetSetOutcome>;
  listForgetSets(): Promise<ForgetSetRecord[]>;
  /** Records a language-model training run on the facts dataset (an original, or a Retrain with retainOf) and starts it. */
  startLanguageModelTraining(config: LmTrainConfigInput): Promise<RunSummary>;
  /** Records an unlearning run of a forget split from a language-model checkpoint and starts it. */
  startLanguageModelUnlearning(config: LmUnlearnConfigInput): Promise<RunSummary>;
  /** Measures a language-model checkpoint (and its Retrain) as TOFU does; records nothing yet. */
  evaluateLanguageModel(request: LmEvaluationRequestInput): Promise<LmEvaluationOutcome>;
  /** Continues a prompt with a language-model checkpoint; records nothing. */
  generateText(request: GenerateRequestInput): Promise<GenerateOutcome>;
  /** Records an unlearning run (or a Retrain) from a checkpoint and a forget set, and starts it. */
  startUnlearning(config: UnlearnConfigInput): Promise<RunSummary>;
  /** Records an evaluation of a checkpoint against a forget set (UA, RA, TA, MIA, stronger checks) and starts it. */
  startEvaluation(request: EvaluationRequestInput): Promise<RunSummary>;
  /**
   * Runs what a study config stands for that the catalog does not have yet (original,
   * forget set, Retrain, every method run, their evaluations); resolves when all ended.
   */
  runStudy(config: StudyConfigInput, options?: StudyRunOptions): Promise<StudyRunOutcome>;
  listStudies(): Promise<StudyRecord[]>;
  /** The paper's table of a study: mean +- std, gap to Retrain, Avg. Gap, RTE, best per column. */
  getStudyTable(name: string): Promise<AnyStudyTable>;
  /** The non-dominated runs of a study over two or three objectives, with their hypervolume. */
  getStudyPareto(request: ParetoRequest): Promise<ParetoAnalysis>;
  /** Per-bin counts of a per-sample score (forget vs test ...) for the study's models, with MIA-efficacy and KS distance to Retrain. */
  getScoreHistograms(request: HistogramRequestInput): Promise<ScoreHistograms>;
}

/** Where a study's runs go: the local engine (default), or workers behind a Redis queue. */
export const StudyRunOptionsSchema = z.strictObject({
  queue: z.string().regex(/^rediss?:\/\/[^/]/, 'queue must be redis://HOST:PORT or rediss://HOST:PORT (TLS)').optional(),
  attempts: z.number().int().min(1).max(100).optional(),
});
export type StudyRunOptions = z.output<typeof StudyRunOptionsSchema>;

export interface StudyProgress {
  study: string;
  label: string;
  kind: string;
  runId: string;
  status: 'skipped' | 'started' | 'finished' | 'failed' | 'cancelled';
  error?: string;
  done: number;
  total: number;
}

export interface StudyRunOutcome {
  study: string;
  created: number;
  skipped: number;
  failed: { label: string; runId: string; error: string }[];
}

export interface ImportOutcome {
  dataset: DatasetRecord;
  /** The same content was imported before; nothing new was written. */
  alreadyImported: boolean;
  format: ImportFormat;
  testCount: number;
  classCounts: number[];
  seconds: number;
  peakRssBytes: number;
}

export interface ForgetSetOutcome {
  forgetSet: ForgetSetRecord;
  retainSize: number;
  warnings: string[];
  report?: ImageMatchReport;
}

export type LetheEvent =
  | { type: 'run-updated'; run: RunSummary }
  | { type: 'run-progress'; runId: string; progress: TrainProgress }
  | { type: 'run-epoch'; runId: string; metrics: EpochMetrics }
  | { type: 'run-notice'; runId: string; message: string }
  /** The engine refused the run's input; the run's row is gone (it never ran). */
  | { type: 'run-refused'; runId: string; error: string }
  | { type: 'task-progress'; task: string; progress: TaskProgress }
  | { type: 'unlearn-step'; runId: string; step: UnlearnStep }
  | { type: 'study-progress'; progress: StudyProgress };

/** What the window hears: the service's events, and that another process (a `lethe` command) wrote to the catalog. */
export type WindowEvent = LetheEvent | { type: 'catalog-changed' };

export interface LetheApi extends LetheRequests {
  /** Subscribes to service events; returns the unsubscribe function. */
  onEvent(listener: (event: WindowEvent) => void): () => void;
}

/**
 * window.lethe in the desktop app: the API plus the one thing only the preload can do,
 * the path of a file dropped on the window (Electron 32+ dropped File.path), which
 * importDataset and createForgetSet take.
 */
export interface DesktopLetheApi extends LetheApi {
  pathForFile(file: File): string;
}

export type LetheMethod = keyof LetheRequests;

const runId = z.string({ error: 'run id must be a string' }).min(1, 'run id must not be empty').max(100, 'run id is too long');

/** Argument tuples of every method: the contract each door checks. */
export const LETHE_ARGUMENTS = {
  engineInfo: z.tuple([]),
  listDatasets: z.tuple([]),
  listModels: z.tuple([]),
  listRuns: z.tuple([]),
  getRun: z.tuple([runId]),
  startTraining: z.tuple([TrainConfigSchema]),
  cancelRun: z.tuple([runId]),
  deleteRun: z.tuple([runId]),
  importDataset: z.tuple([ImportRequestSchema]),
  createForgetSet: z.tuple([ForgetSetRequestSchema]),
  listForgetSets: z.tuple([]),
  startLanguageModelTraining: z.tuple([LmTrainConfigSchema]),
  startLanguageModelUnlearning: z.tuple([LmUnlearnConfigSchema]),
  evaluateLanguageModel: z.tuple([LmEvaluationRequestSchema]),
  generateText: z.tuple([GenerateRequestSchema]),
  startUnlearning: z.tuple([UnlearnConfigSchema]),
  startEvaluation: z.tuple([EvaluationRequestSchema]),
  runStudy: z.tuple([StudyConfigSchema, StudyRunOptionsSchema.optional()]),
  listStudies: z.tuple([]),
  getStudyTable: z.tuple([z.string({ error: 'study name must be a string' }).min(1, 'name the study')]),
  getStudyPareto: z.tuple([ParetoRequestSchema]),
  getScoreHistograms: z.tuple([HistogramRequestSchema]),
} as const satisfies Record<LetheMethod, z.ZodType>;

export const LETHE_METHODS = Object.keys(LETHE_ARGUMENTS) as LetheMethod[];

export function isLetheMethod(name: string): name is LetheMethod {
  return Object.hasOwn(LETHE_ARGUMENTS, name);
}

/** Checks a method name and its arguments; the error names the method and each bad field. */
export function validateArguments(method: string, args: unknown): unknown[] {
  if (!isLetheMethod(method)) throw new InvalidRequestError(`unknown method '${method}'`);
  if (!Array.isArray(args)) throw new InvalidRequestError(`arguments of ${method} must be an array`);
  const result = LETHE_ARGUMENTS[method].safeParse(args);
  if (!result.success) {
    // Every method takes at most one argument, so the tuple index adds nothing to the message.
    const issues = result.error.issues.map((issue) => ({ ...issue, path: issue.path.slice(1) }));
    throw new InvalidRequestError(`invalid arguments for ${method}: ${formatIssues(issues)}`);
  }
  return result.data as unknown[];
}

export const IPC_CHANNEL_PREFIX = 'lethe:';
export const IPC_EVENT_CHANNEL = 'lethe:event';
