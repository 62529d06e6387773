import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import { DEFAULT_FACTS_OPTIONS, generateFacts, heldOutPeople, pairsOf } from '../src/main/engine/data/facts/facts-dataset.js';
import { factsTokenizer } from '../src/main/engine/data/facts/facts-tokenizer.js';
import { Transformer } from '../src/main/engine/models/transformer.js';
import { encodeQa, makeSequenceBatch, disposeBatch, type Sequence } from '../src/main/engine/text/sequences.js';
import { trainLanguageModel } from '../src/main/engine/train/lm-trainer.js';
import { sequenceNll, weightedTokenLogProbs } from '../src/main/engine/train/sequence-loss.js';
import { answerLogLikelihoods, bldForgetLoss, distillationKl, heldOutReferences, npoLoss, referenceKl, uniformKl } from '../src/main/engine/unlearn/sequence-objectives.js';
import { unlearnSequences } from '../src/main/engine/unlearn/sequence-unlearning.js';
import { SEQUENCE_METHOD_NAMES, type SequenceMethodName } from '../src/shared/lm-unlearn-config.js';
import { methodInfoFor, methodsFor, SEQUENCE_METHOD_INFO } from '../src/main/engine/unlearn/method-info.js';
import { sequenceMethod } from '../src/main/engine/unlearn/method-registry.js';
import type { ObjectiveValue } from '../src/main/engine/moo/multi-objective-step.js';
import { relearningAttack, splitForRelearning } from '../src/main/engine/evaluation/lm/relearning.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const softplus = (x: number) => Math.log(1 + Math.exp(x));

describe('sequence objectives (hand-computed)', () => {
  it('NPO is (2/β) mean softplus(β (ℓ - ℓ_ref)) with gradient (2/n) σ(β (ℓ - ℓ_ref))', () => {
    const theta = tf.tensor1d([-2, -5]);
    const reference = tf.tensor1d([-1, -6]);
    expect(npoLoss(theta, reference, 0.1).dataSync()[0]).toBeCloseTo((2 / 0.1) * ((softplus(-0.1) + softplus(0.1)) / 2), 5);
    const gradient = tf.grad((l: tf.Tensor) => npoLoss(l as tf.Tensor1D, reference, 0.1))(theta).dataSync();
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    expect(gradient[0]).toBeCloseTo((2 / 2) * sigmoid(-0.1), 5);
    expect(gradient[1]).toBeCloseTo((2 / 2) * sigmoid(0.1), 5);
    tf.dispose([theta, reference]);
  });

  it('KL(uniform || p) over the weighted positions only', () => {
    // Position 0: p = (1/7, 2/7, 4/7); position 1 (weight 0) is ignored.
    const logits = tf.tensor3d([[[0, Math.log(2), Math.log(4)], [5, 0, 0]]]);
    const weights = tf.tensor2d([[1, 0]]);
    const p = [1 / 7, 2 / 7, 4 / 7];
    const expected = p.reduce((s, pv) => s + (1 / 3) * (Math.log(1 / 3) - Math.log(pv)), 0);
    expect(uniformKl(logits, weights).dataSync()[0]).toBeCloseTo(expected, 5);
    expect(uniformKl(tf.zeros([1, 2, 3]) as tf.Tensor3D, tf.ones([1, 2]) as tf.Tensor2D).dataSync()[0]).toBeCloseTo(0, 6);
    tf.dispose([logits, weights]);
  });

  it('KL(r || p) to a per-sequence reference; BLD pushes the true token down and distils the rest', () => {
    const logits = tf.tensor3d([[[0, Math.log(2), Math.log(4)]]]);
    const weights = tf.tensor2d([[1]]);
    const p = [1 / 7, 2 / 7, 4 / 7];
    const r = [0.5, 0.25, 0.25];
    const kl = (a: number[], b: number[]) => a.reduce((s, av, i) => s + (av > 0 ? av * (Math.log(av) - Math.log(b[i]!)) : 0), 0);
    expect(referenceKl(logits, weights, tf.tensor2d([r])).dataSync()[0]).toBeCloseTo(kl(r, p), 5);
    // Teacher p_t = (4/6, 1/6, 1/6); true token 0 masked out: target (0, 1/2, 1/2).
    const teacher = tf.tensor3d([[[Math.log(4), 0, 0]]]);
    const forgetLoss = bldForgetLoss(logits, teacher, tf.tensor2d([[0]], [1, 1], 'int32'), weights).dataSync()[0]!;
    expect(forgetLoss).toBeCloseTo(kl([0, 0.5, 0.5], p) - Math.log(1 - 1 / 7), 4);
    expect(distillationKl(logits, teacher, weights).dataSync()[0]).toBeCloseTo(kl([4 / 6, 1 / 6, 1 / 6], p), 5);
    tf.dispose([logits, weights, teacher]);
  });
});

