import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import { loadCheckpoint, loadLanguageModel, saveCheckpoint } from '../src/main/engine/checkpoint.js';
import { generateFacts, pairsOf, DEFAULT_FACTS_OPTIONS } from '../src/main/engine/data/facts/facts-dataset.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import { causalAttention, Transformer } from '../src/main/engine/models/transformer.js';
import { checkTrainingMemory, TRANSFORMER_SIZES, trainingMemoryBytes, transformerParameterCount, type TransformerSpec } from '../src/main/engine/models/transformer-spec.js';
import { Random } from '../src/main/engine/random.js';
import { generateTokens } from '../src/main/engine/text/generate.js';
import { encodePrompt, encodeQa, encodeText, makeSequenceBatch, type Sequence } from '../src/main/engine/text/sequences.js';
import { EOS, Tokenizer } from '../src/main/engine/text/tokenizer.js';
import { languageModelStep, trainLanguageModel } from '../src/main/engine/train/lm-trainer.js';
import { AdamWOptimizer } from '../src/main/engine/train/optimizers.js';
import { sequenceNll } from '../src/main/engine/train/sequence-loss.js';
import { CancelledError } from '../src/main/engine/train/trainer.js';
import { InvalidRequestError } from '../src/shared/validation.js';
import { makeTempDir } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

// ---------------------------------------------------------------------------------------
// A float64 reference of the same network, written from the definitions, as the oracle.
type Params = Map<string, Float64Array>;

function referenceLayerNorm(x: Float64Array, gamma: Float64Array, beta: Float64Array): Float64Array {
  const d = x.length;
  const mean = x.reduce((a, b) => a + b, 0) / d;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / d;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * gamma[i]! + beta[i]!);
}

function referenceDense(x: Float64Array, kernel: Float64Array, bias: Float64Array): Float64Array {
  const units = bias.length;
  const out = Float64Array.from(bias);
  for (let i = 0; i < x.length; i++) for (let o = 0; o < units; o++) out[o]! += x[i]! * kernel[i * units + o]!;
  return out;
}

const referenceGelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** Direct causal attention for one sequence and head: rows of q, k, v are positions. */
function referenceAttention(q: Float64Array[], k: Float64Array[], v: Float64Array[]): Float64Array[] {
  const dh = q[0]!.length;
  return q.map((qi, i) => {
    const scores = k.slice(0, i + 1).map((kj) => qi.reduce((s, x, c) => s + x * kj[c]!, 0) / Math.sqrt(dh));
    const top = Math.max(...scores);
    const weights = scores.map((s) => Math.exp(s - top));
    const total = weights.reduce((a, b) => a + b, 0);
    const out = new Float64Array(v[0]!.length);
    weights.forEach((w, j) => v[j]!.forEach((x, c) => (out[c]! += (w / total) * x)));
    return out;
  });
}

function referenceLogits(p: Params, spec: TransformerSpec, tokens: readonly number[]): Float64Array[] {
  const { dModel: d, heads, vocabularySize: vocabulary } = spec;
  const dh = d / heads;
  const get = (name: string) => p.get(name)!;
  let x = tokens.map((token, t) => Float64Array.from({ length: d }, (_, c) => get('wte')[token * d + c]! + get('wpe')[t * d + c]!));
  for (let l = 0; l < spec.layers; l++) {
    const b = `block${l}`;
    const qkv = x.map((row) => referenceDense(referenceLayerNorm(row, get(`${b}/ln1/gamma`), get(`${b}/ln1/beta`)), get(`${b}/attn/qkv/kernel`), get(`${b}/attn/qkv/bias`)));
    const mixed = x.map(() => new Float64Array(d));
    for (let h = 0; h < heads; h++) {
      const part = (offset: number) => qkv.map((row) => row.slice(offset + h * dh, offset + (h + 1) * dh));
      referenceAttention(part(0), part(d), part(2 * d)).forEach((row, t) => mixed[t]!.set(row, h * dh));
    }
    x = x.map((row, t) => row.map((v, c) => v + referenceDense(mixed[t]!, get(`${b}/attn/proj/kernel`), get(`${b}/attn/proj/bias`))[c]!));
    x = x.map((row) => {
      const hidden = referenceDense(referenceLayerNorm(row, get(`${b}/ln2/gamma`), get(`${b}/ln2/beta`)), get(`${b}/mlp/fc/kernel`), get(`${b}/mlp/fc/bias`)).map(referenceGelu);
      const out = referenceDense(hidden, get(`${b}/mlp/proj/kernel`), get(`${b}/mlp/proj/bias`));
      return row.map((v, c) => v + out[c]!);
    });
  }
  return x.map((row) => {
    const h = referenceLayerNorm(row, get('ln_f/gamma'), get('ln_f/beta'));
    return Float64Array.from({ length: vocabulary }, (_, token) => h.reduce((s, v, c) => s + v * get('wte')[token * d + c]!, 0));
  });
}

