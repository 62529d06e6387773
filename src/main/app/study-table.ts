/**
 * A study's results read from the catalog: the paper's table (mean +- std over repeats,
 * gap to Retrain, Avg. Gap, RTE, best per column) and the Pareto analysis of its runs.
 * Everything is found through config hashes, so a run counts once however often the
 * study was started.
 */
import {
  isLanguageModelStudy,
  lmStudyRowEntries,
  parseStudyConfig,
  PARETO_OBJECTIVES_BY_KIND,
  STUDY_METRICS,
  studyColumns,
  studyKind,
  studyRowEntries,
  type AnyStudyConfig,
  type AnyStudyTable,
  type ParetoAnalysis,
  type ParetoObjective,
  type ParetoRequest,
  type StudyCell,
  type StudyKind,
  type StudyLira,
  type StudyMetric,
  type StudyRow,
  type StudyRun,
  type StudyTable,
} from '../../shared/study-config.js';
import type { StudyRecord } from '../../shared/catalog-types.js';
import type { Catalog } from '../catalog/catalog.js';
import { hypervolume, paretoFront } from '../engine/evaluation/pareto.js';
import { averageGap, gapsToRetrain, gapToRetrain, markBestColumns, meanStd } from '../../shared/study-statistics.js';
import { compareRows } from '../../shared/study-selection.js';
import { methodInfoFor } from '../engine/unlearn/method-info.js';
import { studyLira } from './study-lira.js';
import { studyPlan } from './study-plan.js';
import { InvalidRequestError } from '../../shared/validation.js';

/** One finished, evaluated run of a row. */
export interface Repeat {
  runId: string;
  evaluationId: string;
  seed: number | null;
  lr: number | null;
  metrics: Record<string, number>;
  seconds: number | null;
}

interface RowRuns {
  label: string;
  entry: string;
  role: StudyRow['role'];
  method: string | null;
  aggregator: string | null;
  planned: number;
  repeats: Repeat[];
}

function studyConfigOf(study: StudyRecord): AnyStudyConfig {
  const config = study.config ? parseStudyConfig(study.config) : undefined;
  if (!config || (!isLanguageModelStudy(config) && study.forgetSetId === null)) throw new Error(`study '${study.name}' has no config yet; run it with lethe study run`);
  return config;
}

interface CollectedRows {
  config: AnyStudyConfig;
  rows: RowRuns[];
  backend: string | null;
  lira?: StudyLira[];
}

/** Each catalog's collected rows per study, with the catalog version they were read at. */
const collectedCache = new WeakMap<Catalog, Map<number, { version: string; collected: CollectedRows }>>();

/**
 * The finished runs behind each row, read again only when the catalog has changed since
 * the last read: the window asks for the table and the Pareto analysis on every refresh,
 * and finding every run by config hash is most of their cost.
 */
function collectRows(catalog: Catalog, study: StudyRecord): CollectedRows {
  const version = catalog.version();
  let perStudy = collectedCache.get(catalog);
  if (!perStudy) collectedCache.set(catalog, (perStudy = new Map()));
  const cached = perStudy.get(study.id);
  if (cached?.version === version) return cached.collected;
  const collected = readRows(catalog, study);
  perStudy.set(study.id, { version, collected });
  return collected;
}

/** The finished runs behind each row, each with its evaluation's metrics. */
function readRows(catalog: Catalog, study: StudyRecord): CollectedRows {
  const config = studyConfigOf(study);
  const kind = studyKind(config);
  const plan = studyPlan(config, study.forgetSetId);
  let backend: string | null = null;
  const checkpointOf = (runId: string) => catalog.checkpoints.forRun(runId)[0]?.hash;
  const evaluated = (runId: string, seed: number | null, lr: number | null, retrain: string | undefined): Repeat | undefined => {
    const checkpoint = checkpointOf(runId);
    const step = checkpoint === undefined ? undefined : plan.evaluation(checkpoint, retrain);
    const evaluation = step && catalog.runs.latestFinished(step.kind, step.hash);
    if (!evaluation) return undefined;
    const run = catalog.runs.get(runId)!;
    backend ??= run.backend && `${run.backend} (${run.device ?? 'unknown device'})`;
    return { runId, evaluationId: evaluation.id, seed, lr, metrics: catalog.runs.latestMetrics(evaluation.id), seconds: catalog.runs.latestMetrics(runId).run_seconds ?? null };
  };
  const originalRun = catalog.runs.latestFinished(plan.original.kind, plan.original.hash);
  const originalCheckpoint = originalRun && checkpointOf(originalRun.id);
  const retrainStep = originalCheckpoint === undefined ? undefined : plan.retrain(originalCheckpoint);
  const retrainRun = retrainStep && catalog.runs.latestFinished(retrainStep.kind, retrainStep.hash);
  const retrainCheckpoint = retrainRun && checkpointOf(retrainRun.id);
  const reference = (label: string, role: StudyRow['role'], runId: string | undefined, seed: number): RowRuns => {
    const repeat = runId === undefined ? undefined : evaluated(runId, seed, null, retrainCheckpoint);
    return { label, entry: label, role, method: null, aggregator: null, planned: 1, repeats: repeat ? [repeat] : [] };
  };
  const rows: RowRuns[] = [reference('Original', 'original', originalRun?.id, plan.originalSeed)];
  if (originalCheckpoint === undefined || !retrainStep) {
    rows.push({ label: 'Retrain', entry: 'Retrain', role: 'retrain', method: 'retrain', aggregator: null, planned: 1, repeats: [] });
    for (const entry of isLanguageModelStudy(config) ? lmStudyRowEntries(config) : studyRowEntries(config)) {
      rows.push({ label: entry.label, entry: entry.entry, role: 'method', method: entry.method, aggregator: entry.aggregator, planned: 0, repeats: [] });
    }
    return { config, rows, backend };
  }
  rows.push({ ...reference('Retrain', 'retrain', retrainRun?.id, retrainStep.seed), method: 'retrain' });
  for (const entry of plan.entries(originalCheckpoint)) {
    const repeats = entry.runs.flatMap((p) => {
      const run = catalog.runs.latestFinished(p.kind, p.hash);
      const repeat = run && evaluated(run.id, p.seed, p.lr, retrainCheckpoint);
      return repeat ? [repeat] : [];
    });
    const multiObjective = methodInfoFor(kind === 'classifier' ? 'classifier' : 'language-model', entry.method).multiObjective;
    rows.push({ label: entry.label, entry: entry.entry, role: 'method', method: entry.method, aggregator: multiObjective ? entry.aggregator : null, planned: entry.runs.length, repeats });
  }
  if (isLanguageModelStudy(config) || !config.lira) return { config, rows, backend };
  return { config, rows, backend, lira: studyLira(catalog, config, originalCheckpoint, study.forgetSetId!) };
}

