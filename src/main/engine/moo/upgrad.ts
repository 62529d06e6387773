import { normalize, projectOntoDualCone, regularize, uniform, type Weighting } from './gramian.js';

/**
 * UPGrad (Jacobian descent): project each gradient, scaled by its preference, onto the
 * dual cone of the rows and sum: w = sum_i argmin_{v >= p_i e_i} v^T G v.
 */
export function upgrad(preference?: number[]): Weighting {
  return (g, m) => {
    const p = preference ? Float64Array.from(preference) : uniform(m);
    const G = regularize(normalize(g, m), m);
    const w = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const u = new Float64Array(m);
      u[i] = p[i]!;
      projectOntoDualCone(G, m, u).forEach((v, k) => (w[k]! += v));
    }
    return w;
  };
}
