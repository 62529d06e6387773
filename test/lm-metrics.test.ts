import { describe, expect, it } from 'vitest';
import { ksStatistic, ksTwoSample } from '../src/main/engine/evaluation/lm/ks-test.js';
import { lossScore, membershipAuc, minKPercentScore, privacyLeak } from '../src/main/engine/evaluation/lm/membership.js';
import { harmonicMean } from '../src/main/engine/evaluation/lm/model-utility.js';
import { perplexity } from '../src/main/engine/evaluation/lm/perplexity.js';
import { longestCommonSubsequence, rougeLRecall, rougeWords } from '../src/main/engine/evaluation/lm/rouge-l.js';
import { normalisedProbability, truthRatio, truthRatioCloserToOne, truthRatioTrueBetter } from '../src/main/engine/evaluation/lm/truth-ratio.js';

const log = Math.log;

describe('ROUGE-L recall (worked examples)', () => {
  it.each([
    ['Ada Novak was born in Lisbon.', 'Ada Novak was born in Porto.', 5 / 6],
    ['The cat sat on the mat', 'the mat sat on a cat', 3 / 6],
    ['Born in 1971.', 'born IN 1971!!', 1],
    ['a b c d', 'd c b a', 1 / 4],
    ['Ada plays the cello.', '', 0],
    ['', 'anything', 0],
  ])('%j against %j is %d', (reference, generated, expected) => {
    expect(rougeLRecall(reference, generated)).toBeCloseTo(expected, 12);
  });

  it('splits words as rouge_score does and finds the longest common subsequence', () => {
    expect(rougeWords("Zoë's year-1971 BOOK")).toEqual(['zo', 's', 'year', '1971', 'book']);
    expect(longestCommonSubsequence(['a', 'b', 'c', 'b', 'd', 'a', 'b'], ['b', 'd', 'c', 'a', 'b', 'a'])).toBe(4);
  });
});

describe('truth ratio (hand-computed)', () => {
  it('is the geometric mean of the perturbed answers P̄ over the paraphrased P̄', () => {
    expect(normalisedProbability([log(0.5), log(0.125)])).toBeCloseTo(0.25, 12);
    // P̄(ã) = 0.5; perturbed P̄ 0.25 and 0.0625, geometric mean 0.125; R = 0.25.
    expect(truthRatio([log(0.5), log(0.5)], [[log(0.25)], [log(0.0625), log(0.0625)]])).toBeCloseTo(0.25, 12);
    expect(truthRatio([log(0.1)], [[log(0.4)]])).toBeCloseTo(4, 12);
  });

  it('reports max(0, 1 - R) on retain-type sets and min(R, 1/R) on the forget set', () => {
    expect(truthRatioTrueBetter([0.25, 4])).toBeCloseTo((0.75 + 0) / 2, 12);
    expect(truthRatioCloserToOne([0.25, 4])).toBeCloseTo(0.25, 12);
    expect(truthRatioCloserToOne([1, 0.5])).toBeCloseTo(0.75, 12);
  });
});

describe('two-sample KS test (hand-computed exact p-values)', () => {
  it.each([
    // Separated samples: only the 2 paths along the edges leave the band: 2 / C(m + n, m).
    [[1, 2], [3, 4], 1, 2 / 6],
    [[1, 2, 3], [4, 5, 6], 1, 2 / 20],
    [[1, 2, 3, 4], [5, 6, 7, 8], 1, 2 / 70],
    // Unequal sizes: paths through (2, 0) or (0, 4) leave |i/2 - j/4| < 1: 2 / C(6, 2).
    [[1, 2], [3, 4, 5, 6], 1, 2 / 15],
    // m = 1, n = 2: of the 3 paths only y-x-y stays inside |i - j/2| < 1.
    [[1], [2, 3], 1, 2 / 3],
    // D = 2/3: the 2^3 paths with |i - j| <= 1 everywhere stay inside, 1 - 8/20.
    [[1, 2, 4], [3, 5, 6], 2 / 3, 1 - 8 / 20],
    // Interleaved: D = 1/2 is reached on the first step of every path.
    [[1, 3], [2, 4], 1 / 2, 1],
  ])('%j vs %j: D = %d, p = %d', (a, b, statistic, pValue) => {
    const result = ksTwoSample(a, b);
    expect(result.statistic).toBeCloseTo(statistic, 12);
    expect(result.pValue).toBeCloseTo(pValue, 12);
  });

  it('handles ties across the samples and identical samples', () => {
    expect(ksStatistic([1, 2, 2, 3], [2, 2, 2, 4])).toBeCloseTo(0.25, 12);
    expect(ksTwoSample([0.3, 0.1, 0.2], [0.2, 0.3, 0.1])).toEqual({ statistic: 0, pValue: 1 });
  });
});

describe('membership scores and utility (hand-computed)', () => {
  it('min-k% takes the mean of the k% lowest token log-probabilities, at least one', () => {
    const tokens = [-1, -5, -2, -0.5, -3];
    expect(minKPercentScore(tokens, 0.2)).toBe(-5);
    expect(minKPercentScore(tokens, 0.5)).toBe(-4);
    expect(minKPercentScore(tokens, 0.1)).toBe(-5);
    expect(minKPercentScore(tokens, 1)).toBeCloseTo(lossScore(tokens), 12);
    expect(lossScore(tokens)).toBeCloseTo(-2.3, 12);
  });

  it('AUC counts ties half; privacy leak is relative to Retrain in percent', () => {
    expect(membershipAuc([0.9, 0.8, 0.3], [0.5, 0.3, 0.1])).toBeCloseTo(7.5 / 9, 12);
    expect(membershipAuc([1, 2], [3, 4])).toBe(0);
    expect(privacyLeak(0.75, 0.5)).toBeCloseTo(50, 12);
    expect(privacyLeak(0.45, 0.5)).toBeCloseTo(-10, 12);
    expect(privacyLeak(0, 0)).toBe(0);
  });

  it('model utility is the harmonic mean, 0 when any number is 0; perplexity pools all tokens', () => {
    expect(harmonicMean([1, 0.5, 0.25])).toBeCloseTo(3 / 7, 12);
    expect(harmonicMean([0.9, 0, 0.5])).toBe(0);
    expect(perplexity([[log(0.5), log(0.25)], [log(0.125)]])).toBeCloseTo(4, 12);
  });
});
