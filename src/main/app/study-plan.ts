/**
 * The runs a study config stands for, as the exact configs the service records, so a
 * run's config hash says whether the catalog already has it (studies skip those).
 */
import { parseEvaluationRequest, type EvaluationRequest } from '../../shared/evaluation.js';
import { studyRowEntries, type StudyConfig, type StudyRowEntry } from '../../shared/study-config.js';
import { parseTrainConfig, type TrainConfig } from '../../shared/train-config.js';
import { parseUnlearnConfig, type UnlearnConfig } from '../../shared/unlearn-config.js';
import { configHash } from '../catalog/runs-repository.js';
import { unlearnRunConfig } from '../engine/unlearn/run-config.js';

export { unlearnRunConfig };

/** What the catalog stores as an evaluation run's config: the request with the checkpoint's full hash. */
export function evaluationRunConfig(request: EvaluationRequest, checkpointHash: string): EvaluationRequest {
  return { ...request, checkpoint: checkpointHash };
}

export function originalConfig(study: StudyConfig): TrainConfig {
  return parseTrainConfig({ ...study.original, dataset: study.dataset, model: study.model });
}

/** Retrain: the original's recipe on the retain set (overridable), seeded like the original. */
export function retrainConfig(study: StudyConfig, original: string, forgetSet: number): UnlearnConfig {
  const recipe = study.original;
  return parseUnlearnConfig({
    checkpoint: original,
    forgetSet,
    method: 'retrain',
    optimizer: recipe.optimizer,
    momentum: recipe.momentum,
    weightDecay: recipe.weightDecay,
    epochs: study.retrain.epochs ?? recipe.epochs,
    lr: study.retrain.lr ?? recipe.lr,
    batchSize: study.retrain.batchSize ?? recipe.batchSize,
    seed: study.retrain.seed ?? recipe.seed,
    evalBatchSize: recipe.evalBatchSize,
  });
}

export interface PlannedRun {
  label: string;
  seed: number;
  lr: number | null;
  config: UnlearnConfig;
}

/** The (learning rate, seed) pairs a row is repeated over; lr null = the method's default. */
export function entryRepeats(study: StudyConfig, entry: StudyRowEntry): { lr: number | null; seed: number }[] {
  const rates = entry.lr === undefined ? [null] : Array.isArray(entry.lr) ? entry.lr : [entry.lr];
  return rates.flatMap((lr) => (entry.seeds ?? study.seeds).map((seed) => ({ lr, seed })));
}

/** One run per (learning rate, seed) of a row. */
export function entryRuns(study: StudyConfig, entry: StudyRowEntry, original: string, forgetSet: number): PlannedRun[] {
  const { label, entry: _entry, seeds: _seeds, lr: _lr, ...settings } = entry;
  return entryRepeats(study, entry).map(({ lr, seed }) => ({
    label,
    seed,
    lr,
    config: parseUnlearnConfig({ ...settings, lr: lr ?? undefined, seed, checkpoint: original, forgetSet }),
  }));
}

/**
 * The models of the likelihood-ratio test, as the NeurIPS 2023 challenge makes them: K
 * Retrain models and K unlearned models of each named row, all from the study's original
 * and forget set, differing in their seeds 1..K (a run the study already has is reused).
 */
export function liraPlan(study: StudyConfig, original: string, forgetSet: number): { retrains: UnlearnConfig[]; rows: { label: string; runs: PlannedRun[] }[] } {
  if (!study.lira) return { retrains: [], rows: [] };
  const seeds = Array.from({ length: study.lira.k }, (_, i) => i + 1);
  const retrain = retrainConfig(study, original, forgetSet);
  const rowEntries = new Map(studyRowEntries(study).map((row) => [row.label, row]));
  return {
    retrains: seeds.map((seed) => ({ ...retrain, seed })),
    rows: study.lira.rows.map((label) => ({ label, runs: entryRuns(study, { ...rowEntries.get(label)!, seeds }, original, forgetSet) })),
  };
}

export function evaluationRequest(study: StudyConfig, checkpoint: string, forgetSet: number): EvaluationRequest {
  return evaluationRunConfig(parseEvaluationRequest({ checkpoint, forgetSet, checks: study.evaluation }), checkpoint);
}

export const hashOf = {
  train: (config: TrainConfig) => configHash(config),
  unlearn: (config: UnlearnConfig) => configHash(unlearnRunConfig(config)),
  evaluate: (request: EvaluationRequest) => configHash(request),
};
