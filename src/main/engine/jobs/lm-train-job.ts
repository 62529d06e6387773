/**
 * Training a language model on the facts dataset end to end: the dataset (cached in the
 * data directory), the shared facts tokenizer, a transformer of a named size (refused
 * before anything is allocated when its training step would not fit), the answer-token
 * training loop, and the checkpoint written atomically at the very end. Given a forget
 * split it trains the Retrain: on the retain people only, never a forget person's pair.
 * Not yet reached from the service (see README, "Language models").
 */
import { saveCheckpoint } from '../checkpoint.js';
import { ensureWritableDir } from '../data/data-dir.js';
import { generateFacts, pairsOf, retainPeople, type FactsDataset, type FactsOptions, type ForgetSplitName } from '../data/facts/facts-dataset.js';
import { factsOptions, readStoredFacts, storeFacts } from '../data/facts/facts-store.js';
import { factsTokenizer } from '../data/facts/facts-tokenizer.js';
import { Transformer } from '../models/transformer.js';
import { checkTrainingMemory, checkTransformerSize, TRANSFORMER_SIZES, type TransformerSize, type TransformerSizeName, type TransformerSpec } from '../models/transformer-spec.js';
import { encodeQa, encodeText, type Sequence } from '../text/sequences.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { trainLanguageModel, type LmTrainingOptions } from '../train/lm-trainer.js';
import type { LmTrainJobResult } from '../../../shared/engine-protocol.js';
import type { LmEpochMetrics, LmTrainConfig } from '../../../shared/lm-train-config.js';
import { checkpointsRoot, type JobContext } from './train-job.js';
import { InvalidRequestError } from '../../../shared/validation.js';

export interface LmTrainRequest {
  dataDir: string;
  facts?: Partial<FactsOptions>;
  /** A named size, or the sizes themselves. */
  model: TransformerSizeName | TransformerSize;
  /** Train on this split's retain people only (the Retrain); absent: every trained person. */
  retainOf?: ForgetSplitName;
  train: LmTrainingOptions;
}

/** The engine request of a validated config (the facts options and the training options it names). */
export function lmTrainRequest(config: LmTrainConfig, dataDir: string): LmTrainRequest {
  return {
    dataDir,
    facts: { people: config.people, attributes: config.attributes, generalSentences: config.generalSentences, seed: config.datasetSeed },
    model: config.model,
    retainOf: config.retainOf,
    train: config,
  };
}

/** The people a model trains on: every trained person, or a split's retain people. */
export function trainingPeople(dataset: FactsDataset, retainOf?: ForgetSplitName): number[] {
  return retainOf ? retainPeople(dataset, retainOf) : dataset.people.flatMap((p, i) => (p.trained ? [i] : []));
}

/** The people's question-answer pairs, then the general training sentences. */
export function trainingSequences(dataset: FactsDataset, tokenizer: Tokenizer, people: readonly number[]): Sequence[] {
  return [...pairsOf(dataset, people).map((pair) => encodeQa(tokenizer, pair.question, pair.answer)), ...dataset.generalTrain.map((text) => encodeText(tokenizer, text))];
}

export async function runLanguageModelTrainJob(request: LmTrainRequest, context: Pick<JobContext, 'signal' | 'onProgress' | 'notice' | 'backend'> & { onEpoch?: (m: LmEpochMetrics) => void }): Promise<LmTrainJobResult> {
  const size = typeof request.model === 'string' ? TRANSFORMER_SIZES[request.model] : request.model;
  if (!size) throw new InvalidRequestError(`unknown model '${String(request.model)}'; language models: ${Object.keys(TRANSFORMER_SIZES).join(', ')}`);
  checkTransformerSize(size);
  const tokenizer = factsTokenizer();
  const spec: TransformerSpec = { architecture: 'transformer', ...size, vocabularySize: tokenizer.vocabularySize, tokenizer: tokenizer.spec, seed: request.train.seed };
  // Everything is checked before a file is written: the dataset is generated in memory when it is not stored yet.
  const options = factsOptions(request.facts);
  const stored = readStoredFacts(request.dataDir, options, context.notice);
  const dataset = stored ?? generateFacts(options);
  const people = trainingPeople(dataset, request.retainOf);
  const sequences = trainingSequences(dataset, tokenizer, people);
  const longest = Math.max(...sequences.map((s) => s.tokens.length)) - 1;
  if (longest > spec.contextLength) throw new InvalidRequestError(`a training sequence has ${longest} tokens, more than the model's context of ${spec.contextLength}`);
  checkTrainingMemory(spec, Math.min(request.train.batchSize, sequences.length), longest);
  const started = Date.now();
  ensureWritableDir(request.dataDir);
  if (!stored) storeFacts(request.dataDir, dataset);
  const model = Transformer.create(spec);
  try {
    const history = await trainLanguageModel(model, sequences, request.train, { signal: context.signal, onProgress: context.onProgress, onEpoch: context.onEpoch });
    const finished = Date.now();
    const checkpoint = saveCheckpoint(checkpointsRoot(request.dataDir), model, {
      kind: request.retainOf ? 'retrain' : 'train',
      model: typeof request.model === 'string' ? request.model : size,
      config: request.train,
      dataset: { name: dataset.name, digest: dataset.digest, options: dataset.options },
      retainOf: request.retainOf,
      people,
      backend: context.backend,
      history,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
    });
    return {
      kind: 'lm-train',
      checkpoint,
      history,
      parameterCount: model.parameterCount(),
      dataset: { name: dataset.name, digest: dataset.digest },
      people,
      sequences: sequences.length,
      backend: context.backend,
      seconds: (finished - started) / 1000,
    };
  } finally {
    model.dispose();
  }
}