/** Mean NLL over weighted targets, as sequenceNll defines it, in float64. */
function referenceLoss(p: Params, spec: TransformerSpec, sequences: Sequence[]): number {
  let total = 0;
  let count = 0;
  for (const { tokens, lossStart } of sequences) {
    const logits = referenceLogits(p, spec, Array.from(tokens.subarray(0, -1)));
    logits.forEach((row, t) => {
      if (t + 1 < lossStart) return;
      const top = Math.max(...row);
      const logSum = top + Math.log(row.reduce((s, v) => s + Math.exp(v - top), 0));
      total -= row[tokens[t + 1]!]! - logSum;
      count += 1;
    });
  }
  return total / count;
}
// ---------------------------------------------------------------------------------------

const tokenizer = Tokenizer.learn(['Question: Where was Ada born?\nAnswer: Ada was born in Lisbon.']);

function tinySpec(seed = 0): TransformerSpec {
  return { architecture: 'transformer', dModel: 8, layers: 2, heads: 2, contextLength: 24, vocabularySize: tokenizer.vocabularySize, tokenizer: tokenizer.spec, seed };
}

/** A tiny model with weights large enough that every nonlinearity matters. */
function randomizedModel(seed: number): Transformer {
  const model = Transformer.create(tinySpec(seed));
  const random = new Random(seed, 'test-weights');
  for (const { variable } of model.tensors()) {
    variable.assign(tf.tensor(Float32Array.from({ length: variable.size }, () => random.normal() * 0.5), variable.shape));
  }
  return model;
}

function paramsOf(model: Transformer): Params {
  return new Map(model.tensors().map(({ name, variable }) => [name, Float64Array.from(variable.dataSync())]));
}

describe('causal attention', () => {
  it('matches a direct float64 computation and ignores future positions', () => {
    const random = new Random(7, 'attention');
    const shape: [number, number, number, number] = [2, 3, 5, 4];
    const make = () => Float32Array.from({ length: 2 * 3 * 5 * 4 }, () => random.normal());
    const [qv, kv, vv] = [make(), make(), make()];
    const out = tf.tidy(() => causalAttention(tf.tensor4d(qv, shape), tf.tensor4d(kv, shape), tf.tensor4d(vv, shape)).arraySync());
    const rows = (values: Float32Array, b: number, h: number) => Array.from({ length: 5 }, (_, t) => Float64Array.from(values.subarray(((b * 3 + h) * 5 + t) * 4, ((b * 3 + h) * 5 + t + 1) * 4)));
    for (let b = 0; b < 2; b++) {
      for (let h = 0; h < 3; h++) {
        const expected = referenceAttention(rows(qv, b, h), rows(kv, b, h), rows(vv, b, h));
        expected.forEach((row, t) => row.forEach((value, c) => expect(out[b]![h]![t]![c]!).toBeCloseTo(value, 5)));
      }
    }
    // Changing the last position's keys and values leaves every earlier output as it was.
    const changed = Float32Array.from(vv);
    const changedKeys = Float32Array.from(kv);
    for (let i = 4 * 4; i < changed.length; i += 5 * 4) for (let c = 0; c < 4; c++) {
      changed[i + c] = 100;
      changedKeys[i + c] = -100;
    }
    const after = tf.tidy(() => causalAttention(tf.tensor4d(qv, shape), tf.tensor4d(changedKeys, shape), tf.tensor4d(changed, shape)).arraySync());
    for (let b = 0; b < 2; b++) for (let h = 0; h < 3; h++) expect(after[b]![h]!.slice(0, 4)).toEqual(out[b]![h]!.slice(0, 4));
    expect(after[0]![0]![4]).not.toEqual(out[0]![0]![4]);
  });
});

