/**
 * One multi-objective step: a gradient per objective over all trainable parameters,
 * flattened into the rows of J; the Gramian G = J J^T on the backend (m(m+1)/2 dot
 * products); weights from a weighting in float64; the direction d = w^T J formed once
 * and handed to the optimizer, which applies weight decay after aggregation (as RAUL's
 * reference code does). Records each loss, the weights and the cosines between the
 * objective gradients.
 */
import * as tf from '@tensorflow/tfjs';
import type { Optimizer } from '../train/optimizers.js';
import type { Weighting } from './gramian.js';

export interface StepRecord {
  losses: number[];
  weights: number[];
  /** cos(g_i, g_j) for i < j, row by row (0 where a gradient is zero). */
  cosines: number[];
}

export function multiObjectiveStep(
  params: tf.Variable[],
  objectives: (() => tf.Scalar)[],
  weighting: Weighting,
  optimizer: Optimizer,
  lr: number,
): StepRecord {
  const m = objectives.length;
  const losses: number[] = [];
  const rows: tf.Tensor1D[] = objectives.map((objective) => {
    const { value, grads } = tf.variableGrads(objective, params);
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
  if (!weights.every(Number.isFinite)) throw new Error(`the aggregator returned non-finite weights ${[...weights].join(', ')}`);
  const direction = tf.tidy(() => tf.addN(rows.map((row, i) => tf.mul(row, weights[i]!))) as tf.Tensor1D);
  rows.forEach((r) => r.dispose());
  const parts = tf.split(direction, params.map((p) => p.size));
  const shaped = parts.map((part, i) => tf.reshape(part, params[i]!.shape));
  optimizer.step(params, shaped, lr);
  tf.dispose([direction, ...parts, ...shaped]);
  const cosines: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = i + 1; j < m; j++) {
      const norm = Math.sqrt(gramian[i * m + i]! * gramian[j * m + j]!);
      cosines.push(norm > 0 ? gramian[i * m + j]! / norm : 0);
    }
  return { losses, weights: [...weights], cosines };
}
