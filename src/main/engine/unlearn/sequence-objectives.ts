/**
 * Unlearning objectives on sequences (specs/lm-unlearning.md), over answer tokens only,
 * each an Objective of the multi-objective step so the aggregators apply unchanged:
 * - answer NLL (sign -1 on the forget set: GA; with the retain NLL: GradDiff / NegGrad+);
 * - NPO (Zhang et al. 2024): (2/β) mean_F log(1 + (p_θ(a|q) / p_ref(a|q))^β)
 *   = (2/β) mean_F softplus(β (log p_θ(a|q) - log p_ref(a|q))), p_ref the frozen original;
 * - RAUL on sequences: at each forget answer position KL(r || p_θ(·|context)), averaged
 *   over the positions; r uniform over the vocabulary (UniDist) or the held-out reference
 *   (HeldDist: the original's mean next-token distribution over the answer positions of
 *   held-out people's answers to the same attribute);
 * - BLD on sequences, as the classifier BLD: the teacher (the frozen original) with the
 *   true next token masked out is the target at each forget answer position
 *   (KL(target || student)) and the student's probability of the true token is pushed
 *   down by -log(1 - p); on retain answer positions KL(teacher || student).
 */
import * as tf from '@tensorflow/tfjs';
import type { ObjectiveValue } from '../moo/multi-objective-step.js';
import type { Transformer } from '../models/transformer.js';
import type { SequenceBatch } from '../text/sequences.js';
import { sequenceNll, targetLogProbs } from '../train/sequence-loss.js';

/** log p(a|q) per sequence: the sum of its weighted (answer) token log-probabilities, [batch]. */
export function answerLogLikelihoods(model: Transformer, batch: SequenceBatch): tf.Tensor1D {
  return tf.sum(tf.mul(targetLogProbs(model.forward(batch.inputs), batch.targets), batch.weights), -1) as tf.Tensor1D;
}

/** Mean answer-token NLL times `sign` (-1: ascend it). */
export function answerNllObjective(model: Transformer, batch: SequenceBatch, sign: 1 | -1 = 1): () => ObjectiveValue {
  return () => {
    const loss = sequenceNll(model, batch);
    return { loss: sign === 1 ? loss : (tf.neg(loss) as tf.Scalar) };
  };
}

/** (2/β) mean softplus(β (ℓ_θ - ℓ_ref)) over sequences, ℓ = log p(a|q). */
export function npoLoss(logLikelihoods: tf.Tensor1D, referenceLogLikelihoods: tf.Tensor1D, beta: number): tf.Scalar {
  return tf.mul(tf.mean(tf.softplus(tf.mul(tf.sub(logLikelihoods, referenceLogLikelihoods), beta))), 2 / beta) as tf.Scalar;
}

/** NPO against the frozen reference's log-likelihoods of the same batch (computed once, no gradient). */
export function npoObjective(model: Transformer, reference: Transformer, batch: SequenceBatch, beta = 0.1): () => ObjectiveValue {
  const referenceValues = tf.tidy(() => answerLogLikelihoods(reference, batch).dataSync());
  return () => ({ loss: npoLoss(answerLogLikelihoods(model, batch), tf.tensor1d(referenceValues), beta) });
}

