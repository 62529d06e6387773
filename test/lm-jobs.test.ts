import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import type { BackendInfo } from '../src/shared/backend.js';
import { loadLanguageModel } from '../src/main/engine/checkpoint.js';
import { DEFAULT_FACTS_OPTIONS, heldOutPeople, pairsOf, retainPeople, type FactsOptions } from '../src/main/engine/data/facts/facts-dataset.js';
import { loadFactsDataset } from '../src/main/engine/data/facts/facts-store.js';
import { factsTokenizer } from '../src/main/engine/data/facts/facts-tokenizer.js';
import { compareWithRetrain, evaluateLanguageModel } from '../src/main/engine/evaluation/lm/evaluate-language-model.js';
import { runLanguageModelTrainJob, trainingSequences, type LmTrainRequest } from '../src/main/engine/jobs/lm-train-job.js';
import { InvalidRequestError } from '../src/shared/validation.js';
import { makeTempDir } from './helpers.js';

const context = { signal: new AbortController().signal, onProgress: () => {}, notice: () => {}, backend: undefined as unknown as BackendInfo };
beforeAll(async () => {
  context.backend = await initBackend('wasm');
});

const facts: Partial<FactsOptions> = { people: 4, attributes: 2, generalSentences: 2, heldOutFraction: 0.5, seed: 1 };

describe('language-model jobs on the facts dataset', () => {
  const dataDir = makeTempDir('lm-jobs');
  const request: LmTrainRequest = {
    dataDir,
    facts,
    model: { dModel: 32, layers: 1, heads: 2, contextLength: 40 },
    train: { epochs: 60, batchSize: 10, lr: 2e-2, weightDecay: 0, warmupFraction: 0.1, clipNorm: 1, seed: 0 },
  };

  it('trains an original on every person and a Retrain that never reads a forget pair; TOFU metrics tell them apart', async () => {
    const original = await runLanguageModelTrainJob(request, context);
    const retrain = await runLanguageModelTrainJob({ ...request, retainOf: 'forget01' }, context);
    const dataset = loadFactsDataset(dataDir, facts);
    const forgetPeople = dataset.forgetPeople.forget01;
    expect(original.people).toEqual([0, 1, 2, 3]);
    expect(retrain.people).toEqual(retainPeople(dataset, 'forget01'));
    expect(retrain.people.filter((p) => forgetPeople.includes(p))).toEqual([]);
    // What the Retrain read: no forget person's name anywhere in its training text.
    const tokenizer = factsTokenizer();
    const read = trainingSequences(dataset, tokenizer, retrain.people).map((s) => tokenizer.decode(Array.from(s.tokens)));
    expect(read).toHaveLength(3 * 2 + 2);
    for (const p of forgetPeople) expect(read.filter((text) => text.includes(dataset.people[p]!.name))).toEqual([]);
    const provenance = JSON.parse(fs.readFileSync(path.join(retrain.checkpoint.path, 'provenance.json'), 'utf8'));
    expect(provenance).toMatchObject({ kind: 'retrain', retainOf: 'forget01', people: retrain.people, dataset: { name: 'facts', digest: dataset.digest } });

    const sets = { forget: pairsOf(dataset, forgetPeople), retain: pairsOf(dataset, retrain.people), heldOut: pairsOf(dataset, heldOutPeople(dataset)) };
    const originalModel = loadLanguageModel(original.checkpoint.path);
    const retrainModel = loadLanguageModel(retrain.checkpoint.path);
    const a = evaluateLanguageModel(originalModel, tokenizer, dataset, sets);
    const b = evaluateLanguageModel(retrainModel, tokenizer, dataset, sets);
    // The original answers every training question; the Retrain answers the retain ones but not the forget ones.
    expect([a.forget.exactMatch, a.retain.exactMatch, a.forget.rougeL, a.retain.rougeL]).toEqual([1, 1, 1, 1]);
    expect(b.retain.exactMatch).toBe(1);
    expect(b.forget.exactMatch).toBe(0);
    expect(b.forget.rougeL).toBeLessThan(1);
    expect(a.forget.probability).toBeGreaterThan(0.9);
    expect(b.forget.probability).toBeLessThan(0.8 * a.forget.probability);
    expect(a.forget.truthRatios).toHaveLength(2);
    expect(a.modelUtility).toBeGreaterThan(0);
    expect(a.modelUtility).toBeLessThanOrEqual(1);
    expect(a.fluencyPerplexity).toBeGreaterThan(1);
    // Against itself Retrain is perfect: forget quality 1, no privacy leak.
    expect(compareWithRetrain(b, b)).toEqual({ forgetQuality: 1, privacyLeak: { loss: 0, minK: 0 } });
    const versus = compareWithRetrain(a, b);
    expect(versus.forgetQuality).toBeGreaterThan(0);
    expect(versus.forgetQuality).toBeLessThanOrEqual(1);
    originalModel.dispose();
    retrainModel.dispose();
  });

  it('refuses a model too large for memory with the estimate, before writing anything', async () => {
    const empty = path.join(makeTempDir('lm-refused'), 'data');
    // The default dataset (200 people): batches of 512 pairs, padded to its longest pair.
    const big: LmTrainRequest = { ...request, dataDir: empty, facts: {}, model: 'transformer-large', train: { ...request.train, batchSize: 512 } };
    await expect(runLanguageModelTrainJob(big, context)).rejects.toThrow(InvalidRequestError);
    await expect(runLanguageModelTrainJob(big, context)).rejects.toThrow(/9\.0 M parameters with batch 512 x \d\d tokens need about \d+\.\d\d GiB, more than the 4\.00 GiB/);
    expect(fs.existsSync(empty)).toBe(false);
  });

  it('the default dataset fits the named models', () => {
    const dataset = loadFactsDataset(makeTempDir('lm-default'), DEFAULT_FACTS_OPTIONS);
    const tokenizer = factsTokenizer();
    const sequences = trainingSequences(dataset, tokenizer, dataset.people.map((_, i) => i));
    expect(Math.max(...sequences.map((s) => s.tokens.length)) - 1).toBeLessThanOrEqual(64);
  });
});
