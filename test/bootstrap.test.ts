import { describe, expect, it } from 'vitest';
import { pairedBootstrap } from '../src/shared/bootstrap.js';
import { STUDY_METRICS, type StudyRow, type StudyRun, type StudyTable } from '../src/shared/study-config.js';
import { formatStudyTable } from '../src/shared/study-format.js';
import { bestGridPoints, compareRows, SELECTION_NOTE } from '../src/shared/study-selection.js';

describe('paired bootstrap interval', () => {
  // Differences (0, 0, 3): a resample of three holds k threes, k ~ Binomial(3, 1/3), so its
  // mean k is 0, 1, 2, 3 with probabilities 8, 12, 6, 1 over 27; the distribution function
  // is 0.296, 0.741, 0.963, 1. The 90% interval's ends are the 5% and 95% points: 0 and 2;
  // the 95% interval's upper end, the 97.5% point, is 3.
  const a = [10, 20, 33];
  const b = [10, 20, 30];

  it('reads the percentile interval of a hand-checkable sample', () => {
    expect(pairedBootstrap(a, b, { confidence: 0.9, resamples: 20_000, seed: 4 })).toEqual({ mean: 1, low: 0, high: 2, n: 3, confidence: 0.9, resamples: 20_000 });
    expect(pairedBootstrap(a, b, { confidence: 0.95, resamples: 20_000, seed: 4 })).toMatchObject({ mean: 1, low: 0, high: 3 });
    // The sign follows A - B.
    expect(pairedBootstrap(b, a, { confidence: 0.9, resamples: 20_000, seed: 4 })).toMatchObject({ mean: -1, low: -2, high: 0 });
  });

  it('resamples the pairs, not each side on its own: a constant difference has no spread', () => {
    // Unpaired resampling of these wildly varying values would give a wide interval.
    expect(pairedBootstrap([5, 50, 500, 5000], [3, 48, 498, 4998])).toMatchObject({ mean: 2, low: 2, high: 2 });
  });

  it('is reproducible for a seed and refuses what it cannot compute', () => {
    const x = [1.2, 3.4, 0.7, 2.2, 5.1];
    const y = [1.0, 2.9, 1.1, 1.5, 4.0];
    expect(pairedBootstrap(x, y, { seed: 7 })).toEqual(pairedBootstrap(x, y, { seed: 7 }));
    expect(() => pairedBootstrap([1, 2], [1])).toThrow(/equal lengths, got 2 and 1/);
    expect(() => pairedBootstrap([], [])).toThrow(/at least one pair/);
    expect(() => pairedBootstrap([1], [2], { confidence: 1 })).toThrow(/confidence must be in \(0, 1\)/);
  });
});

/** A study table built by hand: each method run's Avg. Gap is given per seed. */
function table(): StudyTable {
  const run = (seed: number, avgGap: number): StudyRun => ({
    runId: `r${seed}-${avgGap}`,
    evaluationId: `e${seed}-${avgGap}`,
    seed,
    lr: null,
    metrics: { UA: { value: 0, gap: avgGap }, RA: { value: 0, gap: avgGap }, TA: { value: 0, gap: avgGap }, MIA: { value: 0, gap: avgGap } },
    avgGap,
    seconds: 1,
  });
  const row = (label: string, entry: string, role: StudyRow['role'], gaps: number[], rte = 1): StudyRow => {
    const avgGap = role === 'method' ? gaps.reduce((s, g) => s + g, 0) / gaps.length : 0;
    const cell = { mean: 0, std: 0, gap: avgGap };
    return {
      label,
      entry,
      role,
      method: role === 'method' ? entry.toLowerCase() : null,
      aggregator: null,
      repeats: gaps.length,
      planned: gaps.length,
      metrics: { UA: cell, RA: cell, TA: cell, MIA: cell },
      avgGap,
      rte: { mean: rte, std: 0 },
      boundary: null,
      pgd: null,
      relearnSteps: null,
      best: [],
      runs: gaps.map((g, i) => run(i + 1, g)),
    };
  };
  return {
    kind: 'classifier',
    study: 's',
    columns: STUDY_METRICS,
    dataset: 'mnist',
    model: 'cnn',
    forgetSet: null,
    backend: null,
    rows: [
      row('Original', 'Original', 'original', [0]),
      row('Retrain', 'Retrain', 'retrain', [0]),
      row('GA (lr 0.001)', 'GA', 'method', [6, 8, 7], 1),
      row('GA (lr 0.01)', 'GA', 'method', [4, 5, 3], 2),
      row('RAUL', 'RAUL', 'method', [2, 3, 4], 3),
    ],
  };
}

describe('reading a study as the papers do', () => {
  it("keeps each entry's grid point with the lowest Avg. Gap, marks the best columns again, and says the selection uses Retrain", () => {
    const best = bestGridPoints(table());
    expect(best.rows.map((r) => r.label)).toEqual(['Original', 'Retrain', 'GA (lr 0.01)', 'RAUL']);
    expect(best.selection).toBe('best-avg-gap');
    // Among the two chosen rows RAUL has the lower gaps and GA (lr 0.01) the lower run time.
    expect(best.rows[2]!.best).toEqual(['rte']);
    expect(best.rows[3]!.best).toEqual(['UA', 'RA', 'TA', 'MIA', 'avgGap']);
    for (const format of ['text', 'markdown', 'latex'] as const) expect(formatStudyTable(best, format), format).toContain('this selection uses Retrain');
    expect(formatStudyTable(table(), 'text')).not.toContain(SELECTION_NOTE);
  });

  it('compares two rows seed by seed; an entry with a grid stands for its best point', () => {
    const [comparison] = compareRows(table(), [['RAUL', 'GA']], { confidence: 0.9, resamples: 20_000, seed: 4 });
    // RAUL - GA (lr 0.01) per seed: 2 - 4, 3 - 5, 4 - 3 = (-2, -2, 1): the (0, 0, 3) case shifted by -2.
    expect(comparison).toEqual({ a: 'RAUL', b: 'GA', rowA: 'RAUL', rowB: 'GA (lr 0.01)', seeds: [1, 2, 3], difference: { mean: -1, low: -2, high: 0, n: 3, confidence: 0.9, resamples: 20_000 } });
    const markdown = formatStudyTable({ ...table(), comparisons: [comparison!] }, 'markdown');
    expect(markdown).toContain('| RAUL | GA (lr 0.01) | 3 | -1.00 | [-2.00, +0.00] |');
    expect(markdown).toContain('90% percentile bootstrap interval (20000 resamples)');
    // A label with no runs has no difference.
    const [missing] = compareRows(table(), [['RAUL', 'FT']]);
    expect(missing).toMatchObject({ rowB: null, seeds: [], difference: null });
  });
});
