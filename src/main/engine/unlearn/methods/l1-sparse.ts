/**
 * l1-sparse (Jia et al. 2023): fine-tune on D_r with CE + alpha_t |theta|_1 over all
 * parameters, alpha_t = alpha (1 - t / E) decaying linearly per epoch (alpha 1e-4).
 */
import * as tf from '@tensorflow/tfjs';
import { batchesOf, crossEntropyObjective, type UnlearnMethod } from '../method.js';

export const l1Sparse: UnlearnMethod = {
  name: 'l1-sparse',
  async run(ctx) {
    const alpha = ctx.config.alpha ?? 1e-4;
    const params = ctx.model.trainableVariables();
    for (let epoch = 0; epoch < ctx.config.epochs; epoch++) {
      const alphaT = alpha * (1 - epoch / ctx.config.epochs);
      for (const batch of batchesOf(ctx.retain, ctx.config.batchSize, ctx.random)) {
        const ce = crossEntropyObjective(ctx.model, ctx.dataset, batch);
        await ctx.step(epoch, [
          () => {
            const { loss, bufferUpdates } = ce();
            const l1 = tf.addN(params.map((p) => tf.sum(tf.abs(p))));
            return { loss: tf.add(loss, tf.mul(alphaT, l1)) as tf.Scalar, bufferUpdates };
          },
        ]);
      }
    }
  },
};
