import { batchesOf, crossEntropyObjective, type UnlearnMethod } from '../method.js';

/**
 * RL: each epoch, a pass over D_f with fresh random labels per batch (a random label may
 * equal the true one, as in the reference code), then a pass over D_r with true labels.
 */
export const randomLabel: UnlearnMethod = {
  name: 'rl',
  async run(ctx) {
    const classes = ctx.dataset.classNames.length;
    for (let epoch = 0; epoch < ctx.config.epochs; epoch++) {
      for (const batch of batchesOf(ctx.forget, ctx.config.batchSize, ctx.random)) {
        const labels = Int32Array.from(batch, () => ctx.random.int(classes));
        await ctx.step(epoch, [crossEntropyObjective(ctx.model, ctx.dataset, batch, 1, labels)]);
      }
      for (const batch of batchesOf(ctx.retain, ctx.config.batchSize, ctx.random)) {
        await ctx.step(epoch, [crossEntropyObjective(ctx.model, ctx.dataset, batch)]);
      }
    }
  },
};
