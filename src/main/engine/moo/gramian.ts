/**
 * Shared numerics of the weightings, on an m x m Gramian G = J J^T stored row-major in
 * a Float64Array: normalisation and regularisation as torchjd does them, the dual-cone
 * projection QP, and the small symmetric eigen-decomposition some weightings need.
 */

/** A weighting maps the Gramian of m objective gradients to m weights; the update is w^T J. */
export type Weighting = (gramian: Float64Array, m: number) => Float64Array;

export function gramianOf(rows: number[][]): Float64Array {
  const m = rows.length;
  const g = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) g[i * m + j] = rows[i]!.reduce((s, v, k) => s + v * rows[j]![k]!, 0);
  return g;
}

export function trace(g: Float64Array, m: number): number {
  let t = 0;
  for (let i = 0; i < m; i++) t += g[i * m + i]!;
  return t;
}

/** G / trace(G) when the trace is at least 1e-4, else all zeros (torchjd's normalisation). */
export function normalize(g: Float64Array, m: number): Float64Array {
  const t = trace(g, m);
  return t >= 1e-4 ? g.map((v) => v / t) : new Float64Array(m * m);
}

/** G + eps I, which makes the QPs below strictly convex. */
export function regularize(g: Float64Array, m: number, eps = 1e-4): Float64Array {
  const out = Float64Array.from(g);
  for (let i = 0; i < m; i++) out[i * m + i]! += eps;
  return out;
}

export function multiply(g: Float64Array, m: number, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) out[i]! += g[i * m + j]! * v[j]!;
  return out;
}

/**
 * argmin over v >= u of v^T G v (G positive definite): the weights whose combination is
 * the projection of J^T u onto the dual cone {x : J x >= 0}. Closed form for m = 2,
 * projected Gauss-Seidel beyond (converges for positive definite G).
 */
export function projectOntoDualCone(g: Float64Array, m: number, u: ArrayLike<number>): Float64Array {
  if (m === 2) return projectOntoDualConeOfTwo(g, u);
  const v = Float64Array.from(u);
  for (let sweep = 0; sweep < 10_000; sweep++) {
    let change = 0;
    for (let k = 0; k < m; k++) {
      let s = 0;
      for (let j = 0; j < m; j++) if (j !== k) s += g[k * m + j]! * v[j]!;
      const next = Math.max(u[k]!, -s / g[k * m + k]!);
      change = Math.max(change, Math.abs(next - v[k]!));
      v[k] = next;
    }
    if (change < 1e-12) break;
  }
  return v;
}

/**
 * The KKT point of the two-objective QP: v >= u, G v >= 0, (v - u)_k (G v)_k = 0. Either
 * v1 = u1, and then v2 = max(u2, -G12 u1 / G22), valid when (G v)_1 >= 0; or (G v)_1 = 0,
 * so v1 = -G12 v2 / G11 and (G v)_2 = v2 det(G) / G11, whence v2 = max(u2, 0). Positive
 * definiteness makes the KKT point unique, so the first case that holds is the answer.
 */
function projectOntoDualConeOfTwo(g: Float64Array, u: ArrayLike<number>): Float64Array {
  const [g11, g12, g22] = [g[0]!, g[1]!, g[3]!];
  const [u1, u2] = [u[0]!, u[1]!];
  const v2 = Math.max(u2, (-g12 * u1) / g22);
  if (g11 * u1 + g12 * v2 >= 0) return Float64Array.of(u1, v2);
  const w2 = Math.max(u2, 0);
  return Float64Array.of((-g12 * w2) / g11, w2);
}

/** Eigenvalues (ascending) and eigenvectors (columns of `vectors`, row-major) by cyclic Jacobi. */
export function symmetricEigen(g: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(g);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p * m + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * m + q]! - a[p * m + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = a[k * m + p]!;
          const akq = a[k * m + q]!;
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p * m + k]!;
          const aqk = a[q * m + k]!;
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p]!;
          const vkq = v[k * m + q]!;
          v[k * m + p] = c * vkp - s * vkq;
          v[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => a[i * m + i]! - a[j * m + j]!);
  const values = Float64Array.from(order, (i) => a[i * m + i]!);
  const vectors = new Float64Array(m * m);
  order.forEach((col, k) => {
    for (let r = 0; r < m; r++) vectors[r * m + k] = v[r * m + col]!;
  });
  return { values, vectors };
}

/** Moore-Penrose pseudo-inverse of a symmetric positive semi-definite matrix. */
export function pseudoInverse(g: Float64Array, m: number): Float64Array {
  const { values, vectors } = symmetricEigen(g, m);
  const tolerance = Math.max(...values.map(Math.abs), 0) * m * 2.2e-16;
  const out = new Float64Array(m * m);
  for (let k = 0; k < m; k++) {
    if (values[k]! <= tolerance) continue;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) out[i * m + j]! += (vectors[i * m + k]! * vectors[j * m + k]!) / values[k]!;
  }
  return out;
}

export function uniform(m: number): Float64Array {
  return new Float64Array(m).fill(1 / m);
}
