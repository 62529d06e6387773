import { channelStatistics } from '../../data/dataset.js';
import { Classifier } from '../../models/classifier.js';
import { batchesOf, crossEntropyObjective, type UnlearnMethod } from '../method.js';

/**
 * Retrain: the gold standard. A fresh model of the same architecture (initialised from
 * the run's seed, input statistics from the retain set) trained on the retain set only;
 * it never sees a forget sample.
 */
export const retrain: UnlearnMethod = {
  name: 'retrain',
  async run(ctx) {
    const fresh = Classifier.create({ ...ctx.model.spec, seed: ctx.config.seed, normalization: channelStatistics(ctx.dataset, ctx.retain) });
    try {
      for (let epoch = 0; epoch < ctx.config.epochs; epoch++) {
        for (const batch of batchesOf(ctx.retain, ctx.config.batchSize, ctx.random)) {
          await ctx.step(epoch, [crossEntropyObjective(fresh, ctx.dataset, batch)], fresh);
        }
      }
    } catch (error) {
      fresh.dispose();
      throw error;
    }
    return fresh;
  },
};
