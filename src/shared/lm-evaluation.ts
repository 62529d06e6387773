/** Measuring a language-model checkpoint as TOFU does, on its facts dataset (`lethe evaluate-lm`). */
import { z } from 'zod';
import { FORGET_SPLIT_NAMES } from './lm-train-config.js';
import { positiveInt } from './validation.js';

const checkpoint = (what: string) => z.string({ error: `${what} must be a string` }).min(1, `name the ${what}`);

export const LmEvaluationRequestSchema = z.strictObject({
  /** A checkpoint folder, or a hash or unique hash prefix under the data directory. */
  checkpoint: checkpoint('checkpoint'),
  /** The Retrain of the same split, for forget quality and privacy leak. */
  retrain: checkpoint('retrain checkpoint').optional(),
  split: z.enum(FORGET_SPLIT_NAMES, { error: `split must be one of ${FORGET_SPLIT_NAMES.join(', ')}` }).default('forget05'),
  /** Retain people measured (the first ones); default as many as the split forgets. */
  retainPeople: positiveInt('retain people').optional(),
});

export type LmEvaluationRequest = z.output<typeof LmEvaluationRequestSchema>;
export type LmEvaluationRequestInput = z.input<typeof LmEvaluationRequestSchema>;

export interface LmQaSetMetrics {
  probability: number;
  rougeL: number;
  exactMatch: number;
  count: number;
}

export interface LmEvaluationSummary {
  forget: LmQaSetMetrics & { truthRatio: number };
  retain: LmQaSetMetrics & { truthRatio: number };
  forgetParaphrased: LmQaSetMetrics;
  lossAuc: number;
  minKAuc: number;
  modelUtility: number;
  fluencyPerplexity: number;
}

export interface LmEvaluationOutcome {
  checkpoint: { hash: string; path: string };
  split: string;
  model: LmEvaluationSummary;
  /** With a Retrain: its own numbers and the comparison. */
  retrain?: LmEvaluationSummary & { checkpoint: { hash: string; path: string } };
  versusRetrain?: { forgetQuality: number; privacyLeak: { loss: number; minK: number } };
}
