/**
 * The runs a study config stands for, as the exact configs the service records, so a
 * run's config hash says whether the catalog already has it (studies skip those).
 * studyPlan gives them for either kind of study, each with the service call that
 * starts it, so the runner and the table treat both kinds alike.
 */
import type { RunKind, RunSummary } from '../../shared/catalog-types.js';
import { parseEvaluationRequest, type EvaluationRequest } from '../../shared/evaluation.js';
import type { LmEvaluationRequest } from '../../shared/lm-evaluation.js';
import { parseLmTrainConfig, type LmTrainConfig } from '../../shared/lm-train-config.js';
import { parseLmUnlearnConfig, type LmUnlearnConfig } from '../../shared/lm-unlearn-config.js';
import { isLanguageModelStudy, lmStudyRowEntries, studyRowEntries, type AnyStudyConfig, type LmStudyConfig, type LmStudyRowEntry, type StudyConfig, type StudyRowEntry } from '../../shared/study-config.js';
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
    precision: recipe.precision,
  });
}

export interface PlannedRun {
  label: string;
  seed: number;
  lr: number | null;
  config: UnlearnConfig;
}

/** The (learning rate, seed) pairs a row is repeated over; lr null = the method's default. */
export function entryRepeats(study: AnyStudyConfig, entry: Pick<StudyRowEntry | LmStudyRowEntry, 'lr' | 'seeds'>): { lr: number | null; seed: number }[] {
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

/** A language-model study's original: its recipe and facts options with the study's transformer. */
export function lmOriginalConfig(study: LmStudyConfig): LmTrainConfig {
  return parseLmTrainConfig({ ...study.original, model: study.model });
}

/** A language-model study's Retrain: the original's recipe (overridable) on the split's retain people. */
export function lmRetrainConfig(study: LmStudyConfig): LmTrainConfig {
  const { epochs, lr, batchSize, seed } = study.retrain;
  return parseLmTrainConfig({ ...study.original, model: study.model, retainOf: study.forget.split, epochs: epochs ?? study.original.epochs, lr: lr ?? study.original.lr, batchSize: batchSize ?? study.original.batchSize, seed: seed ?? study.original.seed });
}

/** One run per (learning rate, seed) of a language-model row, unlearning the study's split from the original. */
export function lmEntryRuns(study: LmStudyConfig, entry: LmStudyRowEntry, original: string): { label: string; seed: number; lr: number | null; config: LmUnlearnConfig }[] {
  const { label, entry: _entry, seeds: _seeds, lr: _lr, ...settings } = entry;
  return entryRepeats(study, entry).map(({ lr, seed }) => ({ label, seed, lr, config: parseLmUnlearnConfig({ ...settings, lr: lr ?? undefined, seed, checkpoint: original, split: study.forget.split }) }));
}

/** What the catalog stores as a language-model evaluation: the checkpoint and its Retrain by full hash (a study without the relearning attack keeps its evaluations' hashes). */
export function lmEvaluationRequest(study: LmStudyConfig, checkpoint: string, retrain: string): LmEvaluationRequest {
  const { retainPeople, relearn } = study.evaluation;
  return { checkpoint, retrain, split: study.forget.split, ...(retainPeople === undefined ? {} : { retainPeople }), ...(relearn === undefined ? {} : { relearn }) };
}

/** The service calls a study makes (both kinds). */
export interface StudyService {
  startTraining(config: object): Promise<RunSummary>;
  startUnlearning(config: object): Promise<RunSummary>;
  startEvaluation(request: object): Promise<RunSummary>;
  createForgetSet(request: object): Promise<{ forgetSet: { id: number } }>;
  startLanguageModelTraining(config: object): Promise<RunSummary>;
  startLanguageModelUnlearning(config: object): Promise<RunSummary>;
  startLanguageModelEvaluation(request: object): Promise<RunSummary>;
  waitForRun(id: string): Promise<RunSummary>;
}

/** One run of a study: its kind, the hash of its recorded config, and the call that starts it. */
export interface PlannedStep {
  kind: RunKind;
  hash: string;
  start(service: StudyService): Promise<RunSummary>;
}

export interface StudyPlan {
  original: PlannedStep;
  originalSeed: number;
  retrain(original: string): PlannedStep & { seed: number };
  /** Per method row (in the config's order, a grid's points each a row) its repeats; entry names the study file's entry it comes from. */
  entries(original: string): { label: string; entry: string; method: string; aggregator: string; runs: (PlannedStep & { seed: number; lr: number | null })[] }[];
  /** Whether an evaluation compares with Retrain's checkpoint, so it waits for Retrain (language models: forget quality, privacy leak). */
  evaluationNeedsRetrain: boolean;
  evaluation(checkpoint: string, retrain: string | undefined): PlannedStep | undefined;
  /** The likelihood-ratio test's own models (classifier studies that name rows in lira), each evaluated like the rest. */
  lira(original: string): { label: string; step: PlannedStep }[];
}

/** A classifier unlearning run (or Retrain) as a step. */
function unlearnStep(kind: 'retrain' | 'unlearn', config: UnlearnConfig): PlannedStep {
  return { kind, hash: hashOf.unlearn(config), start: (service) => service.startUnlearning(config) };
}

/** The runs of a study of either kind; classifier studies evaluate against their forget set. */
export function studyPlan(study: AnyStudyConfig, forgetSet: number | null): StudyPlan {
  if (isLanguageModelStudy(study)) {
    const original = lmOriginalConfig(study);
    const retrain = lmRetrainConfig(study);
    return {
      original: { kind: 'train', hash: configHash(original), start: (service) => service.startLanguageModelTraining(original) },
      originalSeed: original.seed,
      retrain: () => ({ kind: 'retrain', hash: configHash(retrain), seed: retrain.seed, start: (service) => service.startLanguageModelTraining(retrain) }),
      entries: (checkpoint) =>
        lmStudyRowEntries(study).map((entry) => ({
          label: entry.label,
          entry: entry.entry,
          method: entry.method,
          aggregator: entry.aggregator,
          runs: lmEntryRuns(study, entry, checkpoint).map((run) => ({ kind: 'unlearn', hash: configHash(run.config), seed: run.seed, lr: run.lr, start: (service) => service.startLanguageModelUnlearning(run.config) })),
        })),
      evaluationNeedsRetrain: true,
      evaluation: (checkpoint, retrainCheckpoint) => {
        if (retrainCheckpoint === undefined) return undefined;
        const request = lmEvaluationRequest(study, checkpoint, retrainCheckpoint);
        return { kind: 'evaluate', hash: configHash(request), start: (service) => service.startLanguageModelEvaluation(request) };
      },
      lira: () => [],
    };
  }
  if (forgetSet === null) throw new Error(`classifier study '${study.name}' has no forget set yet`);
  const original = originalConfig(study);
  return {
    original: { kind: 'train', hash: hashOf.train(original), start: (service) => service.startTraining(original) },
    originalSeed: original.seed,
    retrain: (checkpoint) => {
      const config = retrainConfig(study, checkpoint, forgetSet);
      return { ...unlearnStep('retrain', config), seed: config.seed };
    },
    entries: (checkpoint) =>
      studyRowEntries(study).map((entry) => ({
        label: entry.label,
        entry: entry.entry,
        method: entry.method,
        aggregator: entry.aggregator,
        runs: entryRuns(study, entry, checkpoint, forgetSet).map((run) => ({ ...unlearnStep('unlearn', run.config), seed: run.seed, lr: run.lr })),
      })),
    evaluationNeedsRetrain: false,
    evaluation: (checkpoint) => {
      const request = evaluationRequest(study, checkpoint, forgetSet);
      return { kind: 'evaluate', hash: hashOf.evaluate(request), start: (service) => service.startEvaluation(request) };
    },
    lira: (checkpoint) => {
      const lira = liraPlan(study, checkpoint, forgetSet);
      return [
        ...lira.retrains.map((config) => ({ label: `Retrain (likelihood-ratio test, seed ${config.seed})`, step: unlearnStep('retrain', config) })),
        ...lira.rows.flatMap((row) => row.runs.map((run) => ({ label: `${row.label} (likelihood-ratio test, seed ${run.seed})`, step: unlearnStep('unlearn', run.config) }))),
      ];
    },
  };
}