/** Mean over the weighted positions of a per-position value [batch, T]. */
function weightedMean(perPosition: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
  return tf.div(tf.sum(tf.mul(perPosition, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
}

/** KL(target || softmax(logits)) per position; target [batch, T, V], or [batch, V] / [V] for every position. */
function klPerPosition(target: tf.Tensor, logits: tf.Tensor3D): tf.Tensor2D {
  const [batch, , vocabulary] = logits.shape;
  const rows = target.rank === 3 ? target : tf.reshape(target, target.rank === 1 ? [1, 1, vocabulary] : [batch, 1, vocabulary]);
  return tf.sum(tf.mul(rows, tf.sub(tf.log(tf.add(rows, 1e-12)), tf.logSoftmax(logits))), -1) as tf.Tensor2D;
}

/** Mean over weighted positions of KL(r || softmax(logits)); r per sequence [batch, V] or shared [V]. */
export function referenceKl(logits: tf.Tensor3D, weights: tf.Tensor2D, reference: tf.Tensor): tf.Scalar {
  return weightedMean(klPerPosition(reference, logits), weights);
}

/** KL(u || softmax(logits)) over the weighted positions, u uniform over the vocabulary. */
export function uniformKl(logits: tf.Tensor3D, weights: tf.Tensor2D): tf.Scalar {
  const vocabulary = logits.shape[2];
  return referenceKl(logits, weights, tf.fill([vocabulary], 1 / vocabulary));
}

/** RAUL-UniDist's forget objective on sequences: the answer positions' distributions pulled toward uniform. */
export function uniformTargetObjective(model: Transformer, batch: SequenceBatch): () => ObjectiveValue {
  return () => ({ loss: uniformKl(model.forward(batch.inputs), batch.weights) });
}

/**
 * HeldDist's references: per attribute, the original's next-token distribution averaged
 * over every answer position of the held-out people's answers to it.
 */
export function heldOutReferences(original: Transformer, heldOut: ReadonlyMap<string, SequenceBatch>): Map<string, Float32Array> {
  const references = new Map<string, Float32Array>();
  for (const [attribute, batch] of heldOut) {
    const row = tf.tidy(() => {
      const probabilities = tf.softmax(original.forward(batch.inputs));
      const weights = tf.expandDims(batch.weights, -1);
      return tf.div(tf.sum(tf.mul(probabilities, weights), [0, 1]), tf.sum(batch.weights)).dataSync() as Float32Array;
    });
    references.set(attribute, row);
  }
  return references;
}

/** RAUL-HeldDist's forget objective: each forget answer's positions pulled toward its row of `references` ([batch, V], flattened). */
export function referenceTargetObjective(model: Transformer, batch: SequenceBatch, references: Float32Array): () => ObjectiveValue {
  const shape: [number, number] = [batch.inputs.shape[0], model.spec.vocabularySize];
  return () => ({ loss: referenceKl(model.forward(batch.inputs), batch.weights, tf.tensor2d(references, shape)) });
}

/** BLD's forget term: KL(teacher without the true token || student) - log(1 - p_student(true token)), per weighted position. */
export function bldForgetLoss(studentLogits: tf.Tensor3D, teacherLogits: tf.Tensor3D, targets: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
  const trueToken = tf.cast(tf.oneHot(targets, studentLogits.shape[2]), 'float32');
  const target = tf.softmax(tf.sub(teacherLogits, tf.mul(trueToken, 1e4)));
  const pTrue = tf.sum(tf.mul(tf.softmax(studentLogits), trueToken), -1);
  const push = tf.neg(tf.log(tf.maximum(tf.sub(1, pTrue), 1e-7)));
  return weightedMean(tf.add(klPerPosition(target, studentLogits), push) as tf.Tensor2D, weights);
}

/** BLD's retain term: KL(teacher || student) per weighted position. */
export function distillationKl(studentLogits: tf.Tensor3D, teacherLogits: tf.Tensor3D, weights: tf.Tensor2D): tf.Scalar {
  return weightedMean(klPerPosition(tf.softmax(teacherLogits), studentLogits), weights);
}

/** BLD's objective on a batch of one role; the teacher's logits are computed once, without gradient. */
export function bldObjective(model: Transformer, teacher: Transformer, batch: SequenceBatch, role: 'forget' | 'retain'): () => ObjectiveValue {
  const teacherValues = tf.tidy(() => teacher.forward(batch.inputs).dataSync());
  const shape: [number, number, number] = [batch.inputs.shape[0], batch.inputs.shape[1], model.spec.vocabularySize];
  return () => {
    const student = model.forward(batch.inputs);
    const teacherLogits = tf.tensor3d(teacherValues, shape);
    return { loss: role === 'forget' ? bldForgetLoss(student, teacherLogits, batch.targets, batch.weights) : distillationKl(student, teacherLogits, batch.weights) };
  };
}
