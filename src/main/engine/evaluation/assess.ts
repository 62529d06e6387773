/**
 * The field's evaluation of a model against a forget set (specs/evaluation-and-baselines.md):
 * UA, RA, TA (forgotten classes left out of the test set), MIA-efficacy on every
 * feature (confidence is the reported one), per-sample scores for histograms, and the
 * stronger checks: boundary accuracy, accuracy under PGD toward the forgotten label,
 * and the relearning attack.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { MIA_FEATURE_NAMES, type Assessment, type EvaluationChecks, type MiaFeatureName, type RelearnOutcome } from '../../../shared/evaluation.js';
import { makeInputBatch, makeLabelBatch } from '../data/batches.js';
import type { ImageDataset } from '../data/dataset.js';
import type { Classifier } from '../models/classifier.js';
import { mean } from '../moo/mean.js';
import { multiObjectiveStep } from '../moo/multi-objective-step.js';
import { Random } from '../random.js';
import { countCorrect, crossEntropy, evaluate } from '../train/evaluate.js';
import { AdamWOptimizer } from '../train/optimizers.js';
import { CancelledError } from '../train/trainer.js';
import { boundaryItems, confusedClassItems } from '../unlearn/boundary.js';
import { crossEntropyObjective, cycled } from '../unlearn/method.js';
import { miaEfficacies } from './mia-parallel.js';
import { probabilities } from './predictions.js';
import { scoreGroup, type ScoreGroup } from './score-file.js';

export interface AssessmentInput {
  model: Classifier;
  /** The model the forget set was unlearned from (the model itself when it is the original). */
  original: Classifier;
  /**
   * What identifies the original's weights (its checkpoint hash), where known: the
   * boundary items, which depend only on the original, the data and the forget and retain
   * sets, are then kept for the next evaluation against the same original.
   */
  originalKey?: string;
  /** Loads a fresh, trainable copy of the model for the relearning attack. */
  loadCopy: () => Classifier;
  dataset: ImageDataset;
  split: { train: Int32Array; heldOut: Int32Array; test: Int32Array };
  forget: Int32Array;
  retain: Int32Array;
  checks: EvaluationChecks;
  batchSize: number;
  signal?: AbortSignal;
  onPhase?: (phase: string) => void;
}

/** Classes whose every train sample is in the forget set (class-wise forgetting). */
export function wholeClassesForgotten(dataset: ImageDataset, train: Int32Array, forget: Int32Array): number[] {
  const C = dataset.classNames.length;
  const inTrain = new Int32Array(C);
  const inForget = new Int32Array(C);
  for (const i of train) inTrain[dataset.labels[i]!]! += 1;
  for (const i of forget) inForget[dataset.labels[i]!]! += 1;
  return [...inTrain.keys()].filter((c) => inTrain[c]! > 0 && inForget[c] === inTrain[c]);
}

function labelsOf(dataset: ImageDataset, indices: Int32Array): Int32Array {
  return Int32Array.from(indices, (i) => dataset.labels[i]!);
}

function accuracyOf(probs: Float32Array, labels: Int32Array, classes: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = probs.subarray(i * classes, (i + 1) * classes);
    let best = 0;
    for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
    if (best === labels[i]) correct += 1;
  }
  return labels.length ? correct / labels.length : NaN;
}

/**
 * Accuracy on the samples after an L-infinity PGD attack that lowers the cross-entropy
 * of their true (forgotten) label: steps of size 2.5 eps / steps on the gradient's sign,
 * projected to the eps-ball and to [0, 1] (Madry et al.).
 */
