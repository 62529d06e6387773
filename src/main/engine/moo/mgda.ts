import { minNormPoint } from './min-norm-point.js';
import { multiply, uniform, type Weighting } from './gramian.js';

/**
 * MGDA (Sener & Koltun 2018): the minimum-norm point of the convex hull of the
 * gradients. By default solved exactly (Wolfe's active-set algorithm, which for two
 * objectives is the closed form of the spec); with solver 'frank-wolfe' torchjd's
 * MGDAWeighting step for step (Algorithm 2 of the paper: from the uniform point, an
 * exact line search toward the vertex of least (G alpha)_t, stop once the step gamma is
 * below `epsilon`, at most `maxIterations`), which approaches the minimum only sublinearly.
 */
export function mgda(options: { solver?: 'exact' | 'frank-wolfe'; epsilon?: number; maxIterations?: number } = {}): Weighting {
  const { solver = 'exact', epsilon = 1e-3, maxIterations = 100 } = options;
  if (solver === 'exact') return minNormPoint;
  return (g, m) => {
    const alpha = uniform(m);
    for (let iteration = 0; iteration < maxIterations; iteration++) {
      const gAlpha = multiply(g, m, alpha);
      let t = 0;
      for (let i = 1; i < m; i++) if (gAlpha[i]! < gAlpha[t]!) t = i;
      const a = gAlpha[t]!;
      const b = alpha.reduce((s, v, i) => s + v * gAlpha[i]!, 0);
      const c = g[t * m + t]!;
      const gamma = c <= a ? 1 : b <= a ? 0 : (b - a) / (b + c - 2 * a);
      // gamma is the weight moved onto e_t (it minimises the norm on that segment).
      for (let i = 0; i < m; i++) alpha[i] = (1 - gamma) * alpha[i]! + (i === t ? gamma : 0);
      if (gamma < epsilon) break;
    }
    return alpha;
  };
}
