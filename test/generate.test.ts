import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/main/cli.js';
import { initBackend } from '../src/main/engine/backend.js';
import { saveCheckpoint } from '../src/main/engine/checkpoint.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import { Transformer } from '../src/main/engine/models/transformer.js';
import { Random } from '../src/main/engine/random.js';
import { generateTokens } from '../src/main/engine/text/generate.js';
import { encodePrompt } from '../src/main/engine/text/sequences.js';
import { BOS, Tokenizer } from '../src/main/engine/text/tokenizer.js';
import { makeTempDir } from './helpers.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n'), isTTY: false });
  return { code, out, err };
}

const dataDir = makeTempDir('generate');
const tokenizer = Tokenizer.learn(['Question: Where was Ada born?\nAnswer: Ada was born in Lisbon.', 'Ada plays the cello.']);
let model: Transformer;
let hash = '';
let classifierHash = '';

beforeAll(async () => {
  await initBackend('wasm');
  model = Transformer.create({ architecture: 'transformer', dModel: 16, layers: 1, heads: 2, contextLength: 48, vocabularySize: tokenizer.vocabularySize, tokenizer: tokenizer.spec, seed: 0 });
  // Weights far from the initialisation's, so every continuation is a real choice between tokens.
  const random = new Random(9, 'weights');
  for (const { variable } of model.tensors()) variable.assign(tf.tensor(Float32Array.from({ length: variable.size }, () => random.normal() * 0.7), variable.shape));
  hash = saveCheckpoint(path.join(dataDir, 'checkpoints'), model).hash;
  const classifier = Classifier.create({ architecture: 'mlp', inputShape: [2, 2, 1], numClasses: 2, normalization: { mean: [0], std: [1] }, seed: 0 });
  classifierHash = saveCheckpoint(path.join(dataDir, 'checkpoints'), classifier).hash;
  classifier.dispose();
});

describe('lethe generate', () => {
  it('prints the checkpoint model\'s greedy continuation of a question, and a seeded sample', async () => {
    const greedy = await cli(['generate', hash.slice(0, 12), 'Where was Ada born?', '--question', '--max-tokens', '6', '--json', '--data-dir', dataDir]);
    expect(greedy.err).toBe('');
    expect(greedy.code).toBe(0);
    const expected = generateTokens(model, encodePrompt(tokenizer, 'Where was Ada born?'), { maxTokens: 6, temperature: 0, seed: 0 });
    expect(JSON.parse(greedy.out)).toEqual({
      checkpoint: { hash, path: path.join(dataDir, 'checkpoints', hash) },
      text: tokenizer.decode(expected),
      tokens: expected.length,
      finished: expected.length < 6,
    });
    const sampled = await cli(['generate', hash, 'Ada plays', '--temperature', '1.5', '--seed', '3', '--max-tokens', '8', '--data-dir', dataDir]);
    expect(sampled.code).toBe(0);
    const sample = generateTokens(model, [BOS, ...tokenizer.encode('Ada plays')], { maxTokens: 8, temperature: 1.5, seed: 3 });
    expect(sampled.out).toBe(`${tokenizer.decode(sample)}\n`);
  });

  it('takes characters outside the vocabulary through the byte fallback', async () => {
    const result = await cli(['generate', hash, 'Zoë 🙂 ✓ Ada', '--max-tokens', '3', '--json', '--data-dir', dataDir]);
    expect(result.code).toBe(0);
    const expected = generateTokens(model, [BOS, ...tokenizer.encode('Zoë 🙂 ✓ Ada')], { maxTokens: 3, temperature: 0, seed: 0 });
    expect(JSON.parse(result.out).text).toBe(tokenizer.decode(expected));
  });

  it('refuses a classifier checkpoint, a bad option and a missing checkpoint with exit 2, writing nothing', async () => {
    const files = () => (fs.readdirSync(path.join(dataDir, 'checkpoints'), { recursive: true }) as string[]).sort();
    const before = files();
    const classifier = await cli(['generate', classifierHash, 'hello', '--data-dir', dataDir]);
    expect(classifier.code).toBe(2);
    expect(classifier.err).toMatch(/holds an image classifier, this needs a language model/);
    const temperature = await cli(['generate', hash, 'hello', '--temperature=-1', '--data-dir', dataDir]);
    expect(temperature.code).toBe(2);
    expect(temperature.err).toMatch(/temperature must be >= 0/);
    const missing = await cli(['generate', 'abcdef123456', 'hello', '--data-dir', dataDir]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no checkpoint found at 'abcdef123456'/);
    expect(files()).toEqual(before);
  });
});
