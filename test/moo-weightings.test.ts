import { describe, expect, it } from 'vitest';
import { gramianOf, multiply, normalize, regularize, projectOntoDualCone, type Weighting } from '../src/main/engine/moo/gramian.js';
import { alignedMtl } from '../src/main/engine/moo/aligned-mtl.js';
import { cagrad } from '../src/main/engine/moo/cagrad.js';
import { dualProj } from '../src/main/engine/moo/dual-proj.js';
import { imtlG } from '../src/main/engine/moo/imtl-g.js';
import { mean } from '../src/main/engine/moo/mean.js';
import { mgda } from '../src/main/engine/moo/mgda.js';
import { pama } from '../src/main/engine/moo/pama.js';
import { pcgrad } from '../src/main/engine/moo/pcgrad.js';
import { AGGREGATORS, createAggregator } from '../src/main/engine/moo/registry.js';
import { upgrad } from '../src/main/engine/moo/upgrad.js';
import { Random } from '../src/main/engine/random.js';

function direction(w: Float64Array, rows: number[][]): number[] {
  return rows[0]!.map((_, k) => rows.reduce((s, r, i) => s + w[i]! * r[k]!, 0));
}

function weights(weighting: Weighting, rows: number[][]): Float64Array {
  return weighting(gramianOf(rows), rows.length);
}

function expectClose(got: ArrayLike<number>, want: number[], tolerance: number): void {
  expect(got.length).toBe(want.length);
  want.forEach((v, i) => expect(Math.abs(got[i]! - v), `component ${i}: ${got[i]} vs ${v}`).toBeLessThanOrEqual(tolerance));
}

/** Exact UPGrad (no normalisation or eps) for the spec's "exact" rows. */
const upgradExact: Weighting = (g, m) => {
  const w = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const u = new Float64Array(m);
    u[i] = 1 / m;
    projectOntoDualCone(g, m, u).forEach((v, k) => (w[k]! += v));
  }
  return w;
};

describe('weightings reproduce the spec vectors: g1 = (1, 0), g2 = (-0.5, 1)', () => {
  const J = [[1, 0], [-0.5, 1]];
  it.each([
    ['mean', mean(), [0.5, 0.5], [0.25, 0.5], 1e-12],
    ['UPGrad exact', upgradExact, [0.75, 0.7], [0.4, 0.7], 1e-9],
    ['UPGrad (torchjd eps)', upgrad(), [0.749944, 0.699964], [0.399962, 0.699964], 1e-6],
    ['DualProj', dualProj(), [0.5, 0.5], [0.25, 0.5], 1e-6],
    ['MGDA', mgda(), [7 / 13, 6 / 13], [4 / 13, 6 / 13], 1e-12],
    ['PCGrad', pcgrad(), [1.5, 1.4], [0.8, 1.4], 1e-12],
    ['IMTL-G', imtlG(), [0.527864, 0.472136], [0.291796, 0.472136], 1e-6],
    ['Aligned-MTL', alignedMtl(), [0.520757, 0.473415], [0.284049, 0.473415], 1e-6],
    ['CAGrad(0.5)', cagrad(0.5), [0.801306, 0.686834], [0.457889, 0.686834], 1e-6],
  ] as const)('%s', (_name, weighting, w, d, tolerance) => {
    const got = weights(weighting, J as unknown as number[][]);
    expectClose(got, [...w], tolerance);
    expectClose(direction(got, J as unknown as number[][]), [...d], tolerance);
  });

  it('UPGrad never increases an objective to first order: J d = (0.4, 0.5)', () => {
    const g = gramianOf(J);
    expectClose(multiply(g, 2, upgradExact(g, 2)), [0.4, 0.5], 1e-9);
  });
});

describe("torchjd's fixture J = [[-4, 1, 1], [6, 1, 1]] (tolerance 1e-4)", () => {
  const J = [[-4, 1, 1], [6, 1, 1]];
  it.each([
    ['UPGrad', upgrad(), [0.2929, 1.9004, 1.9004], [1.1109, 0.7894]],
    ['DualProj', dualProj(), [0.5563, 1.1109, 1.1109], [0.6109, 0.5]],
    ['MGDA', mgda(), [0, 1, 1], [0.6, 0.4]],
    ['PCGrad', pcgrad(), [0.5848, 3.8012, 3.8012], undefined],
    ['IMTL-G', imtlG(), [0.0767, 1, 1], undefined],
    ['Aligned-MTL', alignedMtl(), [0.2133, 0.9673, 0.9673], undefined],
    ['CAGrad(0.5)', cagrad(0.5), [0.1835, 1.2041, 1.2041], undefined],
  ] as const)('%s', (_name, weighting, d, w) => {
    const got = weights(weighting, J);
    expectClose(direction(got, J), [...d], 1e-4);
    if (w) expectClose(got, [...w], 1e-4);
  });
});