export function pgdAccuracy(model: Classifier, dataset: ImageDataset, samples: Int32Array, epsilon: number, steps: number, batchSize: number): number {
  const stepSize = (2.5 * epsilon) / steps;
  let correct = 0;
  for (let start = 0; start < samples.length; start += batchSize) {
    const batch = samples.subarray(start, start + batchSize);
    correct += tf.tidy(() => {
      const clean = makeInputBatch(dataset, batch);
      const labels = makeLabelBatch(dataset, batch);
      const lossOf = (x: tf.Tensor) => crossEntropy(model.predict(x as tf.Tensor4D), labels);
      const gradient = tf.grad(lossOf);
      let x: tf.Tensor4D = clean;
      for (let s = 0; s < steps; s++) {
        const next = tf.tidy(() => {
          const moved = tf.sub(x, tf.mul(stepSize, tf.sign(gradient(x))));
          return tf.clipByValue(tf.minimum(tf.maximum(moved, tf.sub(clean, epsilon)), tf.add(clean, epsilon)), 0, 1) as tf.Tensor4D;
        });
        if (x !== clean) x.dispose();
        x = next;
      }
      return countCorrect(model.predict(x), labels).dataSync()[0]!;
    });
  }
  return samples.length ? correct / samples.length : NaN;
}

/**
 * The relearning attack: Adam (lr from the checks, no weight decay) on a seeded sample of
 * the forget set, one batch per step, until the accuracy on the other forget samples
 * reaches `target` times the original model's on them, or the budget runs out.
 */
