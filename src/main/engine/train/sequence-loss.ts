/**
 * Next-token log-probabilities and the weighted negative log-likelihood of sequences
 * (weights 1 on the tokens the loss counts, 0 on prompt and padding).
 */
import * as tf from '@tensorflow/tfjs';
import type { Transformer } from '../models/transformer.js';
import type { SequenceBatch } from '../text/sequences.js';

/** log p(target_t | tokens_<=t) for every position: [batch, T]. */
export function targetLogProbs(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Tensor2D {
  const vocabulary = logits.shape[2];
  const logProbs = tf.logSoftmax(logits);
  const picked = tf.cast(tf.oneHot(targets, vocabulary), 'float32');
  return tf.sum(tf.mul(logProbs, picked), -1) as tf.Tensor2D;
}

/** Mean negative log-likelihood over the weighted tokens of the batch. */
export function sequenceNll(model: Transformer, batch: SequenceBatch): tf.Scalar {
  const logProbs = targetLogProbs(model.forward(batch.inputs), batch.targets);
  return tf.div(tf.neg(tf.sum(tf.mul(logProbs, batch.weights))), tf.maximum(tf.sum(batch.weights), 1)) as tf.Scalar;
}

/** Per sequence, the log-probabilities of its weighted tokens, in order (float64 for the metrics). */
export function weightedTokenLogProbs(model: Transformer, batch: SequenceBatch): Float64Array[] {
  const [values, weights] = tf.tidy(() => [targetLogProbs(model.forward(batch.inputs), batch.targets).arraySync(), batch.weights.arraySync()]);
  return values.map((row, b) => Float64Array.from(row.filter((_, t) => weights[b]![t]! > 0)));
}
