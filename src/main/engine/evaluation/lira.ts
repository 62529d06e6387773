/**
 * A per-example membership test between unlearned and retrained models, in the manner
 * of U-LiRA (Hayes et al., 2024) and the NeurIPS 2023 machine-unlearning challenge.
 * K unlearned and K retrained models give, for each forget example, two samples of its
 * logit-scaled confidence; how well any test tells the two apart bounds how far the
 * unlearning is from Retrain, as an (epsilon, delta) pair. Plain TypeScript on numbers:
 * the models' forward passes happen elsewhere.
 */
import type { LiraSummary } from '../../../shared/study-config.js';

/** The challenge's delta. */
export const CHALLENGE_DELTA = 1e-5;
/** The challenge clips each example's epsilon to [0, 50]. */
const EPSILON_CAP = 50;

/** The challenge's statistic: ln(p_y + 1e-45) - ln(sum_{j != y} p_j + 1e-45), from one row of softmax probabilities. */
export function logitConfidence(probabilities: ArrayLike<number>, label: number): number {
  let others = 0;
  for (let j = 0; j < probabilities.length; j++) if (j !== label) others += probabilities[j]!;
  return Math.log(probabilities[label]! + 1e-45) - Math.log(others + 1e-45);
}

/**
 * The epsilon of one attack with false-positive rate fpr and false-negative rate fnr
 * at delta, as the challenge computes it: an attack with exactly one of its rates zero
 * tells nothing it can measure and is dropped (null); both zero is a perfect attack.
 */
function attackEpsilon(fpr: number, fnr: number, delta: number): number | null {
  if (fpr === 0 && fnr === 0) return Number.POSITIVE_INFINITY;
  if (fpr === 0 || fnr === 0) return null;
  const candidates = [Math.log(1 - delta - fpr) - Math.log(fnr), Math.log(1 - delta - fnr) - Math.log(fpr)].filter((e) => !Number.isNaN(e));
  return candidates.length ? Math.max(...candidates) : Number.POSITIVE_INFINITY;
}

/**
 * The challenge's epsilon of one example from its K unlearned and K retrained samples:
 * the largest epsilon over single-threshold attacks (x <= t, x > t) and double-threshold
 * ones (t1 < x <= t2 and its complement), thresholds at the samples, clipped to [0, 50].
 * The rates are multiples of 1/K, so a finite epsilon is at most epsilonResolution(K).
 */
export function challengeEpsilon(unlearned: readonly number[], retrained: readonly number[], delta = CHALLENGE_DELTA): number {
  if (unlearned.length === 0 || retrained.length === 0) throw new Error('the challenge epsilon needs samples from both unlearned and retrained models');
  const thresholds = [Number.NEGATIVE_INFINITY, ...new Set([...unlearned, ...retrained])].sort((a, b) => a - b);
  // Fraction of each side at or below every threshold.
  const atOrBelow = (samples: readonly number[]) => thresholds.map((t) => samples.filter((x) => x <= t).length / samples.length);
  const [u, r] = [atOrBelow(unlearned), atOrBelow(retrained)];
  let best = 0;
  const consider = (fpr: number, fnr: number) => {
    const epsilon = attackEpsilon(fpr, fnr, delta);
    if (epsilon !== null && epsilon > best) best = epsilon;
  };
  // "Unlearned" is the positive class: a false positive is a retrained model's sample
  // inside the attack's region, a false negative an unlearned model's sample outside it.
  for (let i = 0; i < thresholds.length; i++) {
    for (let j = i; j < thresholds.length; j++) {
      // Region (t_i, t_j]; with t_i = -inf a single threshold x <= t_j.
      const inU = u[j]! - u[i]!;
      const inR = r[j]! - r[i]!;
      consider(inR, 1 - inU);
      // Its complement; with t_i = -inf a single threshold x > t_j.
      consider(1 - inR, inU);
    }
  }
  return Math.min(best, EPSILON_CAP);
}

/** The largest finite epsilon the challenge's estimate can give with K models a side: rates of 1/K and 1 - 1/K - delta. */
export function epsilonResolution(k: number, delta = CHALLENGE_DELTA): number {
  return Math.log(1 - delta - 1 / k) - Math.log(1 / k);
}

/** Standard normal distribution function, from erfc with relative error below 1.2e-7 everywhere (Numerical Recipes' erfcc), so tail values near delta stay exact. */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/**
 * The epsilon at delta between N(0, 1) and N(mu, 1) (mu-Gaussian differential privacy,
 * Dong, Roth & Su 2019): the smallest eps with Phi(-eps/mu + mu/2) - e^eps Phi(-eps/mu - mu/2) <= delta,
 * found by bisection (the left side falls with eps). Capped at 50 as the challenge's.
 */
