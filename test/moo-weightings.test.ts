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

/** torchjd's MGDAWeighting.forward (src/torchjd/aggregation/_mgda.py), transcribed statement by statement. */
function torchjdMgdaWeighting(gramian: number[][], epsilon = 0.001, maxIters = 100): number[] {
  const n = gramian.length;
  const matVec = (v: number[]) => gramian.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
  const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
  let alpha = new Array<number>(n).fill(1 / n);
  for (let iteration = 0; iteration < maxIters; iteration++) {
    const gAlpha = matVec(alpha);
    const t = gAlpha.indexOf(Math.min(...gAlpha)); // torch.argmin: the first minimum
    const eT = Array.from({ length: n }, (_, i) => (i === t ? 1 : 0));
    const a = dot(alpha, matVec(eT));
    const b = dot(alpha, matVec(alpha));
    const c = dot(eT, matVec(eT));
    let gamma: number;
    if (c <= a) gamma = 1;
    else if (b <= a) gamma = 0;
    else gamma = (b - a) / (b + c - 2 * a);
    alpha = alpha.map((v, i) => (1 - gamma) * v + gamma * eT[i]!);
    if (gamma < epsilon) break;
  }
  return alpha;
}

/** Rows of a row-major m x m matrix. */
const rowsOf = (g: Float64Array, m: number) => Array.from({ length: m }, (_, i) => Array.from(g.subarray(i * m, (i + 1) * m)));

/**
 * The minimum-norm point by brute force over supports: for every non-empty S, the
 * stationary point of w^T G w on {sum w = 1, w_i = 0 off S} (Gauss-Jordan on the KKT
 * system), kept when it satisfies all the KKT conditions; the best of those.
 */
function minNormByKktEnumeration(g: Float64Array, m: number): { weights: number[]; value: number } {
  let best = { weights: [] as number[], value: Infinity };
  for (let mask = 1; mask < 1 << m; mask++) {
    const support = Array.from({ length: m }, (_, i) => i).filter((i) => mask & (1 << i));
    const k = support.length;
    // [G_SS 1; 1^T 0] [w; -lambda] = [0; 1]
    const a = support.map((i) => [...support.map((j) => g[i * m + j]!), 1, 0]);
    a.push([...new Array<number>(k).fill(1), 0, 1]);
    let singular = false;
    for (let col = 0; col <= k && !singular; col++) {
      const pivot = a.slice(col).reduce((p, row, r) => (Math.abs(row[col]!) > Math.abs(a[p]![col]!) ? r + col : p), col);
      if (Math.abs(a[pivot]![col]!) < 1e-13) singular = true;
      else {
        [a[col], a[pivot]] = [a[pivot]!, a[col]!];
        const p = a[col]![col]!;
        a[col] = a[col]!.map((x) => x / p);
        a.forEach((row, r) => {
          if (r !== col) a[r] = row.map((x, c) => x - row[col]! * a[col]![c]!);
        });
      }
    }
    if (singular) continue;
    const w = new Array<number>(m).fill(0);
    support.forEach((i, r) => (w[i] = a[r]![k + 1]!));
    const gw = Array.from({ length: m }, (_, i) => w.reduce((s, v, j) => s + g[i * m + j]! * v, 0));
    const value = w.reduce((s, v, i) => s + v * gw[i]!, 0);
    const scale = Math.max(...Array.from({ length: m }, (_, i) => g[i * m + i]!));
    if (w.some((v) => v < -1e-12) || gw.some((v) => v < value - 1e-12 * scale)) continue;
    if (value < best.value) best = { weights: w, value };
  }
  return best;
}

