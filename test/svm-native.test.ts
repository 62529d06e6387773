/**
 * The SVM's C++ port (native/src/svm.cc) against its TypeScript reference (svm.ts): the
 * same alphas, bias and decision values to the bit, and V8's Math.exp reproduced exactly.
 * Where the addon is not built these tests are skipped, except where it is required.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { trainSvm, type SvmModel, type SvmOptions } from '../src/main/engine/evaluation/svm.js';
import { loadNativeAddon } from '../src/main/engine/kernels/native-addon.js';
import { Random } from '../src/main/engine/random.js';
import { requirement } from './requirements.js';

const { addon } = loadNativeAddon();
const nativeSvm = requirement('native', 'the native SVM', typeof addon?.svmSolve === 'function' ? null : 'the native addon is not built or has no SVM');

function withSolver(solver: 'auto' | 'typescript', train: () => SvmModel): SvmModel {
  process.env.LETHE_SVM = solver;
  return train();
}

afterEach(() => {
  delete process.env.LETHE_SVM;
});

/** Bit for bit: Object.is tells -0 from 0 and matches NaN. */
function expectSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let mismatches = 0;
  let first = '';
  for (let k = 0; k < expected.length; k++) {
    if (Object.is(actual[k], expected[k])) continue;
    if (mismatches++ === 0) first = `at ${k}: ${actual[k]} instead of ${expected[k]}`;
  }
  expect(mismatches === 0 ? '' : `${mismatches} differ, first ${first}`, what).toBe('');
}