export function gaussianPairEpsilon(mu: number, delta = CHALLENGE_DELTA): number {
  const m = Math.abs(mu);
  if (m < 1e-12) return 0;
  const deltaAt = (eps: number) => normalCdf(-eps / m + m / 2) - Math.exp(eps) * normalCdf(-eps / m - m / 2);
  if (deltaAt(0) <= delta) return 0;
  let [low, high] = [0, 1];
  while (deltaAt(high) > delta && high < EPSILON_CAP) high *= 2;
  if (deltaAt(high) > delta) return EPSILON_CAP;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (deltaAt(mid) > delta) low = mid;
    else high = mid;
  }
  return Math.min(high, EPSILON_CAP);
}

/**
 * U-LiRA's view of one example: Gaussians fitted to its unlearned and retrained samples
 * with one pooled variance (LiRA's fixed-variance variant, the stable one with few
 * shadow models: separate variances make the likelihood ratio unbounded in the tails and
 * epsilon at delta = 1e-5 explode on sampling noise alone), and the epsilon of the best
 * test between the two fits. The fitted distance is noisy at small K: see gaussianNoiseFloor.
 */
export function gaussianEpsilon(unlearned: readonly number[], retrained: readonly number[], delta = CHALLENGE_DELTA, minStd = 1e-3): number {
  const [nu, nr] = [unlearned.length, retrained.length];
  if (nu < 2 || nr < 2) throw new Error(`a Gaussian fit needs at least 2 samples a side, got ${nu} and ${nr}`);
  const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const [mu, mr] = [mean(unlearned), mean(retrained)];
  const squares = unlearned.reduce((s, x) => s + (x - mu) ** 2, 0) + retrained.reduce((s, x) => s + (x - mr) ** 2, 0);
  const pooledStd = Math.max(Math.sqrt(squares / (nu + nr - 2)), minStd);
  return gaussianPairEpsilon((mu - mr) / pooledStd, delta);
}

/**
 * The Gaussian epsilon two identical distributions get on average from K samples a side:
 * the fitted distance is then |N(0, 2/K)| in units of the spread, of mean sqrt(4 / (pi K)).
 */
export function gaussianNoiseFloor(k: number, delta = CHALLENGE_DELTA): number {
  return gaussianPairEpsilon(Math.sqrt(4 / (Math.PI * k)), delta);
}

/** The challenge's points of one example: 1 for epsilon in [0, 0.5), 1/2 for [0.5, 1), 1/4 for [1, 1.5), ... */
export function epsilonPoints(epsilon: number): number {
  return 2 ** -Math.floor(epsilon / 0.5);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * The test over a forget set: statistics[m][s] is example s's statistic under model m,
 * the first K rows from unlearned models, the next K from retrained ones. Accuracies
 * (mean over the models of each side) turn the forgetting quality into the challenge's score.
 */
export function likelihoodRatioTest(
  unlearned: readonly Float64Array[],
  retrained: readonly Float64Array[],
  accuracies?: { retainUnlearned: number; retainRetrained: number; testUnlearned: number; testRetrained: number },
  delta = CHALLENGE_DELTA,
): LiraSummary {
  const k = unlearned.length;
  if (k < 2 || retrained.length !== k) throw new Error(`the test needs K >= 2 unlearned and as many retrained models, got ${k} and ${retrained.length}`);
  const examples = unlearned[0]!.length;
  if ([...unlearned, ...retrained].some((row) => row.length !== examples)) throw new Error('every model must give a statistic for every forget example');
  const challenge: number[] = [];
  const gaussian: number[] = [];
  for (let s = 0; s < examples; s++) {
    const u = unlearned.map((row) => row[s]!);
    const r = retrained.map((row) => row[s]!);
    challenge.push(challengeEpsilon(u, r, delta));
    gaussian.push(gaussianEpsilon(u, r, delta));
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const forgettingQuality = mean(challenge.map(epsilonPoints));
  return {
    k,
    examples,
    challengeEpsilonMean: mean(challenge),
    challengeEpsilonMedian: median(challenge),
    resolution: epsilonResolution(k, delta),
    gaussianEpsilonMean: mean(gaussian),
    gaussianEpsilonMedian: median(gaussian),
    gaussianNoiseFloor: gaussianNoiseFloor(k, delta),
    forgettingQuality,
    score: accuracies ? forgettingQuality * (accuracies.retainUnlearned / accuracies.retainRetrained) * (accuracies.testUnlearned / accuracies.testRetrained) : null,
  };
}
