/**
 * Unlearning objectives on sequences (specs/lm-unlearning.md), over answer tokens only,
 * each an Objective of the multi-objective step so the aggregators apply unchanged:
 * - answer NLL (sign -1 on the forget set: GA; with the retain NLL: GradDiff / NegGrad+);
 * - NPO (Zhang et al. 2024): (2/β) mean_F log(1 + (p_θ(a|q) / p_ref(a|q))^β)
 *   = (2/β) mean_F softplus(β (log p_θ(a|q) - log p_ref(a|q))), p_ref the frozen original;
 * - RAUL-UniDist on sequences: at each forget answer position KL(u || p_θ(·|context)),
 *   u uniform over the vocabulary, averaged over the positions.
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

/** Mean over weighted positions of KL(u || softmax(logits)) = -log V - mean_v log p_v. */
export function uniformKl(logits: tf.Tensor3D, weights: tf.Tensor2D): tf.Scalar {
  const vocabulary = logits.shape[2];
  const perPosition = tf.sub(tf.neg(tf.mean(tf.logSoftmax(logits), -1)), Math.log(vocabulary));
  return tf.div(tf.sum(tf.mul(perPosition, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
}

/** RAUL-UniDist's forget objective on sequences: the answer positions' distributions pulled toward uniform. */
export function uniformTargetObjective(model: Transformer, batch: SequenceBatch): () => ObjectiveValue {
  return () => ({ loss: uniformKl(model.forward(batch.inputs), batch.weights) });
}
