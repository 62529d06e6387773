/**
 * Membership-inference scores on answer tokens and the privacy leak, as MUSE and
 * open-unlearning define them:
 * - loss attack: score = mean token log-probability (= -NLL), members score higher;
 * - Min-K% probability (Shi et al. 2023): the mean of the k % lowest token
 *   log-probabilities (at least one token), k = 20 % by default;
 * - AUC of members (forget) against non-members (held-out people), ties counted half
 *   (the Mann-Whitney form of the ROC area);
 * - privacy leak (MUSE's PrivLeak) = (AUC_unlearned - AUC_retrain) / AUC_retrain x 100, ideal 0.
 */

export function lossScore(tokenLogProbs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < tokenLogProbs.length; i++) sum += tokenLogProbs[i]!;
  return sum / tokenLogProbs.length;
}

export function minKPercentScore(tokenLogProbs: ArrayLike<number>, k = 0.2): number {
  if (!(k > 0 && k <= 1)) throw new RangeError(`k must be in (0, 1], got ${k}`);
  const sorted = Float64Array.from(tokenLogProbs).sort();
  const count = Math.max(1, Math.floor(sorted.length * k));
  return lossScore(sorted.subarray(0, count));
}

/** P(member score > non-member score) + P(equal) / 2. */
export function membershipAuc(members: readonly number[], nonMembers: readonly number[]): number {
  if (members.length === 0 || nonMembers.length === 0) throw new RangeError('the AUC needs members and non-members');
  const all = [...members.map((s) => ({ s, member: 1 })), ...nonMembers.map((s) => ({ s, member: 0 }))].sort((a, b) => a.s - b.s);
  // Rank sum of the members with tied scores sharing their mean rank.
  let rankSum = 0;
  for (let start = 0; start < all.length; ) {
    let end = start;
    while (end < all.length && all[end]!.s === all[start]!.s) end++;
    const meanRank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) rankSum += all[i]!.member * meanRank;
    start = end;
  }
  const m = members.length;
  return (rankSum - (m * (m + 1)) / 2) / (m * nonMembers.length);
}

/** 0 when the AUCs are equal (also both 0, where the ratio is undefined). */
export function privacyLeak(aucUnlearned: number, aucRetrain: number): number {
  if (aucUnlearned === aucRetrain) return 0;
  return ((aucUnlearned - aucRetrain) / aucRetrain) * 100;
}
