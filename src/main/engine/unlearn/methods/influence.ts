/**
 * IU, influence unlearning with the WoodFisher inverse-Fisher estimate (Jia et al. 2023,
 * as specs/evaluation-and-baselines.md states it). In eval mode, over all trainable
 * parameters flattened: g_f and g_r are the summed per-sample gradients of D_f and D_r,
 * n = n_f + n_r, v = g_f / n - (n_f / (n n_r)) g_r. The WoodFisher recursion over N
 * per-sample retain gradients: k = v, o = the first sample's gradient; for each next
 * sample g: t = o.g; k -= ((k.g) / (N + t)) o; o -= (t / (N + t)) o. Then theta += alpha k.
 */
import * as tf from '@tensorflow/tfjs';
import { makeInputBatch, makeLabelBatch } from '../../data/batches.js';
import type { ImageDataset } from '../../data/dataset.js';
import type { Classifier } from '../../models/classifier.js';
import { Random } from '../../random.js';
import { CancelledError } from '../../train/trainer.js';
import type { UnlearnMethod } from '../method.js';

/** Gradient of the summed cross-entropy over `indices` (eval mode), flattened; batched to bound memory. */
export function summedGradient(model: Classifier, dataset: ImageDataset, indices: ArrayLike<number>, batchSize = 256): tf.Tensor1D {
  const params = model.trainableVariables();
  let total: tf.Tensor1D | null = null;
  for (let start = 0; start < indices.length; start += batchSize) {
    const batch = Int32Array.from({ length: Math.min(batchSize, indices.length - start) }, (_, i) => indices[start + i]!);
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.forward(makeInputBatch(dataset, batch), false).logits;
      const labels = tf.oneHot(makeLabelBatch(dataset, batch), logits.shape[1]);
      return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), labels))) as tf.Scalar;
    }, params);
    const flat = tf.tidy(() => tf.concat(params.map((p) => tf.reshape(grads[p.name]!, [-1]))) as tf.Tensor1D);
    value.dispose();
    tf.dispose(grads);
    if (total) {
      const next = tf.add(total, flat) as tf.Tensor1D;
      tf.dispose([total, flat]);
      total = next;
    } else total = flat;
  }
  return total!;
}

export const influence: UnlearnMethod = {
  name: 'iu',
  async run(ctx) {
    const alpha = ctx.config.alpha ?? 0.2;
    const nf = ctx.forget.length;
    const nr = ctx.retain.length;
    const n = nf + nr;
    const gf = summedGradient(ctx.model, ctx.dataset, ctx.forget);
    const gr = summedGradient(ctx.model, ctx.dataset, ctx.retain);
    let k = tf.tidy(() => tf.sub(tf.div(gf, n), tf.mul(gr, nf / (n * nr))) as tf.Tensor1D);
    tf.dispose([gf, gr]);
    const order = new Random(ctx.config.seed, 'woodfisher').permutation(nr);
    const N = Math.min(ctx.config.fisherSamples, nr);
    let o = summedGradient(ctx.model, ctx.dataset, [ctx.retain[order[0]!]!]);
    try {
      for (let s = 1; s < N; s++) {
        if (ctx.signal.aborted) throw new CancelledError();
        const g = summedGradient(ctx.model, ctx.dataset, [ctx.retain[order[s]!]!]);
        const [t, kg] = tf.tidy(() => [tf.dot(o, g).dataSync()[0]!, tf.dot(k, g).dataSync()[0]!]);
        const nextK = tf.tidy(() => tf.sub(k, tf.mul(o, kg! / (N + t!))) as tf.Tensor1D);
        const nextO = tf.tidy(() => tf.sub(o, tf.mul(o, t! / (N + t!))) as tf.Tensor1D);
        tf.dispose([k, o, g]);
        k = nextK;
        o = nextO;
        // Yield each sample: a cancellation reaches the signal only through the event loop.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const params = ctx.model.trainableVariables();
      const parts = tf.split(k, params.map((p) => p.size));
      tf.tidy(() => params.forEach((p, i) => p.assign(tf.add(p, tf.mul(tf.reshape(parts[i]!, p.shape), alpha)))));
      tf.dispose(parts);
    } finally {
      tf.dispose([k, o]);
    }
  },
};
