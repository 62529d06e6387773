import { describe, expect, it } from 'vitest';
import { miaEfficacy, miaFeature } from '../src/main/engine/evaluation/mia.js';
import { dominates, hypervolume, paretoFront } from '../src/main/engine/evaluation/pareto.js';
import { averageGap, bestOf, gapsToRetrain, gapToRetrain, meanStd } from '../src/shared/study-statistics.js';
import { Random } from '../src/main/engine/random.js';
import { paretoAnalysis, type ParetoRun } from '../src/main/app/study-table.js';

describe('MIA features match the spec worked example p = (0.7, 0.2, 0.1)', () => {
  const p = [0.7, 0.2, 0.1];
  it('y = 0 and y = 1', () => {
    expect(miaFeature('confidence', p, 0)).toEqual([0.7]);
    expect(miaFeature('entropy', p, 0)[0]).toBeCloseTo(0.8018185525, 10);
    expect(miaFeature('m_entropy', p, 0)[0]).toBeCloseTo(0.162167245, 9);
    expect(miaFeature('confidence', p, 1)).toEqual([0.2]);
    expect(miaFeature('m_entropy', p, 1)[0]).toBeCloseTo(2.1408673445, 9);
    expect(miaFeature('correctness', p, 0)).toEqual([1]);
    expect(miaFeature('correctness', p, 1)).toEqual([0]);
    expect(miaFeature('prob', p, 2)).toEqual(p);
    expect(miaFeature('entropy', [1, 0, 0], 0)).toEqual([0]);
  });

  it('MIA-efficacy follows the protocol: members are the first |test| retain samples', () => {
    const rows = (confidences: number[]) => ({ probabilities: confidences.flatMap((c) => [c, 1 - c]), labels: confidences.map(() => 0), classes: 2 });
    const retain = rows([0.99, 0.95, 0.9, 0.97, 0.999, 0.85, 0.1, 0.1]); // the last two are beyond |test| and unused
    const test = rows([0.3, 0.6, 0.8, 0.45, 0.1, 0.92]);
    const forget = rows([0.98, 0.5, 0.88, 0.2]);
    expect(miaEfficacy('confidence', retain, test, forget)).toBe(0.5);
  });
});

describe('Pareto front and hypervolume', () => {
  it('finds the non-dominated runs of a hand-made study', () => {
    // (forget-quality gap, test error) per run.
    const runs = [[1, 5], [2, 3], [3, 3], [4, 1], [2.5, 4], [5, 5]];
    expect(paretoFront(runs)).toEqual([0, 1, 3]);
    expect(dominates([2, 3], [3, 3])).toBe(true);
    expect(dominates([2, 3], [2, 3])).toBe(false);
    // Staircase against (6, 6): (6-1)(6-5) + (6-2)(5-3) + (6-4)(3-1) = 5 + 8 + 4.
    expect(hypervolume(runs, [6, 6])).toBeCloseTo(17, 12);
  });

  function bruteForce(points: number[][], reference: number[], cells: number): number {
    const dims = reference.length;
    const lo = reference.map((_, k) => Math.min(...points.map((p) => p[k]!)));
    const step = reference.map((r, k) => (r - lo[k]!) / cells);
    let count = 0;
    const idx = new Array(dims).fill(0);
    const total = cells ** dims;
    for (let n = 0; n < total; n++) {
      let rest = n;
      for (let k = 0; k < dims; k++) {
        idx[k] = rest % cells;
        rest = Math.floor(rest / cells);
      }
      const centre = idx.map((v, k) => lo[k]! + (v + 0.5) * step[k]!);
      if (points.some((p) => p.every((v, k) => v <= centre[k]!))) count += 1;
    }
    return count * step.reduce((a, b) => a * b, 1);
  }

  it('agrees with brute force in 2-D and 3-D', () => {
    const random = new Random(9);
    for (const dims of [2, 3]) {
      for (let trial = 0; trial < 4; trial++) {
        const points = Array.from({ length: 8 }, () => Array.from({ length: dims }, () => Math.round(random.next() * 20) / 20));
        const reference = new Array(dims).fill(1.1);
        const exact = hypervolume(points, reference);
        const approx = bruteForce(points, reference, dims === 2 ? 400 : 80);
        expect(Math.abs(exact - approx)).toBeLessThan(dims === 2 ? 5e-3 : 2e-2);
      }
    }
  });
});

