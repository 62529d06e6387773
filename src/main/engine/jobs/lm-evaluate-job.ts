/**
 * A language-model checkpoint measured as TOFU does on the facts dataset it was trained
 * with: forget, retain and paraphrased questions, truth ratios, membership against
 * held-out people, fluency; with the split's Retrain, forget quality and privacy leak;
 * when asked, the relearning attack on a copy of each model.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LmEvaluationOutcome, LmEvaluationRequest, LmEvaluationSummary } from '../../../shared/lm-evaluation.js';
import { InvalidRequestError } from '../../../shared/validation.js';
import { loadLanguageModel, resolveCheckpoint } from '../checkpoint.js';
import { heldOutPeople, pairsOf, retainPeople, type FactsDataset, type FactsOptions } from '../data/facts/facts-dataset.js';
import { loadFactsDataset } from '../data/facts/facts-store.js';
import { compareWithRetrain, evaluateLanguageModel, type LanguageModelEvaluation } from '../evaluation/lm/evaluate-language-model.js';
import { relearningAttack, type RelearningResult } from '../evaluation/lm/relearning.js';
import { Tokenizer } from '../text/tokenizer.js';
import { checkpointsRoot } from './train-job.js';

interface LmProvenance {
  dataset?: { name?: string; digest?: string; options?: FactsOptions };
}

/** A model's evaluation and, when the request asks for it, its relearning attack. */
type Measurement = LanguageModelEvaluation & { relearning?: RelearningResult };

function summary(evaluation: Measurement): LmEvaluationSummary {
  const { forget, retain, forgetParaphrased, membership, modelUtility, fluencyPerplexity, relearning } = evaluation;
  return {
    forget: { probability: forget.probability, rougeL: forget.rougeL, exactMatch: forget.exactMatch, count: forget.count, truthRatio: forget.truthRatio },
    retain,
    forgetParaphrased,
    lossAuc: membership.lossAuc,
    minKAuc: membership.minKAuc,
    modelUtility,
    fluencyPerplexity,
    ...(relearning ? { relearning } : {}),
  };
}

/** A language-model checkpoint's folder and the facts dataset its provenance names, checked by digest. */
export function openLanguageModel(dataDir: string, reference: string, notice: (message: string) => void): { folder: string; dataset: FactsDataset } {
  const folder = resolveCheckpoint(checkpointsRoot(dataDir), reference);
  let provenance: LmProvenance;
  try {
    provenance = JSON.parse(fs.readFileSync(path.join(folder, 'provenance.json'), 'utf8')) as LmProvenance;
  } catch (error) {
    throw new InvalidRequestError(`cannot read the provenance of checkpoint ${folder}: ${(error as Error).message}`);
  }
  if (provenance.dataset?.name !== 'facts' || !provenance.dataset.options) {
    throw new InvalidRequestError(`checkpoint ${folder} was not trained on the facts dataset (its provenance names ${provenance.dataset?.name ?? 'no dataset'})`);
  }
  const dataset = loadFactsDataset(dataDir, provenance.dataset.options, notice);
  if (dataset.digest !== provenance.dataset.digest) throw new InvalidRequestError(`checkpoint ${folder} was trained on facts ${provenance.dataset.digest}, the dataset now has digest ${dataset.digest}`);
  return { folder, dataset };
}

function measure(folder: string, dataset: FactsDataset, request: LmEvaluationRequest): Measurement {
  const model = loadLanguageModel(folder);
  try {
    const forgetPeople = dataset.forgetPeople[request.split];
    const retain = retainPeople(dataset, request.split).slice(0, request.retainPeople ?? forgetPeople.length);
    const sets = { forget: pairsOf(dataset, forgetPeople), retain: pairsOf(dataset, retain), heldOut: pairsOf(dataset, heldOutPeople(dataset)) };
    if (sets.heldOut.length === 0) throw new InvalidRequestError('the facts dataset has no held-out people to measure membership against (heldOutFraction 0)');
    if (request.relearn && sets.forget.length < 2) throw new InvalidRequestError(`relearn: the relearning attack needs at least 2 forget pairs (one to fine-tune on, one to measure); ${request.split} has ${sets.forget.length}`);
    const tokenizer = new Tokenizer(model.spec.tokenizer);
    const evaluation = evaluateLanguageModel(model, tokenizer, dataset, sets);
    return request.relearn ? { ...evaluation, relearning: relearningAttack(model, tokenizer, sets.forget, request.relearn) } : evaluation;
  } finally {
    model.dispose();
  }
}

/**
 * Retrain's measurements by checkpoint folder, split and retain people: a study compares
 * every run with the same Retrain, and measuring a model is deterministic, so the
 * engine measures it once instead of once per run.
 */
const retrainMeasurements = new Map<string, Measurement>();
const KEPT_RETRAIN_MEASUREMENTS = 4;

function measureRetrain(folder: string, dataset: FactsDataset, request: LmEvaluationRequest): Measurement {
  const key = JSON.stringify([folder, dataset.digest, request.split, request.retainPeople ?? null, request.relearn ?? null]);
  const kept = retrainMeasurements.get(key);
  if (kept) return kept;
  const measured = measure(folder, dataset, request);
  retrainMeasurements.set(key, measured);
  if (retrainMeasurements.size > KEPT_RETRAIN_MEASUREMENTS) retrainMeasurements.delete(retrainMeasurements.keys().next().value!);
  return measured;
}

export function runLmEvaluateJob(request: LmEvaluationRequest, dataDir: string, notice: (message: string) => void): LmEvaluationOutcome {
  const subject = openLanguageModel(dataDir, request.checkpoint, notice);
  const retrain = request.retrain === undefined ? undefined : openLanguageModel(dataDir, request.retrain, notice);
  if (retrain && retrain.dataset.digest !== subject.dataset.digest) throw new InvalidRequestError('the Retrain was trained on another facts dataset than the checkpoint');
  const model = measure(subject.folder, subject.dataset, request);
  const checkpoint = (folder: string) => ({ hash: path.basename(folder), path: folder });
  if (!retrain) return { checkpoint: checkpoint(subject.folder), split: request.split, model: summary(model) };
  const reference = measureRetrain(retrain.folder, retrain.dataset, request);
  return {
    checkpoint: checkpoint(subject.folder),
    split: request.split,
    model: summary(model),
    retrain: { ...summary(reference), checkpoint: checkpoint(retrain.folder) },
    versusRetrain: compareWithRetrain(model, reference),
  };
}
