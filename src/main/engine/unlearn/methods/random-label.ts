import type { Optimizer } from '../../train/optimizers.js';
import { batchesOf, crossEntropyObjective, type UnlearnContext, type UnlearnMethod } from '../method.js';

/** One RL epoch: random labels over the forget set, then true labels over the retain set. */
export async function randomLabelEpoch(ctx: UnlearnContext, epoch: number, optimizer?: Optimizer): Promise<void> {
  const classes = ctx.dataset.classNames.length;
  for (const batch of batchesOf(ctx.forget, ctx.config.batchSize, ctx.random)) {
    const labels = Int32Array.from(batch, () => ctx.random.int(classes));
    await ctx.step(epoch, [crossEntropyObjective(ctx.model, ctx.dataset, batch, 1, labels)], ctx.model, optimizer);
  }
  for (const batch of batchesOf(ctx.retain, ctx.config.batchSize, ctx.random)) {
    await ctx.step(epoch, [crossEntropyObjective(ctx.model, ctx.dataset, batch)], ctx.model, optimizer);
  }
}

/**
 * RL: each epoch, a pass over D_f with fresh random labels per batch (a random label may
 * equal the true one, as in the reference code), then a pass over D_r with true labels.
 */
export const randomLabel: UnlearnMethod = {
  name: 'rl',
  async run(ctx) {
    for (let epoch = 0; epoch < ctx.config.epochs; epoch++) await randomLabelEpoch(ctx, epoch);
  },
};
