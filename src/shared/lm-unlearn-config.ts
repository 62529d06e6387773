/** Unlearning a forget split from a language-model checkpoint (`lethe unlearn-lm`), validated at every door. */
import { z } from 'zod';
import { FORGET_SPLIT_NAMES } from './lm-train-config.js';
import { parseOrExplain, positiveInt } from './validation.js';

export const SEQUENCE_METHOD_NAMES = ['ga', 'graddiff', 'npo', 'raul-unidist', 'raul-helddist', 'bld'] as const;
export type SequenceMethodName = (typeof SEQUENCE_METHOD_NAMES)[number];

export const LmUnlearnConfigSchema = z.strictObject({
  /** The original: a checkpoint folder, or a hash or unique hash prefix. */
  checkpoint: z.string({ error: 'checkpoint must be a string' }).min(1, 'name the checkpoint to unlearn from'),
  split: z.enum(FORGET_SPLIT_NAMES, { error: `split must be one of ${FORGET_SPLIT_NAMES.join(', ')}` }).default('forget05'),
  method: z.enum(SEQUENCE_METHOD_NAMES, { error: `method must be one of ${SEQUENCE_METHOD_NAMES.join(', ')}` }),
  /** Any aggregator of the registry (a single objective passes through). */
  aggregator: z.string().min(1, 'name the aggregator').default('upgrad'),
  steps: positiveInt('steps').default(50),
  batchSize: positiveInt('batch size').default(16),
  lr: z.number({ error: 'learning rate must be a finite number' }).positive('learning rate must be finite and positive').default(1e-4),
  /** NPO's β. */
  beta: z.number({ error: 'beta must be a finite number' }).positive('beta must be positive').default(0.1),
  seed: z.number().int('seed must be an integer').default(0),
});

export type LmUnlearnConfig = z.output<typeof LmUnlearnConfigSchema>;
export type LmUnlearnConfigInput = z.input<typeof LmUnlearnConfigSchema>;

export function parseLmUnlearnConfig(input: unknown): LmUnlearnConfig {
  return parseOrExplain(LmUnlearnConfigSchema, input, 'language-model unlearning config');
}