describe('Pareto over a study: gaps minimised, accuracies maximised, the default reference point', () => {
  const retrain = { UA: 5, RA: 100, TA: 94, MIA: 12 };
  const run = (label: string, metrics: Record<string, number>, seconds: number | null = 1): ParetoRun => ({
    label,
    repeat: { runId: `run-${label}`, seed: 1, lr: null, metrics, seconds },
  });

  it('UA gap x TA: the hand-computed front and staircase area', () => {
    // (UA gap, -TA): E (0, -85), A (1, -90), B (3, -93), D (5, -94) form the front; C (3, -91)
    // is dominated by B although its UA lies below Retrain's, F (4, -92) by B too.
    const runs = [
      run('A', { UA: 6, TA: 90 }),
      run('B', { UA: 8, TA: 93 }),
      run('C', { UA: 2, TA: 91 }),
      run('D', { UA: 10, TA: 94 }),
      run('E', { UA: 5, TA: 85 }),
      run('F', { UA: 9, TA: 92 }),
    ].map((r) => ({ ...r, repeat: { ...r.repeat, metrics: { RA: 99, MIA: 12, ...r.repeat.metrics } } }));
    const analysis = paretoAnalysis('hand-made', runs, retrain, { study: 'hand-made', objectives: ['UA_gap', 'TA'] });
    expect(analysis.points.map((p) => p.values)).toEqual([[1, -90], [3, -93], [3, -91], [5, -94], [0, -85], [4, -92]]);
    expect(analysis.points.filter((p) => !p.dominated).map((p) => p.label)).toEqual(['A', 'B', 'D', 'E']);
    // Worst value plus a tenth of the range: 5 + 0.5 and -85 + 0.9.
    expect(analysis.reference[0]).toBeCloseTo(5.5, 12);
    expect(analysis.reference[1]).toBeCloseTo(-84.1, 12);
    // 5.5 x 0.9 + 4.5 x 5 + 2.5 x 3 + 0.5 x 1.
    expect(analysis.hypervolume).toBeCloseTo(4.95 + 22.5 + 7.5 + 0.5, 10);
    expect(paretoAnalysis('hand-made', runs, retrain, { study: 'hand-made', objectives: ['UA_gap', 'TA'], reference: [6, -80] }).hypervolume).toBeCloseTo(
      6 * 5 + 5 * 5 + 3 * 3 + 1 * 1,
      10,
    );
  });

  it('Avg. Gap x RA x RTE: the hand-computed front and the volume of the union of boxes', () => {
    const runs = [
      run('P', { UA: 6, RA: 99, TA: 93, MIA: 13 }, 10), // gaps 1, 1, 1, 1: Avg. Gap 1
      run('Q', { UA: 3, RA: 100, TA: 90, MIA: 10 }, 5), // gaps 2, 0, 4, 2: Avg. Gap 2
      run('R', { UA: 8, RA: 98, TA: 91, MIA: 16 }, 20), // gaps 3, 2, 3, 4: Avg. Gap 3, dominated by P
    ];
    const analysis = paretoAnalysis('hand-made', runs, retrain, { study: 'hand-made', objectives: ['avg_gap', 'RA', 'RTE'] });
    expect(analysis.points.map((p) => p.values)).toEqual([[1, -99, 10], [2, -100, 5], [3, -98, 20]]);
    expect(analysis.points.map((p) => p.dominated)).toEqual([false, false, true]);
    [3.2, -97.8, 21.5].forEach((v, k) => expect(analysis.reference[k]).toBeCloseTo(v, 12));
    // Box P 2.2 x 1.2 x 11.5 + box Q 1.2 x 2.2 x 16.5 - their overlap from (2, -99, 10): 1.2 x 1.2 x 11.5.
    expect(analysis.hypervolume).toBeCloseTo(30.36 + 43.56 - 16.56, 10);
  });

  it('a reference point one coordinate short, or a study without method runs, is refused', () => {
    expect(() => paretoAnalysis('s', [run('A', retrain)], retrain, { study: 's', objectives: ['UA_gap', 'TA'], reference: [1] })).toThrow(
      /the reference point has 1 coordinates for 2 objectives/,
    );
    expect(() => paretoAnalysis('s', [], retrain, { study: 's', objectives: ['UA_gap', 'TA'] })).toThrow(/study 's' has no evaluated method runs yet/);
  });
});

describe('the headline numbers (one definition for the table, the Pareto analysis and the formats)', () => {
  it('mean +- sample std', () => {
    const s = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(meanStd([3]).std).toBe(0);
    expect(meanStd([]).mean).toBeNaN();
  });

  it('gaps to Retrain are distances on either side, the Avg. Gap their mean', () => {
    expect(gapToRetrain(93, 94)).toBe(1);
    expect(gapToRetrain(95, 94)).toBe(1);
    const retrain = { UA: 5, RA: 100, TA: 94, MIA: 12 };
    expect(gapsToRetrain(retrain, retrain).avgGap).toBe(0);
    const { gaps, avgGap } = gapsToRetrain({ UA: 2, RA: 99, TA: 93, MIA: 20 }, retrain);
    expect(gaps).toEqual({ UA: 3, RA: 1, TA: 1, MIA: 8 });
    expect(avgGap).toBe(3.25);
    expect(averageGap({ UA: 3, RA: 1, TA: 1, MIA: 8 })).toBe(3.25);
    expect(averageGap({ UA: 3, RA: null, TA: 1, MIA: 8 })).toBeNull();
  });

  it('the best of a column is its lowest known value, ties all marked, none among fewer than two', () => {
    expect(bestOf([2.5, 1, 3])).toEqual([false, true, false]);
    expect(bestOf([1, null, 1, 4])).toEqual([true, false, true, false]);
    expect(bestOf([null, 0.5])).toEqual([false, false]);
    expect(bestOf([NaN, 2, 3])).toEqual([false, true, false]);
  });
});
