import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { EvaluationChecksSchema, MIA_FEATURE_NAMES } from '../src/shared/evaluation.js';
import { parseTrainConfig } from '../src/shared/train-config.js';
import { initBackend } from '../src/main/engine/backend.js';
import { makeInputBatch } from '../src/main/engine/data/batches.js';
import { channelStatistics } from '../src/main/engine/data/dataset.js';
import { computeSplit } from '../src/main/engine/data/split.js';
import { assess, pgdAccuracy, relearnAttack, wholeClassesForgotten, type AssessmentInput } from '../src/main/engine/evaluation/assess.js';
import { miaEfficacy, miaFeature } from '../src/main/engine/evaluation/mia.js';
import { idleMiaWorkers } from '../src/main/engine/evaluation/mia-parallel.js';
import { readScoreFile, writeScoreFile } from '../src/main/engine/evaluation/score-file.js';
import { retainOf, selectByRule } from '../src/main/engine/forget/forget-rules.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import { evaluate } from '../src/main/engine/train/evaluate.js';
import { boundaryItems, confusedClassItems } from '../src/main/engine/unlearn/boundary.js';
import { CancelledError, trainClassifier } from '../src/main/engine/train/trainer.js';
import { makeTempDir, syntheticDataset, copyOf } from './helpers.js';
import { referenceSvm } from './reference-svm.js';

const dataset = syntheticDataset(800, 4, 8, 1, 31);
const split = computeSplit(dataset, { seed: 0, testFraction: 0.2, heldOutFraction: 0.1 });
const forget = selectByRule({ kind: 'random', percent: 10, seed: 1 }, dataset.labels, dataset.classNames, split.train).indices;
const retain = retainOf(split.train, forget);
const checks = EvaluationChecksSchema.parse({ relearnSamples: 16, relearnBudget: 30, pgdSamples: 40 });
let trained: Classifier;
let untrained: Classifier;


function input(model: Classifier, overrides: Partial<AssessmentInput> = {}): AssessmentInput {
  return { model, original: trained, loadCopy: () => copyOf(model), dataset, split, forget, retain, checks, batchSize: 200, ...overrides };
}

const percent = (model: Classifier, indices: Int32Array) => 100 * evaluate(model, dataset, indices, 1000).accuracy;

beforeAll(async () => {
  await initBackend('wasm');
  const spec = { architecture: 'mlp' as const, inputShape: [8, 8, 1] as [number, number, number], numClasses: 4, normalization: channelStatistics(dataset, split.train), seed: 3 };
  trained = Classifier.create(spec);
  await trainClassifier(trained, dataset, split, parseTrainConfig({ dataset: 's', model: 'mlp', epochs: 3, batchSize: 32, lr: 0.05 }));
  untrained = Classifier.create({ ...spec, seed: 9 });
});

