/**
 * Unlearning a forget split from a language-model checkpoint: the facts dataset its
 * provenance names, the split's forget and retain pairs (HeldDist: references from the
 * held-out people), the sequence method's steps with the chosen aggregator, and the new
 * checkpoint written at the very end with where it came from.
 */
import path from 'node:path';
import type { BackendInfo } from '../../../shared/backend.js';
import type { LmUnlearnJobResult } from '../../../shared/engine-protocol.js';
import type { LmUnlearnConfig } from '../../../shared/lm-unlearn-config.js';
import { InvalidRequestError } from '../../../shared/validation.js';
import { loadLanguageModel, saveCheckpoint } from '../checkpoint.js';
import { heldOutPeople, pairsOf, retainPeople, type FactsDataset, type QaPair } from '../data/facts/facts-dataset.js';
import type { Transformer } from '../models/transformer.js';
import { disposeBatch, encodeQa, makeSequenceBatch } from '../text/sequences.js';
import { Tokenizer } from '../text/tokenizer.js';
import { heldOutReferences } from '../unlearn/sequence-objectives.js';
import { unlearnSequences } from '../unlearn/sequence-unlearning.js';
import { openLanguageModel } from './lm-evaluate-job.js';
import { checkpointsRoot } from './train-job.js';

/** HeldDist's reference row for each forget pair: the original over held-out answers to the same attribute. */
function referencesFor(original: Transformer, tokenizer: Tokenizer, dataset: FactsDataset, forget: readonly QaPair[]): Float32Array[] {
  const heldOut = pairsOf(dataset, heldOutPeople(dataset));
  const attributes = [...new Set(forget.map((p) => p.attribute))];
  const missing = attributes.filter((a) => !heldOut.some((p) => p.attribute === a));
  if (missing.length) throw new InvalidRequestError(`raul-helddist needs held-out people's answers for every attribute; none for ${missing.join(', ')}`);
  const batches = new Map(attributes.map((a) => [a, makeSequenceBatch(heldOut.filter((p) => p.attribute === a).map((p) => encodeQa(tokenizer, p.question, p.answer)))]));
  try {
    const references = heldOutReferences(original, batches);
    return forget.map((p) => references.get(p.attribute)!);
  } finally {
    batches.forEach(disposeBatch);
  }
}

export async function runLmUnlearnJob(config: LmUnlearnConfig, dataDir: string, context: { signal: AbortSignal; notice: (m: string) => void; backend: BackendInfo }): Promise<LmUnlearnJobResult> {
  const { folder, dataset } = openLanguageModel(dataDir, config.checkpoint, context.notice);
  const started = Date.now();
  const model = loadLanguageModel(folder);
  const original = loadLanguageModel(folder);
  try {
    const tokenizer = new Tokenizer(model.spec.tokenizer);
    const forgetPairs = pairsOf(dataset, dataset.forgetPeople[config.split]);
    const encode = (pairs: readonly QaPair[]) => pairs.map((p) => encodeQa(tokenizer, p.question, p.answer));
    const references = config.method === 'raul-helddist' ? referencesFor(original, tokenizer, dataset, forgetPairs) : undefined;
    const records = await unlearnSequences(model, original, encode(forgetPairs), encode(pairsOf(dataset, retainPeople(dataset, config.split))), config, { signal: context.signal }, references);
    const finished = Date.now();
    const checkpoint = saveCheckpoint(checkpointsRoot(dataDir), model, {
      kind: 'unlearn',
      from: path.basename(folder),
      config,
      dataset: { name: dataset.name, digest: dataset.digest, options: dataset.options },
      backend: context.backend,
      losses: records.map((r) => r.losses),
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
    });
    return { kind: 'lm-unlearn', checkpoint, steps: records.map((r) => ({ losses: r.losses, weights: r.weights })), seconds: (finished - started) / 1000 };
  } finally {
    model.dispose();
    original.dispose();
  }
}
