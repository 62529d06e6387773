/**
 * A C-SVM with an RBF kernel, trained by sequential minimal optimisation with libsvm's
 * working-set selection (second-order, WSS3) and stopping rule (tolerance 1e-3): the
 * classifier of the field's MIA-efficacy attack (sklearn's SVC, C = 3, gamma = 1 /
 * n_features, no scaling). Plain float64 TypeScript. Kernel rows are computed on demand
 * and kept in an LRU cache of bounded size (libsvm's approach), so the protocol's
 * 20,000 attack points need a few hundred MiB at most, not the full 3.2 GB matrix.
 * Where the native addon is built, the fit and the predictions run in its C++ port
 * (native/src/svm.cc): the same operations in the same order, to the bit, in about a quarter of the time.
 */
import { loadNativeAddon, type NativeAddon } from '../kernels/native-addon.js';

export interface SvmOptions {
  C?: number;
  /** RBF gamma; default 1 / n_features ("auto"). */
  gamma?: number;
  tolerance?: number;
  maxIterations?: number;
  /** Bytes of kernel rows to keep (default 256 MiB). */
  cacheBytes?: number;
  /** A shared flag: the fit stops with an error once element 0 is non-zero. */
  cancel?: Int32Array;
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
  /** predict over many rows, each distinct row computed once: the same values. */
  predictAll(xs: number[][]): Uint8Array;
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

/** The merged problem: rows flat, labels +-1, each variable's box, and the solver's settings. */
interface DualProblem {
  flat: Float64Array;
  y: Float64Array;
  bound: Float64Array;
  n: number;
  dims: number;
  gamma: number;
  tolerance: number;
  maxIterations: number;
  /** Kernel rows the cache keeps (at least 2). */
  maxRows: number;
  cancel?: Int32Array;
}

/** The native addon when it has the SVM (an addon built before it did not) and LETHE_SVM does not ask for TypeScript. */
function nativeSvm(): NativeAddon | undefined {
  const setting = process.env.LETHE_SVM;
  if (setting === 'typescript') return undefined;
  if (setting !== undefined && setting !== '' && setting !== 'auto') throw new Error(`LETHE_SVM must be auto or typescript; got '${setting}'`);
  const { addon } = loadNativeAddon();
  return typeof addon?.svmSolve === 'function' ? addon : undefined;
}

/**
 * libsvm's SMO in TypeScript: the reference the native solver (native/src/svm.cc) matches
 * bit for bit, and the solver where the addon is not built.
 */
function solveInTypeScript({ flat, y, bound, n, dims, gamma, tolerance, maxIterations, maxRows, cancel }: DualProblem): { alpha: Float64Array; rho: number } {
  const negGamma = -gamma;
  // Rows of Q_it = y_i y_t K(x_i, x_t); the RBF diagonal is K(x, x) = 1.
  const cache = new Map<number, Float64Array>();
  const row = (i: number): Float64Array => {
    let r = cache.get(i);
    if (r) {
      cache.delete(i);
    } else {
      r = new Float64Array(n);
      const yi = y[i]!;
      for (let t = 0; t < n; t++) {
        let d = 0;
        for (let k = 0; k < dims; k++) d += (flat[i * dims + k]! - flat[t * dims + k]!) ** 2;
        r[t] = yi * y[t]! * Math.exp(negGamma * d);
      }
      if (cache.size >= maxRows) {
        const oldest = cache.keys().next().value!;
        cache.delete(oldest);
      }
    }
    cache.set(i, r);
    return r;
  };
  const alpha = new Float64Array(n);
  const G = new Float64Array(n).fill(-1); // gradient of 1/2 a^T Q a - e^T a
  // G_bar_t = sum over alpha_j at its bound of C_j Q_tj: rebuilds the gradient of shrunk variables.
  const Gbar = new Float64Array(n);
  // Each variable's place against its box, kept as flags (libsvm's alpha_status) and
  // refreshed only for the two variables an iteration moves: the scans below read them
  // for every active variable in every iteration.
  const atUpperFlag = new Uint8Array(n);
  const atLowerFlag = new Uint8Array(n);
  const inUpFlag = new Uint8Array(n); // I_up: y = +1 below its bound, y = -1 above 0
  const inLowFlag = new Uint8Array(n);
  const updateStatus = (t: number) => {
    atUpperFlag[t] = alpha[t]! >= bound[t]! ? 1 : 0;
    atLowerFlag[t] = alpha[t]! <= 0 ? 1 : 0;
    inUpFlag[t] = y[t] === 1 ? 1 - atUpperFlag[t]! : 1 - atLowerFlag[t]!;
    inLowFlag[t] = y[t] === 1 ? 1 - atLowerFlag[t]! : 1 - atUpperFlag[t]!;
  };
  for (let t = 0; t < n; t++) updateStatus(t);
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
      if (atUpperFlag[j] || atLowerFlag[j]) continue;
      const Qj = row(j);
      for (let m = activeSize; m < n; m++) G[order[m]!]! += alpha[j]! * Qj[order[m]!]!;
    }
  };
  const beShrunk = (t: number, gmax1: number, gmax2: number) => {
    if (atUpperFlag[t]) return y[t] === 1 ? -G[t]! > gmax1 : -G[t]! > gmax2;
    if (atLowerFlag[t]) return y[t] === 1 ? G[t]! > gmax2 : G[t]! > gmax1;
    return false;
  };
  const shrink = () => {
    let gmax1 = -Infinity; // max over I_up of -y G
    let gmax2 = -Infinity; // max over I_low of y G
    for (let k = 0; k < activeSize; k++) {
      const t = order[k]!;
      if (inUpFlag[t]) gmax1 = Math.max(gmax1, -y[t]! * G[t]!);
      if (inLowFlag[t]) gmax2 = Math.max(gmax2, y[t]! * G[t]!);
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
      const swapped = order[k]!;
      order[k] = order[activeSize]!;
      order[activeSize] = swapped;
    }
  };
  let counter = Math.min(n, 1000) + 1;
  // The pass that updates the gradient also finds the next iteration's i (the same scan,
  // in the same order); a shrink or a rebuilt active set in between voids it.
  let foundNext = false;
  let nextGmax = -Infinity;
  let nextI = -1;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (cancel && iteration % 1000 === 0 && Atomics.load(cancel, 0) !== 0) throw new Error('the SVM fit was cancelled');
    if (--counter === 0) {
      counter = Math.min(n, 1000);
      shrink();
      foundNext = false;
    }
    // WSS3: i maximises -y G over I_up; j minimises the second-order gain over I_low.
    let gmax = nextGmax;
    let i = nextI;
    if (!foundNext) {
      gmax = -Infinity;
      i = -1;
      for (let k = 0; k < activeSize; k++) {
        const t = order[k]!;
        if (inUpFlag[t] && -y[t]! * G[t]! >= gmax) {
          gmax = -y[t]! * G[t]!;
          i = t;
        }
      }
    }
    foundNext = false;
    let gmin = Infinity;
    let j = -1;
    let best = Infinity;
    if (i >= 0) {
      const Qi = row(i);
      const yi = y[i]!;
      for (let k = 0; k < activeSize; k++) {
        const t = order[k]!;
        if (!inLowFlag[t]) continue;
        const value = -y[t]! * G[t]!;
        gmin = Math.min(gmin, value);
        if (gmax - value > 0) {
          const a = 2 - 2 * yi * y[t]! * Qi[t]!;
          const gain = -((gmax - value) ** 2) / (a > 0 ? a : 1e-12);
          if (gain <= best) {
            best = gain;
            j = t;
          }
        }
      }
    } else {
      for (let k = 0; k < activeSize; k++) {
        const t = order[k]!;
        if (inLowFlag[t]) gmin = Math.min(gmin, -y[t]! * G[t]!);
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
    const oldI = alpha[i]!;
    const oldJ = alpha[j]!;
    const wasUpperI = atUpperFlag[i]!;
    const wasUpperJ = atUpperFlag[j]!;
    const rowI = row(i);
    const rowJ = row(j);
    let quad = 2 - 2 * y[i]! * y[j]! * rowI[j]!;
    if (quad <= 0) quad = 1e-12;
    const Ci = bound[i]!;
    const Cj = bound[j]!;
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
    updateStatus(i);
    updateStatus(j);
    const dI = alpha[i]! - oldI;
    const dJ = alpha[j]! - oldJ;
    nextGmax = -Infinity;
    nextI = -1;
    for (let k = 0; k < activeSize; k++) {
      const t = order[k]!;
      G[t]! += rowI[t]! * dI + rowJ[t]! * dJ;
      if (inUpFlag[t] && -y[t]! * G[t]! >= nextGmax) {
        nextGmax = -y[t]! * G[t]!;
        nextI = t;
      }
    }
    foundNext = true;
    for (const [v, was, Qv] of [[i, wasUpperI, rowI], [j, wasUpperJ, rowJ]] as const) {
      if (was === atUpperFlag[v]) continue;
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
  return { alpha, rho: free > 0 ? sumFree / free : (ub + lb) / 2 };
}

/** Trains on features X (rows) and labels in {0, 1}. */
export function trainSvm(features: number[][], targets: number[], options: SvmOptions = {}): SvmModel {
  if (features.length === 0 || targets.length !== features.length) throw new Error(`SVM needs as many labels as rows (${targets.length} vs ${features.length})`);
  const { rows: X, labels, counts } = mergeDuplicates(features, targets);
  const n = X.length;
  const C = options.C ?? 3;
  const dims = X[0]!.length;
  const problem: DualProblem = {
    flat: Float64Array.from(X.flat()),
    y: Float64Array.from(labels, (l) => (l === 1 ? 1 : -1)),
    bound: Float64Array.from(counts, (m) => C * m),
    n,
    dims,
    gamma: options.gamma ?? 1 / dims,
    tolerance: options.tolerance ?? 1e-3,
    maxIterations: options.maxIterations ?? Math.max(10_000_000, 100 * n),
    maxRows: Math.max(2, Math.floor((options.cacheBytes ?? 256 * 2 ** 20) / (8 * n))),
    cancel: options.cancel,
  };
  const { y, gamma } = problem;
  const addon = nativeSvm();
  let alpha: Float64Array;
  let rho: number;
  if (addon) {
    alpha = new Float64Array(n);
    rho = addon.svmSolve(problem.flat, y, problem.bound, dims, gamma, problem.tolerance, problem.maxIterations, problem.maxRows, alpha, problem.cancel);
  } else {
    ({ alpha, rho } = solveInTypeScript(problem));
  }
  const support = [...alpha.keys()].filter((t) => alpha[t]! > 0);
  const supportVectors = support.map((t) => X[t]!);
  const coefficients = support.map((t) => alpha[t]! * y[t]!);
  // The decision function over flat typed arrays: the same sum, in the same order, as
  // sum_k coefficient_k K(v_k, x) - rho.
  const vectors = Float64Array.from(supportVectors.flat());
  const weights = Float64Array.from(coefficients);
  const decision = (x: number[]) => {
    let s = 0;
    for (let k = 0; k < weights.length; k++) {
      let d = 0;
      for (let m = 0; m < dims; m++) d += (vectors[k * dims + m]! - x[m]!) ** 2;
      s += weights[k]! * Math.exp(-gamma * d);
    }
    return s - rho;
  };
  const predictAll = (xs: number[][]) => {
    // Each distinct row is predicted once (confidences saturate to the same float;
    // correctness has two values), natively where the addon is built.
    const index = new Map<string, number>();
    const distinct: number[][] = [];
    const slot = Int32Array.from(xs, (x) => {
      const key = x.join(',');
      let k = index.get(key);
      if (k === undefined) {
        k = distinct.length;
        index.set(key, k);
        distinct.push(x);
      }
      return k;
    });
    let values: Float64Array;
    if (addon) {
      values = new Float64Array(distinct.length);
      addon.svmDecisions(vectors, weights, dims, gamma, rho, Float64Array.from(distinct.flat()), values);
    } else {
      values = Float64Array.from(distinct, decision);
    }
    return Uint8Array.from(slot, (k) => (values[k]! > 0 ? 1 : 0));
  };
  return { supportVectors, coefficients, bias: -rho, gamma, decision, predict: (x) => (decision(x) > 0 ? 1 : 0), predictAll };
}
