/**
 * Boundary items: the retain samples the forget set sits closest to, where forgetting
 * most risks collateral damage. Distance is measured between the original model's
 * predicted distributions (one nearest retain sample per forget sample, deduplicated),
 * computed in chunks on the backend as |a|^2 + |b|^2 - 2 a.b.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset.js';
import { probabilityTensor as predictions } from '../evaluation/predictions.js';
import type { Classifier } from '../models/classifier.js';

/**
 * The retain samples of the `count` classes the original model confuses most with the
 * forget set: the largest mean predicted probability over forget samples, their own
 * label excluded.
 */
export function confusedClassItems(original: Classifier, dataset: ImageDataset, forget: Int32Array, retain: Int32Array, count = 2): Int32Array {
  const C = dataset.classNames.length;
  const p = predictions(original, dataset, forget);
  const probs = p.dataSync();
  p.dispose();
  const confusion = new Float64Array(C);
  forget.forEach((item, row) => {
    for (let c = 0; c < C; c++) if (c !== dataset.labels[item]) confusion[c]! += probs[row * C + c]!;
  });
  const forgetOnly = new Set(Array.from(forget, (i) => dataset.labels[i]!));
  const retainClasses = new Set(Array.from(retain, (i) => dataset.labels[i]!));
  const ranked = [...confusion.keys()].filter((c) => retainClasses.has(c) && !(forgetOnly.has(c) && confusion[c] === 0)).sort((a, b) => confusion[b]! - confusion[a]!);
  const chosen = new Set(ranked.slice(0, count));
  return retain.filter((i) => chosen.has(dataset.labels[i]!));
}

export function boundaryItems(original: Classifier, dataset: ImageDataset, forget: Int32Array, retain: Int32Array): Int32Array {
  const pf = predictions(original, dataset, forget);
  const pr = predictions(original, dataset, retain);
  const nearest = new Set<number>();
  try {
    const rNorm = tf.sum(tf.square(pr), 1);
    const chunk = Math.max(1, Math.floor(4_000_000 / Math.max(retain.length, 1)));
    for (let start = 0; start < forget.length; start += chunk) {
      const best = tf.tidy(() => {
        const a = tf.slice(pf, [start, 0], [Math.min(chunk, forget.length - start), -1]);
        const d = tf.sub(tf.add(tf.expandDims(tf.sum(tf.square(a), 1), 1), tf.expandDims(rNorm, 0)), tf.mul(2, tf.matMul(a, pr, false, true)));
        return tf.argMin(d, 1).dataSync();
      });
      for (const j of best) nearest.add(retain[j]!);
    }
    rNorm.dispose();
  } finally {
    tf.dispose([pf, pr]);
  }
  return Int32Array.from(nearest).sort();
}
