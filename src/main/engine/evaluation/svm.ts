/**
 * A C-SVM with an RBF kernel, trained by sequential minimal optimisation with libsvm's
 * working-set selection (second-order, WSS3) and stopping rule (tolerance 1e-3): the
 * classifier of the field's MIA-efficacy attack (sklearn's SVC, C = 3, gamma = 1 /
 * n_features, no scaling). Plain float64 TypeScript. Kernel rows are computed on demand
 * and kept in an LRU cache of bounded size (libsvm's approach), so the protocol's
 * 20,000 attack points need a few hundred MiB at most, not the full 3.2 GB matrix.
 */

export interface SvmOptions {
  C?: number;
  /** RBF gamma; default 1 / n_features ("auto"). */
  gamma?: number;
  tolerance?: number;
  maxIterations?: number;
  /** Bytes of kernel rows to keep (default 256 MiB). */
  cacheBytes?: number;
}

export interface SvmModel {
  supportVectors: number[][];
  /** alpha_i y_i for each support vector. */
  coefficients: number[];
  bias: number;
  gamma: number;
  decision(x: number[]): number;
  /** 1 when the decision value is positive, else 0 (labels were 0/1). */
  predict(x: number[]): number;
}

function rbf(a: number[], b: number[], gamma: number): number {
  let d = 0;
  for (let k = 0; k < a.length; k++) d += (a[k]! - b[k]!) ** 2;
  return Math.exp(-gamma * d);
}

/** Trains on features X (rows) and labels in {0, 1}. */
export function trainSvm(X: number[][], labels: number[], options: SvmOptions = {}): SvmModel {
  const n = X.length;
  if (n === 0 || labels.length !== n) throw new Error(`SVM needs as many labels as rows (${labels.length} vs ${n})`);
  const C = options.C ?? 3;
  const gamma = options.gamma ?? 1 / X[0]!.length;
  const tolerance = options.tolerance ?? 1e-3;
  const maxIterations = options.maxIterations ?? Math.max(10_000_000, 100 * n);
  const y = labels.map((l) => (l === 1 ? 1 : -1));
  // Rows of Q_it = y_i y_t K(x_i, x_t); the RBF diagonal is K(x, x) = 1.
  const maxRows = Math.max(2, Math.floor((options.cacheBytes ?? 256 * 2 ** 20) / (8 * n)));
  const cache = new Map<number, Float64Array>();
  const row = (i: number): Float64Array => {
    let r = cache.get(i);
    if (r) {
      cache.delete(i);
    } else {
      r = new Float64Array(n);
      for (let t = 0; t < n; t++) r[t] = y[i]! * y[t]! * rbf(X[i]!, X[t]!, gamma);
      if (cache.size >= maxRows) cache.delete(cache.keys().next().value!);
    }
    cache.set(i, r);
    return r;
  };
  const alpha = new Float64Array(n);
  const G = new Float64Array(n).fill(-1); // gradient of 1/2 a^T Q a - e^T a
  const upper = (i: number) => alpha[i]! < C;
  const lower = (i: number) => alpha[i]! > 0;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    // WSS3: i maximises -y G over I_up; j minimises the second-order gain over I_low.
    let gmax = -Infinity;
    let i = -1;
    for (let t = 0; t < n; t++) {
      const inUp = y[t] === 1 ? upper(t) : lower(t);
      if (inUp && -y[t]! * G[t]! >= gmax) {
        gmax = -y[t]! * G[t]!;
        i = t;
      }
    }
    let gmin = Infinity;
    let j = -1;
    let best = Infinity;
    const Qi = i >= 0 ? row(i) : null;
    for (let t = 0; t < n; t++) {
      const inLow = y[t] === 1 ? lower(t) : upper(t);
      if (!inLow) continue;
      const value = -y[t]! * G[t]!;
      gmin = Math.min(gmin, value);
      if (i >= 0 && gmax - value > 0) {
        const a = 2 - 2 * y[i]! * y[t]! * Qi![t]!;
        const gain = -((gmax - value) ** 2) / (a > 0 ? a : 1e-12);
        if (gain <= best) {
          best = gain;
          j = t;
        }
      }
    }
    if (i < 0 || j < 0 || gmax - gmin < tolerance) break;
    // Two-variable update as libsvm's Solver::solve.
    const [oldI, oldJ] = [alpha[i]!, alpha[j]!];
    const rowI = row(i);
    const rowJ = row(j);
    let quad = 2 - 2 * y[i]! * y[j]! * rowI[j]!;
    if (quad <= 0) quad = 1e-12;
    if (y[i] !== y[j]) {
      const delta = (-G[i]! - G[j]!) / quad;
      const diff = alpha[i]! - alpha[j]!;
      alpha[i]! += delta;
      alpha[j]! += delta;
      if (diff > 0 && alpha[j]! < 0) [alpha[j], alpha[i]] = [0, diff];
      else if (diff <= 0 && alpha[i]! < 0) [alpha[i], alpha[j]] = [0, -diff];
      if (diff > 0 && alpha[i]! > C) [alpha[i], alpha[j]] = [C, C - diff];
      else if (diff <= 0 && alpha[j]! > C) [alpha[j], alpha[i]] = [C, C + diff];
    } else {
      const delta = (G[i]! - G[j]!) / quad;
      const sum = alpha[i]! + alpha[j]!;
      alpha[i]! -= delta;
      alpha[j]! += delta;
      if (sum > C && alpha[i]! > C) [alpha[i], alpha[j]] = [C, sum - C];
      else if (sum <= C && alpha[j]! < 0) [alpha[j], alpha[i]] = [0, sum];
      if (sum > C && alpha[j]! > C) [alpha[j], alpha[i]] = [C, sum - C];
      else if (sum <= C && alpha[i]! < 0) [alpha[i], alpha[j]] = [0, sum];
    }
    const dI = alpha[i]! - oldI;
    const dJ = alpha[j]! - oldJ;
    for (let t = 0; t < n; t++) G[t]! += rowI[t]! * dI + rowJ[t]! * dJ;
  }
  // Bias as libsvm: the mean of -y G over free vectors, else the middle of the bounds.
  let free = 0;
  let sumFree = 0;
  let ub = Infinity;
  let lb = -Infinity;
  for (let t = 0; t < n; t++) {
    const yG = y[t]! * G[t]!;
    if (alpha[t]! > 0 && alpha[t]! < C) {
      free += 1;
      sumFree += yG;
    } else if ((alpha[t] === C && y[t] === -1) || (alpha[t] === 0 && y[t] === 1)) ub = Math.min(ub, yG);
    else lb = Math.max(lb, yG);
  }
  const rho = free > 0 ? sumFree / free : (ub + lb) / 2;
  const support = [...alpha.keys()].filter((t) => alpha[t]! > 0);
  const supportVectors = support.map((t) => X[t]!);
  const coefficients = support.map((t) => alpha[t]! * y[t]!);
  const decision = (x: number[]) => supportVectors.reduce((s, v, k) => s + coefficients[k]! * rbf(v, x, gamma), 0) - rho;
  return { supportVectors, coefficients, bias: -rho, gamma, decision, predict: (x) => (decision(x) > 0 ? 1 : 0) };
}
