/**
 * A study's results read from the catalog: the paper's table (mean +- std over repeats,
 * gap to Retrain, Avg. Gap, RTE, best per column) and the Pareto analysis of its runs.
 * Everything is found through config hashes, so a run counts once however often the
 * study was started.
 */
import { parseStudyConfig, STUDY_METRICS, studyRowEntries, type ParetoAnalysis, type ParetoObjective, type ParetoRequest, type StudyConfig, type StudyCell, type StudyMetric, type StudyRow, type StudyRun, type StudyTable, type StudyLira } from '../../shared/study-config.js';
import type { StudyRecord } from '../../shared/catalog-types.js';
import type { Catalog } from '../catalog/catalog.js';
import { hypervolume, paretoFront } from '../engine/evaluation/pareto.js';
import { averageGap, gapsToRetrain, gapToRetrain, markBestColumns, meanStd } from '../../shared/study-statistics.js';
import { compareRows } from '../../shared/study-selection.js';
import { methodInfo } from '../engine/unlearn/method-info.js';
import { studyLira } from './study-lira.js';
import { entryRuns, evaluationRequest, hashOf, originalConfig, retrainConfig } from './study-plan.js';

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

function studyConfigOf(study: StudyRecord): StudyConfig {
  if (!study.config || study.forgetSetId === null) throw new Error(`study '${study.name}' has no config yet; run it with lethe study run`);
  return parseStudyConfig(study.config);
}

interface CollectedRows {
  config: StudyConfig;
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
  const forgetSet = study.forgetSetId!;
  let backend: string | null = null;
  const evaluated = (runId: string, seed: number | null, lr: number | null): Repeat | undefined => {
    const checkpoint = catalog.checkpoints.forRun(runId)[0];
    if (!checkpoint) return undefined;
    const evaluation = catalog.runs.latestFinished('evaluate', hashOf.evaluate(evaluationRequest(config, checkpoint.hash, forgetSet)));
    if (!evaluation) return undefined;
    const run = catalog.runs.get(runId)!;
    backend ??= run.backend && `${run.backend} (${run.device ?? 'unknown device'})`;
    return { runId, evaluationId: evaluation.id, seed, lr, metrics: catalog.runs.latestMetrics(evaluation.id), seconds: catalog.runs.latestMetrics(runId).run_seconds ?? null };
  };
  const originalRun = catalog.runs.latestFinished('train', hashOf.train(originalConfig(config)));
  const originalCheckpoint = originalRun && catalog.checkpoints.forRun(originalRun.id)[0];
  const reference = (label: string, role: StudyRow['role'], runId: string | undefined, seed: number): RowRuns => {
    const repeat = runId === undefined ? undefined : evaluated(runId, seed, null);
    return { label, entry: label, role, method: null, aggregator: null, planned: 1, repeats: repeat ? [repeat] : [] };
  };
  const rows: RowRuns[] = [reference('Original', 'original', originalRun?.id, config.original.seed)];
  if (!originalCheckpoint) {
    rows.push({ label: 'Retrain', entry: 'Retrain', role: 'retrain', method: 'retrain', aggregator: null, planned: 1, repeats: [] });
    for (const entry of studyRowEntries(config)) rows.push({ label: entry.label, entry: entry.entry, role: 'method', method: entry.method, aggregator: entry.aggregator, planned: 0, repeats: [] });
    return { config, rows, backend };
  }
  const retrain = retrainConfig(config, originalCheckpoint.hash, forgetSet);
  rows.push({ ...reference('Retrain', 'retrain', catalog.runs.latestFinished('retrain', hashOf.unlearn(retrain))?.id, retrain.seed), method: 'retrain' });
  for (const entry of studyRowEntries(config)) {
    const planned = entryRuns(config, entry, originalCheckpoint.hash, forgetSet);
    const repeats = planned.flatMap((p) => {
      const run = catalog.runs.latestFinished('unlearn', hashOf.unlearn(p.config));
      const repeat = run && evaluated(run.id, p.seed, p.lr);
      return repeat ? [repeat] : [];
    });
    rows.push({ label: entry.label, entry: entry.entry, role: 'method', method: entry.method, aggregator: methodInfo(entry.method).multiObjective ? entry.aggregator : null, planned: planned.length, repeats });
  }
  return { config, rows, backend, ...(config.lira ? { lira: studyLira(catalog, config, originalCheckpoint.hash, forgetSet) } : {}) };
}

