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
import { ForgetSetRequestSchema, type ForgetSetPreview, type ForgetSetRequestInput, type ImageMatchReport } from './forget-set.js';
import { SampleImageRequestSchema, SamplePageRequestSchema, type DatasetDetail, type SampleImage, type SamplePage, type SamplePageRequestInput } from './samples.js';
import { GenerateRequestSchema, type GenerateOutcome, type GenerateRequestInput } from './generate.js';
import { LmEvaluationRequestSchema, type LmEvaluationOutcome, type LmEvaluationRequestInput } from './lm-evaluation.js';
import { LmTrainConfigSchema, type LmTrainConfigInput } from './lm-train-config.js';
import { LmUnlearnConfigSchema, type LmUnlearnConfigInput } from './lm-unlearn-config.js';
import { DatasetSourceRequestSchema, type ImportFormat, type DatasetSourceRequestInput, type TaskProgress } from './import.js';
import { TrainConfigSchema, type EpochMetrics, type TrainConfigInput, type TrainProgress } from './train-config.js';
import { UnlearnConfigSchema, type UnlearnConfigInput, type UnlearnStep } from './unlearn-config.js';
import { formatIssues, InvalidRequestError } from './validation.js';
import type { JobList } from './jobs.js';
import type { OriginalCheckpoint, UnlearningCatalogue } from './unlearning-catalogue.js';
import { ReportRequestSchema, type ReportFile, type ReportRequest } from './report.js';

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
  /** Adds a dataset from files, or as a seeded per-class subset of a dataset Lethe has. */
  importDataset(request: DatasetSourceRequestInput): Promise<ImportOutcome>;
  /** Cancels an import this service is running (the task id of its task-progress events). */
  cancelImport(task: string): Promise<void>;
  /** Makes a forget set by rule or from dropped files (absolute paths). */
  createForgetSet(request: ForgetSetRequestInput): Promise<ForgetSetOutcome>;
  listForgetSets(): Promise<ForgetSetRecord[]>;
  /** Drops the bridge's staged copies among these paths (a dropped file the user discarded); other paths are left alone. */
  discardDroppedFiles(paths: string[]): Promise<void>;
  /** What createForgetSet would make of the same request (size, per-class counts, digest, file report); writes nothing. */
  previewForgetSet(request: ForgetSetRequestInput): Promise<ForgetSetPreview>;
  /** A dataset in the data directory: shape, classes with their counts, digest, recorded splits. */
  getDatasetDetail(name: string): Promise<DatasetDetail>;
  /** A page of a dataset's samples (of one class, or of a given index list). */
  listSamples(request: SamplePageRequestInput): Promise<SamplePage>;
  /** One sample as a PNG (the bridge also serves it at /api/thumbnails/<dataset>/<index>.png). */
  getSampleImage(request: { dataset: string; index: number }): Promise<SampleImage>;
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
  /** Every unlearning method and aggregator with its parameters (defaults, ranges, descriptions), from their registries. */
  describeUnlearning(): Promise<UnlearningCatalogue>;
  /** Checkpoints of finished training runs, newest first: what unlearning starts from. */
  listOriginals(): Promise<OriginalCheckpoint[]>;
  /** Queued and running jobs with progress and ETA, and the last failures. */
  listJobs(): Promise<JobList>;
  /** Cancels a job of listJobs (a study stops at its current run). */
  cancelJob(id: string): Promise<void>;
  /** Checks a study config as `lethe study run` does and writes it as YAML: to `file` (absolute), else the data directory's studies/. */
  saveStudyFile(config: StudyConfigInput, file?: string): Promise<{ path: string; yaml: string }>;
  /** A study's report as a file: the PDF, its HTML, one CSV row per run, or the LaTeX table. */
  exportStudyReport(request: ReportRequest): Promise<ReportFile>;
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
  format: ImportFormat | 'subset';
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
  | { type: 'study-progress'; progress: StudyProgress }
  /** The jobs panel's whole list, after any change. */
  | { type: 'jobs-changed'; jobs: JobList };

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
  importDataset: z.tuple([DatasetSourceRequestSchema]),
  cancelImport: z.tuple([z.string({ error: 'task id must be a string' }).min(1, 'name the task')]),
  createForgetSet: z.tuple([ForgetSetRequestSchema]),
  listForgetSets: z.tuple([]),
  discardDroppedFiles: z.tuple([z.array(z.string({ error: 'paths are strings' })).max(10_000, 'at most 10000 paths')]),
  previewForgetSet: z.tuple([ForgetSetRequestSchema]),
  getDatasetDetail: z.tuple([z.string({ error: 'dataset name must be a string' }).min(1, 'name the dataset')]),
  listSamples: z.tuple([SamplePageRequestSchema]),
  getSampleImage: z.tuple([SampleImageRequestSchema]),
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
  describeUnlearning: z.tuple([]),
  listOriginals: z.tuple([]),
  listJobs: z.tuple([]),
  cancelJob: z.tuple([z.string({ error: 'job id must be a string' }).min(1, 'job id must not be empty').max(300, 'job id is too long')]),
  // The service checks the config with StudyConfigSchema itself and saves it as given, not with every default filled in.
  saveStudyFile: z.tuple([z.record(z.string(), z.unknown(), { error: 'the study config must be an object' }), z.string({ error: 'file must be a path' }).min(1, 'file must not be empty').optional()]),
  exportStudyReport: z.tuple([ReportRequestSchema]),
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
