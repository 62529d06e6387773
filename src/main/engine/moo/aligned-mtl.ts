import { symmetricEigen, uniform, type Weighting } from './gramian.js';

/** Aligned-MTL (Senushkin et al. 2023), "min" scale: w = sqrt(lambda_min) V L^-1/2 V^T p over the kept eigenvalues. */
export function alignedMtl(preference?: number[]): Weighting {
  return (g, m) => {
    const p = preference ? Float64Array.from(preference) : uniform(m);
    const { values, vectors } = symmetricEigen(g, m);
    const lambdaMax = Math.max(...values);
    const keep = [...values.keys()].filter((k) => values[k]! > lambdaMax * m * 1.19e-7);
    if (keep.length === 0) return new Float64Array(m);
    const lambdaMin = Math.min(...keep.map((k) => values[k]!));
    const w = new Float64Array(m);
    for (const k of keep) {
      const projection = vectors.filter((_, idx) => idx % m === k).reduce((s, v, r) => s + v * p[r]!, 0);
      for (let i = 0; i < m; i++) w[i]! += (Math.sqrt(lambdaMin) / Math.sqrt(values[k]!)) * vectors[i * m + k]! * projection;
    }
    return w;
  };
}
