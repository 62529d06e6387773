/**
 * The MIA attack's SVM written out directly, as the solver stood before its speed-ups:
 * libsvm's SMO with WSS3, shrinking and per-variable boxes for merged duplicates, each
 * scan recomputing what it reads. Tests compare the fast solver's model with this one to
 * the bit: the speed-ups must not move a single iterate.
 */
import type { SvmModel, SvmOptions } from '../src/main/engine/evaluation/svm.js';

function rbf(a: number[], b: number[], gamma: number): number {
  let d = 0;
  for (let k = 0; k < a.length; k++) d += (a[k]! - b[k]!) ** 2;
  return Math.exp(-gamma * d);
}

/**
 * Identical (features, label) rows merged into one with its multiplicity: the dual with
 * duplicates is solved exactly by one variable per distinct row whose box is C times the
 * count (only the duplicates' sum of alphas enters the objective and the constraints).
 */
function mergeDuplicates(X: number[][], labels: number[]): { rows: number[][]; labels: number[]; counts: number[] } {
  const index = new Map<string, number>();
  const rows: number[][] = [];
  const merged: number[] = [];
  const counts: number[] = [];
  X.forEach((x, t) => {
    const key = `${labels[t]}:${x.join(',')}`;
    const k = index.get(key);
    if (k !== undefined) counts[k]! += 1;
    else {
      index.set(key, rows.length);
      rows.push(x);
      merged.push(labels[t]!);
      counts.push(1);
    }
  });
  return { rows, labels: merged, counts };
}

