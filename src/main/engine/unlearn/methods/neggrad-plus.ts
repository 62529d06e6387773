/**
 * NegGrad+ (Kurmanji et al. 2023): loss = a (CE_r + wd/2 |theta - theta_0|^2) - (1 - a) CE_f
 * over retain batches zipped with cycled forget batches; plain SGD in the reference
 * (set --momentum 0), a = 0.9999 by default (--alpha).
 */
import * as tf from '@tensorflow/tfjs';
import { batchesOf, crossEntropyObjective, cycled, type UnlearnMethod } from '../method.js';

export const negGradPlus: UnlearnMethod = {
  name: 'neggrad+',
  async run(ctx) {
    const a = ctx.config.alpha ?? 0.9999;
    const params = ctx.model.trainableVariables();
    const anchors = params.map((p) => tf.clone(p as tf.Tensor));
    const nextForget = cycled(ctx.forget, ctx.config.batchSize, ctx.random);
    try {
      for (let epoch = 0; epoch < ctx.config.epochs; epoch++) {
        for (const batch of batchesOf(ctx.retain, ctx.config.batchSize, ctx.random)) {
          const retain = crossEntropyObjective(ctx.model, ctx.dataset, batch);
          const forget = crossEntropyObjective(ctx.model, ctx.dataset, nextForget());
          await ctx.step(epoch, [
            () => {
              const r = retain();
              const f = forget();
              f.bufferUpdates?.forEach((u) => u.value.dispose());
              const proximal = tf.addN(params.map((p, i) => tf.sum(tf.square(tf.sub(p, anchors[i]!)))));
              const loss = tf.sub(tf.mul(a, tf.add(r.loss, tf.mul(ctx.config.weightDecay / 2, proximal))), tf.mul(1 - a, f.loss));
              return { loss: loss as tf.Scalar, bufferUpdates: r.bufferUpdates };
            },
          ]);
        }
      }
    } finally {
      tf.dispose(anchors);
    }
  },
};
