import { multiply, uniform, type Weighting } from './gramian.js';

/**
 * An O(m) closed-form Pareto rule adapted from PAMA (arXiv 2508.07768): with A_i the
 * directional derivative of objective i along the mean gradient ((G 1/m)_i), take the
 * convex combination of the A_i with the smallest magnitude: 0 when they straddle 0
 * (weights on the extreme two), else all weight on the objective nearest 0. An
 * adaptation, not the paper's exact update (which is not public in full).
 */
export function pama(): Weighting {
  return (g, m) => {
    const A = multiply(g, m, uniform(m));
    let lo = 0;
    let hi = 0;
    for (let i = 1; i < m; i++) {
      if (A[i]! < A[lo]!) lo = i;
      if (A[i]! > A[hi]!) hi = i;
    }
    const w = new Float64Array(m);
    const [aMin, aMax] = [A[lo]!, A[hi]!];
    if (aMin < 0 && aMax > 0) {
      w[lo] = aMax / (aMax - aMin);
      w[hi] = -aMin / (aMax - aMin);
    } else {
      w[Math.abs(aMin) <= Math.abs(aMax) ? lo : hi] = 1;
    }
    return w;
  };
}