/** Gaps to Retrain of the classifier's four metrics, averaged; other kinds have no Avg. Gap. */
function avgGapOf(kind: StudyKind, gap: (m: StudyMetric) => number | null): number | null {
  return kind === 'classifier' ? averageGap(Object.fromEntries(STUDY_METRICS.map((m) => [m, gap(m)])) as Record<StudyMetric, number | null>) : null;
}

/** One repeat with its gaps to Retrain's means, for the per-seed view. */
function studyRun(kind: StudyKind, columns: readonly string[], repeat: Repeat, retrainMean: Record<string, number | null>): StudyRun<string> {
  const metrics = Object.fromEntries(
    columns.map((m) => {
      const value = repeat.metrics[m] ?? NaN;
      const reference = retrainMean[m] ?? null;
      return [m, { value, gap: reference === null ? null : gapToRetrain(value, reference) }];
    }),
  );
  const avgGap = avgGapOf(kind, (m) => metrics[m]?.gap ?? null);
  return { runId: repeat.runId, evaluationId: repeat.evaluationId, seed: repeat.seed, lr: repeat.lr, metrics, avgGap, seconds: repeat.seconds };
}

/** Mean and std without the count, as a table cell holds them. */
const pick = ({ mean, std }: { mean: number; std: number }) => ({ mean, std });

const valuesOf = (repeats: Repeat[], key: string): number[] => repeats.map((r) => r.metrics[key]).filter((v): v is number => v !== undefined);

const rowMean = (repeats: Repeat[], key: string): number | null => {
  const values = valuesOf(repeats, key);
  return values.length ? meanStd(values).mean : null;
};

/** The study's table, its columns by the study's kind and evaluation (studyColumns), with a classifier study's comparisons and likelihood-ratio test. */
export function studyTable(catalog: Catalog, study: StudyRecord): AnyStudyTable {
  const { config, rows: collected, backend, lira } = collectRows(catalog, study);
  const kind = studyKind(config);
  const columns = studyColumns(config);
  const retrain = collected.find((r) => r.role === 'retrain')!;
  const retrainMean = Object.fromEntries(columns.map((m) => [m, rowMean(retrain.repeats, m)]));
  const rows: StudyRow<string>[] = collected.map((row) => {
    const metrics: Record<string, StudyCell> | null = row.repeats.length
      ? Object.fromEntries(
          columns.map((m) => {
            const { mean, std } = meanStd(valuesOf(row.repeats, m));
            const reference = retrainMean[m] ?? null;
            return [m, { mean, std, gap: reference === null ? null : gapToRetrain(mean, reference) }];
          }),
        )
      : null;
    const seconds = row.repeats.map((r) => r.seconds).filter((s): s is number => s !== null);
    return {
      label: row.label,
      entry: row.entry,
      role: row.role,
      method: row.method,
      aggregator: row.aggregator,
      repeats: row.repeats.length,
      planned: row.planned,
      metrics,
      avgGap: metrics ? avgGapOf(kind, (m) => metrics[m]?.gap ?? null) : null,
      rte: seconds.length ? pick(meanStd(seconds)) : null,
      boundary: rowMean(row.repeats, 'boundary_accuracy'),
      pgd: rowMean(row.repeats, 'pgd_forget_accuracy'),
      relearnSteps: rowMean(row.repeats, 'relearn_steps'),
      best: [],
      runs: row.repeats.map((r) => studyRun(kind, columns, r, retrainMean)),
    };
  });
  markBestColumns(kind, rows, columns);
  const forgetSet = forgetSetOf(catalog, study, config, collected[0]!.repeats[0]);
  const table = { kind, study: study.name, dataset: config.dataset, model: config.model, columns, forgetSet, backend, rows, ...(lira ? { lira } : {}) } as AnyStudyTable;
  if (isLanguageModelStudy(config) || config.comparisons.length === 0) return table;
  return { ...table, comparisons: compareRows(table as StudyTable, config.comparisons) };
}

