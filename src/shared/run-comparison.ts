/**
 * Runs side by side (the Compare view and its CSV): the configuration as one row per
 * key (nested keys dotted) marking where the runs differ, and the headline metrics with
 * their deltas against a baseline run. A model run's metrics include its latest
 * evaluation's (UA, RA, TA, MIA, stronger checks).
 */
import type { RunDetail } from './catalog-types.js';

export interface ConfigRow {
  key: string;
  values: string[];
  differs: boolean;
}

export interface MetricRow {
  key: string;
  unit: string;
  values: (number | null)[];
  /** value - the baseline's, null where either is missing. */
  deltas: (number | null)[];
}

/** A config as dotted keys (nested objects flattened, arrays as comma lists). */
export function flattenConfig(config: Record<string, unknown>): Record<string, string> {
  const into: Record<string, string> = {};
  flatten(config, '', into);
  return into;
}

function flatten(value: unknown, prefix: string, into: Record<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, into);
  } else {
    into[prefix] = Array.isArray(value) ? value.join(', ') : String(value);
  }
}

/** The runs' configs (kind, method and aggregator first), one row per key; absent keys are empty. */
export function configRows(runs: RunDetail[]): ConfigRow[] {
  const flat = runs.map((r) => {
    const into: Record<string, string> = { kind: r.kind, method: r.method ?? '', aggregator: r.aggregator ?? '' };
    flatten(r.config, '', into);
    return into;
  });
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))];
  return keys.map((key) => {
    const values = flat.map((f) => f[key] ?? '');
    return { key, values, differs: values.some((v) => v !== values[0]) };
  });
}

/** Per-step traces are curves, not headline numbers. */
const TRACE = /^(loss_|weight_|cosine)/;

/** Headline metrics of a run: its own latest values, and its latest evaluation's (which win on a clash). */
export function headlineMetrics(run: RunDetail): Record<string, number> {
  const own = Object.fromEntries(Object.entries(run.latestMetrics).filter(([k]) => !TRACE.test(k)));
  return { ...own, ...(run.evaluations[0]?.metrics ?? {}) };
}

const FIRST = ['UA', 'RA', 'TA', 'MIA'];

/** Evaluations report in percent; a run's own accuracies are fractions. */
const PERCENT = /^(UA|RA|TA|MIA(_.*)?|boundary_accuracy|pgd_(clean_)?forget_accuracy|relearn_forget_accuracy)$/;

export function metricUnit(key: string): string {
  if (PERCENT.test(key)) return '%';
  if (key.endsWith('_seconds')) return 's';
  if (key === 'relearn_steps') return 'steps';
  if (key.endsWith('_accuracy')) return 'fraction';
  if (key.endsWith('_loss') || key.startsWith('loss_')) return 'nats';
  return '';
}

export function metricRows(runs: RunDetail[], baseline: number): MetricRow[] {
  const metrics = runs.map(headlineMetrics);
  const keys = [...new Set(metrics.flatMap((m) => Object.keys(m)))].sort((a, b) => {
    const [ia, ib] = [FIRST.indexOf(a), FIRST.indexOf(b)];
    return (ia < 0 ? FIRST.length : ia) - (ib < 0 ? FIRST.length : ib) || a.localeCompare(b);
  });
  return keys.map((key) => {
    const values = metrics.map((m) => m[key] ?? null);
    const base = values[baseline] ?? null;
    return { key, unit: metricUnit(key), values, deltas: values.map((v) => (v === null || base === null ? null : v - base)) };
  });
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The comparison as CSV: a header of run labels, the config rows, then each metric and its delta to the baseline. */
export function comparisonCsv(labels: string[], config: ConfigRow[], metrics: MetricRow[], baselineLabel: string): string {
  const lines = [['section', 'key', 'unit', ...labels]];
  for (const row of config) lines.push(['config', row.key, '', ...row.values]);
  for (const row of metrics) {
    lines.push(['metric', row.key, row.unit, ...row.values.map((v) => (v === null ? '' : String(v)))]);
    lines.push([`delta vs ${baselineLabel}`, row.key, row.unit, ...row.deltas.map((d) => (d === null ? '' : String(d)))]);
  }
  return lines.map((l) => l.map(csvField).join(',')).join('\n');
}