describe('three objectives J = [[1, 0, 0], [-0.5, 1, 0], [0, -0.5, 1]]', () => {
  const J = [[1, 0, 0], [-0.5, 1, 0], [0, -0.5, 1]];
  it('UPGrad exact and with eps, DualProj, MGDA', () => {
    const g = gramianOf(J);
    expectClose(upgradExact(g, 3), [0.583333, 0.65873, 0.530159], 1e-6);
    expectClose(direction(upgradExact(g, 3), J), [0.253968, 0.393651, 0.530159], 1e-6);
    expectClose(upgrad()(g, 3), [0.583209, 0.658596, 0.530079], 1e-6);
    expectClose(dualProj()(g, 3), [1 / 3, 1 / 3, 1 / 3], 1e-6);
    expectClose(mgda({ solver: 'frank-wolfe' })(g, 3), [0.345917, 0.376238, 0.277845], 1e-5);
    expectClose(mgda()(g, 3), [0.346535, 0.376238, 0.277228], 1e-5);
  });
});

function randomGramian(random: Random, m: number, n: number, rank = m): Float64Array {
  const basis = Array.from({ length: rank }, () => Array.from({ length: n }, () => random.normal()));
  const rows = Array.from({ length: m }, () => {
    const mix = Array.from({ length: rank }, () => random.normal());
    return basis[0]!.map((_, k) => basis.reduce((s, b, r) => s + mix[r]! * b[k]!, 0));
  });
  return gramianOf(rows);
}

describe('properties on random Gramians', () => {
  const random = new Random(7, 'moo-properties');

  it('UPGrad and DualProj never conflict: (G w)_j >= 0 for every objective', () => {
    for (let trial = 0; trial < 300; trial++) {
      const m = 2 + (trial % 4);
      const g = randomGramian(random, m, 6);
      for (const weighting of [upgrad(), dualProj()]) {
        // The guarantee holds for the regularised, normalised Gramian the QP solves with.
        const gn = regularize(normalize(g, m), m);
        const gw = multiply(gn, m, weighting(g, m));
        for (const v of gw) expect(v).toBeGreaterThanOrEqual(-1e-9);
      }
    }
  });

  it("MGDA's point is the minimum norm of the convex hull (brute force for m = 2 and 3)", () => {
    for (let trial = 0; trial < 40; trial++) {
      const m = 2 + (trial % 2);
      const g = randomGramian(random, m, 5);
      const norm2 = (w: ArrayLike<number>) => Array.from(multiply(g, m, w)).reduce((s, v, i) => s + v * w[i]!, 0);
      let best = Infinity;
      const steps = m === 2 ? 20_000 : 400;
      for (let a = 0; a <= steps; a++)
        for (let b = 0; b <= (m === 2 ? 0 : steps - a); b++) {
          const w = m === 2 ? [a / steps, 1 - a / steps] : [a / steps, b / steps, 1 - (a + b) / steps];
          best = Math.min(best, norm2(w));
        }
      const exact = mgda()(g, m);
      expect(exact.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9);
      for (const v of exact) expect(v).toBeGreaterThanOrEqual(-1e-12);
      expect(norm2(exact)).toBeLessThanOrEqual(best + 1e-7 * Math.max(1, best));
    }
  });

  it('every weighting gives finite weights on a singular or all-zero Gramian', () => {
    const all = { mean: mean(), upgrad: upgrad(), dualProj: dualProj(), mgda: mgda(), pcgrad: pcgrad(), imtlG: imtlG(), alignedMtl: alignedMtl(), cagrad: cagrad(), pama: pama() };
    for (const m of [2, 3, 4]) {
      for (const g of [new Float64Array(m * m), randomGramian(random, m, 5, 1), gramianOf(Array.from({ length: m }, () => [1, 2, 3]))]) {
        for (const [name, weighting] of Object.entries(all)) {
          const w = weighting(g, m);
          expect(w.length, name).toBe(m);
          for (const v of w) expect(Number.isFinite(v), `${name} on m=${m}`).toBe(true);
        }
      }
    }
  });

  it('pama takes the convex combination of directional derivatives nearest zero', () => {
    // g1 = (1, 0), g2 = (-3, 1): along the mean (-1, 0.5) the derivatives are -1 and 3.5.
    const w = pama()(gramianOf([[1, 0], [-3, 1]]), 2);
    expectClose(w, [3.5 / 4.5, 1 / 4.5], 1e-12);
    // Both positive: all weight on the smaller.
    expectClose(pama()(gramianOf([[1, 0], [1, 1]]), 2), [1, 0], 1e-12);
  });
});

describe('aggregator registry', () => {
  it('creates every aggregator by name and refuses unknown names and bad weights', () => {
    const g = gramianOf([[1, 0], [-0.5, 1]]);
    for (const name of Object.keys(AGGREGATORS)) expect(createAggregator(name)(g, 2)).toHaveLength(2);
    expectClose(createAggregator('mean', { weights: [0.2, 0.8] })(g, 2), [0.2, 0.8], 0);
    expect(() => createAggregator('adam')).toThrow(/unknown aggregator 'adam'; available: mean, upgrad, dualproj, mgda, pcgrad, imtlg, cagrad, alignedmtl, pama/);
    expect(() => createAggregator('mean', { weights: [-1, 2] })).toThrow(/weights must be finite and non-negative, got -1, 2/);
    expect(() => createAggregator('upgrad', { weights: [NaN, 1] })).toThrow(/finite and non-negative/);
  });
});