describe('the method registry by kind of model', () => {
  it('lists the sequence methods for language models, each with a registered implementation, and refuses classifier-only ones', () => {
    expect(Object.keys(methodsFor('language-model'))).toEqual([...SEQUENCE_METHOD_NAMES]);
    for (const name of SEQUENCE_METHOD_NAMES) expect(sequenceMethod(name).name).toBe(name);
    expect(Object.keys(methodsFor('classifier'))).toContain('scrub');
    expect(() => methodInfoFor('language-model', 'scrub')).toThrow(/unknown language-model method 'scrub'; available: ga, graddiff, npo, raul-unidist, raul-helddist, bld/);
    expect(() => sequenceMethod('rl')).toThrow(/unknown language-model method 'rl'/);
  });
});

describe('unlearning a language model', () => {
  const facts = generateFacts({ ...DEFAULT_FACTS_OPTIONS, people: 3, attributes: 2, generalSentences: 2, heldOutFraction: 0.34 });
  const tokenizer = factsTokenizer();
  const encode = (people: number[]) => pairsOf(facts, people).map((p) => encodeQa(tokenizer, p.question, p.answer));
  const forget = encode([0]);
  const retain = encode([1, 2]);
  const spec = { architecture: 'transformer' as const, dModel: 32, layers: 1, heads: 2, contextLength: 40, vocabularySize: tokenizer.vocabularySize, tokenizer: tokenizer.spec, seed: 0 };
  let original: Transformer;

  function copyOf(model: Transformer): Transformer {
    const copy = Transformer.create(model.spec);
    copy.tensors().forEach((t, i) => t.variable.assign(model.tensors()[i]!.variable));
    return copy;
  }

  function measure(model: Transformer, sequences: Sequence[]): { nll: number; logLikelihood: number; uniformKl: number } {
    const batch = makeSequenceBatch(sequences);
    const values = tf.tidy(() => ({
      nll: sequenceNll(model, batch).dataSync()[0]!,
      logLikelihood: tf.mean(answerLogLikelihoods(model, batch)).dataSync()[0]!,
      uniformKl: uniformKl(model.forward(batch.inputs), batch.weights).dataSync()[0]!,
    }));
    disposeBatch(batch);
    return values;
  }

  beforeAll(async () => {
    original = Transformer.create(spec);
    await trainLanguageModel(original, [...forget, ...retain], { epochs: 40, batchSize: 6, lr: 2e-2, weightDecay: 0, warmupFraction: 0.1, clipNorm: 1, seed: 0 });
  });

  it('log p(a|q) is the sum of the answer-token log-probabilities', () => {
    const batch = makeSequenceBatch(forget);
    const sums = weightedTokenLogProbs(original, batch).map((row) => row.reduce((a, b) => a + b, 0));
    const likelihoods = tf.tidy(() => Array.from(answerLogLikelihoods(original, batch).dataSync()));
    likelihoods.forEach((value, i) => expect(value).toBeCloseTo(sums[i]!, 3));
    disposeBatch(batch);
  });

  /** HeldDist's reference row of each forget pair: the held-out people's answers to its attribute. */
  function forgetReferences(): { rows: Float32Array[]; kl: (model: Transformer) => number } {
    const heldOut = pairsOf(facts, heldOutPeople(facts));
    const batches = new Map([...new Set(heldOut.map((p) => p.attribute))].map((a) => [a, makeSequenceBatch(heldOut.filter((p) => p.attribute === a).map((p) => encodeQa(tokenizer, p.question, p.answer)))]));
    const references = heldOutReferences(original, batches);
    batches.forEach(disposeBatch);
    const rows = pairsOf(facts, [0]).map((p) => references.get(p.attribute)!);
    const kl = (model: Transformer) => {
      const batch = makeSequenceBatch(forget);
      const value = tf.tidy(() => referenceKl(model.forward(batch.inputs), batch.weights, tf.tensor2d(rows.flatMap((r) => Array.from(r)), [rows.length, tokenizer.vocabularySize])).dataSync()[0]!);
      disposeBatch(batch);
      return value;
    };
    return { rows, kl };
  }

  it("NPO's objective uses the config's β: (2/β) ln 2 on a copy of the original", () => {
    const model = copyOf(original);
    const [forgetBatch, retainBatch] = [makeSequenceBatch(forget), makeSequenceBatch(retain)];
    for (const beta of [0.1, 0.5]) {
      const objectives = sequenceMethod('npo').objectives({ model, original, forget: forgetBatch, retain: retainBatch, beta });
      const npoObjective = objectives[1] as () => ObjectiveValue;
      const loss = tf.tidy(() => npoObjective().loss.dataSync()[0]!);
      expect(loss).toBeCloseTo((2 / beta) * Math.log(2), 3);
    }
    disposeBatch(forgetBatch);
    disposeBatch(retainBatch);
    model.dispose();
  });

  it("HeldDist references are distributions: the original's mean over held-out answer positions", () => {
    const { rows } = forgetReferences();
    for (const row of rows) {
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(Math.min(...row)).toBeGreaterThanOrEqual(0);
    }
  });

  it.each([
    ['ga', 'mean', 1],
    ['graddiff', 'upgrad', 2],
    ['npo', 'upgrad', 2],
    ['raul-unidist', 'upgrad', 2],
    ['raul-helddist', 'upgrad', 2],
    ['bld', 'upgrad', 2],
  ] as [SequenceMethodName, string, number][])('%s with %s moves the forget answers away and records each step', async (method, aggregator, objectives) => {
    const model = copyOf(original);
    const before = measure(model, forget);
    const held = method === 'raul-helddist' ? forgetReferences() : undefined;
    const heldBefore = held?.kl(model);
    const records = await unlearnSequences(model, original, forget, retain, { method, aggregator, steps: 4, batchSize: 2, lr: 3e-3, beta: 0.1, seed: 0 }, {}, held?.rows);
    const after = measure(model, forget);
    expect(SEQUENCE_METHOD_INFO[method].objectives).toHaveLength(objectives);
    expect(SEQUENCE_METHOD_INFO[method].multiObjective).toBe(objectives > 1);
    if (held) expect(held.kl(model)).toBeLessThan(heldBefore!);
    expect(records).toHaveLength(4);
    for (const record of records) {
      expect(record.losses).toHaveLength(objectives);
      expect(record.weights).toHaveLength(objectives);
      expect(record.weights.every(Number.isFinite)).toBe(true);
    }
    expect(after.nll).toBeGreaterThan(before.nll);
    expect(after.logLikelihood).toBeLessThan(before.logLikelihood);
    if (method === 'raul-unidist') expect(after.uniformKl).toBeLessThan(before.uniformKl);
    // The frozen original is untouched.
    expect(measure(original, forget)).toEqual(before);
    model.dispose();
  });

  it('relearning on part of the forget pairs brings back the rest after gradient ascent, on a copy', async () => {
    const model = copyOf(original);
    await unlearnSequences(model, original, forget, retain, { method: 'ga', aggregator: 'mean', steps: 6, batchSize: 2, lr: 3e-3, beta: 0.1, seed: 0 });
    const options = { steps: 5, lr: 3e-3, batchSize: 1, fraction: 0.5, seed: 0 };
    const { relearn, heldBack } = splitForRelearning(pairsOf(facts, [0]), options.fraction, options.seed);
    expect([relearn.length, heldBack.length]).toEqual([1, 1]);
    const encodedHeldBack = heldBack.map((p) => encodeQa(tokenizer, p.question, p.answer));
    const unlearned = measure(model, encodedHeldBack);
    const result = relearningAttack(model, tokenizer, pairsOf(facts, [0]), options);
    expect([result.relearnPairs, result.before.count, result.after.count]).toEqual([1, 1, 1]);
    // One held-back pair: P̄ is exp(−its mean answer-token NLL).
    expect(result.before.probability).toBeCloseTo(Math.exp(-unlearned.nll), 3);
    expect(result.after.probability).toBeGreaterThan(result.before.probability);
    expect(result.recoveredProbability).toBeCloseTo(result.after.probability - result.before.probability, 12);
    for (const set of [result.before, result.after]) {
      expect([0, 1]).toContain(set.exactMatch);
      expect(set.rougeL).toBeGreaterThanOrEqual(0);
      expect(set.rougeL).toBeLessThanOrEqual(1);
    }
    // No steps: nothing changes, nothing is recovered.
    const idle = relearningAttack(model, tokenizer, pairsOf(facts, [0]), { ...options, steps: 0 });
    expect(idle.after).toEqual(idle.before);
    expect(idle.recoveredProbability).toBe(0);
    // The attack fine-tuned a copy: the unlearned model is as it was.
    expect(measure(model, encodedHeldBack)).toEqual(unlearned);
    model.dispose();
  });

});
