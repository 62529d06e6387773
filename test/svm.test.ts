import { describe, expect, it } from 'vitest';
import { trainSvm } from '../src/main/engine/evaluation/svm.js';
import { Random } from '../src/main/engine/random.js';
import { referenceSvm } from './reference-svm.js';

/**
 * Dual optimality of the original problem, duplicates included: with a distinct point's
 * alphas summed over its copies, margin >= 1 where the sum is 0, = 1 strictly inside
 * (0, C x copies), <= 1 at C x copies.
 */
function expectKkt(X: number[][], y: number[], svm: ReturnType<typeof trainSvm>, C: number, eps: number): void {
  expect(Math.abs(svm.coefficients.reduce((a, b) => a + b, 0))).toBeLessThan(1e-8);
  const key = (x: number[], label: number) => `${label}:${x.join(',')}`;
  const copies = new Map<string, number>();
  X.forEach((x, i) => copies.set(key(x, y[i]!), (copies.get(key(x, y[i]!)) ?? 0) + 1));
  const alphaSum = new Map(svm.supportVectors.map((v, k) => [key(v, svm.coefficients[k]! > 0 ? 1 : 0), Math.abs(svm.coefficients[k]!)]));
  X.forEach((x, i) => {
    const box = C * copies.get(key(x, y[i]!))!;
    const a = alphaSum.get(key(x, y[i]!)) ?? 0;
    expect(a).toBeLessThanOrEqual(box + 1e-9);
    const margin = (y[i] === 1 ? 1 : -1) * svm.decision(x);
    if (a === 0) expect(margin).toBeGreaterThan(1 - eps);
    else if (a < box - 1e-9) expect(Math.abs(margin - 1)).toBeLessThan(eps);
    else expect(margin).toBeLessThan(1 + eps);
  });
}

