import { describe, expect, it } from 'vitest';
import { miaEfficacy, miaFeature } from '../src/main/engine/evaluation/mia.js';
import { dominates, hypervolume, paretoFront } from '../src/main/engine/evaluation/pareto.js';
import { gapToRetrain, meanStd } from '../src/main/engine/evaluation/statistics.js';
import { Random } from '../src/main/engine/random.js';

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

describe('statistics', () => {
  it('mean +- sample std and the average gap to Retrain', () => {
    const s = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(meanStd([3]).std).toBe(0);
    const retrain = { UA: 5, RA: 100, TA: 94, MIA: 12 };
    expect(gapToRetrain(retrain, retrain).average).toBe(0);
    const { gaps, average } = gapToRetrain({ UA: 2, RA: 99, TA: 93, MIA: 20 }, retrain);
    expect(gaps).toEqual({ UA: 3, RA: 1, TA: 1, MIA: 8 });
    expect(average).toBe(3.25);
  });
});
