/**
 * RAUL's forget objectives (specs/raul.md): pull forget predictions toward a reference
 * distribution.
 * - UniDist: L_f = mean_i H(U, p_i) = mean_i [-(1/C) sum_c log p_ic], i.e. KL(U || p) + log C
 *   (the direction is KL(uniform || model)); computed from log-softmax, no epsilon.
 * - HeldDist: per class k present in both the forget batch and a held-out batch,
 *   KL(pf_k || pv_k) between the mean predicted distributions (clamped to [1e-10, 1]);
 *   the mean over those classes. The reference is not detached. With no class shared the
 *   term does not exist (the spec's "0" would be a constant with no gradient): the caller
 *   checks `sharedClasses` first and skips the term for that step.
 */
import * as tf from '@tensorflow/tfjs';

export function uniformReferenceLoss(logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.mean(tf.logSoftmax(logits), 1))) as tf.Scalar);
}

/**
 * Mean softmax of each listed class's rows, [classes, C], as one product with a
 * membership matrix (1/n_k where row i has class k): differentiable on every backend,
 * where gather's gradient needs a kernel wasm lacks (UnsortedSegmentSum).
 */
function classMeans(logits: tf.Tensor2D, labels: Int32Array, classes: number[]): tf.Tensor2D {
  const membership = new Float32Array(classes.length * labels.length);
  classes.forEach((k, row) => {
    const members = labels.filter((l) => l === k).length;
    labels.forEach((l, i) => {
      if (l === k) membership[row * labels.length + i] = 1 / members;
    });
  });
  return tf.matMul(tf.tensor2d(membership, [classes.length, labels.length]), tf.softmax(logits));
}

/** Classes present in both batches, ascending: the classes HeldDist compares. */
export function sharedClasses(forgetLabels: Int32Array, heldOutLabels: Int32Array): number[] {
  const inHeldOut = new Set(heldOutLabels);
  return [...new Set(forgetLabels)].filter((k) => inHeldOut.has(k)).sort((a, b) => a - b);
}

export function heldOutReferenceLoss(
  forgetLogits: tf.Tensor2D,
  forgetLabels: Int32Array,
  heldOutLogits: tf.Tensor2D,
  heldOutLabels: Int32Array,
): tf.Scalar {
  const shared = sharedClasses(forgetLabels, heldOutLabels);
  if (shared.length === 0) throw new Error('HeldDist has no term when the forget and held-out batches share no class; skip it for the step');
  return tf.tidy(() => {
    const pf = tf.clipByValue(classMeans(forgetLogits, forgetLabels, shared), 1e-10, 1);
    const pv = tf.clipByValue(classMeans(heldOutLogits, heldOutLabels, shared), 1e-10, 1);
    const kl = tf.sum(tf.mul(pf, tf.sub(tf.log(pf), tf.log(pv))), 1);
    return tf.mean(kl) as tf.Scalar;
  });
}