describe('MGDA against independent references', () => {
  const random = new Random(2024, 'mgda-references');
  const cases = Array.from({ length: 24 }, (_, k) => {
    const m = 2 + (k % 6);
    // Every third case rank-deficient (fewer parameters than objectives), a spread of scales.
    const n = k % 3 === 2 ? Math.max(1, m - 1) : m + 3;
    const g = randomGramian(random, m, n).map((v) => v * 10 ** ((k % 5) - 2));
    return { m, g };
  });

  it("Frank-Wolfe is torchjd's MGDAWeighting: same weights on 24 random Gramians, m = 2..7", () => {
    for (const { m, g } of cases) {
      const want = torchjdMgdaWeighting(rowsOf(g, m));
      const got = mgda({ solver: 'frank-wolfe' })(g, m);
      const size = Math.max(...want.map(Math.abs));
      want.forEach((v, i) => expect(Math.abs(got[i]! - v) / size, `m=${m} component ${i}`).toBeLessThanOrEqual(1e-9));
    }
    // The stopping rule is torchjd's (gamma < epsilon) with its parameters too.
    const { m, g } = cases[3]!;
    for (const [epsilon, maxIters] of [[0.1, 100], [1e-6, 5], [1e-6, 1000]] as const) {
      const want = torchjdMgdaWeighting(rowsOf(g, m), epsilon, maxIters);
      expectClose(mgda({ solver: 'frank-wolfe', epsilon, maxIterations: maxIters })(g, m), want, 1e-12);
    }
  });

  it('the exact solver finds the minimum-norm point of a support enumeration to 1e-10', () => {
    cases.forEach(({ m, g }, k) => {
      const reference = minNormByKktEnumeration(g, m);
      const w = mgda()(g, m);
      const gw = multiply(g, m, w);
      const value = w.reduce((s, v, i) => s + v * gw[i]!, 0);
      const scale = Math.max(...Array.from({ length: m }, (_, i) => g[i * m + i]!));
      expect(Math.abs(w.reduce((s, v) => s + v, 0) - 1)).toBeLessThanOrEqual(1e-14);
      for (const v of w) expect(v).toBeGreaterThanOrEqual(0);
      expect(Math.abs(value - reference.value) / scale, `m=${m}`).toBeLessThanOrEqual(1e-10);
      // KKT: every (G w)_i is at least w^T G w, with equality where the weight is positive.
      gw.forEach((v, i) => expect((v - value) / scale, `m=${m} objective ${i}`).toBeGreaterThanOrEqual(-1e-10));
      gw.forEach((v, i) => w[i]! > 0 && expect(Math.abs(v - value) / scale).toBeLessThanOrEqual(1e-10));
      // With linearly independent gradients the weights are unique too.
      if (k % 3 !== 2) expectClose(w, reference.weights, 1e-10);
    });
  });
});

describe('projection onto the dual cone', () => {
  it('for two objectives the closed form is the exact KKT point, where iterating converges slowly', () => {
    const random = new Random(11, 'dual-cone-two');
    for (let trial = 0; trial < 300; trial++) {
      // Some pairs nearly parallel (cosine up to 1 - 1e-8), where Gauss-Seidel crawls.
      const angle = trial % 3 === 0 ? 10 ** -(1 + random.int(8)) : random.next() * Math.PI;
      const [r1, r2] = [0.1 + 10 * random.next(), 0.1 + 10 * random.next()];
      const g = gramianOf([[r1, 0], [r2 * Math.cos(angle), r2 * Math.sin(angle)]]);
      const u = [random.next() - (trial % 4 === 0 ? 0.5 : 0), random.next() - (trial % 5 === 0 ? 0.5 : 0)];
      const v = projectOntoDualCone(g, 2, u);
      const gv = multiply(g, 2, v);
      const scale = Math.max(g[0]!, g[3]!) * Math.max(1, Math.abs(v[0]!), Math.abs(v[1]!));
      for (let k = 0; k < 2; k++) {
        expect(v[k]! - u[k]!, `trial ${trial}`).toBeGreaterThanOrEqual(0);
        expect(gv[k]! / scale, `trial ${trial}`).toBeGreaterThanOrEqual(-1e-12);
        expect(Math.abs((v[k]! - u[k]!) * gv[k]!) / scale, `trial ${trial}: complementarity`).toBeLessThanOrEqual(1e-12);
      }
    }
  });

  it('agrees with the general solver on well-conditioned random cases', () => {
    const random = new Random(12, 'dual-cone-general');
    for (let trial = 0; trial < 200; trial++) {
      const g = regularize(normalize(randomGramian(random, 2, 4), 2), 2);
      const u = [random.next(), random.next()];
      // The same QP as three objectives where the third does not interact and sits at its bound.
      const g3 = Float64Array.of(g[0]!, g[1]!, 0, g[2]!, g[3]!, 0, 0, 0, 1);
      const general = projectOntoDualCone(g3, 3, [...u, 0]);
      expectClose(projectOntoDualCone(g, 2, u), [general[0]!, general[1]!], 1e-9);
    }
  });
});
