/**
 * Membership inference as the field's protocol runs it (specs/evaluation-and-baselines.md):
 * per-sample features of the softmax output, an RBF-SVM trained to tell the first |test|
 * retain samples (members, 1) from the test set (non-members, 0), and MIA-efficacy =
 * the share of forget samples predicted non-member. The reported number uses the
 * confidence feature; the others are computed too.
 */
import type { MiaFeatureName as MiaFeature } from '../../../shared/evaluation.js';
import { trainSvm } from './svm.js';

const EPS = 1e-30;

/** The feature vector of one sample with softmax output p and label y. */
export function miaFeature(kind: MiaFeature, p: ArrayLike<number>, y: number): number[] {
  switch (kind) {
    case 'confidence':
      return [p[y]!];
    case 'correctness': {
      let argmax = 0;
      for (let c = 1; c < p.length; c++) if (p[c]! > p[argmax]!) argmax = c;
      return [argmax === y ? 1 : 0];
    }
    case 'entropy': {
      let h = 0;
      for (let c = 0; c < p.length; c++) if (p[c]! > 0) h -= p[c]! * Math.log(p[c]!);
      return [h];
    }
    case 'm_entropy': {
      // Song & Mittal: -(1 - p_y) ln p_y - sum_{j != y} p_j ln(1 - p_j).
      let h = -(1 - p[y]!) * Math.log(Math.max(p[y]!, EPS));
      for (let c = 0; c < p.length; c++) if (c !== y) h -= p[c]! * Math.log(Math.max(1 - p[c]!, EPS));
      return [h];
    }
    case 'prob':
      return Array.from(p);
  }
}

export interface ScoredSamples {
  /** Softmax rows, sample-major, `classes` wide. */
  probabilities: ArrayLike<number>;
  labels: ArrayLike<number>;
  classes: number;
}

function features(kind: MiaFeature, s: ScoredSamples, count = s.labels.length): number[][] {
  // A view of each row where the probabilities are a typed array (they are, from the engine), not a copy.
  const p = s.probabilities;
  const rowOf = ArrayBuffer.isView(p) ? (i: number) => (p as Float32Array).subarray(i * s.classes, (i + 1) * s.classes) : (i: number) => Array.prototype.slice.call(p, i * s.classes, (i + 1) * s.classes) as number[];
  return Array.from({ length: Math.min(count, s.labels.length) }, (_, i) => miaFeature(kind, rowOf(i), s.labels[i]!));
}

/**
 * MIA-efficacy in [0, 1] for one feature: members = the first |test| retain samples.
 * `cancel` (a shared flag) stops the SVM fit once element 0 is non-zero.
 */
export function miaEfficacy(kind: MiaFeature, retain: ScoredSamples, test: ScoredSamples, forget: ScoredSamples, cancel?: Int32Array): number {
  const nonMembers = features(kind, test);
  const members = features(kind, retain, nonMembers.length);
  const svm = trainSvm([...members, ...nonMembers], [...members.map(() => 1), ...nonMembers.map(() => 0)], { C: 3, cancel });
  const forgetFeatures = features(kind, forget);
  if (forgetFeatures.length === 0) throw new Error('MIA-efficacy needs forget samples');
  return svm.predictAll(forgetFeatures).filter((member) => member === 0).length / forgetFeatures.length;
}
