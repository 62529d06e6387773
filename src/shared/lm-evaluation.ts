/** Measuring a language-model checkpoint as TOFU does, on its facts dataset (`lethe evaluate-lm`). */
import { z } from 'zod';
import { FORGET_SPLIT_NAMES } from './lm-train-config.js';
import { positiveInt } from './validation.js';

/**
 * The relearning attack's settings (docs/lm-unlearning.md): `steps` AdamW steps at `lr`,
 * batches of `batchSize`, on a seeded `fraction` of the forget pairs; the rest are measured.
 */
export const DEFAULT_RELEARNING = { steps: 10, lr: 1e-3, batchSize: 8, fraction: 0.5, seed: 0 } as const;

export const LmRelearningRequestSchema = z.strictObject({
  steps: positiveInt('steps').default(DEFAULT_RELEARNING.steps),
  lr: z.number({ error: 'lr must be a finite number' }).positive('lr must be positive').default(DEFAULT_RELEARNING.lr),
  batchSize: positiveInt('batch size').default(DEFAULT_RELEARNING.batchSize),
  /** Share of the forget pairs fine-tuned on; at least one pair is fine-tuned on and one held back. */
  fraction: z.number({ error: 'fraction must be a number in (0, 1)' }).gt(0, 'fraction must be in (0, 1)').lt(1, 'fraction must be in (0, 1)').default(DEFAULT_RELEARNING.fraction),
  seed: z.number({ error: 'seed must be an integer' }).int('seed must be an integer').default(DEFAULT_RELEARNING.seed),
});

export type LmRelearningRequest = z.output<typeof LmRelearningRequestSchema>;

const checkpoint = (what: string) => z.string({ error: `${what} must be a string` }).min(1, `name the ${what}`);

export const LmEvaluationRequestSchema = z.strictObject({
  /** A checkpoint folder, or a hash or unique hash prefix under the data directory. */
  checkpoint: checkpoint('checkpoint'),
  /** The Retrain of the same split, for forget quality and privacy leak. */
  retrain: checkpoint('retrain checkpoint').optional(),
  split: z.enum(FORGET_SPLIT_NAMES, { error: `split must be one of ${FORGET_SPLIT_NAMES.join(', ')}` }).default('forget05'),
  /** Retain people measured (the first ones); default as many as the split forgets. */
  retainPeople: positiveInt('retain people').optional(),
  /** The relearning attack on a copy of the model (and of the Retrain); absent: not run. */
  relearn: LmRelearningRequestSchema.optional(),
});

export type LmEvaluationRequest = z.output<typeof LmEvaluationRequestSchema>;
export type LmEvaluationRequestInput = z.input<typeof LmEvaluationRequestSchema>;

export interface LmQaSetMetrics {
  probability: number;
  rougeL: number;
  exactMatch: number;
  count: number;
}

/** The relearning attack's outcome: the held-back forget pairs measured before and after the fine-tuning. */
export interface LmRelearningSummary {
  /** Forget pairs fine-tuned on (the held-back ones are `before.count`). */
  relearnPairs: number;
  before: LmQaSetMetrics;
  after: LmQaSetMetrics;
  /** The held-back answers' probability the attack brings back: P̄_after − P̄_before (negative: it fell). */
  recoveredProbability: number;
}

/** The relearning attack's numbers as an evaluate run's metrics (a study's table reads relearn_probability, relearn_rouge, relearn_recovered_probability). */
export function relearningMetrics(relearning: LmRelearningSummary): Record<string, number> {
  const { before, after } = relearning;
  return {
    relearn_pairs: relearning.relearnPairs,
    relearn_held_back_pairs: before.count,
    relearn_probability_before: before.probability,
    relearn_probability: after.probability,
    relearn_rouge_before: before.rougeL,
    relearn_rouge: after.rougeL,
    relearn_exact_match_before: before.exactMatch,
    relearn_exact_match: after.exactMatch,
    relearn_recovered_probability: relearning.recoveredProbability,
  };
}

export interface LmEvaluationSummary {
  forget: LmQaSetMetrics & { truthRatio: number };
  retain: LmQaSetMetrics & { truthRatio: number };
  forgetParaphrased: LmQaSetMetrics;
  lossAuc: number;
  minKAuc: number;
  modelUtility: number;
  fluencyPerplexity: number;
  /** When the request asks for the relearning attack. */
  relearning?: LmRelearningSummary;
}

export interface LmEvaluationOutcome {
  checkpoint: { hash: string; path: string };
  split: string;
  model: LmEvaluationSummary;
  /** With a Retrain: its own numbers and the comparison. */
  retrain?: LmEvaluationSummary & { checkpoint: { hash: string; path: string } };
  versusRetrain?: { forgetQuality: number; privacyLeak: { loss: number; minK: number } };
}
