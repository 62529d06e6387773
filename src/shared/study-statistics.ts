/**
 * The headline numbers of a study, each defined once: mean +- sample std over repeats,
 * the gap to Retrain, the Avg. Gap and the best value of a column. The study table, its
 * Pareto analysis, the window, the reports and the tests all compute them here; plain
 * TypeScript, so every side can import it without TensorFlow.js.
 */
import { STUDY_COLUMNS, STUDY_METRICS, type StudyCell, type StudyKind, type StudyMetric, type StudyRow } from './study-config.js';

/** Mean and sample standard deviation (n - 1; 0 for one value, NaN for none). */
export function meanStd(values: readonly number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** |value - Retrain's value| in percentage points: the closer to Retrain, the better, whichever side. */
export function gapToRetrain(value: number, retrain: number): number {
  return Math.abs(value - retrain);
}

/** The Avg. Gap: the mean of the four metric gaps; null while one of them is unknown. */
export function averageGap(gaps: Record<StudyMetric, number | null>): number | null {
  const known = STUDY_METRICS.map((m) => gaps[m]).filter((g): g is number => g !== null);
  return known.length === STUDY_METRICS.length ? known.reduce((a, b) => a + b, 0) / known.length : null;
}

/** Every metric's gap to Retrain and their mean, for one run or one row of means. */
export function gapsToRetrain(values: Record<StudyMetric, number>, retrain: Record<StudyMetric, number>): { gaps: Record<StudyMetric, number>; avgGap: number } {
  const gaps = Object.fromEntries(STUDY_METRICS.map((m) => [m, gapToRetrain(values[m], retrain[m])])) as Record<StudyMetric, number>;
  return { gaps, avgGap: averageGap(gaps)! };
}

/**
 * Which entries hold a column's best value. Every marked column (gaps, Avg. Gap, run
 * time) is better lower; ties are all best, unknown values never are, and a column with
 * fewer than two known values has no best.
 */
export function bestOf(values: readonly (number | null)[]): boolean[] {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (known.length < 2) return values.map(() => false);
  const best = Math.min(...known);
  return values.map((v) => v === best);
}

/** The value a column's best is the smallest of, per its STUDY_COLUMNS rule (null: not marked). */
function bestScore(rule: 'gap' | 'high' | 'low' | 'zero' | 'none', cell: StudyCell): number | null {
  switch (rule) {
    case 'gap':
      return cell.gap;
    case 'high':
      return -cell.mean;
    case 'low':
      return cell.mean;
    case 'zero':
      return Math.abs(cell.mean);
    case 'none':
      return null;
  }
}

/**
 * Marks, in each method row's `best`, the columns it is best in among the method rows:
 * each of the table's metric columns by its kind's rule (STUDY_COLUMNS), Avg. Gap (classifier studies) and run time.
 */
export function markBestColumns(kind: StudyKind, rows: readonly StudyRow<string>[], columns: readonly string[] = Object.keys(STUDY_COLUMNS[kind])): void {
  const rules: Record<string, { best: 'gap' | 'high' | 'low' | 'zero' | 'none' }> = STUDY_COLUMNS[kind];
  const methods = rows.filter((r) => r.role === 'method' && r.metrics);
  const markBest = (column: string, score: (r: StudyRow<string>) => number | null) =>
    bestOf(methods.map(score)).forEach((isBest, i) => {
      if (isBest) methods[i]!.best.push(column);
    });
  for (const m of columns) markBest(m, (r) => bestScore(rules[m]!.best, r.metrics![m]!));
  if (kind === 'classifier') markBest('avgGap', (r) => r.avgGap);
  markBest('rte', (r) => r.rte?.mean ?? null);
}
