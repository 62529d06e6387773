/** The configuration of an unlearning run, validated the same way from every door. */
import { z } from 'zod';
import { OPTIMIZERS, precisionSchema } from './train-config.js';
import { parseOrExplain, positiveInt } from './validation.js';


export const UnlearnConfigSchema = z.strictObject({
  /** The model to unlearn from: a checkpoint hash, unique prefix or folder. */
  checkpoint: z.string().min(1, 'name the checkpoint to unlearn from'),
  /** A forget set's catalog id. */
  forgetSet: z.number({ error: 'forget set must be a catalog id' }).int().positive('forget set must be a catalog id'),
  method: z.string().min(1, 'name the method'),
  /** Multi-objective methods: how objective gradients are combined. */
  aggregator: z.string().default('upgrad').describe('how the objective gradients are combined into one update'),
  /** Preference or linear-scalarisation weights, one per objective. */
  weights: z.array(z.number().finite('weights must be finite').min(0, 'weights must be non-negative')).optional().describe('preference weights, one per objective'),
  /** RAUL: the forget reference, uniform (UniDist) or the held-out predictions (HeldDist). */
  reference: z.enum(['uniform', 'heldout'], { error: 'reference must be uniform or heldout' }).default('uniform').describe('forget reference: uniform (UniDist) or the held-out predictions (HeldDist)'),
  /** HeldDist: take the reference from the original model once instead of the current one each step. */
  frozenReference: z.boolean().default(false).describe('HeldDist: take the reference from the original model once'),
  optimizer: z.enum(OPTIMIZERS, { error: `optimizer must be one of ${OPTIMIZERS.join(', ')}` }).default('sgd').describe('optimizer of the unlearning steps'),
  lr: z.number({ error: 'learning rate must be a finite number' }).positive('learning rate must be finite and positive').optional().describe('learning rate (the method default when empty)'),
  momentum: z.number().min(0).lt(1, 'momentum must be in [0, 1)').default(0.9).describe('SGD momentum'),
  weightDecay: z.number().finite().min(0, 'weight decay must be >= 0').default(5e-4).describe('weight decay, applied after aggregation'),
  epochs: positiveInt('epochs').optional().describe('epochs of the method schedule (the method default when empty)'),
  batchSize: positiveInt('batch size').default(256).describe('samples per batch'),
  seed: z.number().int('seed must be an integer').default(1).describe('seed of batch order and random labels'),
  /** Method strength: NegGrad+ a (0.9999), l1-sparse alpha (1e-4), IU alpha (0.2), SCRUB's KL weight (0.001). */
  alpha: z.number({ error: 'alpha must be a finite number' }).finite().min(0, 'alpha must be >= 0').optional().describe('method strength (NegGrad+ a, l1-sparse and IU alpha, SCRUB KL weight)'),
  /** SalUn: share of the weights the saliency mask lets move (0.5). */
  maskRatio: z.number().gt(0, 'mask ratio must be in (0, 1]').max(1, 'mask ratio must be in (0, 1]').default(0.5).describe('share of the weights the saliency mask lets move'),
  /** SCRUB: distillation temperature (4), CE weight (0.99), max-step epochs (2), forget batch size (512). */
  temperature: z.number().positive('temperature must be positive').default(4).describe('distillation temperature'),
  gamma: z.number().min(0, 'gamma must be >= 0').default(0.99).describe('weight of the cross-entropy term'),
  maxSteps: z.number().int().min(0, 'max steps must be >= 0').default(2).describe('epochs with max-steps on the forget set'),
  forgetBatchSize: positiveInt('forget batch size').optional().describe('forget-set batch size of the max-steps (512 when empty)'),
  /** BLD: boundary items are the retain samples nearest the forget set, or the retain samples of the classes most confused with it. */
  boundary: z.enum(['nearest', 'confused'], { error: 'boundary must be nearest or confused' }).default('nearest').describe('boundary items: the retain samples nearest the forget set, or of the most-confused classes'),
  /** IU: retain samples in the WoodFisher inverse-Fisher estimate (1000). */
  fisherSamples: positiveInt('fisher samples').default(1000).describe('retain samples in the inverse-Fisher estimate'),
  evalBatchSize: positiveInt('eval batch size').default(1000).describe('samples per batch when measuring accuracy'),
  precision: precisionSchema.default('fp32').describe('fp32, or bf16 convolutions and matrix products (fp32 master weights; native kernels only)'),
});

export type UnlearnConfig = z.output<typeof UnlearnConfigSchema>;
export type UnlearnConfigInput = z.input<typeof UnlearnConfigSchema>;

/**
 * The options every method's run reads (what to unlearn, the optimizer, the schedule,
 * the seed); the others belong to one method or aggregator, which declares them in its
 * registry entry.
 */
export const COMMON_UNLEARN_OPTIONS = [
  'checkpoint',
  'forgetSet',
  'method',
  'optimizer',
  'lr',
  'momentum',
  'weightDecay',
  'epochs',
  'batchSize',
  'seed',
  'evalBatchSize',
  'precision',
] as const satisfies readonly (keyof UnlearnConfig)[];

export function parseUnlearnConfig(input: unknown): UnlearnConfig {
  return parseOrExplain(UnlearnConfigSchema, input, 'unlearning config');
}

export interface UnlearnStep {
  epoch: number;
  step: number;
  losses: number[];
  weights: number[];
  cosines: number[];
  /** Objectives (by row) that had no term in this step, and why: recorded as skipped_<objective>. */
  skipped?: { objective: number; reason: string }[];
}
