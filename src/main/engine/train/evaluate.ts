import * as tf from '@tensorflow/tfjs';
import { makeInputBatch, makeLabelBatch } from '../data/batches.js';
import type { ImageDataset } from '../data/dataset.js';
import { hasNativeTrainingOps, nativeSoftmaxCrossEntropy } from '../kernels/native-training-ops.js';
import type { Classifier } from '../models/classifier.js';

/**
 * Mean softmax cross-entropy of logits against integer labels, composed from tfjs ops: what
 * measurements use (the evaluation's numbers keep their bits).
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(labels, logits.shape[1])), 1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

/**
 * The same loss for training steps: one native kernel each way where the wasm backend has
 * them, instead of about twenty (its sums round otherwise, in the last digits).
 */
export function trainingCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  if (hasNativeTrainingOps() && labels.dtype === 'int32') return nativeSoftmaxCrossEntropy(logits, labels);
  return crossEntropy(logits, labels);
}

/** Number of rows whose arg-max equals the label. */
export function countCorrect(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')) as tf.Scalar);
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  count: number;
}

/** Loss and top-1 accuracy in eval mode over the given samples; no sample has no accuracy, so it is an error, never NaN. */
export function evaluate(model: Classifier, dataset: ImageDataset, indices: Int32Array, batchSize: number): Evaluation {
  if (indices.length === 0) throw new Error(`no sample of ${dataset.name} to measure the model on: an empty split or set has no loss or accuracy`);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < indices.length; start += batchSize) {
    const batch = indices.subarray(start, start + batchSize);
    const [loss, right] = tf.tidy(() => {
      const logits = model.predict(makeInputBatch(dataset, batch));
      const labels = makeLabelBatch(dataset, batch);
      return [crossEntropy(logits, labels).dataSync()[0]!, countCorrect(logits, labels).dataSync()[0]!];
    });
    lossSum += loss * batch.length;
    correct += right;
  }
  const count = indices.length;
  return { loss: lossSum / count, accuracy: correct / count, count };
}