/** Trains on features X (rows) and labels in {0, 1}. */
export function referenceSvm(features: number[][], targets: number[], options: SvmOptions = {}): SvmModel {
  if (features.length === 0 || targets.length !== features.length) throw new Error(`SVM needs as many labels as rows (${targets.length} vs ${features.length})`);
  const { rows: X, labels, counts } = mergeDuplicates(features, targets);
  const n = X.length;
  const C = options.C ?? 3;
  const bound = Float64Array.from(counts, (m) => C * m);
  const gamma = options.gamma ?? 1 / X[0]!.length;
  const tolerance = options.tolerance ?? 1e-3;
  const maxIterations = options.maxIterations ?? Math.max(10_000_000, 100 * n);
  const y = labels.map((l) => (l === 1 ? 1 : -1));
  const dims = X[0]!.length;
  const flat = Float64Array.from(X.flat());
  // Rows of Q_it = y_i y_t K(x_i, x_t); the RBF diagonal is K(x, x) = 1.
  const maxRows = Math.max(2, Math.floor((options.cacheBytes ?? 256 * 2 ** 20) / (8 * n)));
  const cache = new Map<number, Float64Array>();
  const row = (i: number): Float64Array => {
    let r = cache.get(i);
    if (r) {
      cache.delete(i);
    } else {
      r = new Float64Array(n);
      for (let t = 0; t < n; t++) {
        let d = 0;
        for (let k = 0; k < dims; k++) d += (flat[i * dims + k]! - flat[t * dims + k]!) ** 2;
        r[t] = y[i]! * y[t]! * Math.exp(-gamma * d);
      }
      if (cache.size >= maxRows) cache.delete(cache.keys().next().value!);
    }
    cache.set(i, r);
    return r;
  };
  const alpha = new Float64Array(n);
  const G = new Float64Array(n).fill(-1); // gradient of 1/2 a^T Q a - e^T a
  // G_bar_t = sum over alpha_j at its bound of C_j Q_tj: rebuilds the gradient of shrunk variables.
  const Gbar = new Float64Array(n);
  const atUpper = (t: number) => alpha[t]! >= bound[t]!;
  const atLower = (t: number) => alpha[t]! <= 0;
  const inUp = (t: number) => (y[t] === 1 ? !atUpper(t) : !atLower(t));
  const inLow = (t: number) => (y[t] === 1 ? !atLower(t) : !atUpper(t));
  // libsvm's shrinking: variables stuck at a bound leave the active set; the last activeSize
  // entries of `order` are the shrunk ones.
  const order = Int32Array.from({ length: n }, (_, t) => t);
  let activeSize = n;
  let unshrunk = false;
  const reconstructGradient = () => {
    if (activeSize === n) return;
    for (let k = activeSize; k < n; k++) G[order[k]!] = Gbar[order[k]!]! - 1;
    for (let k = 0; k < activeSize; k++) {
      const j = order[k]!;
      if (atUpper(j) || atLower(j)) continue;
      const Qj = row(j);
      for (let m = activeSize; m < n; m++) G[order[m]!]! += alpha[j]! * Qj[order[m]!]!;
    }
  };
  const beShrunk = (t: number, gmax1: number, gmax2: number) => {
    if (atUpper(t)) return y[t] === 1 ? -G[t]! > gmax1 : -G[t]! > gmax2;
    if (atLower(t)) return y[t] === 1 ? G[t]! > gmax2 : G[t]! > gmax1;
    return false;
  };
  const shrink = () => {
    let gmax1 = -Infinity; // max over I_up of -y G
    let gmax2 = -Infinity; // max over I_low of y G
    for (let k = 0; k < activeSize; k++) {
      const t = order[k]!;
      if (inUp(t)) gmax1 = Math.max(gmax1, -y[t]! * G[t]!);
      if (inLow(t)) gmax2 = Math.max(gmax2, y[t]! * G[t]!);
    }
    if (!unshrunk && gmax1 + gmax2 <= tolerance * 10) {
      unshrunk = true;
      reconstructGradient();
      activeSize = n;
    }
    for (let k = 0; k < activeSize; k++) {
      if (!beShrunk(order[k]!, gmax1, gmax2)) continue;
      activeSize -= 1;
      while (activeSize > k && beShrunk(order[activeSize]!, gmax1, gmax2)) activeSize -= 1;
      [order[k], order[activeSize]] = [order[activeSize]!, order[k]!];
    }
  };
  let counter = Math.min(n, 1000) + 1;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (--counter === 0) {
      counter = Math.min(n, 1000);
      shrink();
    }
    // WSS3: i maximises -y G over I_up; j minimises the second-order gain over I_low.
    let gmax = -Infinity;
    let i = -1;
    for (let k = 0; k < activeSize; k++) {
      const t = order[k]!;
      if (inUp(t) && -y[t]! * G[t]! >= gmax) {
        gmax = -y[t]! * G[t]!;
        i = t;
      }
    }
    let gmin = Infinity;
    let j = -1;
    let best = Infinity;
    const Qi = i >= 0 ? row(i) : null;
    for (let k = 0; k < activeSize; k++) {
      const t = order[k]!;
      if (!inLow(t)) continue;
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
    if (i < 0 || j < 0 || gmax - gmin < tolerance) {
      if (activeSize === n) break;
      // Optimal on the active set: check again on all variables (libsvm does the same).
      reconstructGradient();
      activeSize = n;
      counter = Math.min(n, 1000) + 1;
      continue;
    }
    // Two-variable update as libsvm's Solver::solve, with per-variable boxes.
    const [oldI, oldJ] = [alpha[i]!, alpha[j]!];
    const [wasUpperI, wasUpperJ] = [atUpper(i), atUpper(j)];
    const rowI = row(i);
    const rowJ = row(j);
    let quad = 2 - 2 * y[i]! * y[j]! * rowI[j]!;
    if (quad <= 0) quad = 1e-12;
    const [Ci, Cj] = [bound[i]!, bound[j]!];
    if (y[i] !== y[j]) {
      const delta = (-G[i]! - G[j]!) / quad;
      const diff = alpha[i]! - alpha[j]!;
      alpha[i]! += delta;
      alpha[j]! += delta;
      if (diff > 0 && alpha[j]! < 0) [alpha[j], alpha[i]] = [0, diff];
      else if (diff <= 0 && alpha[i]! < 0) [alpha[i], alpha[j]] = [0, -diff];
      if (diff > Ci - Cj && alpha[i]! > Ci) [alpha[i], alpha[j]] = [Ci, Ci - diff];
      else if (diff <= Ci - Cj && alpha[j]! > Cj) [alpha[j], alpha[i]] = [Cj, Cj + diff];
    } else {
      const delta = (G[i]! - G[j]!) / quad;
      const sum = alpha[i]! + alpha[j]!;
      alpha[i]! -= delta;
      alpha[j]! += delta;
      if (sum > Ci && alpha[i]! > Ci) [alpha[i], alpha[j]] = [Ci, sum - Ci];
      else if (sum <= Ci && alpha[j]! < 0) [alpha[j], alpha[i]] = [0, sum];
      if (sum > Cj && alpha[j]! > Cj) [alpha[j], alpha[i]] = [Cj, sum - Cj];
      else if (sum <= Cj && alpha[i]! < 0) [alpha[i], alpha[j]] = [0, sum];
    }
    const dI = alpha[i]! - oldI;
    const dJ = alpha[j]! - oldJ;
    for (let k = 0; k < activeSize; k++) {
      const t = order[k]!;
      G[t]! += rowI[t]! * dI + rowJ[t]! * dJ;
    }
    for (const [v, was, Qv] of [[i, wasUpperI, rowI], [j, wasUpperJ, rowJ]] as const) {
      if (was === atUpper(v)) continue;
      const change = was ? -bound[v]! : bound[v]!;
      for (let t = 0; t < n; t++) Gbar[t]! += change * Qv[t]!;
    }
  }
  reconstructGradient();
  // Bias as libsvm: the mean of -y G over free vectors, else the middle of the bounds.
  let free = 0;
  let sumFree = 0;
  let ub = Infinity;
  let lb = -Infinity;
  for (let t = 0; t < n; t++) {
    const yG = y[t]! * G[t]!;
    if (alpha[t]! > 0 && alpha[t]! < bound[t]!) {
      free += 1;
      sumFree += yG;
    } else if ((alpha[t] === bound[t] && y[t] === -1) || (alpha[t] === 0 && y[t] === 1)) ub = Math.min(ub, yG);
    else lb = Math.max(lb, yG);
  }
  const rho = free > 0 ? sumFree / free : (ub + lb) / 2;
  const support = [...alpha.keys()].filter((t) => alpha[t]! > 0);
  const supportVectors = support.map((t) => X[t]!);
  const coefficients = support.map((t) => alpha[t]! * y[t]!);
  const decision = (x: number[]) => supportVectors.reduce((s, v, k) => s + coefficients[k]! * rbf(v, x, gamma), 0) - rho;
  const predict = (x: number[]) => (decision(x) > 0 ? 1 : 0);
  return { supportVectors, coefficients, bias: -rho, gamma, decision, predict, predictAll: (xs) => Uint8Array.from(xs, predict) };
}
