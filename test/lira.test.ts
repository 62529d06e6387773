import { describe, expect, it } from 'vitest';
import { CHALLENGE_DELTA, challengeEpsilon, epsilonPoints, epsilonResolution, gaussianEpsilon, gaussianNoiseFloor, gaussianPairEpsilon, likelihoodRatioTest, logitConfidence } from '../src/main/engine/evaluation/lira.js';
import { Random } from '../src/shared/random.js';

/** The test's own standard normal distribution function: Simpson's rule on the density. */
function phi(z: number): number {
  if (z > 0) return 1 - phi(-z);
  const [from, steps] = [z - 12, 600];
  const h = (z - from) / steps;
  const density = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
  let sum = density(from) + density(z);
  for (let i = 1; i < steps; i++) sum += (i % 2 ? 4 : 2) * density(from + i * h);
  return (sum * h) / 3;
}

/**
 * Epsilon at delta of N(mu, 1) against N(0, 1) by the challenge's own definition, with
 * exact rates: the largest ln((1 - delta - FNR) / FPR) over thresholds t of the attack
 * "x > t" (for two unit Gaussians the best attacks are single thresholds).
 */
function thresholdEpsilon(mu: number, delta: number): number {
  let best = 0;
  for (let t = 0; t <= 8; t += 0.005) {
    const [fpr, fnr] = [1 - phi(t), phi(t - mu)];
    if (1 - delta - fnr > 0) best = Math.max(best, Math.log(1 - delta - fnr) - Math.log(fpr));
  }
  return best;
}

/** K samples a side for each of `examples` forget examples, members from N(shift, 1), non-members from N(0, 1). */
function samples(k: number, examples: number, shift: number, seed: number): { unlearned: number[][]; retrained: number[][] } {
  const random = new Random(seed, 'lira-test');
  const draw = (mean: number) => Array.from({ length: k }, () => mean + random.normal());
  const unlearned: number[][] = [];
  const retrained: number[][] = [];
  for (let s = 0; s < examples; s++) {
    unlearned.push(draw(shift));
    retrained.push(draw(0));
  }
  return { unlearned, retrained };
}

const epsilonAtOne = thresholdEpsilon(1, CHALLENGE_DELTA);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

describe('the statistic', () => {
  it("is the challenge's logit-scaled confidence", () => {
    expect(logitConfidence([0.7, 0.2, 0.1], 0)).toBeCloseTo(Math.log(0.7 / 0.3), 12);
    expect(logitConfidence([0.7, 0.2, 0.1], 1)).toBeCloseTo(Math.log(0.2 / 0.8), 12);
    // A confidence of exactly 1 stays finite through the 1e-45 guard.
    expect(logitConfidence([1, 0, 0], 0)).toBeCloseTo(-Math.log(1e-45), 6);
  });
});

describe('Gaussian-fit epsilon (U-LiRA)', () => {
  it('between two known unit Gaussians one apart is the best threshold attack\'s epsilon at delta = 1e-5', () => {
    const expected = epsilonAtOne;
    expect(expected).toBeGreaterThan(4.2);
    expect(expected).toBeLessThan(4.5);
    expect(gaussianPairEpsilon(1)).toBeCloseTo(expected, 2);
    expect(gaussianPairEpsilon(0.5)).toBeCloseTo(thresholdEpsilon(0.5, CHALLENGE_DELTA), 2);
  });

  it('recovers that epsilon from samples where membership is known, within 0.25 at 2,000 models a side', () => {
    const { unlearned, retrained } = samples(2000, 20, 1, 3);
    const estimates = unlearned.map((u, s) => gaussianEpsilon(u, retrained[s]!));
    expect(Math.abs(median(estimates) - epsilonAtOne)).toBeLessThan(0.25);
  });

  it('gives epsilon near 0 when members and non-members come from the same distribution, and says how far from 0 small K is', () => {
    const { unlearned, retrained } = samples(2000, 20, 0, 4);
    expect(median(unlearned.map((u, s) => gaussianEpsilon(u, retrained[s]!)))).toBeLessThan(0.15);
    // With K = 8 identical distributions already read as about 1.5: the fitted distance is noise.
    const small = samples(8, 400, 0, 5);
    const floor = gaussianNoiseFloor(8);
    expect(floor).toBeGreaterThan(1.3);
    expect(floor).toBeLessThan(1.8);
    const mean = small.unlearned.map((u, s) => gaussianEpsilon(u, small.retrained[s]!)).reduce((a, b) => a + b, 0) / 400;
    expect(Math.abs(mean - floor)).toBeLessThan(0.4);
  });
});

describe("the challenge's count-based epsilon", () => {
  it('is, for overlapping samples, the best attack by hand: x <= 2 misses one of four either side', () => {
    // Unlearned {0, 1, 2, 3}, retrained {2, 3, 4, 5}: "x <= 2" has FPR = FNR = 1/4, so
    // epsilon = ln(1 - 1e-5 - 1/4) - ln(1/4); every other attack does worse or has a zero rate.
    expect(challengeEpsilon([0, 1, 2, 3], [2, 3, 4, 5])).toBeCloseTo(Math.log(0.75 - 1e-5) - Math.log(0.25), 12);
    // That is also the largest finite value four models a side can show.
    expect(epsilonResolution(4)).toBeCloseTo(Math.log(0.75 - 1e-5) - Math.log(0.25), 12);
    expect(epsilonResolution(8)).toBeCloseTo(Math.log(7 - 8e-5), 12);
  });

  it('is 0 for identical samples and the cap of 50 for separated ones; a double threshold catches a spread', () => {
    expect(challengeEpsilon([1, 2, 3, 4], [1, 2, 3, 4])).toBe(0);
    expect(challengeEpsilon([0, 1], [5, 6])).toBe(50);
    // Retrained inside the unlearned range: no single threshold separates them, the interval (1, 3] does.
    expect(challengeEpsilon([0, 1, 4, 5], [2, 2.5, 3, 2.2])).toBe(50);
    expect(challengeEpsilon([0, 1, 4, 5], [2, 2.5, 3, 0.5])).toBeCloseTo(Math.log(0.75 - 1e-5) - Math.log(0.25), 12);
  });
});

describe('the test over a forget set', () => {
  it('averages the points of each example and scales them by the accuracy ratios', () => {
    expect([0, 0.49, 0.5, 1.2, 50].map(epsilonPoints)).toEqual([1, 1, 0.5, 0.25, 2 ** -100]);
    // Example 0 identical under both (epsilon 0: 1 point), example 1 separated (epsilon 50: ~0 points).
    const unlearned = [new Float64Array([1, 0]), new Float64Array([2, 1]), new Float64Array([3, 2])];
    const retrained = [new Float64Array([1, 10]), new Float64Array([2, 11]), new Float64Array([3, 12])];
    const summary = likelihoodRatioTest(unlearned, retrained, { retainUnlearned: 90, retainRetrained: 100, testUnlearned: 80, testRetrained: 80 });
    expect(summary).toMatchObject({ k: 3, examples: 2, challengeEpsilonMean: 25, challengeEpsilonMedian: 25, resolution: epsilonResolution(3) });
    expect(summary.forgettingQuality).toBeCloseTo(0.5, 12);
    expect(summary.score).toBeCloseTo(0.45, 12);
    expect(() => likelihoodRatioTest(unlearned, retrained.slice(1))).toThrow(/K >= 2 unlearned and as many retrained models, got 3 and 2/);
  });
});
