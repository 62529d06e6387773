/**
 * One multi-objective step: a gradient per objective over all trainable parameters,
 * flattened into the rows of J; the Gramian G = J J^T on the backend (m(m+1)/2 dot
 * products); weights from a weighting in float64; the direction d = w^T J formed once
 * and handed to the optimizer, which applies weight decay after aggregation (as RAUL's
 * reference code does). Records each loss, the weights and the cosines between the
 * objective gradients. BatchNorm running statistics follow the first objective's batch
 * (by convention the retain objective); the other objectives' updates are dropped.
 * An objective may have no term in a step (HeldDist when the forget and held-out batches
 * share no class): it is recorded as skipped, with loss 0 and a zero gradient row, which
 * every weighting handles, rather than a loss unconnected to the weights.
 */
import * as tf from '@tensorflow/tfjs';
import { applyBufferUpdates, type BufferUpdate } from '../models/layers.js';
import type { Optimizer } from '../train/optimizers.js';
import type { Weighting } from './gramian.js';

export interface StepRecord {
  losses: number[];
  weights: number[];
  /** cos(g_i, g_j) for i < j, row by row (0 where a gradient is zero). */
  cosines: number[];
  /** Objectives (by row) that had no term in this step, and why. */
  skipped: { objective: number; reason: string }[];
}

export interface ObjectiveValue {
  loss: tf.Scalar;
  /** Running-statistics updates of a training-mode forward pass. */
  bufferUpdates?: BufferUpdate[];
}

/** An objective without a term in this step, and why. */
export interface SkippedObjective {
  skipped: string;
}

export type Objective = (() => ObjectiveValue) | SkippedObjective;

export function multiObjectiveStep(
  params: tf.Variable[],
  objectives: Objective[],
  weighting: Weighting,
  optimizer: Optimizer,
  lr: number,
): StepRecord {
  const m = objectives.length;
  const losses: number[] = [];
  const updates: BufferUpdate[][] = [];
  const skipped: StepRecord['skipped'] = [];
  const rows: tf.Tensor1D[] = objectives.map((objective, i) => {
    if ('skipped' in objective) {
      skipped.push({ objective: i, reason: objective.skipped });
      losses.push(0);
      updates.push([]);
      return tf.zeros([params.reduce((n, p) => n + p.size, 0)]) as tf.Tensor1D;
    }
    const { value, grads } = tf.variableGrads(() => {
      const out = objective();
      updates.push(out.bufferUpdates ?? []);
      return out.loss;
    }, params);
    losses.push(value.dataSync()[0]!);
    const row = tf.tidy(() => tf.concat(params.map((p) => tf.reshape(grads[p.name]!, [-1]))) as tf.Tensor1D);
    value.dispose();
    tf.dispose(grads);
    return row;
  });
  const gramian = new Float64Array(m * m);
  tf.tidy(() => {
    const products: tf.Scalar[] = [];
    for (let i = 0; i < m; i++) for (let j = i; j < m; j++) products.push(tf.dot(rows[i]!, rows[j]!) as tf.Scalar);
    const values = tf.stack(products).dataSync();
    let k = 0;
    for (let i = 0; i < m; i++)
      for (let j = i; j < m; j++) {
        gramian[i * m + j] = values[k]!;
        gramian[j * m + i] = values[k++]!;
      }
  });
  const weights = weighting(gramian, m);
  const discardUpdates = () => updates.slice(1).forEach((list) => list.forEach((u) => u.value.dispose()));
  if (!weights.every(Number.isFinite) || !losses.every(Number.isFinite)) {
    rows.forEach((r) => r.dispose());
    updates.forEach((list) => list.forEach((u) => u.value.dispose()));
    return { losses, weights: [...weights], cosines: [], skipped };
  }
  const direction = tf.tidy(() => tf.addN(rows.map((row, i) => tf.mul(row, weights[i]!))) as tf.Tensor1D);
  rows.forEach((r) => r.dispose());
  const parts = tf.split(direction, params.map((p) => p.size));
  const shaped = parts.map((part, i) => tf.reshape(part, params[i]!.shape));
  optimizer.step(params, shaped, lr);
  tf.dispose([direction, ...parts, ...shaped]);
  applyBufferUpdates(updates[0] ?? []);
  discardUpdates();
  const cosines: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = i + 1; j < m; j++) {
      const norm = Math.sqrt(gramian[i * m + i]! * gramian[j * m + j]!);
      cosines.push(norm > 0 ? gramian[i * m + j]! / norm : 0);
    }
  return { losses, weights: [...weights], cosines, skipped };
}
