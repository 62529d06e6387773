/**
 * The Lethe service: LetheApi implemented once over the catalog and the engine
 * process. A run is recorded as queued before the engine sees it, moves to running
 * when the engine starts it, logs per-epoch metrics as they come, and ends finished
 * (with its checkpoint recorded), failed (with the reason) or cancelled. Every change
 * is published to all subscribers (the window over IPC, browsers over the bridge, the
 * CLI in-process).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { BackendInfo } from '../../shared/backend.js';
import type { DatasetRecord, ForgetSetRecord, RunDetail, RunRecord, RunSummary, StudyRecord } from '../../shared/catalog-types.js';
import { ParetoRequestSchema, isLanguageModelStudy, parseStudyConfig, studyKind, type ParetoAnalysis, type ParetoRequest, type StudyConfigInput, type AnyStudyTable } from '../../shared/study-config.js';
import { runStudy } from './study-runner.js';
import { studyPareto, studyTable } from './study-table.js';
import { studyHistograms } from './score-histograms.js';
import { runLinks } from './run-links.js';
import { watchCatalog } from './catalog-watch.js';
import { HistogramRequestSchema, type HistogramRequestInput, type ScoreHistograms } from '../../shared/score-histograms.js';
import { ForgetSetRequestSchema, type ForgetSetPreview, type ForgetSetRequest, type ForgetSetRequestInput } from '../../shared/forget-set.js';
import { SampleImageRequestSchema, SamplePageRequestSchema, type DatasetDetail, type SampleImage, type SamplePage, type SamplePageRequestInput } from '../../shared/samples.js';
import { cachedDataset, classCounts, sampleImage, samplePage } from './sample-thumbnails.js';
import type { ImageDataset } from '../engine/data/dataset.js';
import { releaseStaged } from './upload-staging.js';
import { GenerateRequestSchema, type GenerateOutcome, type GenerateRequestInput } from '../../shared/generate.js';
import { parseLmTrainConfig, type LmTrainConfigInput } from '../../shared/lm-train-config.js';
import { LmEvaluationRequestSchema, relearningMetrics, type LmEvaluationOutcome, type LmEvaluationRequestInput } from '../../shared/lm-evaluation.js';
import { parseLmUnlearnConfig, type LmUnlearnConfigInput } from '../../shared/lm-unlearn-config.js';
import { DatasetSourceRequestSchema, isSubsetRequest, type DatasetSourceRequest, type DatasetSourceRequestInput } from '../../shared/import.js';
import { InvalidRequestError, parseOrExplain } from '../../shared/validation.js';
import type { EngineJob, ResultOf, TrainJobResult } from '../../shared/engine-protocol.js';
import { parseUnlearnConfig, type UnlearnConfigInput } from '../../shared/unlearn-config.js';
import { parseEvaluationRequest, type EvaluationRequestInput } from '../../shared/evaluation.js';
import { createAggregator } from '../engine/moo/registry.js';
import { methodInfo, methodInfoFor, type MethodInfo, type ModelKind } from '../engine/unlearn/method-info.js';
import { StudyRunOptionsSchema, type DatasetOption, type ForgetSetOutcome, type ImportOutcome, type LetheEvent, type LetheRequests, type ModelOption, type StudyProgress, type StudyRunOptions, type StudyRunOutcome } from '../../shared/lethe-api.js';
import { parseTrainConfig, type TrainConfig, type TrainConfigInput } from '../../shared/train-config.js';
import { processAlive, type Catalog } from '../catalog/catalog.js';
import { BUILTIN_DATASETS, datasetCachePath } from '../engine/data/builtin-datasets.js';
import { isBuiltinDataset } from '../engine/data/dataset-store.js';
import { ARCHITECTURE_DESCRIPTIONS } from '../engine/models/model-catalog.js';
import { evaluationRunConfig, unlearnRunConfig } from './study-plan.js';
import { resolveCheckpoint } from './checkpoint-resolver.js';
import { ReportRequestSchema, type ReportFile, type ReportRequest } from '../../shared/report.js';
import { buildStudyReport, type StudyReport } from '../reports/report-model.js';
import { reportEnvironment } from '../reports/report-environment.js';
import { reportFile } from '../reports/report-exports.js';
import { chromiumPrinter } from '../reports/chromium-printer.js';
import type { PdfPrinter } from '../reports/pdf-printer.js';
import { JobCancelledError, type JobEngine, type JobHandlers } from './engine-client.js';
import { QueueEngineClient } from './queue-engine-client.js';
import { JobBoard } from './jobs.js';
import { unlearningCatalogue } from './method-catalogue.js';
import { originalCheckpoints } from './original-checkpoints.js';
import { writeStudyFile } from './study-file.js';
import type { JobList } from '../../shared/jobs.js';
import type { OriginalCheckpoint, UnlearningCatalogue } from '../../shared/unlearning-catalogue.js';

export class NotFoundError extends Error {}

export interface ServiceOptions {
  catalog: Catalog;
  engine: JobEngine;
  appVersion: string;
  /** Prints reports to PDF: Electron's printToPDF in the app; by default a Chromium found on the machine. */
  printPdf?: PdfPrinter;
}

