/**
 * One CSV row per run of the study: its identity, outcome and provenance, and for a
 * model run its evaluation's metrics (the table's columns) with their gaps, as the study table has them.
 */
import type { StudyRow, StudyRun } from '../../shared/study-config.js';
import type { StudyReport } from './report-model.js';

const header = (columns: readonly string[]) => [
  'run_id', 'label', 'kind', 'status', 'method', 'aggregator', 'seed', 'lr', 'config_hash', 'backend', 'device', 'app_version',
  'created_at', 'started_at', 'finished_at', 'duration_s', 'evaluation_id', ...columns.flatMap((m) => [m, `${m}_gap`]), 'avg_gap', 'error',
];

function field(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const isoOrEmpty = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function reportCsv(report: StudyReport): string {
  const columns: readonly string[] = report.table.columns;
  const rows: StudyRow<string>[] = report.table.rows;
  const measured = new Map<string, StudyRun<string>>(rows.flatMap((row) => row.runs.map((r): [string, StudyRun<string>] => [r.runId, r])));
  const lines = report.runs.map(({ run, label }) => {
    const m = measured.get(run.id);
    return [
      run.id, label, run.kind, run.status, run.method, run.aggregator, run.seed, m?.lr, run.configHash, run.backend, run.device, run.appVersion,
      isoOrEmpty(run.createdAt), isoOrEmpty(run.startedAt), isoOrEmpty(run.finishedAt), run.durationSeconds, m?.evaluationId,
      ...columns.flatMap((k) => [m?.metrics[k]?.value, m?.metrics[k]?.gap]), m?.avgGap, run.error,
    ].map(field).join(',');
  });
  return [header(columns).join(','), ...lines].join('\n') + '\n';
}
