import { uniform } from './gramian.js';

/** Minimises f over the probability simplex (convex f): golden section for two objectives, projected gradient beyond. */
export function minimizeOnSimplex(f: (w: Float64Array) => number, m: number): Float64Array {
  if (m === 2) {
    let [lo, hi] = [0, 1];
    const phi = (Math.sqrt(5) - 1) / 2;
    const at = (x: number) => f(Float64Array.from([x, 1 - x]));
    while (hi - lo > 1e-12) {
      const x1 = hi - phi * (hi - lo);
      const x2 = lo + phi * (hi - lo);
      if (at(x1) <= at(x2)) hi = x2;
      else lo = x1;
    }
    const x = (lo + hi) / 2;
    return Float64Array.from([x, 1 - x]);
  }
  let w = uniform(m);
  let step = 1;
  for (let iteration = 0; iteration < 5000; iteration++) {
    const base = f(w);
    const grad = Float64Array.from({ length: m }, (_, i) => {
      const e = Float64Array.from(w);
      e[i]! += 1e-7;
      return (f(e) - base) / 1e-7;
    });
    let next = projectOntoSimplex(w.map((v, i) => v - step * grad[i]!));
    while (f(next) > base && step > 1e-12) {
      step /= 2;
      next = projectOntoSimplex(w.map((v, i) => v - step * grad[i]!));
    }
    if (Math.max(...next.map((v, i) => Math.abs(v - w[i]!))) < 1e-13) break;
    w = next;
    step *= 1.5;
  }
  return w;
}

function projectOntoSimplex(v: Float64Array): Float64Array {
  const sorted = [...v].sort((a, b) => b - a);
  let sum = 0;
  let theta = 0;
  sorted.forEach((x, i) => {
    sum += x;
    const t = (sum - 1) / (i + 1);
    if (x - t > 0) theta = t;
  });
  return v.map((x) => Math.max(x - theta, 0));
}
