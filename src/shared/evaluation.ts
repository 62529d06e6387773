/**
 * Evaluating a checkpoint against a forget set: the protocol's UA, RA, TA and MIA
 * (specs/evaluation-and-baselines.md) plus the stronger checks, and what it reports.
 */
import { z } from 'zod';
import { parseOrExplain, positiveInt } from './validation.js';

export const EvaluationChecksSchema = z.strictObject({
  /** Relearning attack: fine-tune on part of the forget set and count the steps until its accuracy is back. */
  relearn: z.boolean().default(true),
  /** Forget samples the attacker fine-tunes on (the rest measure the recovery). */
  relearnSamples: positiveInt('relearn samples').default(256),
  /** Step budget of the attack; a model not recovered within it reports budget + 1. */
  relearnBudget: positiveInt('relearn budget').default(50),
  relearnLr: z.number().positive('relearn learning rate must be positive').default(1e-3),
  relearnBatchSize: positiveInt('relearn batch size').default(256),
  /** Recovered means forget accuracy >= this share of the original model's. */
  relearnTarget: z.number().gt(0, 'relearn target must be in (0, 1]').max(1, 'relearn target must be in (0, 1]').default(0.95),
  /** Accuracy on the retain samples nearest the forget set (the most-confused classes for class-wise forgetting). */
  boundary: z.boolean().default(true),
  /** Forget accuracy under an L-infinity PGD perturbation toward the forgotten (true) label. */
  pgd: z.boolean().default(true),
  pgdEpsilon: z.number().gt(0, 'PGD epsilon must be in (0, 1]').max(1, 'PGD epsilon must be in (0, 1]').default(8 / 255),
  pgdSteps: positiveInt('PGD steps').default(10),
  /** Forget samples attacked (the first ones in the set's order), to bound the cost. */
  pgdSamples: positiveInt('PGD samples').default(1000),
});

export type EvaluationChecks = z.output<typeof EvaluationChecksSchema>;
export type EvaluationChecksInput = z.input<typeof EvaluationChecksSchema>;

export const EvaluationRequestSchema = z.object({
  /** A checkpoint hash or unique prefix. */
  checkpoint: z.string().min(1, 'name the checkpoint to evaluate'),
  /** A forget set's catalog id. */
  forgetSet: z.number({ error: 'forget set must be a catalog id' }).int().positive('forget set must be a catalog id'),
  checks: EvaluationChecksSchema.default(EvaluationChecksSchema.parse({})),
  batchSize: positiveInt('eval batch size').default(1000),
});

export type EvaluationRequest = z.output<typeof EvaluationRequestSchema>;
export type EvaluationRequestInput = z.input<typeof EvaluationRequestSchema>;

export function parseEvaluationRequest(input: unknown): EvaluationRequest {
  return parseOrExplain(EvaluationRequestSchema, input, 'evaluation request');
}

export const MIA_FEATURE_NAMES = ['confidence', 'correctness', 'entropy', 'm_entropy', 'prob'] as const;
export type MiaFeatureName = (typeof MIA_FEATURE_NAMES)[number];

export interface RelearnOutcome {
  /** Attack steps until recovery; budget + 1 when it did not recover. */
  steps: number;
  recovered: boolean;
  budget: number;
  /** Forget accuracy (on the samples not fine-tuned on) that counts as recovered. */
  target: number;
  /** That accuracy before the attack and after its last step. */
  before: number;
  after: number;
}

/** All accuracies and efficacies in percent, as the protocol's table prints them. */
export interface Assessment {
  UA: number;
  RA: number;
  TA: number;
  /** MIA-efficacy on the confidence feature (the reported column). */
  MIA: number;
  mia: Record<MiaFeatureName, number>;
  /** Classes every train sample of which is forgotten: left out of TA. */
  forgottenClasses: number[];
  counts: { forget: number; retain: number; test: number; heldOut: number };
  boundary?: { accuracy: number; items: number; rule: 'nearest' | 'confused' };
  pgd?: { accuracy: number; cleanAccuracy: number; samples: number; epsilon: number; steps: number };
  relearn?: RelearnOutcome;
  seconds: number;
}
