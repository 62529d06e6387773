/**
 * The report model of a study: everything a report shows, gathered from what the service
 * already returns (the table, the Pareto analyses, the MIA histogram counts, the runs
 * with their configs, traces and provenance). No number is computed here; every
 * rendering (HTML, PDF, CSV, LaTeX) reads this model and nothing else.
 */
import type { ForgetSetRecord, MetricPoint, RunSummary, SplitRecord, StudyRecord } from '../../shared/catalog-types.js';
import type { LetheRequests } from '../../shared/lethe-api.js';
import type { ScoreHistograms } from '../../shared/score-histograms.js';
import type { AnyStudyTable, ParetoAnalysis, ParetoObjective, StudyKind } from '../../shared/study-config.js';

/** The service calls a report is made of. */
export type ReportSource = Pick<LetheRequests, 'listStudies' | 'getStudyTable' | 'getStudyPareto' | 'getScoreHistograms' | 'listRuns' | 'getRun' | 'listForgetSets'>;

/** The Pareto figures of a report by the study's kind: the window's default view, and quality against cost. */
export const REPORT_PARETO_AXES: Record<StudyKind, [ParetoObjective, ParetoObjective][]> = {
  classifier: [
    ['UA_gap', 'TA'],
    ['avg_gap', 'RTE'],
  ],
  'language-model': [
    ['forget_quality', 'model_utility'],
    ['forget_quality', 'RTE'],
  ],
};

/** A part of the report the study cannot give yet (no Retrain, no evaluated run), with the service's reason. */
export interface Unavailable {
  unavailable: string;
}

export interface ReportRun {
  run: RunSummary;
  /** The study row it belongs to ("GA (seed 2)", "evaluation of Retrain"), or its kind and method when no row lists it (a failed run). */
  label: string;
}

export interface ReportTrace {
  label: string;
  runId: string;
  seed: number | null;
  objectives: string[];
  metrics: Record<string, MetricPoint[]>;
}

/** Where and with what the report was made, and what the study's data is. */
export interface ReportEnvironment {
  appVersion: string;
  /** The git commit of the app's checkout, when it is one. */
  commit: string | null;
  versions: { node: string; electron: string | null; tfjs: string | null };
  dataset: { name: string; digest: string; splits: SplitRecord[] } | null;
}

export interface StudyReport {
  generatedAt: number;
  study: StudyRecord;
  table: AnyStudyTable;
  forgetSet: ForgetSetRecord | null;
  paretos: (ParetoAnalysis | (Unavailable & { objectives: ParetoObjective[] }))[];
  histograms: ScoreHistograms | Unavailable;
  traces: ReportTrace[];
  runs: ReportRun[];
  environment: ReportEnvironment;
}

export function isAvailable<T extends object>(part: T): part is Exclude<T, Unavailable> {
  return !('unavailable' in part);
}

/** The service's answer, or its reason for having none (a study without Retrain has no gaps to rank). */
async function orUnavailable<T>(ask: () => Promise<T>): Promise<T | Unavailable> {
  try {
    return await ask();
  } catch (error) {
    return { unavailable: (error as Error).message };
  }
}

const seedNote = (seed: number | null) => (seed === null ? '' : ` (seed ${seed})`);

/** Each study run under the name of the row that uses it; runs no row uses (failed ones) by kind, method and seed. */
function labelRuns(table: AnyStudyTable, runs: RunSummary[]): ReportRun[] {
  const labels = new Map<string, string>();
  for (const row of table.rows) {
    for (const r of row.runs) {
      const name = row.role === 'method' ? `${row.label}${seedNote(r.seed)}` : row.label;
      labels.set(r.runId, name);
      labels.set(r.evaluationId, `evaluation of ${name}`);
    }
  }
  return runs.map((run) => ({ run, label: labels.get(run.id) ?? [run.kind, run.method, run.aggregator].filter(Boolean).join(' ') + seedNote(run.seed) }));
}

export async function buildStudyReport(source: ReportSource, name: string, environment: ReportEnvironment, now = Date.now()): Promise<StudyReport> {
  const table = await source.getStudyTable(name);
  const study = (await source.listStudies()).find((s) => s.name === name)!;
  const inStudy = new Set(study.runIds);
  const runs = labelRuns(table, (await source.listRuns()).filter((r) => inStudy.has(r.id)).sort((a, b) => a.createdAt - b.createdAt));
  const forgetSet = table.forgetSet ? ((await source.listForgetSets()).find((f) => f.id === table.forgetSet!.id) ?? null) : null;
  const paretos = await Promise.all(
    REPORT_PARETO_AXES[table.kind].map(async (objectives) => {
      const analysis = await orUnavailable(() => source.getStudyPareto({ study: name, objectives }));
      return isAvailable(analysis) ? analysis : { ...analysis, objectives };
    }),
  );
  const histograms: ScoreHistograms | Unavailable =
    table.kind === 'classifier'
      ? await orUnavailable(() => source.getScoreHistograms({ study: name }))
      : { unavailable: "the MIA histograms are of classifier studies; a language-model study's membership measure is its privacy leak column (Min-K% MIA AUC against Retrain's)" };
  // The multi-objective rows' first repeats: their losses, weights and gradient cosines per step.
  const traces = await Promise.all(
    table.rows
      .filter((row) => row.aggregator !== null && row.runs.length > 0)
      .map(async (row) => {
        const detail = await source.getRun(row.runs[0]!.runId);
        return { label: row.label, runId: detail.id, seed: detail.seed, objectives: detail.params.objectives?.split(' | ') ?? [], metrics: detail.metrics };
      }),
  );
  return { generatedAt: now, study, table, forgetSet, paretos, histograms, traces, runs, environment };
}
