import { batchesOf, crossEntropyObjective, type UnlearnMethod } from '../method.js';

/** GA: gradient ascent on the forget set (loss = -CE on D_f only). */
export const gradientAscent: UnlearnMethod = {
  name: 'ga',
  async run(ctx) {
    for (let epoch = 0; epoch < ctx.config.epochs; epoch++) {
      for (const batch of batchesOf(ctx.forget, ctx.config.batchSize, ctx.random)) {
        await ctx.step(epoch, [crossEntropyObjective(ctx.model, ctx.dataset, batch, -1)]);
      }
    }
  },
};