describe('transformer', () => {
  it('has the parameters its formula counts, seeded by the spec', () => {
    const model = Transformer.create(tinySpec(1));
    expect(model.parameterCount()).toBe(transformerParameterCount(tinySpec()));
    const again = Transformer.create(tinySpec(1));
    const other = Transformer.create(tinySpec(2));
    const wte = (m: Transformer) => Array.from(m.tensors()[0]!.variable.dataSync().slice(0, 6));
    expect(wte(again)).toEqual(wte(model));
    expect(wte(other)).not.toEqual(wte(model));
    // The named sizes span 0.1 to 10 M parameters with the facts vocabulary.
    const vocabulary = Tokenizer.learn(generateFacts({ ...DEFAULT_FACTS_OPTIONS, people: 20 }).pairs.flatMap((p) => [p.question, p.answer])).vocabularySize;
    const millions = Object.values(TRANSFORMER_SIZES).map((size) => transformerParameterCount({ ...size, vocabularySize: vocabulary }) / 1e6);
    expect(millions[1]).toBeGreaterThan(0.8);
    expect(millions[millions.length - 1]).toBeLessThan(10);
    [model, again, other].forEach((m) => m.dispose());
  });

  it('computes the logits of a float64 reference', () => {
    const model = randomizedModel(3);
    const tokens = tokenizer.encode('Question: Where was Ada born?').slice(0, 12);
    const logits = tf.tidy(() => model.forward(tf.tensor2d([tokens], [1, tokens.length], 'int32')).arraySync()[0]!);
    const expected = referenceLogits(paramsOf(model), model.spec, tokens);
    expected.forEach((row, t) => row.forEach((value, v) => expect(Math.abs(logits[t]![v]! - value)).toBeLessThan(1e-4 * Math.max(1, Math.abs(value)))));
    model.dispose();
  });

  it('has the gradient of float64 finite differences (answer tokens only, padded batch)', () => {
    const model = randomizedModel(4);
    const sequences = [encodeQa(tokenizer, 'Where was Ada born?', 'Lisbon.'), encodeText(tokenizer, 'Ada was born')];
    const batch = makeSequenceBatch(sequences);
    const params = model.trainableVariables();
    const { value, grads } = tf.variableGrads(() => sequenceNll(model, batch), params);
    const reference = paramsOf(model);
    expect(value.dataSync()[0]).toBeCloseTo(referenceLoss(reference, model.spec, sequences), 4);
    const random = new Random(5, 'entries');
    const h = 1e-5;
    let checked = 0;
    for (const { name, variable } of model.tensors()) {
      const gradient = grads[variable.name]!.dataSync();
      // Token embeddings: the entries of tokens the batch uses; elsewhere random entries.
      const used = name === 'wte' ? [...new Set(sequences.flatMap((s) => Array.from(s.tokens)))].slice(0, 3).map((token) => token * model.spec.dModel + random.int(model.spec.dModel)) : [];
      for (const index of [...used, random.int(variable.size), random.int(variable.size)]) {
        const values = reference.get(name)!;
        const original = values[index]!;
        values[index] = original + h;
        const plus = referenceLoss(reference, model.spec, sequences);
        values[index] = original - h;
        const minus = referenceLoss(reference, model.spec, sequences);
        values[index] = original;
        const numeric = (plus - minus) / (2 * h);
        expect(Math.abs(gradient[index]! - numeric), `${name}[${index}]: ${gradient[index]} vs ${numeric}`).toBeLessThan(2e-5 + 2e-3 * Math.abs(numeric));
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(2 * model.tensors().length);
    tf.dispose([value, ...Object.values(grads), batch.inputs, batch.targets, batch.weights]);
    model.dispose();
  });

  it('generates greedily by the reference argmax and samples the same tokens for the same seed', () => {
    const model = randomizedModel(6);
    const prompt = encodePrompt(tokenizer, 'Where was Ada born?');
    const greedy = generateTokens(model, prompt, { maxTokens: 5, temperature: 0, seed: 0 });
    const reference = paramsOf(model);
    const context = [...prompt];
    for (const token of greedy) {
      const last = referenceLogits(reference, model.spec, context).at(-1)!;
      expect(token).toBe(last.indexOf(Math.max(...last)));
      context.push(token);
    }
    const sampled = (seed: number) => generateTokens(model, prompt, { maxTokens: 8, temperature: 1, seed });
    expect(sampled(1)).toEqual(sampled(1));
    expect(sampled(2)).not.toEqual(sampled(1));
    expect(sampled(1).includes(EOS)).toBe(false);
    model.dispose();
  });

  it('estimates the peak memory of a training step as tf.profile measures it (within 0-30 % above)', async () => {
    const spec = { ...tinySpec(), dModel: 32, layers: 2, heads: 4, contextLength: 32 };
    const model = Transformer.create(spec);
    const sequences = Array.from({ length: 8 }, (_, b) => ({ tokens: Int32Array.from({ length: 33 }, (_, i) => (i * 5 + b) % spec.vocabularySize), lossStart: 1 }));
    const optimizer = new AdamWOptimizer(0.01);
    languageModelStep(model, optimizer, sequences, 1e-3, 1);
    const { peakBytes } = await tf.profile(() => {
      languageModelStep(model, optimizer, sequences, 1e-3, 1);
    });
    const estimate = trainingMemoryBytes(spec, 8, 32);
    expect(estimate / peakBytes).toBeGreaterThanOrEqual(1);
    expect(estimate / peakBytes).toBeLessThan(1.3);
    optimizer.dispose();
    model.dispose();
  });

  it('refuses a model too large for memory before allocating it, with the estimate', () => {
    const spec = { ...tinySpec(), ...TRANSFORMER_SIZES['transformer-large'], contextLength: 512 };
    expect(() => checkTrainingMemory(spec, 256)).toThrow(InvalidRequestError);
    expect(() => checkTrainingMemory(spec, 256)).toThrow(/\d\.\d M parameters with batch 256 x 512 tokens need about \d+\.\d\d GiB, more than the 4\.00 GiB/);
    expect(() => checkTrainingMemory({ ...tinySpec(), ...TRANSFORMER_SIZES['transformer-small'] }, 32)).not.toThrow();
  });
});

describe('language-model training', () => {
  const facts = generateFacts({ ...DEFAULT_FACTS_OPTIONS, people: 3, attributes: 2, generalSentences: 2, heldOutFraction: 0 });
  const pairs = pairsOf(facts, [0, 1, 2]);
  const factsTokenizer = Tokenizer.learn(pairs.flatMap((p) => [`Question: ${p.question}\nAnswer:`, ` ${p.answer}`]));
  const spec: TransformerSpec = { architecture: 'transformer', dModel: 32, layers: 1, heads: 2, contextLength: 32, vocabularySize: factsTokenizer.vocabularySize, tokenizer: factsTokenizer.spec, seed: 0 };
  const sequences = pairs.map((p) => encodeQa(factsTokenizer, p.question, p.answer));
  const config = { epochs: 60, batchSize: 6, lr: 2e-2, weightDecay: 0, warmupFraction: 0.1, clipNorm: 1, seed: 0 };

  it('learns the answers, and a checkpoint restores the model with its tokenizer', async () => {
    const model = Transformer.create(spec);
    const progress: number[] = [];
    const history = await trainLanguageModel(model, sequences, config, { onProgress: (p) => progress.push(p.loss), progressIntervalMs: 0 });
    expect(history).toHaveLength(60);
    expect(history.at(-1)!.trainLoss).toBeLessThan(0.05 * history[0]!.trainLoss);
    expect(progress).toHaveLength(60);
    const answers = pairs.map((p) => factsTokenizer.decode(generateTokens(model, encodePrompt(factsTokenizer, p.question), { maxTokens: 20, temperature: 0, seed: 0 })));
    expect(answers).toEqual(pairs.map((p) => ` ${p.answer}`));
    const pair = pairs[0]!;

    const dir = makeTempDir('lm-checkpoint');
    const saved = saveCheckpoint(dir, model, { kind: 'train' });
    const restored = loadLanguageModel(saved.path);
    expect(new Tokenizer(restored.spec.tokenizer).encode(pair.question)).toEqual(factsTokenizer.encode(pair.question));
    const probe = tf.tensor2d([Array.from(sequences[1]!.tokens)], [1, sequences[1]!.tokens.length], 'int32');
    expect(Array.from(restored.forward(probe).dataSync())).toEqual(Array.from(model.forward(probe).dataSync()));
    expect(() => loadCheckpoint(saved.path)).toThrow(/holds a language model, this needs an image classifier/);
    const classifier = Classifier.create({ architecture: 'mlp', inputShape: [2, 2, 1], numClasses: 2, normalization: { mean: [0], std: [1] }, seed: 0 });
    expect(() => loadLanguageModel(saveCheckpoint(dir, classifier).path)).toThrow(/holds an image classifier, this needs a language model/);
    expect(fs.readdirSync(dir).filter((f) => !f.startsWith('.'))).toHaveLength(2);
    expect(JSON.parse(fs.readFileSync(path.join(saved.path, 'model.json'), 'utf8')).spec.tokenizer.words).toEqual(factsTokenizer.spec.words);
    [model, restored, classifier].forEach((m) => m.dispose());
    probe.dispose();
  });

  it('stops between steps when cancelled', async () => {
    const model = Transformer.create(spec);
    const controller = new AbortController();
    let steps = 0;
    const run = trainLanguageModel(model, sequences, config, {
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: () => {
        steps += 1;
        if (steps === 3) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(CancelledError);
    expect(steps).toBe(3);
    model.dispose();
  });
});

describe('tokenizer', () => {
  it('round-trips any text, unknown characters through byte tokens', () => {
    const text = 'Question: Where was Zoë born? 🙂\tnaïve — Ada';
    const tokens = tokenizer.encode(text);
    expect(tokenizer.decode(tokens)).toBe(text);
    // Known pieces are one token each; the unknown word 'Zoë' is its 4 UTF-8 bytes (with the space 5).
    expect(tokenizer.encode('Question: Where was Ada')).toHaveLength(4 + 1);
    expect(tokenizer.encode(' Zoë')).toEqual([...new TextEncoder().encode(' Zoë')].map((b) => 3 + b));
    expect(tokenizer.decode([1, ...tokenizer.encode('Ada'), EOS])).toBe('Ada');
    expect(new Tokenizer(JSON.parse(JSON.stringify(tokenizer.spec))).encode(text)).toEqual(tokens);
  });
});