export class LetheService implements LetheRequests {
  private readonly listeners = new Set<(event: LetheEvent) => void>();
  private readonly catalogListeners = new Set<() => void>();
  /** Stops polling the catalog for other processes' writes. */
  private stopWatch: (() => void) | undefined;
  /** Engine and job id of each run this process handed to an engine and that has not ended. */
  private readonly activeJobs = new Map<string, { engine: JobEngine; jobId: string }>();
  /**
   * Settles when each such run's outcome is recorded, with the error its waiters get
   * instead of the run: its input was refused, or its outcome could not be recorded.
   */
  private readonly runEnds = new Map<string, Promise<Error | undefined>>();
  /** Engine job ids of the imports under way, which cancelImport may cancel. */
  private readonly activeImports = new Set<string>();
  private readonly catalog: Catalog;
  private readonly engine: JobEngine;
  private readonly appVersion: string;
  private readonly jobs: JobBoard;
  private readonly printPdf: PdfPrinter;

  constructor(options: ServiceOptions) {
    this.catalog = options.catalog;
    this.engine = options.engine;
    this.appVersion = options.appVersion;
    this.jobs = new JobBoard((jobs) => this.publish({ type: 'jobs-changed', jobs }), (id) => this.cancelRun(id));
    this.subscribe((event) => this.jobs.onEvent(event));
    this.printPdf = options.printPdf ?? chromiumPrinter();
    // Runs left active by a process that died can never end: mark them failed.
    this.catalog.runs.failOrphaned(processAlive);
  }

