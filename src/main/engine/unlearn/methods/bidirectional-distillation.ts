/**
 * BLD, bidirectional logit distillation. Every item (forget, boundary, retain) has an
 * input, a role and a teacher target: the original model's prediction with the
 * forgotten labels masked out of its logits. Forgotten labels are the classes the
 * forget set removes entirely, plus, for a forget item, its own label. The student is
 * pulled toward the target on all three roles (KL(target || student)) and, on forget
 * items, its probability of the forgotten labels is pushed down by -log(1 - p_forgotten).
 * Boundary items are the retain samples nearest the forget set, or (--boundary
 * confused) those of the two classes the original model confuses most with it. The
 * three objectives [forget, boundary, retain] go to the aggregator.
 */
import * as tf from '@tensorflow/tfjs';
import { makeInputBatch } from '../../data/batches.js';
import type { ObjectiveValue } from '../../moo/multi-objective-step.js';
import { boundaryItems, confusedClassItems } from '../boundary.js';
import { cycled, type UnlearnContext, type UnlearnMethod } from '../method.js';

type Role = 'forget' | 'boundary' | 'retain';

/** Classes with forget samples and no retain sample: forgotten as a whole. */
function forgottenClasses(ctx: UnlearnContext): number[] {
  const inRetain = new Set(Array.from(ctx.retain, (i) => ctx.dataset.labels[i]!));
  return [...new Set(Array.from(ctx.forget, (i) => ctx.dataset.labels[i]!))].filter((c) => !inRetain.has(c));
}

/** 1 where a label is forgotten for that item, row by row. */
function forgottenMask(ctx: UnlearnContext, batch: Int32Array, role: Role, classes: number[]): tf.Tensor2D {
  const C = ctx.dataset.classNames.length;
  const mask = new Float32Array(batch.length * C);
  batch.forEach((item, row) => {
    for (const c of classes) mask[row * C + c] = 1;
    if (role === 'forget') mask[row * C + ctx.dataset.labels[item]!] = 1;
  });
  return tf.tensor2d(mask, [batch.length, C]);
}

function objective(ctx: UnlearnContext, batch: Int32Array, role: Role, classes: number[]): () => ObjectiveValue {
  return () => {
    const x = makeInputBatch(ctx.dataset, batch);
    const mask = forgottenMask(ctx, batch, role, classes);
    // Masked logits: forgotten labels get a very low logit, so the target puts ~0 mass there.
    const target = tf.softmax(tf.sub(ctx.original.predict(x), tf.mul(mask, 1e4)));
    const { logits, bufferUpdates } = ctx.model.forward(x, true);
    const logStudent = tf.logSoftmax(logits);
    const kl = tf.mean(tf.sum(tf.mul(target, tf.sub(tf.log(tf.add(target, 1e-12)), logStudent)), 1));
    if (role !== 'forget') return { loss: kl as tf.Scalar, bufferUpdates };
    const pForgotten = tf.sum(tf.mul(tf.exp(logStudent), mask), 1);
    const push = tf.mean(tf.neg(tf.log(tf.maximum(tf.sub(1, pForgotten), 1e-7))));
    return { loss: tf.add(kl, push) as tf.Scalar, bufferUpdates };
  };
}

export const bidirectionalDistillation: UnlearnMethod = {
  name: 'bld',
  async run(ctx) {
    const classes = forgottenClasses(ctx);
    const boundary =
      ctx.config.boundary === 'confused'
        ? confusedClassItems(ctx.original, ctx.dataset, ctx.forget, ctx.retain)
        : boundaryItems(ctx.original, ctx.dataset, ctx.forget, ctx.retain);
    if (boundary.length === 0) throw new Error('no boundary item: the retain set is empty');
    const boundarySet = new Set(boundary);
    const plainRetain = ctx.retain.filter((i) => !boundarySet.has(i));
    const next: Record<Role, () => Int32Array> = {
      forget: cycled(ctx.forget, ctx.config.batchSize, ctx.random),
      boundary: cycled(boundary, ctx.config.batchSize, ctx.random),
      retain: cycled(plainRetain.length ? plainRetain : ctx.retain, ctx.config.batchSize, ctx.random),
    };
    const steps = Math.ceil(ctx.forget.length / ctx.config.batchSize);
    for (let epoch = 0; epoch < ctx.config.epochs; epoch++) {
      for (let s = 0; s < steps; s++) {
        await ctx.step(
          epoch,
          (['forget', 'boundary', 'retain'] as const).map((role) => objective(ctx, next[role](), role, classes)),
        );
      }
    }
  },
};