export async function relearnAttack(input: AssessmentInput): Promise<RelearnOutcome> {
  const { dataset, forget, checks, batchSize } = input;
  const order = new Random(0, 'relearn').permutation(forget.length);
  const shuffled = Int32Array.from(order, (p) => forget[p]!);
  const attack = shuffled.subarray(0, Math.min(checks.relearnSamples, forget.length));
  // With a forget set no larger than the attack sample, recovery is measured on the attack sample itself.
  const rest = shuffled.subarray(attack.length);
  const probe = rest.length > 0 ? rest.subarray(0, 2048) : attack;
  const target = checks.relearnTarget * evaluate(input.original, dataset, probe, batchSize).accuracy;
  const model = input.loadCopy();
  const optimizer = new AdamWOptimizer(0);
  try {
    const before = evaluate(model, dataset, probe, batchSize).accuracy;
    let now = before;
    let steps = 0;
    const next = cycled(attack, checks.relearnBatchSize, new Random(0, 'relearn-batches'));
    while (now < target && steps < checks.relearnBudget) {
      if (input.signal?.aborted) throw new CancelledError();
      multiObjectiveStep(model.trainableVariables(), [crossEntropyObjective(model, dataset, next())], mean(), optimizer, checks.relearnLr);
      steps += 1;
      now = evaluate(model, dataset, probe, batchSize).accuracy;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const recovered = now >= target;
    return { steps: recovered ? steps : checks.relearnBudget + 1, recovered, budget: checks.relearnBudget, target, before, after: now };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/**
 * Boundary items of the last few (original, dataset, rule, forget, retain): a study
 * evaluates every method's model against one original, and each computation forwards the
 * original over the whole train split (54,000 samples in the demo) to the same result.
 */
const boundaryItemsKept = new Map<string, Int32Array>();
const BOUNDARY_ITEMS_KEPT = 4;

function keptBoundaryItems(input: AssessmentInput, rule: 'nearest' | 'confused', compute: () => Int32Array): Int32Array {
  if (input.originalKey === undefined) return compute();
  const digest = createHash('sha256');
  for (const indices of [input.forget, input.retain]) digest.update(new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength)).update('|');
  const key = `${input.originalKey}|${input.dataset.digest}|${rule}|${digest.digest('hex')}`;
  let items = boundaryItemsKept.get(key);
  if (!items) {
    items = compute();
    if (boundaryItemsKept.size >= BOUNDARY_ITEMS_KEPT) boundaryItemsKept.delete(boundaryItemsKept.keys().next().value!);
    boundaryItemsKept.set(key, items);
  }
  return items;
}

export interface AssessmentOutcome {
  assessment: Assessment;
  scores: ScoreGroup[];
}

export async function assess(input: AssessmentInput): Promise<AssessmentOutcome> {
  const started = performance.now();
  const { model, dataset, split, forget, retain, checks, batchSize } = input;
  if (forget.length === 0) throw new Error('the forget set is empty: there is nothing to evaluate forgetting on');
  const classes = dataset.classNames.length;
  const forgottenClasses = wholeClassesForgotten(dataset, split.train, forget);
  const gone = new Set(forgottenClasses);
  const test = split.test.filter((i) => !gone.has(dataset.labels[i]!));
  if (test.length === 0) throw new Error('every test sample belongs to a forgotten class: TA and the MIA attack need test samples of other classes');
  const phase = (name: string) => {
    if (input.signal?.aborted) throw new CancelledError();
    input.onPhase?.(name);
  };

  phase('predictions');
  const groups = { forget, retain, test, heldOut: split.heldOut };
  const scoredOf = (indices: Int32Array, probs = probabilities(model, dataset, indices, batchSize)) => ({ probabilities: probs, labels: labelsOf(dataset, indices), classes });
  // The attacks need the forget and test samples and the first |test| retain ones: those
  // first, then the attacks start in worker threads and this thread computes the rest of
  // the retain set (whole batches before, so every batch is the one a single pass makes)
  // and the tensor checks below meanwhile.
  const retainHead = retain.subarray(0, Math.min(retain.length, Math.ceil(test.length / batchSize) * batchSize));
  const [forgetScored, testScored, retainHeadScored] = [forget, test, retainHead].map((indices) => scoredOf(indices));
  const attacks = miaEfficacies(MIA_FEATURE_NAMES, retainHeadScored!, testScored!, forgetScored!, input.signal);
  attacks.catch(() => {}); // awaited below; an early failure here must not go unhandled
  const retainProbabilities = new Float32Array(retain.length * classes);
  retainProbabilities.set(retainHeadScored!.probabilities);
  retainProbabilities.set(probabilities(model, dataset, retain.subarray(retainHead.length), batchSize), retainHead.length * classes);
  const scored = { forget: forgetScored!, retain: scoredOf(retain, retainProbabilities), test: testScored!, heldOut: scoredOf(split.heldOut) };
  const percentCorrect = (name: keyof typeof groups) => 100 * accuracyOf(scored[name].probabilities, scored[name].labels, classes);
  const assessment: Assessment = {
    UA: 100 - percentCorrect('forget'),
    RA: percentCorrect('retain'),
    TA: percentCorrect('test'),
    MIA: NaN,
    mia: {} as Record<MiaFeatureName, number>,
    forgottenClasses,
    counts: { forget: forget.length, retain: retain.length, test: test.length, heldOut: split.heldOut.length },
    seconds: 0,
  };
  if (checks.boundary) {
    phase('boundary accuracy');
    const rule = forgottenClasses.length > 0 ? 'confused' : 'nearest';
    const items = keptBoundaryItems(input, rule, () =>
      rule === 'confused' ? confusedClassItems(input.original, dataset, forget, retain) : boundaryItems(input.original, dataset, forget, retain),
    );
    assessment.boundary = { accuracy: 100 * evaluate(model, dataset, items, batchSize).accuracy, items: items.length, rule };
  }
  if (checks.pgd) {
    phase('PGD toward the forgotten label');
    const samples = forget.subarray(0, Math.min(checks.pgdSamples, forget.length));
    assessment.pgd = {
      accuracy: 100 * pgdAccuracy(model, dataset, samples, checks.pgdEpsilon, checks.pgdSteps, Math.min(batchSize, 500)),
      cleanAccuracy: 100 * accuracyOf(scored.forget.probabilities.subarray(0, samples.length * classes), scored.forget.labels.subarray(0, samples.length), classes),
      samples: samples.length,
      epsilon: checks.pgdEpsilon,
      steps: checks.pgdSteps,
    };
  }
  if (checks.relearn) {
    phase('relearning attack');
    assessment.relearn = await relearnAttack(input);
  }
  phase('MIA attacks (SVM)');
  const mia = await attacks;
  for (const feature of MIA_FEATURE_NAMES) assessment.mia[feature] = 100 * mia[feature];
  assessment.MIA = assessment.mia.confidence;
  assessment.seconds = (performance.now() - started) / 1000;
  const scores = Object.entries(scored).map(([name, s]) => scoreGroup(name, groups[name as keyof typeof groups], s.labels, s.probabilities, classes));
  return { assessment, scores };
}
