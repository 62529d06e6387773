/**
 * TOFU's probability and truth-ratio metrics from answer-token log-probabilities
 * (the log p(a_i | q, a_<i) of each answer token).
 *
 * - Length-normalised probability: P̄(a|q) = p(a|q)^(1/n) = exp(mean_i log p(a_i | q, a_<i)).
 * - Truth ratio: R = P̄_wrong / P̄(ã|q) with ã the paraphrased answer and P̄_wrong the
 *   perturbed answers' probability; as the reference code computes it (TOFU's
 *   aggregate_eval_stat.py, open-unlearning's memorization.truth_ratio), P̄_wrong =
 *   exp(-mean over perturbed answers of their mean token loss), the geometric mean of
 *   their P̄ (the spec's arithmetic mean is the same only when they are equal).
 * - Reported: on retain-type sets mean(max(0, 1 - R)) ("true better"); on the forget set
 *   mean(min(R, 1/R)) ("closer to 1 better"); the raw R values feed the forget-quality test.
 */

function meanOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** exp(mean log-probability): the n-th root of the answer's probability. */
export function normalisedProbability(tokenLogProbs: ArrayLike<number>): number {
  if (tokenLogProbs.length === 0) throw new RangeError('an answer needs at least one token');
  return Math.exp(meanOf(tokenLogProbs));
}

/** R = P̄_wrong / P̄(ã), both from token log-probabilities. */
export function truthRatio(paraphrased: ArrayLike<number>, perturbed: readonly ArrayLike<number>[]): number {
  if (perturbed.length === 0) throw new RangeError('the truth ratio needs at least one perturbed answer');
  const wrongLoss = meanOf(perturbed.map((answer) => -meanOf(answer)));
  const rightLoss = -meanOf(paraphrased);
  return Math.exp(rightLoss - wrongLoss);
}

/** Retain-type sets: mean(max(0, 1 - R)); 1 when every true answer is far likelier than the wrong ones. */
export function truthRatioTrueBetter(ratios: readonly number[]): number {
  return meanOf(ratios.map((r) => Math.max(0, 1 - r)));
}

/** Forget set: mean(min(R, 1/R)); 1 when true and wrong answers are equally likely. */
export function truthRatioCloserToOne(ratios: readonly number[]): number {
  return meanOf(ratios.map((r) => Math.min(r, 1 / r)));
}
