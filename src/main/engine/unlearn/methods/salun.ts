/**
 * SalUn (Fan et al. 2024): RL restricted to the salient weights. The saliency of a
 * weight is |d(-mean CE on D_f)/dw| accumulated over the forget batches in eval mode;
 * the top floor(r P) weights over all parameters (r = mask ratio) may move, the others
 * never do (not by weight decay or momentum either).
 */
import * as tf from '@tensorflow/tfjs';
import { makeInputBatch, makeLabelBatch } from '../../data/batches.js';
import { trainingCrossEntropy } from '../../train/evaluate.js';
import { MaskedOptimizer } from '../../train/optimizers.js';
import { batchesOf, type UnlearnContext, type UnlearnMethod } from '../method.js';
import { randomLabelEpoch } from './random-label.js';

/** 0/1 masks keeping the floor(ratio * P) largest saliencies over all parameters (ties broken by position). */
export function saliencyMasks(ctx: UnlearnContext): Map<tf.Variable, tf.Tensor> {
  const params = ctx.model.trainableVariables();
  const sums = params.map((p) => tf.variable(tf.zerosLike(p), false));
  for (const batch of batchesOf(ctx.forget, ctx.config.batchSize, ctx.random)) {
    const { grads } = tf.variableGrads(() => {
      const logits = ctx.model.forward(makeInputBatch(ctx.dataset, batch), false).logits;
      return tf.neg(trainingCrossEntropy(logits, makeLabelBatch(ctx.dataset, batch))) as tf.Scalar;
    }, params);
    tf.tidy(() => sums.forEach((s, i) => s.assign(tf.add(s, grads[params[i]!.name]!))));
    tf.dispose(grads);
  }
  const saliency = sums.map((s) => Float32Array.from(s.dataSync(), Math.abs));
  sums.forEach((s) => s.dispose());
  const total = saliency.reduce((n, s) => n + s.length, 0);
  const keep = Math.floor(ctx.config.maskRatio * total);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const s of saliency) {
    flat.set(s, offset);
    offset += s.length;
  }
  const threshold = keep > 0 ? Float32Array.from(flat).sort()[total - keep]! : Infinity;
  let aboveOrEqual = 0;
  for (const v of flat) if (v > threshold) aboveOrEqual += 1;
  let tiesLeft = keep - aboveOrEqual;
  const masks = new Map<tf.Variable, tf.Tensor>();
  saliency.forEach((s, i) => {
    const mask = new Float32Array(s.length);
    for (let k = 0; k < s.length; k++) {
      if (s[k]! > threshold) mask[k] = 1;
      else if (s[k] === threshold && tiesLeft > 0) {
        mask[k] = 1;
        tiesLeft -= 1;
      }
    }
    masks.set(params[i]!, tf.tensor(mask, params[i]!.shape));
  });
  return masks;
}

export const salun: UnlearnMethod = {
  name: 'salun',
  async run(ctx) {
    const masked = new MaskedOptimizer(ctx.optimizer, saliencyMasks(ctx));
    try {
      for (let epoch = 0; epoch < ctx.config.epochs; epoch++) await randomLabelEpoch(ctx, epoch, masked);
    } finally {
      masked.releaseMasks();
    }
  },
};
