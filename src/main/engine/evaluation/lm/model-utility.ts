/**
 * TOFU's model utility: the harmonic mean of the retain-type numbers (probability,
 * ROUGE-L and truth ratio on each retain-type set), as scipy.stats.hmean computes it in
 * TOFU's aggregate_eval_stat.py and open-unlearning's utility.py; any 0 makes it 0.
 */
export function harmonicMean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the harmonic mean needs at least one value');
  if (values.some((v) => !(v >= 0))) throw new RangeError(`the harmonic mean needs values >= 0, got ${values.join(', ')}`);
  if (values.includes(0)) return 0;
  return values.length / values.reduce((s, v) => s + 1 / v, 0);
}
