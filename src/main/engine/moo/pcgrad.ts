import { Random } from '../random.js';
import { multiply, type Weighting } from './gramian.js';

/** PCGrad (Yu et al. 2020): each gradient projected off the others it conflicts with, in a seeded random order; summed. */
export function pcgrad(seed = 0): Weighting {
  const random = new Random(seed, 'pcgrad');
  return (g, m) => {
    const w = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const c = new Float64Array(m);
      c[i] = 1;
      const others = random.shuffle(Array.from({ length: m }, (_, j) => j).filter((j) => j !== i));
      for (const j of others) {
        const gc = multiply(g, m, c)[j]!;
        if (gc < 0 && g[j * m + j]! > 0) c[j]! -= gc / g[j * m + j]!;
      }
      c.forEach((v, k) => (w[k]! += v));
    }
    return w;
  };
}
