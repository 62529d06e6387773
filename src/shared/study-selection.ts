/**
 * Reading a study table the way the papers report it: each method's best grid point by
 * Avg. Gap (a choice that looks at Retrain, said in the table), and paired comparisons
 * of two methods' Avg. Gap seed by seed with a bootstrap interval.
 */
import { pairedBootstrap, type BootstrapOptions } from './bootstrap.js';
import type { StudyComparison, StudyRow, StudyTable } from './study-config.js';
import { markBestColumns } from './study-statistics.js';

/** Said under a table whose rows were chosen by Avg. Gap. */
export const SELECTION_NOTE = "Each method's row is its grid point with the lowest Avg. Gap; this selection uses Retrain, as the papers' hyper-parameter choice does. study show without --best lists every grid point.";

/** The method rows of an entry (its grid points), or the row of that exact label. */
function rowsOf(table: StudyTable, label: string): StudyRow[] {
  const exact = table.rows.filter((r) => r.label === label);
  return exact.length > 0 ? exact : table.rows.filter((r) => r.role === 'method' && r.entry === label);
}

/** The row with the lowest Avg. Gap among rows (unknown gaps last); undefined for none. */
function lowestAvgGap(rows: StudyRow[]): StudyRow | undefined {
  const score = (r: StudyRow) => r.avgGap ?? Number.POSITIVE_INFINITY;
  return rows.reduce<StudyRow | undefined>((best, r) => (best === undefined || score(r) < score(best) ? r : best), undefined);
}

/** The table with one row per study-file entry: its grid point with the lowest Avg. Gap. */
export function bestGridPoints(table: StudyTable): StudyTable {
  const chosen = new Map<string, StudyRow>();
  for (const row of table.rows) {
    if (row.role !== 'method') continue;
    const current = chosen.get(row.entry);
    if (!current || lowestAvgGap([current, row]) !== current) chosen.set(row.entry, row);
  }
  const rows = table.rows.filter((r) => r.role !== 'method' || chosen.get(r.entry) === r).map((r) => ({ ...r, best: [] }));
  markBestColumns('classifier', rows);
  return { ...table, rows, selection: 'best-avg-gap' };
}

/** Each seed's Avg. Gap of a row (the mean over its runs of that seed, e.g. over a learning-rate sweep). */
function avgGapBySeed(row: StudyRow): Map<number, number> {
  const bySeed = new Map<number, number[]>();
  for (const run of row.runs) {
    if (run.seed === null || run.avgGap === null) continue;
    bySeed.set(run.seed, [...(bySeed.get(run.seed) ?? []), run.avgGap]);
  }
  return new Map([...bySeed].map(([seed, gaps]) => [seed, gaps.reduce((s, g) => s + g, 0) / gaps.length]));
}

/** Compares the rows of each pair seed by seed; a label naming an entry with a grid means its best grid point. */
export function compareRows(table: StudyTable, pairs: readonly (readonly [string, string])[], options: BootstrapOptions = {}): StudyComparison[] {
  return pairs.map(([a, b]) => {
    const [rowA, rowB] = [lowestAvgGap(rowsOf(table, a)), lowestAvgGap(rowsOf(table, b))];
    const [gapsA, gapsB] = [rowA ? avgGapBySeed(rowA) : new Map<number, number>(), rowB ? avgGapBySeed(rowB) : new Map<number, number>()];
    const seeds = [...gapsA.keys()].filter((seed) => gapsB.has(seed)).sort((x, y) => x - y);
    const difference = seeds.length > 0 ? pairedBootstrap(seeds.map((s) => gapsA.get(s)!), seeds.map((s) => gapsB.get(s)!), options) : null;
    return { a, b, rowA: rowA?.label ?? null, rowB: rowB?.label ?? null, seeds, difference };
  });
}
