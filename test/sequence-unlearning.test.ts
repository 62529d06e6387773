import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import { DEFAULT_FACTS_OPTIONS, generateFacts, pairsOf } from '../src/main/engine/data/facts/facts-dataset.js';
import { factsTokenizer } from '../src/main/engine/data/facts/facts-tokenizer.js';
import { Transformer } from '../src/main/engine/models/transformer.js';
import { encodeQa, makeSequenceBatch, disposeBatch, type Sequence } from '../src/main/engine/text/sequences.js';
import { trainLanguageModel } from '../src/main/engine/train/lm-trainer.js';
import { sequenceNll, weightedTokenLogProbs } from '../src/main/engine/train/sequence-loss.js';
import { answerLogLikelihoods, npoLoss, uniformKl } from '../src/main/engine/unlearn/sequence-objectives.js';
import { unlearnSequences, type SequenceMethod } from '../src/main/engine/unlearn/sequence-unlearning.js';

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
});

describe('unlearning a language model', () => {
  const facts = generateFacts({ ...DEFAULT_FACTS_OPTIONS, people: 3, attributes: 2, generalSentences: 2, heldOutFraction: 0 });
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

  it.each([
    ['ga', 'mean', 1],
    ['graddiff', 'upgrad', 2],
    ['npo', 'upgrad', 2],
    ['raul-unidist', 'upgrad', 2],
  ] as [SequenceMethod, string, number][])('%s with %s moves the forget answers away and records each step', async (method, aggregator, objectives) => {
    const model = copyOf(original);
    const before = measure(model, forget);
    const records = await unlearnSequences(model, original, forget, retain, { method, aggregator, steps: 4, batchSize: 2, lr: 3e-3, beta: 0.1, seed: 0 });
    const after = measure(model, forget);
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
});