/**
 * The forget set a table names: the catalogued one, or a language-model study's split
 * (id 0: no catalogued set) with its question-answer pairs as the original's evaluation counted them.
 */
function forgetSetOf(catalog: Catalog, study: StudyRecord, config: AnyStudyConfig, original: Repeat | undefined): AnyStudyTable['forgetSet'] {
  if (isLanguageModelStudy(config)) {
    const pairs = original?.metrics.forget_pairs;
    return pairs === undefined ? null : { id: 0, name: config.forget.split, size: pairs };
  }
  const forgetSet = study.forgetSetId === null ? undefined : catalog.forgetSets.byId(study.forgetSetId);
  return forgetSet ? { id: forgetSet.id, name: forgetSet.name, size: forgetSet.size } : null;
}

/** The objective's value for one run, as minimised (accuracies, forget quality and model utility negated). */
function objectiveValue(objective: ParetoObjective, repeat: Repeat, retrain: Record<string, number>): number {
  const metric = (key: string) => repeat.metrics[key] ?? NaN;
  const gaps = () => gapsToRetrain(Object.fromEntries(STUDY_METRICS.map((m) => [m, metric(m)])) as Record<StudyMetric, number>, Object.fromEntries(STUDY_METRICS.map((m) => [m, retrain[m] ?? NaN])) as Record<StudyMetric, number>);
  switch (objective) {
    case 'UA_gap':
      return gaps().gaps.UA;
    case 'RA_gap':
      return gaps().gaps.RA;
    case 'TA_gap':
      return gaps().gaps.TA;
    case 'MIA_gap':
      return gaps().gaps.MIA;
    case 'avg_gap':
      return gaps().avgGap;
    case 'RA':
    case 'TA':
    case 'forget_quality':
    case 'model_utility':
      return -metric(objective);
    case 'RTE':
      return repeat.seconds ?? NaN;
  }
}

/** One evaluated method run as the Pareto analysis sees it. */
export interface ParetoRun {
  label: string;
  repeat: Repeat;
}

/**
 * The non-dominated runs over two or three objectives and their hypervolume, against
 * the request's reference point or, by default, each objective's worst value plus 10% of
 * its range (plus 1 where all runs agree).
 */
export function paretoAnalysis(study: string, runs: ParetoRun[], retrain: Record<string, number>, request: ParetoRequest): ParetoAnalysis {
  if (runs.length === 0) throw new Error(`study '${study}' has no evaluated method runs yet`);
  const values = runs.map(({ repeat }) => request.objectives.map((o) => objectiveValue(o, repeat, retrain)));
  let reference = request.reference;
  if (reference) {
    if (reference.length !== request.objectives.length) throw new Error(`the reference point has ${reference.length} coordinates for ${request.objectives.length} objectives`);
  } else {
    reference = request.objectives.map((_, k) => {
      const column = values.map((v) => v[k]!);
      const [low, high] = [Math.min(...column), Math.max(...column)];
      return high + (high > low ? 0.1 * (high - low) : 1);
    });
  }
  const front = new Set(paretoFront(values));
  return {
    study,
    objectives: request.objectives,
    points: runs.map(({ label, repeat }, i) => ({ runId: repeat.runId, label, seed: repeat.seed, lr: repeat.lr, values: values[i]!, dominated: !front.has(i) })),
    reference,
    hypervolume: hypervolume(values, reference),
  };
}

/** The non-dominated runs of a study over two or three objectives, and their hypervolume. */
export function studyPareto(catalog: Catalog, study: StudyRecord, request: ParetoRequest): ParetoAnalysis {
  const { rows, config } = collectRows(catalog, study);
  const kind = studyKind(config);
  const foreign = request.objectives.filter((o) => !PARETO_OBJECTIVES_BY_KIND[kind].includes(o));
  if (foreign.length) throw new InvalidRequestError(`${foreign.join(', ')} ${foreign.length > 1 ? 'are not objectives' : 'is not an objective'} of a ${kind} study; choose from ${PARETO_OBJECTIVES_BY_KIND[kind].join(', ')}`);
  const retrain = rows.find((r) => r.role === 'retrain')!.repeats[0];
  if (!retrain) throw new Error(`study '${study.name}' has no evaluated Retrain yet`);
  const runs = rows.filter((r) => r.role === 'method').flatMap((r) => r.repeats.map((repeat) => ({ label: r.label, repeat })));
  return paretoAnalysis(study.name, runs, retrain.metrics, request);
}
