/** Softmax outputs of a model in eval mode, computed batch by batch. */
import * as tf from '@tensorflow/tfjs';
import { makeInputBatch } from '../data/batches.js';
import type { ImageDataset } from '../data/dataset.js';
import type { Classifier } from '../models/classifier.js';

/** One softmax row per index, as a tensor on the backend. */
export function probabilityTensor(model: Classifier, dataset: ImageDataset, indices: Int32Array, batchSize = 1000): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < indices.length; start += batchSize) {
    parts.push(tf.tidy(() => tf.softmax(model.predict(makeInputBatch(dataset, indices.subarray(start, start + batchSize))))));
  }
  if (parts.length === 0) return tf.zeros([0, dataset.classNames.length]);
  const all = tf.concat(parts) as tf.Tensor2D;
  tf.dispose(parts);
  return all;
}

/** The same, read back: sample-major rows, `classes` wide. */
export function probabilities(model: Classifier, dataset: ImageDataset, indices: Int32Array, batchSize = 1000): Float32Array {
  const tensor = probabilityTensor(model, dataset, indices, batchSize);
  try {
    return tensor.dataSync() as Float32Array;
  } finally {
    tensor.dispose();
  }
}