describe('RBF SVM (the MIA attack classifier)', () => {
  it("reproduces the spec's end-to-end check: C = 3, gamma = 1, confidence feature", () => {
    const members = [0.99, 0.95, 0.9, 0.97, 0.999, 0.85];
    const nonMembers = [0.3, 0.6, 0.8, 0.45, 0.1, 0.92];
    const svm = trainSvm([...members, ...nonMembers].map((v) => [v]), [...members.map(() => 1), ...nonMembers.map(() => 0)], { C: 3, gamma: 1 });
    const forget = [0.98, 0.5, 0.88, 0.2];
    expect(forget.map((v) => svm.predict([v]))).toEqual([1, 0, 1, 0]);
    const efficacy = forget.filter((v) => svm.predict([v]) === 0).length / forget.length;
    expect(efficacy).toBe(0.5);
    [1.035146, -0.835231, 0.663712, -1.567164].forEach((d, k) => expect(Math.abs(svm.decision([forget[k]!]) - d)).toBeLessThan(1e-3));
  });

  it('gives the same model with a kernel cache of two rows as with all rows cached', () => {
    const random = new Random(5);
    const X = Array.from({ length: 80 }, (_, i) => [random.normal() + (i % 2), random.normal()]);
    const y = X.map((_, i) => i % 2);
    const full = trainSvm(X, y, { C: 3 });
    const tiny = trainSvm(X, y, { C: 3, cacheBytes: 1 });
    expect(tiny.bias).toBeCloseTo(full.bias, 12);
    expect(tiny.coefficients).toEqual(full.coefficients);
  });

  it('solves the original problem when rows repeat (merged into weighted rows) and when shrinking is active', () => {
    const random = new Random(11);
    // 2,400 overlapping 1-D points rounded to two decimals: many exact duplicates, and over
    // 1,000 rows so the active set is shrunk and later rebuilt.
    const X = Array.from({ length: 2400 }, (_, i) => [Math.round((random.normal() * 0.5 + (i % 2) * 0.8) * 100) / 100]);
    const y = X.map((_, i) => i % 2);
    // KKT to 1e-4 needs the solver's stopping tolerance below it (its default, 1e-3, is sklearn's).
    const svm = trainSvm(X, y, { C: 3, tolerance: 1e-5 });
    expect(svm.supportVectors.length).toBeLessThan(new Set(X.map((x, i) => `${y[i]}:${x[0]}`)).size + 1);
    expectKkt(X, y, svm, 3, 1e-4);
    // Binary features (the correctness attack) reduce to four weighted rows.
    const bits = X.map((x) => [x[0]! > 0.4 ? 1 : 0]);
    const small = trainSvm(bits, y, { C: 3, tolerance: 1e-6 });
    expect(small.supportVectors.length).toBeLessThanOrEqual(4);
    expectKkt(bits, y, small, 3, 1e-5);
  });

  it('satisfies the dual optimality conditions on random data (as a libsvm-style solver must)', () => {
    const random = new Random(3);
    for (let trial = 0; trial < 5; trial++) {
      const X = Array.from({ length: 60 }, (_, i) => [random.normal() + (i % 2 ? 1 : -1), random.normal()]);
      const y = X.map((_, i) => i % 2);
      const svm = trainSvm(X, y, { C: 3, tolerance: 1e-6 });
      // sum alpha_i y_i = 0 and 0 <= alpha <= C.
      expect(Math.abs(svm.coefficients.reduce((a, b) => a + b, 0))).toBeLessThan(1e-9);
      for (const c of svm.coefficients) expect(Math.abs(c)).toBeLessThanOrEqual(3 + 1e-12);
      // KKT: y f(x) >= 1 - eps where alpha = 0, = 1 where 0 < alpha < C, <= 1 where alpha = C.
      const alphaOf = new Map(svm.supportVectors.map((v, k) => [v, Math.abs(svm.coefficients[k]!)]));
      X.forEach((x, i) => {
        const margin = (y[i] === 1 ? 1 : -1) * svm.decision(x);
        const a = alphaOf.get(x) ?? 0;
        if (a === 0) expect(margin).toBeGreaterThan(1 - 1e-3);
        else if (a < 3 - 1e-9) expect(Math.abs(margin - 1)).toBeLessThan(1e-3);
        else expect(margin).toBeLessThan(1 + 1e-3);
      });
    }
  });

  it('puts every iterate where the direct solver does: the same model to the bit, shrinking and merged duplicates included', () => {
    const random = new Random(7);
    const softmax = (logits: number[]) => {
      const e = logits.map(Math.exp);
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => Math.fround(v / sum));
    };
    // Over 1,000 rows, so the active set is shrunk and rebuilt: 1-D with exact duplicates (the
    // confidence attack), 10-D softmax rows (the prob attack) and binary rows (correctness).
    const y = Array.from({ length: 2400 }, (_, i) => i % 2);
    const problems = {
      confidence: y.map((label) => [Math.round(Math.min(1, Math.abs(random.normal() * 0.3 + 0.5 + 0.2 * label)) * 1000) / 1000]),
      prob: y.slice(0, 1200).map((label) => softmax(Array.from({ length: 10 }, (_, c) => random.normal() + (c === 0 ? 2 * label : 0)))),
      correctness: y.map((label) => [random.next() < 0.6 + 0.2 * label ? 1 : 0]),
    };
    for (const [name, X] of Object.entries(problems)) {
      const labels = y.slice(0, X.length);
      const fast = trainSvm(X, labels, { C: 3 });
      const direct = referenceSvm(X, labels, { C: 3 });
      expect(fast.supportVectors.length, name).toBeGreaterThan(0);
      expect(fast.supportVectors, name).toEqual(direct.supportVectors);
      expect(fast.coefficients, name).toEqual(direct.coefficients);
      expect(fast.bias, name).toBe(direct.bias);
      for (const x of X.slice(0, 300)) expect(fast.decision(x), name).toBe(direct.decision(x));
    }
  });
});

