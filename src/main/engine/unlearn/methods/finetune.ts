import { batchesOf, crossEntropyObjective, type UnlearnMethod } from '../method.js';

/** FT: fine-tune on the retain set with cross-entropy (catastrophic forgetting of D_f). */
export const finetune: UnlearnMethod = {
  name: 'ft',
  async run(ctx) {
    for (let epoch = 0; epoch < ctx.config.epochs; epoch++) {
      for (const batch of batchesOf(ctx.retain, ctx.config.batchSize, ctx.random)) {
        await ctx.step(epoch, [crossEntropyObjective(ctx.model, ctx.dataset, batch)]);
      }
    }
  },
};
