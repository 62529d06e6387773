/**
 * The paired bootstrap: how sure a mean difference between two methods is, when both ran
 * on the same seeds. The seed-wise differences are resampled with replacement (a seeded
 * generator, so the interval is reproducible) and the interval is read off the
 * percentiles of the resampled means (Efron & Tibshirani, ch. 13).
 */
import { Random } from './random.js';

export interface BootstrapOptions {
  /** Resampled means drawn (default 10,000). */
  resamples?: number;
  /** Coverage of the interval, in (0, 1) (default 0.95). */
  confidence?: number;
  seed?: number;
}

export interface BootstrapInterval {
  /** Mean of the paired differences a_i - b_i. */
  mean: number;
  low: number;
  high: number;
  /** Pairs behind it. */
  n: number;
  confidence: number;
  resamples: number;
}

/**
 * The q-quantile of sorted values as the smallest value whose empirical distribution
 * function reaches q (the percentile interval's definition; no interpolation).
 */
function quantileOfSorted(sorted: Float64Array, q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length - 1e-9) - 1));
  return sorted[index]!;
}

/** Percentile bootstrap interval of mean(a_i - b_i) over pairs (a_i, b_i). */
export function pairedBootstrap(a: readonly number[], b: readonly number[], options: BootstrapOptions = {}): BootstrapInterval {
  const { resamples = 10_000, confidence = 0.95, seed = 0 } = options;
  if (a.length !== b.length) throw new Error(`paired samples must have equal lengths, got ${a.length} and ${b.length}`);
  if (a.length === 0) throw new Error('the paired bootstrap needs at least one pair');
  if (!(confidence > 0 && confidence < 1)) throw new Error(`confidence must be in (0, 1), got ${confidence}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`resamples must be a positive integer, got ${resamples}`);
  const differences = a.map((value, i) => value - b[i]!);
  const n = differences.length;
  const random = new Random(seed, 'paired-bootstrap');
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += differences[random.int(n)]!;
    means[r] = sum / n;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  return {
    mean: differences.reduce((s, d) => s + d, 0) / n,
    low: quantileOfSorted(means, tail),
    high: quantileOfSorted(means, 1 - tail),
    n,
    confidence,
    resamples,
  };
}
