/** Summary statistics for a study table: mean +- sample std, gaps to Retrain. */

export function meanStd(values: number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

export const GAP_METRICS = ['UA', 'RA', 'TA', 'MIA'] as const;
export type GapMetric = (typeof GAP_METRICS)[number];

/** Per-metric |metric - Retrain's| in percentage points and their mean, the Avg. Gap. */
export function gapToRetrain(run: Record<GapMetric, number>, retrain: Record<GapMetric, number>): { gaps: Record<GapMetric, number>; average: number } {
  const gaps = Object.fromEntries(GAP_METRICS.map((m) => [m, Math.abs(run[m] - retrain[m])])) as Record<GapMetric, number>;
  return { gaps, average: GAP_METRICS.reduce((s, m) => s + gaps[m], 0) / GAP_METRICS.length };
}