/** One repeat with its gaps to Retrain's means, for the per-seed view. */
function studyRun(repeat: Repeat, retrainMean: Record<StudyMetric, number | null>): StudyRun {
  const metrics = Object.fromEntries(
    STUDY_METRICS.map((m) => {
      const value = repeat.metrics[m] ?? NaN;
      return [m, { value, gap: retrainMean[m] === null ? null : gapToRetrain(value, retrainMean[m]) }];
    }),
  ) as StudyRun['metrics'];
  const avgGap = averageGap({ UA: metrics.UA.gap, RA: metrics.RA.gap, TA: metrics.TA.gap, MIA: metrics.MIA.gap });
  return { runId: repeat.runId, evaluationId: repeat.evaluationId, seed: repeat.seed, lr: repeat.lr, metrics, avgGap, seconds: repeat.seconds };
}

/** Mean and std without the count, as a table cell holds them. */
const pick = ({ mean, std }: { mean: number; std: number }) => ({ mean, std });

const valuesOf = (repeats: Repeat[], key: string): number[] => repeats.map((r) => r.metrics[key]).filter((v): v is number => v !== undefined);

const rowMean = (repeats: Repeat[], key: string): number | null => {
  const values = valuesOf(repeats, key);
  return values.length ? meanStd(values).mean : null;
};

export function studyTable(catalog: Catalog, study: StudyRecord): StudyTable {
  const { config, rows: collected, backend, lira } = collectRows(catalog, study);
  const retrain = collected.find((r) => r.role === 'retrain')!;
  const retrainMean = Object.fromEntries(STUDY_METRICS.map((m) => [m, rowMean(retrain.repeats, m)])) as Record<StudyMetric, number | null>;
  const rows: StudyRow[] = collected.map((row) => {
    const metrics = row.repeats.length
      ? (Object.fromEntries(
          STUDY_METRICS.map((m) => {
            const { mean, std } = meanStd(valuesOf(row.repeats, m));
            return [m, { mean, std, gap: retrainMean[m] === null ? null : gapToRetrain(mean, retrainMean[m]) }];
          }),
        ) as Record<StudyMetric, StudyCell>)
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
      avgGap: metrics ? averageGap({ UA: metrics.UA.gap, RA: metrics.RA.gap, TA: metrics.TA.gap, MIA: metrics.MIA.gap }) : null,
      rte: seconds.length ? pick(meanStd(seconds)) : null,
      boundary: rowMean(row.repeats, 'boundary_accuracy'),
      pgd: rowMean(row.repeats, 'pgd_forget_accuracy'),
      relearnSteps: rowMean(row.repeats, 'relearn_steps'),
      best: [],
      runs: row.repeats.map((r) => studyRun(r, retrainMean)),
    };
  });
  markBestColumns(rows);
  const forgetSet = study.forgetSetId === null ? undefined : catalog.forgetSets.byId(study.forgetSetId);
  const table: StudyTable = {
    study: study.name,
    dataset: config.dataset,
    model: config.model,
    forgetSet: forgetSet ? { id: forgetSet.id, name: forgetSet.name, size: forgetSet.size } : null,
    backend,
    rows,
    ...(lira ? { lira } : {}),
  };
  return config.comparisons.length > 0 ? { ...table, comparisons: compareRows(table, config.comparisons) } : table;
}

/** The objective's value for one run, as minimised. */
function objectiveValue(objective: ParetoObjective, repeat: Repeat, retrain: Record<string, number>): number {
  const metrics = (source: Record<string, number>) => Object.fromEntries(STUDY_METRICS.map((m) => [m, source[m]!])) as Record<StudyMetric, number>;
  const { gaps, avgGap } = gapsToRetrain(metrics(repeat.metrics), metrics(retrain));
  switch (objective) {
    case 'UA_gap':
      return gaps.UA;
    case 'RA_gap':
      return gaps.RA;
    case 'TA_gap':
      return gaps.TA;
    case 'MIA_gap':
      return gaps.MIA;
    case 'avg_gap':
      return avgGap;
    case 'RA':
      return -repeat.metrics.RA!;
    case 'TA':
      return -repeat.metrics.TA!;
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
  const { rows } = collectRows(catalog, study);
  const retrain = rows.find((r) => r.role === 'retrain')!.repeats[0];
  if (!retrain) throw new Error(`study '${study.name}' has no evaluated Retrain yet`);
  const runs = rows.filter((r) => r.role === 'method').flatMap((r) => r.repeats.map((repeat) => ({ label: r.label, repeat })));
  return paretoAnalysis(study.name, runs, retrain.metrics, request);
}
