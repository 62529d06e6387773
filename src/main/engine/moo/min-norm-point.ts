/**
 * The minimum-norm point of the convex hull of m gradients, from their Gramian alone,
 * by Wolfe's algorithm (P. Wolfe, "Finding the nearest point in a polytope", Math.
 * Programming 11, 1976): an active-set method that keeps a "corral" of affinely
 * independent gradients, moves to the nearest point of their affine hull and drops a
 * gradient when that point leaves the hull's simplex. It ends in finitely many steps
 * with the exact solution (rounding aside): weights w >= 0 summing to 1 with
 * (G w)_i >= w^T G w for every i, equality where w_i > 0.
 */

/** Solves the dense system a x = b (n x n, row-major) by Gaussian elimination with partial pivoting. */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]!) > Math.abs(m[pivot * n + col]!)) pivot = r;
    if (pivot !== col) {
      for (let k = 0; k < n; k++) [m[col * n + k], m[pivot * n + k]] = [m[pivot * n + k]!, m[col * n + k]!];
      [x[col], x[pivot]] = [x[pivot]!, x[col]!];
    }
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col]! / m[col * n + col]!;
      if (f === 0) continue;
      for (let k = col; k < n; k++) m[r * n + k]! -= f * m[col * n + k]!;
      x[r]! -= f * x[col]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let k = r + 1; k < n; k++) s -= m[r * n + k]! * x[k]!;
    x[r] = s / m[r * n + r]!;
  }
  return x;
}

/**
 * Weights of the nearest point to the origin in the affine hull of the corral's
 * gradients: min v^T G_SS v subject to sum(v) = 1, from the bordered system
 * [G_SS 1; 1^T 0] [v; mu] = [0; 1], non-singular because the corral is affinely independent.
 */
function affineMinimizer(g: Float64Array, m: number, corral: number[]): Float64Array {
  const k = corral.length;
  const n = k + 1;
  const a = new Float64Array(n * n);
  corral.forEach((i, r) => {
    corral.forEach((j, c) => (a[r * n + c] = g[i * m + j]!));
    a[r * n + k] = 1;
    a[k * n + r] = 1;
  });
  const b = new Float64Array(n);
  b[k] = 1;
  return solve(a, b, n).subarray(0, k);
}

export function minNormPoint(g: Float64Array, m: number): Float64Array {
  let scale = 0;
  for (let i = 0; i < m; i++) scale = Math.max(scale, g[i * m + i]!);
  // A gradient joins the corral only if it brings the point closer by more than rounding.
  const tolerance = 1e-12 * scale;
  let first = 0;
  for (let i = 1; i < m; i++) if (g[i * m + i]! < g[first * m + first]!) first = i;
  const w = new Float64Array(m);
  w[first] = 1;
  let corral = [first];
  // Each major step strictly lowers the norm and no corral repeats; the bound only guards rounding.
  for (let major = 0; major < 50 * m; major++) {
    const gw = new Float64Array(m);
    for (let i = 0; i < m; i++) for (const j of corral) gw[i]! += g[i * m + j]! * w[j]!;
    const normSquared = corral.reduce((s, j) => s + w[j]! * gw[j]!, 0);
    let entering = -1;
    for (let i = 0; i < m; i++) if (!corral.includes(i) && gw[i]! < normSquared - tolerance && (entering < 0 || gw[i]! < gw[entering]!)) entering = i;
    if (entering < 0) break;
    corral = [...corral, entering];
    for (;;) {
      const v = affineMinimizer(g, m, corral);
      if (v.every((x) => x > 0)) {
        corral.forEach((j, r) => (w[j] = v[r]!));
        break;
      }
      // Move from w toward v until the first weight reaches zero, and drop it from the corral.
      let theta = 1;
      let leaving = -1;
      corral.forEach((j, r) => {
        const ratio = w[j]! / (w[j]! - v[r]!);
        if (v[r]! <= 0 && ratio < theta) [theta, leaving] = [ratio, j];
      });
      corral.forEach((j, r) => (w[j] = (1 - theta) * w[j]! + theta * v[r]!));
      if (leaving >= 0) w[leaving] = 0;
      const kept = corral.filter((j) => w[j]! > 0);
      for (const j of corral) if (!kept.includes(j)) w[j] = 0;
      corral = kept;
    }
  }
  return w;
}
