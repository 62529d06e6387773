import { multiply, pseudoInverse, type Weighting } from './gramian.js';

/** IMTL-G (Liu et al. 2021): v = pinv(G) s with s_i = |g_i|, normalised to sum 1. */
export function imtlG(): Weighting {
  return (g, m) => {
    const s = Float64Array.from({ length: m }, (_, i) => Math.sqrt(Math.max(g[i * m + i]!, 0)));
    const v = multiply(pseudoInverse(g, m), m, s);
    const sum = v.reduce((a, b) => a + b, 0);
    return Math.abs(sum) < 1e-12 ? new Float64Array(m) : v.map((x) => x / sum);
  };
}
