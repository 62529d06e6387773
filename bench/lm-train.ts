/**
 * Language-model training throughput on the facts dataset: a named transformer trained
 * with AdamW on answer tokens, one JSON line with parameters, batch, tokens per step,
 * ms per step and tokens/s (after 2 warm-up steps); with --epochs it trains that long on
 * the first --people people and adds the exact-match accuracy of greedy answers to their
 * training questions. Set LETHE_NATIVE=off to measure without the native kernels.
 * With --pytorch PYTHON the same model, batch and step run in PyTorch too
 * (bench/pytorch-lm-train.py, torch.set_num_threads(2)), once with OPENBLAS_NUM_THREADS=1
 * and once with OpenBLAS's default, each best of three like Lethe's figure, and a line
 * per run puts the tokens/s side by side with the ratio.
 * Run: node --import tsx bench/lm-train.ts [--model transformer-small] [--batch 32] [--steps 10]
 *        [--pytorch /usr/bin/python3] [--people 10 --epochs 40 --lr 3e-3]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/engine/backend.js';
import { generateFacts, pairsOf, DEFAULT_FACTS_OPTIONS } from '../src/main/engine/data/facts/facts-dataset.js';
import { factsTokenizer } from '../src/main/engine/data/facts/facts-tokenizer.js';
import { Transformer } from '../src/main/engine/models/transformer.js';
import { TRANSFORMER_SIZES, type TransformerSizeName } from '../src/main/engine/models/transformer-spec.js';
import { generateTokens } from '../src/main/engine/text/generate.js';
import { encodePrompt, encodeQa, makeSequenceBatch, disposeBatch, type Sequence } from '../src/main/engine/text/sequences.js';
import { AdamWOptimizer } from '../src/main/engine/train/optimizers.js';
import { languageModelStep, trainLanguageModel } from '../src/main/engine/train/lm-trainer.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'transformer-small' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '10' },
    people: { type: 'string', default: '10' },
    epochs: { type: 'string' },
    lr: { type: 'string', default: '3e-3' },
    /** A Python with torch: the same step in PyTorch beside Lethe's. */
    pytorch: { type: 'string' },
  },
});
const name = values.model as TransformerSizeName;
const batchSize = Number(values.batch);
const backend = await initBackend('wasm');
const tokenizer = factsTokenizer();
const facts = generateFacts(DEFAULT_FACTS_OPTIONS);
const model = Transformer.create({ architecture: 'transformer', ...TRANSFORMER_SIZES[name], vocabularySize: tokenizer.vocabularySize, tokenizer: tokenizer.spec, seed: 0 });
const kernels = backend.kernels ?? 'wasm kernels only';

if (values.epochs === undefined) {
  const sequences = facts.pairs.slice(0, batchSize).map((p) => encodeQa(tokenizer, p.question, p.answer));
  const tokens = sequences.reduce((n, s) => n + s.tokens.length - 1, 0);
  const optimizer = new AdamWOptimizer(0.01);
  for (let i = 0; i < 2; i++) languageModelStep(model, optimizer, sequences, 1e-3, 1);
  const steps = Number(values.steps);
  // Best of three timings of `steps` steps, as the PyTorch side measures.
  let ms = Infinity;
  for (let repeat = 0; repeat < 3; repeat++) {
    const started = performance.now();
    for (let i = 0; i < steps; i++) languageModelStep(model, optimizer, sequences, 1e-3, 1);
    ms = Math.min(ms, (performance.now() - started) / steps);
  }
  const tokensPerSecond = Math.round(tokens / (ms / 1000));
  console.log(JSON.stringify({ model: name, kernels, parameters: model.parameterCount(), batch: batchSize, tokensPerStep: tokens, msPerStep: Number(ms.toFixed(1)), tokensPerSecond, tensors: tf.memory().numTensors }));
  if (values.pytorch) compareWithPytorch(values.pytorch, sequences, tokens, steps, tokensPerSecond);
} else {
  const people = Array.from({ length: Number(values.people) }, (_, i) => i);
  const pairs = pairsOf(facts, people);
  const sequences = pairs.map((p) => encodeQa(tokenizer, p.question, p.answer));
  const history = await trainLanguageModel(model, sequences, { epochs: Number(values.epochs), batchSize, lr: Number(values.lr), weightDecay: 0.01, warmupFraction: 0.05, clipNorm: 1, seed: 0 });
  const exact = pairs.filter((p) => tokenizer.decode(generateTokens(model, encodePrompt(tokenizer, p.question), { maxTokens: 32, temperature: 0, seed: 0 })).trim() === p.answer).length;
  const seconds = history.reduce((s, h) => s + h.seconds, 0);
  console.log(JSON.stringify({
    model: name,
    kernels,
    parameters: model.parameterCount(),
    pairs: pairs.length,
    epochs: history.length,
    finalLoss: Number(history.at(-1)!.trainLoss.toFixed(4)),
    trainSeconds: Math.round(seconds),
    tokensPerSecond: Math.round(history.reduce((s, h) => s + h.tokensPerSecond * h.seconds, 0) / seconds),
    exactMatch: Number((exact / pairs.length).toFixed(3)),
  }));
}
model.dispose();

/** The same model, batch and step in PyTorch, with OpenBLAS on one thread and on its default; one line each beside Lethe's figure. */
function compareWithPytorch(python: string, sequences: Sequence[], tokens: number, steps: number, lethe: number): void {
  const batch = makeSequenceBatch(sequences);
  const job = JSON.stringify({ spec: model.spec, inputs: batch.inputs.arraySync(), targets: batch.targets.arraySync(), weights: batch.weights.arraySync(), tokens, steps });
  disposeBatch(batch);
  const script = fileURLToPath(new URL('./pytorch-lm-train.py', import.meta.url));
  for (const openblas of ['1', 'default']) {
    const env = { ...process.env };
    if (openblas === 'default') delete env.OPENBLAS_NUM_THREADS;
    else env.OPENBLAS_NUM_THREADS = openblas;
    const child = spawnSync(python, [script, '--threads', '2', '--repeats', '3'], { input: job, encoding: 'utf8', env });
    const line = child.stdout.trim().split('\n').at(-1);
    if (child.status !== 0 || !line) {
      console.log(JSON.stringify({ bench: 'lm-train-vs-pytorch', openblasThreads: openblas, failed: child.stderr.trim().split('\n').at(-1) ?? `exit ${child.status}` }));
      continue;
    }
    const pytorch = JSON.parse(line) as { torch: string; parameters: number; tokensPerSecond: number; msPerStep: number };
    if (pytorch.parameters !== model.parameterCount()) throw new Error(`the PyTorch model has ${pytorch.parameters} parameters, Lethe's ${model.parameterCount()}`);
    console.log(JSON.stringify({ bench: 'lm-train-vs-pytorch', model: name, batch: sequences.length, torch: pytorch.torch, threads: 2, openblasThreads: openblas, lethe, pytorch: pytorch.tokensPerSecond, ratio: Math.round((lethe / pytorch.tokensPerSecond) * 100) / 100 }));
  }
}