describe('assessment of a model against a forget set', () => {
  it('reports UA, RA, TA as the accuracies measured independently, MIA from the same attack, and scores per sample', async () => {
    const { assessment: a, scores } = await assess(input(trained));
    expect(a.UA).toBeCloseTo(100 - percent(trained, forget), 10);
    expect(a.RA).toBeCloseTo(percent(trained, retain), 10);
    expect(a.TA).toBeCloseTo(percent(trained, split.test), 10);
    expect(a.forgottenClasses).toEqual([]);
    expect(a.counts).toEqual({ forget: forget.length, retain: retain.length, test: split.test.length, heldOut: split.heldOut.length });
    // The headline MIA is the confidence attack, recomputed here in this thread.
    const scored = (indices: Int32Array) => {
      const p = tf.tidy(() => tf.softmax(trained.predict(makeInputBatch(dataset, indices))).dataSync() as Float32Array);
      return { probabilities: p, labels: Int32Array.from(indices, (i) => dataset.labels[i]!), classes: 4 };
    };
    expect(a.MIA).toBeCloseTo(100 * miaEfficacy('confidence', scored(retain), scored(split.test), scored(forget)), 10);
    for (const value of Object.values(a.mia)) expect(value).toBeGreaterThanOrEqual(0);
    expect(Object.keys(a.mia).sort()).toEqual(['confidence', 'correctness', 'entropy', 'm_entropy', 'prob']);
    // Per-sample scores survive a write and read, and p_y is the softmax of the true label.
    const file = path.join(makeTempDir('scores'), 'a.scores');
    writeScoreFile(file, scores);
    const back = readScoreFile(file);
    expect(back.map((g) => [g.name, g.indices.length])).toEqual([['forget', forget.length], ['retain', retain.length], ['test', split.test.length], ['heldOut', split.heldOut.length]]);
    const forgetScores = back[0]!;
    const direct = scored(forget.subarray(0, 5));
    for (let i = 0; i < 5; i++) {
      const py = direct.probabilities[i * 4 + direct.labels[i]!]!;
      expect(forgetScores.indices[i]).toBe(forget[i]);
      expect(forgetScores.columns.confidence[i]).toBeCloseTo(py, 6);
      expect(forgetScores.columns.loss[i]).toBeCloseTo(-Math.log(py), 4);
    }
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 100));
    expect(() => readScoreFile(file)).toThrow(/is not a Lethe score file/);
  });

  it('gives, for an original and a model far from it, the numbers of each definition computed directly', async () => {
    // Softmax rows from one plain forward per group, features by the spec's formulas, and the
    // SVM solved by the direct solver: the evaluation's fast path must agree to the bit.
    const softmaxRows = (model: Classifier, indices: Int32Array) => Array.from(tf.tidy(() => tf.softmax(model.predict(makeInputBatch(dataset, indices))).arraySync() as number[][]));
    const labelsOf = (indices: Int32Array) => Array.from(indices, (i) => dataset.labels[i]!);
    for (const model of [trained, untrained]) {
      const { assessment: a } = await assess(input(model, { checks: { ...checks, relearn: false, pgd: false, boundary: false } }));
      expect(a.UA).toBeCloseTo(100 - percent(model, forget), 10);
      expect(a.RA).toBeCloseTo(percent(model, retain), 10);
      expect(a.TA).toBeCloseTo(percent(model, split.test), 10);
      const rows = { retain: softmaxRows(model, retain), test: softmaxRows(model, split.test), forget: softmaxRows(model, forget) };
      const members = split.test.length;
      for (const feature of MIA_FEATURE_NAMES) {
        const features = (group: keyof typeof rows, labels: number[]) => rows[group].map((p, i) => miaFeature(feature, Float32Array.from(p), labels[i]!));
        const memberFeatures = features('retain', labelsOf(retain)).slice(0, members);
        const nonMemberFeatures = features('test', labelsOf(split.test));
        const svm = referenceSvm([...memberFeatures, ...nonMemberFeatures], [...memberFeatures.map(() => 1), ...nonMemberFeatures.map(() => 0)], { C: 3 });
        const forgetFeatures = features('forget', labelsOf(forget));
        const efficacy = 100 * (forgetFeatures.filter((f) => svm.predict(f) === 0).length / forgetFeatures.length);
        expect(a.mia[feature], feature).toBe(efficacy);
      }
      expect(a.MIA).toBe(a.mia.confidence);
    }
  });

  it('leaves whole forgotten classes out of TA and measures the boundary on the most confused classes', async () => {
    const classForget = selectByRule({ kind: 'classes', classes: [1] }, dataset.labels, dataset.classNames, split.train).indices;
    expect(wholeClassesForgotten(dataset, split.train, classForget)).toEqual([1]);
    expect(wholeClassesForgotten(dataset, split.train, forget)).toEqual([]);
    const { assessment: a } = await assess(input(trained, { forget: classForget, retain: retainOf(split.train, classForget), checks: { ...checks, relearn: false, pgd: false } }));
    const otherTest = split.test.filter((i) => dataset.labels[i] !== 1);
    expect(a.counts.test).toBe(otherTest.length);
    expect(a.TA).toBeCloseTo(percent(trained, otherTest), 10);
    expect(a.boundary?.rule).toBe('confused');
  });

  it("boundary accuracy is the evaluated model's accuracy on the original's boundary items", async () => {
    // Class-wise: the retain samples of the two classes the original puts the most probability on
    // over the forget samples (their own label excluded), recomputed here in float64.
    const classForget = selectByRule({ kind: 'classes', classes: [1] }, dataset.labels, dataset.classNames, split.train).indices;
    const classRetain = retainOf(split.train, classForget);
    const probabilities = tf.tidy(() => tf.softmax(trained.predict(makeInputBatch(dataset, classForget))).dataSync());
    const confusion = [0, 1, 2, 3].map((c) => (c === 1 ? -Infinity : classForget.reduce((s, _, row) => s + probabilities[row * 4 + c]!, 0)));
    const confused = [0, 1, 2, 3].sort((a, b) => confusion[b]! - confusion[a]!).slice(0, 2);
    const items = classRetain.filter((i) => confused.includes(dataset.labels[i]!));
    expect([...confusedClassItems(trained, dataset, classForget, classRetain)]).toEqual([...items]);
    const noExtras = { ...checks, relearn: false, pgd: false };
    // The evaluated model differs from the original, so the value cannot come from the wrong one.
    const { assessment: a } = await assess(input(untrained, { forget: classForget, retain: classRetain, checks: noExtras }));
    expect(a.boundary).toMatchObject({ rule: 'confused', items: items.length });
    expect(a.boundary!.accuracy).toBeCloseTo(percent(untrained, items), 10);
    expect(percent(untrained, items)).not.toBeCloseTo(percent(trained, items), 0);
    // Random forgetting: the retain sample nearest each forget sample in the original's predictions.
    const { assessment: b } = await assess(input(untrained, { checks: noExtras }));
    const nearest = boundaryItems(trained, dataset, forget, retain);
    expect(b.boundary).toMatchObject({ rule: 'nearest', items: nearest.length });
    expect(b.boundary!.accuracy).toBeCloseTo(percent(untrained, nearest), 10);
  });

  it('keeps the boundary items for the next evaluation against the same original, and for nothing else', async () => {
    const noExtras = { ...checks, relearn: false, pgd: false };
    const forwards = vi.spyOn(trained, 'predict');
    try {
      const first = await assess(input(untrained, { checks: noExtras, originalKey: 'original-a' }));
      const computed = forwards.mock.calls.length;
      expect(computed).toBeGreaterThan(0);
      // The same original and sets: the items kept, the original not forwarded again, the same number.
      const again = await assess(input(untrained, { checks: noExtras, originalKey: 'original-a' }));
      expect(forwards.mock.calls.length).toBe(computed);
      expect(again.assessment.boundary).toEqual(first.assessment.boundary);
      // Without a key, and under another key, computed afresh: still the same number.
      for (const originalKey of [undefined, 'original-b']) {
        const calls = forwards.mock.calls.length;
        const fresh = await assess(input(untrained, { checks: noExtras, originalKey }));
        expect(forwards.mock.calls.length).toBeGreaterThan(calls);
        expect(fresh.assessment.boundary).toEqual(first.assessment.boundary);
      }
      // Another forget set under the same key: its own items.
      const other = selectByRule({ kind: 'random', percent: 10, seed: 2 }, dataset.labels, dataset.classNames, split.train).indices;
      const calls = forwards.mock.calls.length;
      const { assessment } = await assess(input(untrained, { checks: noExtras, originalKey: 'original-a', forget: other, retain: retainOf(split.train, other) }));
      expect(forwards.mock.calls.length).toBeGreaterThan(calls);
      expect(assessment.boundary!.items).toBe(boundaryItems(trained, dataset, other, retainOf(split.train, other)).length);
    } finally {
      forwards.mockRestore();
    }
  });

  it('a cancellation stops the evaluation, also while the MIA attacks run; the attack workers are kept only after attacks that finished', async () => {
    await assess(input(trained));
    const kept = idleMiaWorkers();
    expect(kept).toBeGreaterThanOrEqual(1);
    await assess(input(trained));
    expect(idleMiaWorkers()).toBe(kept);
    for (const at of ['predictions', 'MIA attacks (SVM)']) {
      const controller = new AbortController();
      const phases: string[] = [];
      const onPhase = (name: string) => {
        phases.push(name);
        if (name === at) controller.abort();
      };
      await expect(assess(input(trained, { signal: controller.signal, onPhase }))).rejects.toBeInstanceOf(CancelledError);
      expect(phases[phases.length - 1]).toBe(at);
    }
    expect(idleMiaWorkers()).toBe(0);
  });

  it('PGD toward the forgotten label never lowers forget accuracy, and a vanishing budget changes nothing', () => {
    const samples = forget.subarray(0, 40);
    const clean = evaluate(untrained, dataset, samples, 1000).accuracy;
    expect(pgdAccuracy(untrained, dataset, samples, 1e-7, 5, 20)).toBeCloseTo(clean, 10);
    const attacked = pgdAccuracy(untrained, dataset, samples, 0.3, 10, 20);
    expect(attacked).toBeGreaterThan(clean);
  });

  it('the relearning attack needs no step on the original, several on a model that never learnt, and reports budget + 1 when it fails', async () => {
    const original = await relearnAttack(input(trained));
    expect(original).toMatchObject({ steps: 0, recovered: true });
    const fresh = await relearnAttack(input(untrained));
    expect(fresh.recovered).toBe(true);
    expect(fresh.steps).toBeGreaterThan(0);
    expect(fresh.after).toBeGreaterThanOrEqual(fresh.target);
    const starved = await relearnAttack(input(untrained, { checks: { ...checks, relearnBudget: 1, relearnLr: 1e-7 } }));
    expect(starved).toMatchObject({ steps: 2, recovered: false, budget: 1 });
  });

  it('refuses an empty forget set', async () => {
    await expect(assess(input(trained, { forget: new Int32Array(0) }))).rejects.toThrow(/forget set is empty/);
  });
});
