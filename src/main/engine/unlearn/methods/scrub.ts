/**
 * SCRUB (Kurmanji et al. 2023): the student starts as the model, the teacher is the
 * frozen original. KL_T = sum KL(softmax(t/T) || softmax(s/T)) T^2 / batch. For the first
 * `maxSteps` epochs a max-step pass over D_f (loss = -KL), then every epoch a min-step
 * pass over D_r (loss = gamma CE + alpha KL). Defaults: T 4, gamma 0.99, alpha 0.001,
 * 2 max-step epochs, forget batch 512, SGD lr 5e-4, 3 epochs.
 */
import * as tf from '@tensorflow/tfjs';
import { makeInputBatch, makeLabelBatch } from '../../data/batches.js';
import type { Classifier } from '../../models/classifier.js';
import { trainingCrossEntropy } from '../../train/evaluate.js';
import type { ImageDataset } from '../../data/dataset.js';
import { batchesOf, type UnlearnMethod } from '../method.js';
import type { ObjectiveValue } from '../../moo/multi-objective-step.js';

function distillation(student: tf.Tensor2D, teacher: tf.Tensor2D, temperature: number): tf.Scalar {
  const logT = tf.logSoftmax(tf.div(teacher, temperature));
  const logS = tf.logSoftmax(tf.div(student, temperature));
  const kl = tf.sum(tf.mul(tf.exp(logT), tf.sub(logT, logS)));
  return tf.div(tf.mul(kl, temperature * temperature), student.shape[0]) as tf.Scalar;
}

function objective(model: Classifier, teacher: Classifier, dataset: ImageDataset, batch: Int32Array, T: number, weights: { kl: number; ce: number }): () => ObjectiveValue {
  return () => {
    const x = makeInputBatch(dataset, batch);
    const { logits, bufferUpdates } = model.forward(x, true);
    const target = teacher.predict(x);
    let loss = tf.mul(weights.kl, distillation(logits, target, T));
    if (weights.ce !== 0) loss = tf.add(loss, tf.mul(weights.ce, trainingCrossEntropy(logits, makeLabelBatch(dataset, batch))));
    return { loss: loss as tf.Scalar, bufferUpdates };
  };
}

export const scrub: UnlearnMethod = {
  name: 'scrub',
  async run(ctx) {
    const { temperature: T, gamma, maxSteps } = ctx.config;
    const alpha = ctx.config.alpha ?? 0.001;
    const forgetBatch = ctx.config.forgetBatchSize ?? 512;
    for (let epoch = 0; epoch < ctx.config.epochs; epoch++) {
      if (epoch < maxSteps) {
        for (const batch of batchesOf(ctx.forget, forgetBatch, ctx.random)) {
          await ctx.step(epoch, [objective(ctx.model, ctx.original, ctx.dataset, batch, T, { kl: -1, ce: 0 })]);
        }
      }
      for (const batch of batchesOf(ctx.retain, ctx.config.batchSize, ctx.random)) {
        await ctx.step(epoch, [objective(ctx.model, ctx.original, ctx.dataset, batch, T, { kl: alpha, ce: gamma })]);
      }
    }
  },
};
