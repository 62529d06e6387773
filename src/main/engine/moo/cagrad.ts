import { minimizeOnSimplex } from './simplex.js';
import { normalize, symmetricEigen, trace, uniform, type Weighting } from './gramian.js';

/**
 * CAGrad(c) (Liu et al. 2021): with Gn = G / trace(G) = U S U^T and R = U sqrt(S),
 * g0 = R^T 1 / m, phi = c |g0|: w* = argmin over the simplex of (R g0)^T w + phi |R^T w|,
 * then w = 1/m + (phi / |R^T w*|) w*.
 */
export function cagrad(c = 0.5): Weighting {
  return (g, m) => {
    if (trace(g, m) < 1e-12) return uniform(m);
    const { values, vectors } = symmetricEigen(normalize(g, m), m);
    const R = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let k = 0; k < m; k++) R[i * m + k] = vectors[i * m + k]! * Math.sqrt(Math.max(values[k]!, 0));
    const rtw = (w: ArrayLike<number>) => Float64Array.from({ length: m }, (_, k) => Array.from({ length: m }, (_, i) => R[i * m + k]! * w[i]!).reduce((a, b) => a + b, 0));
    const g0 = rtw(uniform(m));
    const norm = (v: Float64Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    const phi = c * norm(g0);
    const rg0 = Float64Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, k) => R[i * m + k]! * g0[k]!).reduce((a, b) => a + b, 0));
    const objective = (w: Float64Array) => rg0.reduce((s, v, i) => s + v * w[i]!, 0) + phi * norm(rtw(w));
    const wStar = minimizeOnSimplex(objective, m);
    const size = norm(rtw(wStar));
    if (size < 1e-4) return uniform(m);
    return Float64Array.from({ length: m }, (_, i) => 1 / m + (phi / size) * wStar[i]!);
  };
}