  subscribe(listener: (event: LetheEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` when another process wrote to the catalog (polled only while someone listens). */
  onCatalogChanged(listener: () => void): () => void {
    this.catalogListeners.add(listener);
    this.stopWatch ??= watchCatalog(this.catalog.db, () => this.catalogListeners.forEach((l) => l()));
    return () => {
      this.catalogListeners.delete(listener);
      if (this.catalogListeners.size === 0) {
        this.stopWatch?.();
        this.stopWatch = undefined;
      }
    };
  }

  private publish(event: LetheEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing subscriber (a closed window) must not stop the others.
      }
    }
  }

  private publishRun(id: string): void {
    const run = this.catalog.runs.get(id);
    if (run) this.publish({ type: 'run-updated', run: this.summary(run) });
  }

  private summary(run: RunRecord, latestMetrics = this.catalog.runs.latestMetrics(run.id)): RunSummary {
    const end = run.finishedAt ?? (run.status === 'running' ? Date.now() : null);
    return {
      ...run,
      latestMetrics,
      durationSeconds: run.startedAt !== null && end !== null ? (end - run.startedAt) / 1000 : null,
    };
  }

  async engineInfo(): Promise<BackendInfo> {
    return this.engine.ready();
  }

  async listDatasets(): Promise<DatasetOption[]> {
    const builtin = BUILTIN_DATASETS.map((d) => ({ name: d.name, description: d.description, classNames: d.classNames }));
    const imported = this.catalog.datasets
      .list()
      .filter((d) => !isBuiltinDataset(d.name))
      .map((d) => ({ name: d.name, description: `${d.source.startsWith('subset:') ? `subset of ${d.source.slice('subset:'.length)}` : `imported (${d.source.replace('import:', '')})`}: ${d.sampleCount} samples ${d.shape.join('x')}`, classNames: d.classNames }));
    return [...builtin, ...imported];
  }

  private async checkDataset(name: string): Promise<void> {
    if (isBuiltinDataset(name) || this.catalog.datasets.byName(name)) return;
    const datasets = await this.listDatasets();
    throw new InvalidRequestError(`unknown dataset '${name}'; available: ${datasets.map((d) => d.name).join(', ')}`);
  }

  async listModels(): Promise<ModelOption[]> {
    return Object.entries(ARCHITECTURE_DESCRIPTIONS).map(([name, description]) => ({ name, description }));
  }

  async listRuns(): Promise<RunSummary[]> {
    const latest = this.catalog.runs.latestMetricsByRun();
    return this.catalog.runs.list().map((run) => this.summary(run, latest.get(run.id) ?? {}));
  }

  async getRun(id: string): Promise<RunDetail> {
    const run = this.findRun(id);
    return {
      ...this.summary(run),
      params: this.catalog.runs.params(run.id),
      metrics: this.catalog.runs.metricSeries(run.id),
      checkpoints: this.catalog.checkpoints.forRun(run.id),
      artifacts: this.catalog.artifacts.forRun(run.id),
      ...runLinks(this.catalog, run),
    };
  }

  private findRun(reference: string): RunRecord {
    try {
      return this.catalog.runs.find(reference);
    } catch (error) {
      throw new NotFoundError((error as Error).message);
    }
  }

  async startTraining(input: TrainConfigInput): Promise<RunSummary> {
    const config = parseTrainConfig(input);
    await this.checkDataset(config.dataset);
    checkModel(config.model);
    const id = randomUUID();
    this.catalog.db.transaction(() => {
      this.catalog.runs.create({
        id,
        kind: 'train',
        dataset: config.dataset,
        model: config.model,
        config,
        seed: config.seed,
        appVersion: this.appVersion,
        ownerPid: process.pid,
      });
      this.catalog.runs.setParams(id, flattenConfig(config));
    })();
    this.publishRun(id);
    this.dispatch(id, config);
    return this.summary(this.catalog.runs.get(id)!);
  }

  /**
   * Hands a recorded run's job to the engine and follows it: running when started, the
   * outcome recorded by `record` when it finishes, failed or cancelled otherwise. A run
   * whose input the engine refuses never ran: its row is removed, as if never recorded.
   * A catalog write that fails meanwhile (a full disk) stops the job and fails the run.
   */
  private track<J extends EngineJob>(id: string, engineJob: J, handlers: JobHandlers, record: (result: ResultOf<J>) => void): void {
    let catalogFailure: Error | undefined;
    const stopOnFailure =
      <A extends unknown[]>(write: ((...args: A) => void) | undefined) =>
      (...args: A) => {
        try {
          write?.(...args);
        } catch (error) {
          catalogFailure ??= error as Error;
          this.engine.cancel(job.jobId);
        }
      };
    const job = this.engine.submit(engineJob, {
      onProgress: handlers.onProgress,
      onEpoch: stopOnFailure(handlers.onEpoch),
      onUnlearnStep: stopOnFailure(handlers.onUnlearnStep),
      onStarted: (backend) => {
        void (backend ? Promise.resolve(backend) : this.engine.ready()).then(
          stopOnFailure((backend: BackendInfo) => {
            this.catalog.runs.markRunning(id, backend);
            this.publishRun(id);
          }),
        );
      },
      onNotice: (message) => this.publish({ type: 'run-notice', runId: id, message }),
    });
    this.activeJobs.set(id, { engine: this.engine, jobId: job.jobId });
    const ended = job.result
      .then(
        (result) => {
          if (catalogFailure) throw catalogFailure;
          record(result);
          return undefined;
        },
        (error: Error) => {
          if (catalogFailure) throw catalogFailure;
          if (error instanceof InvalidRequestError) {
            this.catalog.runs.discard(id);
            this.publish({ type: 'run-refused', runId: id, error: error.message });
            return error;
          }
          const cancelled = error instanceof JobCancelledError;
          this.catalog.runs.finish(id, cancelled ? 'cancelled' : 'failed', cancelled ? null : error.message);
          return undefined;
        },
      )
      .catch((error: Error) => this.failUnrecorded(id, error))
      .finally(() => {
        this.activeJobs.delete(id);
        this.runEnds.delete(id);
        this.publishRun(id);
      });
    this.runEnds.set(id, ended);
  }

  /** Ends a run the catalog could not record: failed with the reason if the catalog takes that much, else the reason is the waiters'. */
  private failUnrecorded(id: string, error: Error): Error | undefined {
    const reason = `the catalog could not record the run: ${error.message}`;
    try {
      this.catalog.runs.finish(id, 'failed', reason);
      return undefined;
    } catch {
      return new Error(reason);
    }
  }

  /**
   * Resolves with the run once it has ended (at once for an ended run); throws if its
   * input was refused or its outcome could not be recorded.
   */
  async waitForRun(id: string): Promise<RunSummary> {
    const run = this.findRun(id);
    const error = await this.runEnds.get(run.id);
    if (error) throw error;
    return this.summary(this.catalog.runs.get(run.id)!);
  }

  private dispatch(id: string, config: TrainConfig): void {
    this.track(
      id,
      { kind: 'train', config, dataDir: this.catalog.dataDir },
      {
        onProgress: (progress) => this.publish({ type: 'run-progress', runId: id, progress }),
        onEpoch: (m) => {
          this.catalog.runs.logMetrics(
            id,
            { train_loss: m.trainLoss, train_accuracy: m.trainAccuracy, test_loss: m.testLoss, test_accuracy: m.testAccuracy, lr: m.lr, epoch_seconds: m.seconds },
            m.epoch + 1,
          );
          this.publish({ type: 'run-epoch', runId: id, metrics: m });
          this.publishRun(id);
        },
      },
      (result) => this.recordFinished(id, result),
    );
  }

  async startUnlearning(input: UnlearnConfigInput): Promise<RunSummary> {
    const config = parseUnlearnConfig(input);
    const info = checkMethodChoice(config);
    const forgetSet = this.catalog.forgetSets.byId(config.forgetSet);
    if (!forgetSet) throw new NotFoundError(`no forget set with id ${config.forgetSet} (see lethe forget list)`);
    const dataset = this.catalog.datasets.byId(forgetSet.datasetId);
    const checkpoint = await resolveCheckpoint(this.catalog, config.checkpoint);
    const recorded = unlearnRunConfig({ ...config, checkpoint: checkpoint.hash });
    const id = randomUUID();
    this.catalog.db.transaction(() => {
      this.catalog.runs.create({
        id,
        kind: config.method === 'retrain' ? 'retrain' : 'unlearn',
        dataset: dataset?.name,
        model: checkpoint.model,
        method: config.method,
        aggregator: info.multiObjective ? config.aggregator : undefined,
        config: recorded,
        seed: config.seed,
        appVersion: this.appVersion,
        ownerPid: process.pid,
      });
      this.catalog.runs.setParams(id, { ...flattenConfig(recorded), objectives: info.objectives.join(' | ') });
    })();
    this.publishRun(id);
    this.track(
      id,
      // The engine loads the folder verified above.
      { kind: 'unlearn', config: { ...config, checkpoint: checkpoint.path }, forgetSet: { path: forgetSet.path, digest: forgetSet.digest }, dataDir: this.catalog.dataDir },
      {
        onUnlearnStep: (step) => {
          const values: Record<string, number> = {};
          info.objectives.forEach((name, i) => {
            if (step.skipped?.some((s) => s.objective === i)) {
              values[`skipped_${name}`] = 1;
              return;
            }
            values[`loss_${name}`] = step.losses[i]!;
            if (info.multiObjective) values[`weight_${name}`] = step.weights[i]!;
          });
          // cos(g_i, g_j) for i < j, named by objective position when there are several pairs.
          let pair = 0;
          for (let i = 0; i < info.objectives.length; i++)
            for (let j = i + 1; j < info.objectives.length; j++) {
              const cosine = step.cosines[pair++];
              if (cosine !== undefined) values[step.cosines.length === 1 ? 'cosine' : `cosine_${i + 1}_${j + 1}`] = cosine;
            }
          this.catalog.runs.logMetrics(id, values, step.step + 1);
          this.publish({ type: 'unlearn-step', runId: id, step });
        },
      },
      (result) => {
        this.catalog.db.transaction(() => {
          this.catalog.checkpoints.add({
            hash: result.checkpoint.hash,
            path: result.checkpoint.path,
            role: config.method === 'retrain' ? 'retrain' : 'unlearned',
            runId: id,
            model: checkpoint.model,
            dataset: result.dataset.name,
          });
          const { accuracy: a, originalAccuracy: o } = result;
          this.catalog.runs.logMetrics(
            id,
            {
              forget_accuracy: a.forget,
              unlearning_accuracy: 1 - a.forget,
              retain_accuracy: a.retain,
              test_accuracy: a.test,
              original_forget_accuracy: o.forget,
              original_retain_accuracy: o.retain,
              original_test_accuracy: o.test,
              run_seconds: result.seconds,
            },
            result.steps,
          );
          this.catalog.runs.finish(id, 'finished');
        })();
      },
    );
    return this.summary(this.catalog.runs.get(id)!);
  }

  /**
   * Records an evaluation of a checkpoint against a forget set (UA, RA, TA, MIA on every
   * feature, the stronger checks) and starts it; the per-sample scores become an artifact.
   */
  async startEvaluation(input: EvaluationRequestInput): Promise<RunSummary> {
    const request = parseEvaluationRequest(input);
    const forgetSet = this.catalog.forgetSets.byId(request.forgetSet);
    if (!forgetSet) throw new NotFoundError(`no forget set with id ${request.forgetSet} (see lethe forget list)`);
    const checkpoint = await resolveCheckpoint(this.catalog, request.checkpoint);
    const config = evaluationRunConfig(request, checkpoint.hash);
    const id = randomUUID();
    this.catalog.db.transaction(() => {
      this.catalog.runs.create({ id, kind: 'evaluate', dataset: checkpoint.dataset ?? undefined, model: checkpoint.model, config, appVersion: this.appVersion, ownerPid: process.pid });
      this.catalog.runs.setParams(id, { checkpoint: config.checkpoint, forgetSet: config.forgetSet, ...flattenConfig(config.checks) });
    })();
    this.publishRun(id);
    this.track(
      id,
      { kind: 'evaluate', checkpoint: checkpoint.path, dataDir: this.catalog.dataDir, forget: { path: forgetSet.path, digest: forgetSet.digest, checks: config.checks, batchSize: config.batchSize } },
      {},
      (result) => {
        const a = result.assessment!;
        const values: Record<string, number> = {
          UA: a.UA,
          RA: a.RA,
          TA: a.TA,
          MIA: a.MIA,
          ...Object.fromEntries(Object.entries(a.mia).map(([feature, value]) => [`MIA_${feature}`, value])),
          train_accuracy: result.splits.train.accuracy,
          held_out_accuracy: result.splits.heldOut.accuracy,
          test_accuracy: result.splits.test.accuracy,
          evaluation_seconds: result.seconds,
        };
        if (a.boundary) values.boundary_accuracy = a.boundary.accuracy;
        if (a.pgd) Object.assign(values, { pgd_forget_accuracy: a.pgd.accuracy, pgd_clean_forget_accuracy: a.pgd.cleanAccuracy });
        if (a.relearn) Object.assign(values, { relearn_steps: a.relearn.steps, relearn_recovered: a.relearn.recovered ? 1 : 0, relearn_forget_accuracy: 100 * a.relearn.after });
        this.catalog.db.transaction(() => {
          this.catalog.runs.logMetrics(id, values, 0);
          this.catalog.artifacts.add({ runId: id, kind: 'sample-scores', path: result.scores!.path, hash: result.scores!.hash });
          this.catalog.runs.finish(id, 'finished');
        })();
      },
    );
    return this.summary(this.catalog.runs.get(id)!);
  }

  /** Where uploads from workers land and what the bridge lends them. */
  get dataDir(): string {
    return this.catalog.dataDir;
  }

  async runStudy(input: StudyConfigInput, runOptions: StudyRunOptions = {}): Promise<StudyRunOutcome> {
    // The whole config is checked before the study is recorded; the forget rule, which
    // only the engine can check against the data, is made before anything else.
    const config = parseStudyConfig(input);
    const options = parseOrExplain(StudyRunOptionsSchema, runOptions, 'study run options');
    const kind = studyKind(config);
    if (kind === 'classifier') {
      await this.checkDataset(config.dataset);
      checkModel(config.model);
    }
    for (const [i, entry] of config.methods.entries()) {
      try {
        checkMethodChoice(entry, kind);
      } catch (error) {
        throw new InvalidRequestError(`study config: methods.${i} (${entry.label}): ${(error as Error).message}`);
      }
    }
    const jobId = `study:${config.name}`;
    if (this.jobs.has(jobId)) throw new InvalidRequestError(`study '${config.name}' is already running`);
    const report = (progress: StudyProgress) => this.publish({ type: 'study-progress', progress });
    if (!options.queue) {
      const running = runStudy(this, this.catalog, config, report);
      this.jobs.follow({ id: jobId, kind: 'study', label: `study ${config.name}` }, running);
      const outcome = await running;
      return { study: outcome.study.name, created: outcome.created, skipped: outcome.skipped, failed: outcome.failed };
    }
    // This service (catalog, subscribers, active runs) with its runs' jobs sent to the
    // queue; every chain of the study is queued at once and the workers share them out.
    const queue = new QueueEngineClient(this.engine, { url: options.queue, attempts: options.attempts });
    const onQueue = Object.create(this, { engine: { value: queue } }) as LetheService;
    let outcome;
    try {
      outcome = await runStudy(onQueue, this.catalog, config, report, Number.POSITIVE_INFINITY);
    } finally {
      await queue.close();
    }
    return { study: outcome.study.name, created: outcome.created, skipped: outcome.skipped, failed: outcome.failed };
  }

  async listStudies(): Promise<StudyRecord[]> {
    return this.catalog.studies.list();
  }

  private findStudy(name: string): StudyRecord {
    const study = this.catalog.studies.byName(name);
    if (!study) throw new NotFoundError(`no study named '${name}' (see lethe study list)`);
    return study;
  }

  async getStudyTable(name: string): Promise<AnyStudyTable> {
    return studyTable(this.catalog, this.findStudy(name));
  }

  async getStudyPareto(input: ParetoRequest): Promise<ParetoAnalysis> {
    const request = parseOrExplain(ParetoRequestSchema, input, 'Pareto request');
    return studyPareto(this.catalog, this.findStudy(request.study), request);
  }

  async getScoreHistograms(input: HistogramRequestInput): Promise<ScoreHistograms> {
    const request = parseOrExplain(HistogramRequestSchema, input, 'histogram request');
    return studyHistograms(this.catalog, this.findStudy(request.study), request);
  }

  async describeUnlearning(): Promise<UnlearningCatalogue> {
    return unlearningCatalogue();
  }

  async listOriginals(): Promise<OriginalCheckpoint[]> {
    return originalCheckpoints(this.catalog);
  }

  async listJobs(): Promise<JobList> {
    return this.jobs.list();
  }

  async cancelJob(id: string): Promise<void> {
    if (!this.jobs.cancel(id)) throw new NotFoundError(`no queued or running job '${id}'`);
  }

  async saveStudyFile(config: StudyConfigInput, file?: string): Promise<{ path: string; yaml: string }> {
    return writeStudyFile(this.catalog.dataDir, config, file);
  }

  async exportStudyReport(input: ReportRequest): Promise<ReportFile> {
    const request = parseOrExplain(ReportRequestSchema, input, 'report request');
    return reportFile(await this.studyReport(request.study), request.format, this.printPdf);
  }

  /** A study's report model: this service's own answers, with the digests of the data its runs used. */
  async studyReport(name: string): Promise<StudyReport> {
    const study = this.findStudy(name);
    const config = study.config && parseStudyConfig(study.config);
    const dataset = config ? this.catalog.datasets.byName(config.dataset) : undefined;
    // A language-model study's facts are generated from its recipe, not split from a catalogued dataset.
    const splits = dataset && config && !isLanguageModelStudy(config) ? this.catalog.datasets.splits(dataset.id).filter((s) => s.seed === config.original.splitSeed) : [];
    return buildStudyReport(this, name, reportEnvironment(this.appVersion, dataset ? { name: dataset.name, digest: dataset.digest, splits } : null));
  }

  private recordFinished(id: string, result: TrainJobResult): void {
    const { catalog } = this;
    catalog.db.transaction(() => {
      const dataset = catalog.datasets.upsert({
        name: result.dataset.name,
        digest: result.dataset.digest,
        source: 'builtin',
        shape: result.dataset.shape,
        classNames: result.dataset.classNames,
        sampleCount: result.dataset.sampleCount,
      });
      catalog.datasets.addSplit({ datasetId: dataset.id, ...result.split });
      catalog.checkpoints.add({
        hash: result.checkpoint.hash,
        path: result.checkpoint.path,
        role: 'original',
        runId: id,
        model: String(catalog.runs.get(id)?.model),
        dataset: result.dataset.name,
      });
      catalog.runs.logMetrics(id, { run_seconds: result.seconds, parameter_count: result.parameterCount }, result.history.length);
      catalog.runs.finish(id, 'finished');
    })();
  }

  async importDataset(input: DatasetSourceRequestInput): Promise<ImportOutcome> {
    const request = parseOrExplain(DatasetSourceRequestSchema, input, 'import request');
    if (isSubsetRequest(request)) return this.importFrom(request);
    const relative = request.paths.find((p) => !path.isAbsolute(p));
    if (relative) throw new InvalidRequestError(`import paths must be absolute, got '${relative}'`);
    try {
      return await this.importFrom(request);
    } finally {
      releaseStaged(this.catalog.dataDir, request.paths);
    }
  }

  private async importFrom(request: DatasetSourceRequest): Promise<ImportOutcome> {
    if (request.name && isBuiltinDataset(request.name)) throw new InvalidRequestError(`'${request.name}' is a built-in dataset; choose another name`);
    const label = isSubsetRequest(request) ? `${request.name} (subset of ${request.subsetOf})` : (request.name ?? path.basename(request.paths[0]!));
    const job = this.engine.submit(
      { kind: 'import', request, dataDir: this.catalog.dataDir },
      { onTaskProgress: (progress) => this.publish({ type: 'task-progress', task: job.jobId, progress }) },
    );
    this.jobs.follow({ id: job.jobId, kind: 'import', label: `import ${label}` }, job.result, () => this.engine.cancel(job.jobId));
    this.activeImports.add(job.jobId);
    let result;
    try {
      result = await job.result;
    } catch (error) {
      throw error instanceof JobCancelledError ? new Error('the import was cancelled; nothing was imported') : error;
    } finally {
      this.activeImports.delete(job.jobId);
    }
    const { dataset } = result;
    const outcome = (record: DatasetRecord, alreadyImported: boolean): ImportOutcome => ({
      dataset: record,
      alreadyImported,
      format: result.format,
      testCount: dataset.testCount,
      classCounts: dataset.classCounts,
      seconds: result.seconds,
      peakRssBytes: result.peakRssBytes,
    });
    try {
      const existing = this.catalog.datasets.byDigest(dataset.digest);
      if (existing) return outcome(existing, true);
      if (isBuiltinDataset(dataset.name)) throw new InvalidRequestError(`'${dataset.name}' is a built-in dataset; import under another --name`);
      const taken = this.catalog.datasets.byName(dataset.name);
      if (taken) throw new InvalidRequestError(`a dataset named '${dataset.name}' already exists with other content (digest ${taken.digest.slice(0, 12)}); choose another name`);
      // The file moves inside the transaction: if the move fails, the row is rolled back.
      const record = this.catalog.db.transaction(() => {
        const added = this.catalog.datasets.upsert({
          name: dataset.name,
          digest: dataset.digest,
          source: isSubsetRequest(request) ? `subset:${request.subsetOf}, ${request.perClass} per class, seed ${request.seed}` : `import:${result.format}`,
          shape: dataset.shape,
          classNames: dataset.classNames,
          sampleCount: dataset.sampleCount,
        });
        this.catalog.datasets.addSplit({ datasetId: added.id, ...result.split });
        fs.renameSync(result.stagingFile, datasetCachePath(this.catalog.dataDir, dataset.name));
        return added;
      })();
      return outcome(record, false);
    } finally {
      fs.rmSync(result.stagingFile, { force: true });
    }
  }

  async cancelImport(task: string): Promise<void> {
    if (!this.activeImports.has(task)) throw new NotFoundError(`no import under way with task id ${task}`);
    this.engine.cancel(task);
  }

  private forgetSetRequest(input: ForgetSetRequestInput): ForgetSetRequest {
    const request = parseOrExplain(ForgetSetRequestSchema, input, 'forget set request');
    if (request.rule.kind === 'file') {
      const relative = request.rule.paths.find((p) => !path.isAbsolute(p));
      if (relative) throw new InvalidRequestError(`forget-set file paths must be absolute, got '${relative}'`);
    }
    return request;
  }

  /** Files dropped in a browser and staged by the bridge are removed once used (kept after a preview, for the save). */
  private releaseStagedFiles(request: ForgetSetRequest): void {
    if (request.rule.kind === 'file') releaseStaged(this.catalog.dataDir, request.rule.paths);
  }

  async discardDroppedFiles(paths: string[]): Promise<void> {
    releaseStaged(this.catalog.dataDir, paths);
  }

  async previewForgetSet(input: ForgetSetRequestInput): Promise<ForgetSetPreview> {
    const request = this.forgetSetRequest(input);
    try {
      const result = await this.engine.submit({ kind: 'forget-set', request, dataDir: this.catalog.dataDir, preview: true }).result;
      const { size, retainSize, digest, warnings, report, trainClassCounts, forgetClassCounts, sampleIndices } = result;
      return { dataset: result.dataset.name, classNames: result.dataset.classNames, size, retainSize, digest, warnings, report, trainClassCounts, forgetClassCounts, sampleIndices };
    } catch (error) {
      this.releaseStagedFiles(request);
      throw error;
    }
  }

  async createForgetSet(input: ForgetSetRequestInput): Promise<ForgetSetOutcome> {
    const request = this.forgetSetRequest(input);
    try {
      return await this.saveForgetSet(request);
    } finally {
      this.releaseStagedFiles(request);
    }
  }

  private async saveForgetSet(request: ForgetSetRequest): Promise<ForgetSetOutcome> {
    const result = await this.engine.submit({ kind: 'forget-set', request, dataDir: this.catalog.dataDir }).result;
    const forgetSet = this.catalog.db.transaction(() => {
      const dataset = this.catalog.datasets.upsert({
        ...result.dataset,
        source: isBuiltinDataset(result.dataset.name) ? 'builtin' : 'import',
      });
      return this.catalog.forgetSets.add({
        datasetId: dataset.id,
        name: result.name,
        rule: { ...result.rule, splitDigest: result.splitDigest },
        seed: 'seed' in result.rule ? result.rule.seed : null,
        size: result.size,
        digest: result.digest,
        path: result.path,
      });
    })();
    return { forgetSet, retainSize: result.retainSize, warnings: result.warnings, report: result.report };
  }

  async listForgetSets(): Promise<ForgetSetRecord[]> {
    return this.catalog.forgetSets.list();
  }

  /** The dataset from its cache; a built-in one not converted yet is converted by the engine first, off this thread. */
  private async datasetSamples(name: string): Promise<ImageDataset> {
    await this.checkDataset(name);
    if (isBuiltinDataset(name) && !fs.existsSync(datasetCachePath(this.catalog.dataDir, name))) {
      await this.engine.submit({ kind: 'prepare-dataset', dataset: name, dataDir: this.catalog.dataDir }).result;
    }
    return cachedDataset(this.catalog.dataDir, name);
  }

  async getDatasetDetail(name: string): Promise<DatasetDetail> {
    const dataset = await this.datasetSamples(name);
    const record = this.catalog.datasets.byDigest(dataset.digest);
    return {
      name,
      digest: dataset.digest,
      source: record?.source ?? (isBuiltinDataset(name) ? 'builtin' : 'import'),
      shape: [dataset.height, dataset.width, dataset.channels],
      dtype: dataset.dtype,
      classNames: dataset.classNames,
      classCounts: classCounts(dataset),
      sampleCount: dataset.count,
      testCount: dataset.testCount,
      splits: record ? this.catalog.datasets.splits(record.id) : [],
    };
  }

  async listSamples(input: SamplePageRequestInput): Promise<SamplePage> {
    const request = parseOrExplain(SamplePageRequestSchema, input, 'sample request');
    return samplePage(await this.datasetSamples(request.dataset), request);
  }

  async getSampleImage(input: { dataset: string; index: number }): Promise<SampleImage> {
    const request = parseOrExplain(SampleImageRequestSchema, input, 'sample image request');
    return sampleImage(await this.datasetSamples(request.dataset), request);
  }

  async startLanguageModelTraining(input: LmTrainConfigInput): Promise<RunSummary> {
    const config = parseLmTrainConfig(input);
    const id = randomUUID();
    const kind = config.retainOf ? 'retrain' : 'train';
    this.catalog.db.transaction(() => {
      this.catalog.runs.create({ id, kind, dataset: 'facts', model: config.model, config, seed: config.seed, appVersion: this.appVersion, ownerPid: process.pid });
      this.catalog.runs.setParams(id, flattenConfig(config));
    })();
    this.publishRun(id);
    this.track(
      id,
      { kind: 'lm-train', config, dataDir: this.catalog.dataDir },
      { onProgress: (progress) => this.publish({ type: 'run-progress', runId: id, progress }) },
      (result) =>
        this.catalog.db.transaction(() => {
          for (const m of result.history) {
            this.catalog.runs.logMetrics(id, { train_loss: m.trainLoss, lr: m.lr, tokens_per_second: m.tokensPerSecond, epoch_seconds: m.seconds }, m.epoch + 1);
          }
          this.catalog.checkpoints.add({ hash: result.checkpoint.hash, path: result.checkpoint.path, role: kind === 'retrain' ? 'retrain' : 'original', runId: id, model: config.model, dataset: 'facts' });
          this.catalog.runs.logMetrics(id, { run_seconds: result.seconds, parameter_count: result.parameterCount }, result.history.length);
          this.catalog.runs.finish(id, 'finished');
        })(),
    );
    return this.summary(this.catalog.runs.get(id)!);
  }

  async startLanguageModelUnlearning(input: LmUnlearnConfigInput): Promise<RunSummary> {
    const config = parseLmUnlearnConfig(input);
    try {
      createAggregator(config.aggregator);
    } catch (error) {
      throw new InvalidRequestError((error as Error).message);
    }
    // Verified before anything is recorded; the run records the hash, the engine reads the verified folder.
    const from = await resolveCheckpoint(this.catalog, config.checkpoint);
    const recorded = { ...config, checkpoint: from.hash };
    const id = randomUUID();
    this.catalog.db.transaction(() => {
      this.catalog.runs.create({ id, kind: 'unlearn', dataset: 'facts', model: from.model, method: config.method, aggregator: config.aggregator, config: recorded, seed: config.seed, appVersion: this.appVersion, ownerPid: process.pid });
      this.catalog.runs.setParams(id, flattenConfig(recorded));
    })();
    this.publishRun(id);
    this.track(id, { kind: 'lm-unlearn', config: { ...config, checkpoint: from.path }, dataDir: this.catalog.dataDir }, {}, (result) =>
      this.catalog.db.transaction(() => {
        result.steps.forEach((step, i) => this.catalog.runs.logMetrics(id, Object.fromEntries(step.losses.map((loss, k) => [`loss_${k}`, loss])), i + 1));
        this.catalog.checkpoints.add({ hash: result.checkpoint.hash, path: result.checkpoint.path, role: 'unlearned', runId: id, model: from.model, dataset: 'facts' });
        this.catalog.runs.logMetrics(id, { run_seconds: result.seconds }, result.steps.length);
        this.catalog.runs.finish(id, 'finished');
      })(),
    );
    return this.summary(this.catalog.runs.get(id)!);
  }

  /**
   * Records a TOFU-style evaluation of a language-model checkpoint (against its Retrain
   * for forget quality and privacy leak) as an evaluate run, its numbers as metrics
   * under the names a language-model study's table reads (LM_STUDY_METRICS and more).
   */
  async startLanguageModelEvaluation(input: LmEvaluationRequestInput): Promise<RunSummary> {
    const request = parseOrExplain(LmEvaluationRequestSchema, input, 'language-model evaluation request');
    const checkpoint = await resolveCheckpoint(this.catalog, request.checkpoint);
    const retrain = request.retrain === undefined ? undefined : await resolveCheckpoint(this.catalog, request.retrain);
    const config = { ...request, checkpoint: checkpoint.hash, ...(retrain ? { retrain: retrain.hash } : {}) };
    const id = randomUUID();
    this.catalog.db.transaction(() => {
      this.catalog.runs.create({ id, kind: 'evaluate', dataset: 'facts', model: checkpoint.model, config, appVersion: this.appVersion, ownerPid: process.pid });
      this.catalog.runs.setParams(id, flattenConfig(config));
    })();
    this.publishRun(id);
    const started = Date.now();
    this.track(id, { kind: 'lm-evaluate', request: config, dataDir: this.catalog.dataDir }, {}, (result) => {
      const { model, versusRetrain } = result;
      const values: Record<string, number> = {
        model_utility: model.modelUtility,
        forget_probability: model.forget.probability,
        forget_rouge: model.forget.rougeL,
        forget_exact_match: model.forget.exactMatch,
        forget_truth_ratio: model.forget.truthRatio,
        forget_pairs: model.forget.count,
        retain_probability: model.retain.probability,
        retain_rouge: model.retain.rougeL,
        retain_exact_match: model.retain.exactMatch,
        retain_truth_ratio: model.retain.truthRatio,
        paraphrase_probability: model.forgetParaphrased.probability,
        paraphrase_rouge: model.forgetParaphrased.rougeL,
        loss_auc: model.lossAuc,
        mink_auc: model.minKAuc,
        fluency: model.fluencyPerplexity,
        evaluation_seconds: (Date.now() - started) / 1000,
      };
      // MUSE's PrivLeak is the Min-K% attack's; the loss attack's is kept beside it.
      if (versusRetrain) Object.assign(values, { forget_quality: versusRetrain.forgetQuality, privacy_leak: versusRetrain.privacyLeak.minK, privacy_leak_loss: versusRetrain.privacyLeak.loss });
      if (model.relearning) Object.assign(values, relearningMetrics(model.relearning));
      this.catalog.db.transaction(() => {
        this.catalog.runs.logMetrics(id, values, 0);
        this.catalog.runs.finish(id, 'finished');
      })();
    });
    return this.summary(this.catalog.runs.get(id)!);
  }

  async evaluateLanguageModel(input: LmEvaluationRequestInput): Promise<LmEvaluationOutcome> {
    const request = parseOrExplain(LmEvaluationRequestSchema, input, 'language-model evaluation request');
    const { kind: _kind, ...outcome } = await this.engine.submit({ kind: 'lm-evaluate', request, dataDir: this.catalog.dataDir }).result;
    return outcome;
  }

  async generateText(input: GenerateRequestInput): Promise<GenerateOutcome> {
    const request = parseOrExplain(GenerateRequestSchema, input, 'generate request');
    const { checkpoint, text, tokens, finished } = await this.engine.submit({ kind: 'generate', request, dataDir: this.catalog.dataDir }).result;
    return { checkpoint, text, tokens, finished };
  }

  async cancelRun(id: string): Promise<void> {
    const run = this.findRun(id);
    const active = this.activeJobs.get(run.id);
    if (active) {
      active.engine.cancel(active.jobId);
      return;
    }
    if (run.status === 'queued' || run.status === 'running') {
      throw new Error(`run ${run.id} is ${run.status} in another Lethe process (pid ${run.ownerPid}); cancel it there`);
    }
    throw new Error(`run ${run.id} has already ${run.status === 'finished' ? 'finished' : `ended (${run.status})`}`);
  }

  /** Cancels the runs this process started and waits until each outcome is recorded: call before closing the catalog. */
  async cancelActiveRuns(): Promise<void> {
    for (const { engine, jobId } of this.activeJobs.values()) engine.cancel(jobId);
    await Promise.all(this.runEnds.values());
  }

  async deleteRun(id: string): Promise<void> {
    const run = this.findRun(id);
    this.catalog.runs.softDelete(run.id);
    this.publishRun(run.id);
  }
}

function checkModel(name: string): void {
  if (!(name in ARCHITECTURE_DESCRIPTIONS)) throw new InvalidRequestError(`unknown model '${name}'; available: ${Object.keys(ARCHITECTURE_DESCRIPTIONS).join(', ')}`);
}

/** A method's metadata once its name, aggregator and weights are known to fit together. */
function checkMethodChoice(choice: { method: string; aggregator: string; weights?: number[] }, kind: ModelKind = 'classifier'): Pick<MethodInfo, 'objectives' | 'multiObjective'> {
  let info: Pick<MethodInfo, 'objectives' | 'multiObjective'>;
  try {
    info = kind === 'classifier' ? methodInfo(choice.method) : methodInfoFor(kind, choice.method);
    if (info.multiObjective) createAggregator(choice.aggregator, { weights: choice.weights });
  } catch (error) {
    throw new InvalidRequestError((error as Error).message);
  }
  if (choice.weights && choice.weights.length !== info.objectives.length) {
    throw new InvalidRequestError(`${choice.method} has ${info.objectives.length} objectives (${info.objectives.join(', ')}); ${choice.weights.length} weights were given`);
  }
  return info;
}

/** Config fields as write-once params (arrays as comma lists, nested settings as dotted keys: relearn.steps). */
function flattenConfig(config: object, prefix = ''): Record<string, string | number | boolean> {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([, v]) => v !== undefined)
      .flatMap(([k, v]) =>
        v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.entries(flattenConfig(v as object, `${prefix}${k}.`)) : [[`${prefix}${k}`, Array.isArray(v) ? v.join(',') : (v as string | number | boolean)]],
      ),
  );
}
