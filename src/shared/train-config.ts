/**
 * The configuration of a training run, validated the same way whether it comes from the
 * CLI, the window or a study file. Defaults suit the small CNN on Fashion-MNIST.
 */
import { z } from 'zod';
import { parseOrExplain, positiveInt } from './validation.js';

export const OPTIMIZERS = ['sgd', 'adamw'] as const;
export const SCHEDULES = ['constant', 'multistep', 'cosine'] as const;
/**
 * What convolutions and matrix products compute in: fp32, or bf16 operands with fp32
 * accumulation, outputs and master weights (the native kernels on a CPU with bf16
 * instructions only).
 */
export const PRECISIONS = ['fp32', 'bf16'] as const;
export type Precision = (typeof PRECISIONS)[number];
export const precisionSchema = z.enum(PRECISIONS, { error: `precision must be one of ${PRECISIONS.join(', ')}` });

const finitePositive = (what: string) =>
  z.number({ error: `${what} must be a finite number` }).positive(`${what} must be finite and positive`);

export const TrainConfigSchema = z.strictObject({
  dataset: z.string().min(1, 'dataset must be named'),
  model: z.string().min(1, 'model must be named'),
  epochs: positiveInt('epochs').default(3),
  batchSize: positiveInt('batch size').default(64),
  optimizer: z.enum(OPTIMIZERS, { error: `optimizer must be one of ${OPTIMIZERS.join(', ')}` }).default('sgd'),
  lr: finitePositive('learning rate').default(0.05),
  momentum: z.number().min(0, 'momentum must be in [0, 1)').lt(1, 'momentum must be in [0, 1)').default(0.9),
  weightDecay: z.number().finite().min(0, 'weight decay must be >= 0').default(5e-4),
  schedule: z.enum(SCHEDULES, { error: `schedule must be one of ${SCHEDULES.join(', ')}` }).default('constant'),
  /** Epochs (0-based starts) at which multistep multiplies the rate by gamma. */
  milestones: z.array(positiveInt('milestone')).default([]),
  gamma: finitePositive('gamma').default(0.1),
  seed: z.number().int('seed must be an integer').default(0),
  /** Random-crop padding in pixels (0 = no crop). */
  augmentCrop: z.number().int().min(0, 'crop padding must be >= 0').default(0),
  augmentFlip: z.boolean().default(false),
  evalBatchSize: positiveInt('eval batch size').default(1000),
  precision: precisionSchema.default('fp32'),
  /** Seed of the train / held-out / test split (kept apart from the training seed). */
  splitSeed: z.number().int().default(0),
});

export type TrainConfig = z.output<typeof TrainConfigSchema>;
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;

/** Parses a config, naming each bad field in one message. */
export function parseTrainConfig(input: unknown): TrainConfig {
  return parseOrExplain(TrainConfigSchema, input, 'training config');
}

export interface EpochMetrics {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  samplesPerSecond: number;
  etaSeconds: number;
}
