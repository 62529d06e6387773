import { minimizeOnSimplex } from './simplex.js';
import { multiply, uniform, type Weighting } from './gramian.js';

/**
 * MGDA (Sener & Koltun 2018): the minimum-norm point of the convex hull of the
 * gradients. Closed form for two objectives; beyond, by default the simplex-constrained
 * minimum solved to convergence, or with solver 'frank-wolfe' the approximation torchjd
 * uses (from the uniform point, stop when a step is below `epsilon`, at most
 * `maxIterations`), which approaches the minimum only sublinearly.
 */
export function mgda(options: { solver?: 'exact' | 'frank-wolfe'; epsilon?: number; maxIterations?: number } = {}): Weighting {
  const { solver = 'exact', epsilon = 1e-3, maxIterations = 100 } = options;
  return (g, m) => {
    if (solver === 'exact' && m > 2) {
      return minimizeOnSimplex((w) => w.reduce((s, v, i) => s + v * multiply(g, m, w)[i]!, 0), m);
    }
    if (m === 2) {
      const [g11, g12, g22] = [g[0]!, g[1]!, g[3]!];
      const denominator = g11 + g22 - 2 * g12;
      if (!(denominator > 1e-20)) return uniform(2);
      const gamma = Math.min(1, Math.max(0, (g22 - g12) / denominator));
      return Float64Array.from([gamma, 1 - gamma]);
    }
    const alpha = uniform(m);
    for (let iteration = 0; iteration < maxIterations; iteration++) {
      const gAlpha = multiply(g, m, alpha);
      let t = 0;
      for (let i = 1; i < m; i++) if (gAlpha[i]! < gAlpha[t]!) t = i;
      const a = gAlpha[t]!;
      const b = alpha.reduce((s, v, i) => s + v * gAlpha[i]!, 0);
      const c = g[t * m + t]!;
      const gamma = c <= a ? 1 : b <= a ? 0 : (b - a) / (b + c - 2 * a);
      // gamma is the weight moved onto e_t (it minimises the norm on that segment); the spec's
      // "alpha <- gamma alpha + (1 - gamma) e_t" swaps the two and does not converge.
      let step = 0;
      for (let i = 0; i < m; i++) {
        const next = (1 - gamma) * alpha[i]! + (i === t ? gamma : 0);
        step = Math.max(step, Math.abs(next - alpha[i]!));
        alpha[i] = next;
      }
      if (step < epsilon) break;
    }
    return alpha;
  };
}