describe.skipIf(nativeSvm.skip)('native SVM', () => {
  it("computes V8's Math.exp exactly, over the whole range and at every branch's edges", () => {
    const random = new Random(17);
    const bits = new Float64Array(1);
    const words = new Uint32Array(bits.buffer);
    const edges = [0, -0, 1, -1, Infinity, -Infinity, NaN, 2 ** -28, -(2 ** -28), 2 ** -29, 1e-300, -1e-300, 5e-324, -5e-324];
    // |x| = 0.5 ln2 and 1.5 ln2 (branch edges), the overflow and underflow thresholds, the
    // scales 2^-1021 / 2^1024 where the result is scaled twice, each with its neighbours.
    for (const edge of [0.5 * Math.LN2, 1.5 * Math.LN2, 709.782712893384, 745.1332191019411, 708.3964185322641, 707.7032713517042, 709.0895657128241]) {
      for (const sign of [1, -1]) {
        bits[0] = sign * edge;
        for (let step = -3; step <= 3; step++) {
          const at = new Float64Array(1);
          const atWords = new Uint32Array(at.buffer);
          atWords[0] = words[0]! + step;
          atWords[1] = words[1]!;
          edges.push(at[0]!);
        }
      }
    }
    const x = new Float64Array(400_003);
    x.set(edges);
    for (let k = edges.length; k < x.length; k++) {
      const kind = k % 5;
      if (kind === 0) x[k] = -746 + 1457 * random.next(); // everything from underflow to overflow
      else if (kind === 1) x[k] = -(745 - 30 * random.next()); // subnormal results
      else if (kind === 2) x[k] = -20 * random.next(); // the kernel's range
      else if (kind === 3) x[k] = (random.next() - 0.5) * 2 ** (60 * random.next() - 55); // near 0, both signs
      else {
        words[0] = Math.floor(random.next() * 2 ** 32);
        words[1] = Math.floor(random.next() * 2 ** 32);
        x[k] = bits[0]!; // any bit pattern: huge, tiny, NaN payloads
      }
    }
    const out = new Float64Array(x.length);
    addon!.v8Exp(x, out);
    expectSameBits(out, Float64Array.from(x, Math.exp), 'exp');
  });

  it('gives the TypeScript solver’s alphas, bias and decision values to the bit on many random problems', () => {
    const random = new Random(23);
    const softmax = (logits: number[]) => {
      const e = logits.map(Math.exp);
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => Math.fround(v / sum));
    };
    type Problem = { name: string; X: number[][]; options: SvmOptions };
    const problems: Problem[] = [];
    for (const [n, C] of [[60, 3], [301, 0.5], [1500, 3], [2400, 10]] as const) {
      const y = (i: number) => i % 2;
      problems.push(
        // 1-D continuous (entropy-like), 1-D rounded (exact duplicates, some across labels),
        // 10-D softmax rows (the prob attack), binary (correctness): over 1,000 rows the
        // active set is shrunk and rebuilt.
        { name: `1-D n=${n} C=${C}`, X: Array.from({ length: n }, (_, i) => [Math.abs(random.normal() * 0.8 + 0.6 * y(i))]), options: { C } },
        { name: `1-D duplicates n=${n} C=${C}`, X: Array.from({ length: n }, (_, i) => [Math.round((random.normal() * 0.3 + 0.5 + 0.2 * y(i)) * 100) / 100]), options: { C } },
        { name: `10-D n=${n} C=${C}`, X: Array.from({ length: n }, (_, i) => softmax(Array.from({ length: 10 }, (_, c) => random.normal() * 2 + (c === 0 ? 2 * y(i) : 0)))), options: { C } },
        { name: `binary n=${n} C=${C}`, X: Array.from({ length: n }, (_, i) => [random.next() < 0.6 + 0.2 * y(i) ? 1 : 0]), options: { C } },
      );
    }
    // A wide feature (large distances: exponentials that underflow), a tiny kernel cache, a tight tolerance.
    problems.push({ name: 'wide 1-D, gamma 1', X: Array.from({ length: 800 }, (_, i) => [random.normal() * 30 + (i % 2) * 5]), options: { C: 3, gamma: 1 } });
    problems.push({ name: '2-D, two cached rows', X: Array.from({ length: 500 }, (_, i) => [random.normal() + (i % 2), random.normal()]), options: { C: 3, cacheBytes: 1 } });
    problems.push({ name: '2-D, tolerance 1e-6', X: Array.from({ length: 400 }, (_, i) => [random.normal() + (i % 2), random.normal()]), options: { C: 3, tolerance: 1e-6 } });
    for (const { name, X, options } of problems) {
      const labels = X.map((_, i) => i % 2);
      const reference = withSolver('typescript', () => trainSvm(X, labels, options));
      const native = withSolver('auto', () => trainSvm(X, labels, options));
      expect(native.supportVectors.length, name).toBeGreaterThan(0);
      expect(native.supportVectors, name).toEqual(reference.supportVectors);
      expectSameBits(native.coefficients, reference.coefficients, `${name}: coefficients`);
      expectSameBits([native.bias], [reference.bias], `${name}: bias`);
      // Decision values at the training rows and at new points, through the native decision function.
      const queries = [...X.slice(0, 200), ...X.slice(0, 50).map((x) => x.map((v) => v + random.normal() * 0.1))];
      const dims = X[0]!.length;
      const values = new Float64Array(queries.length);
      addon!.svmDecisions(Float64Array.from(native.supportVectors.flat()), Float64Array.from(native.coefficients), dims, native.gamma, -native.bias, Float64Array.from(queries.flat()), values);
      expectSameBits(values, queries.map(reference.decision), `${name}: decision values`);
      expect([...native.predictAll(queries)], name).toEqual(queries.map(reference.predict));
    }
  });

  it('stops a fit once its shared cancel flag is set', () => {
    const random = new Random(2);
    const X = Array.from({ length: 300 }, (_, i) => [random.normal() + (i % 2)]);
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(cancel, 0, 1);
    for (const solver of ['auto', 'typescript'] as const) {
      expect(() => withSolver(solver, () => trainSvm(X, X.map((_, i) => i % 2), { cancel })), solver).toThrow(/cancelled/);
    }
  });
});
