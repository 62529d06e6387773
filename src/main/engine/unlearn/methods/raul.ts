/**
 * RAUL (Reference-Aligned UnLearning, specs/raul.md): objectives [L_retain, L_forget],
 * each step one retain and one forget batch (and, for HeldDist, one held-out batch),
 * combined by the chosen aggregator. Steps per epoch: the number of forget batches for
 * UniDist, of retain batches for HeldDist (as the reference code). Held-out batches are
 * shuffled and stratified so every step sees every class; a step whose forget batch
 * still shares no class with its held-out batch (a class the held-out split lacks) has
 * no HeldDist term, and the step records the forget objective as skipped.
 */
import { makeInputBatch } from '../../data/batches.js';
import { crossEntropyObjective, cycled, type UnlearnContext, type UnlearnMethod } from '../method.js';
import type { Objective } from '../../moo/multi-objective-step.js';
import { heldOutReferenceLoss, sharedClasses, uniformReferenceLoss } from '../reference-losses.js';

/** A held-out batch with (about) batchSize / classes samples of each class, freshly shuffled. */
function stratifiedBatch(ctx: UnlearnContext): Int32Array {
  const classes = ctx.dataset.classNames.length;
  const perClass = Math.max(1, Math.floor(ctx.config.batchSize / classes));
  const picked: number[] = [];
  for (let c = 0; c < classes; c++) {
    const members = ctx.heldOut.filter((i) => ctx.dataset.labels[i] === c);
    ctx.random.shuffle(members);
    picked.push(...members.subarray(0, perClass));
  }
  return ctx.random.shuffle(Int32Array.from(picked));
}

export const raul: UnlearnMethod = {
  name: 'raul',
  async run(ctx) {
    const { batchSize, reference } = ctx.config;
    if (reference === 'heldout' && ctx.heldOut.length === 0) {
      throw new Error('HeldDist needs held-out samples, and the split has none');
    }
    const nextRetain = cycled(ctx.retain, batchSize, ctx.random);
    const nextForget = cycled(ctx.forget, batchSize, ctx.random);
    const steps = Math.ceil((reference === 'uniform' ? ctx.forget.length : ctx.retain.length) / batchSize);
    for (let epoch = 0; epoch < ctx.config.epochs; epoch++) {
      for (let s = 0; s < steps; s++) {
        const retainBatch = nextRetain();
        const forgetBatch = nextForget();
        const forgetLabels = Int32Array.from(forgetBatch, (i) => ctx.dataset.labels[i]!);
        const heldBatch = reference === 'heldout' ? stratifiedBatch(ctx) : new Int32Array(0);
        const heldLabels = Int32Array.from(heldBatch, (i) => ctx.dataset.labels[i]!);
        const forgetObjective: Objective =
          reference === 'heldout' && sharedClasses(forgetLabels, heldLabels).length === 0
            ? { skipped: `the held-out batch has no sample of the forget batch's classes (${[...new Set(forgetLabels)].sort((a, b) => a - b).map((k) => ctx.dataset.classNames[k]).join(', ')})` }
            : () => {
                const { logits, bufferUpdates } = ctx.model.forward(makeInputBatch(ctx.dataset, forgetBatch), true);
                if (reference === 'uniform') return { loss: uniformReferenceLoss(logits), bufferUpdates };
                // Frozen: the original model in eval mode (its weights are not differentiated, so
                // the reference is a constant); else the current model, in training mode and not
                // detached, as the reference code does.
                const source = ctx.config.frozenReference ? ctx.original : ctx.model;
                const held = source.forward(makeInputBatch(ctx.dataset, heldBatch), !ctx.config.frozenReference);
                held.bufferUpdates.forEach((u) => u.value.dispose());
                return { loss: heldOutReferenceLoss(logits, forgetLabels, held.logits, heldLabels), bufferUpdates };
              };
        await ctx.step(epoch, [crossEntropyObjective(ctx.model, ctx.dataset, retainBatch), forgetObjective]);
      }
    }
  },
};
