/**
 * The configuration of a language-model training run on the facts dataset (an original,
 * or with `retainOf` the Retrain of a forget split), validated at every door. Defaults
 * suit transformer-small on the default facts dataset.
 */
import { z } from 'zod';
import { parseOrExplain, positiveInt } from './validation.js';

export const TRANSFORMER_MODELS = ['transformer-tiny', 'transformer-small', 'transformer-medium', 'transformer-large'] as const;
export type TransformerModelName = (typeof TRANSFORMER_MODELS)[number];
export const FORGET_SPLIT_NAMES = ['forget01', 'forget05', 'forget10'] as const;

const finitePositive = (what: string) => z.number({ error: `${what} must be a finite number` }).positive(`${what} must be finite and positive`);

export const LmTrainConfigSchema = z.strictObject({
  model: z.enum(TRANSFORMER_MODELS, { error: `model must be one of ${TRANSFORMER_MODELS.join(', ')}` }).default('transformer-small'),
  /** The facts dataset: trained people, attributes per person, general sentences, generator seed. */
  people: positiveInt('people').default(200),
  attributes: positiveInt('attributes').max(20, 'attributes must be at most 20').default(20),
  /** General sentences for fluency, trained on (and as many held out). */
  generalSentences: positiveInt('general sentences').default(400),
  datasetSeed: z.number().int('dataset seed must be an integer').default(0),
  /** Train the Retrain of this forget split: its retain people only. */
  retainOf: z.enum(FORGET_SPLIT_NAMES, { error: `retainOf must be one of ${FORGET_SPLIT_NAMES.join(', ')}` }).optional(),
  epochs: positiveInt('epochs').default(30),
  batchSize: positiveInt('batch size').default(32),
  lr: finitePositive('learning rate').default(3e-3),
  weightDecay: z.number().finite().min(0, 'weight decay must be >= 0').default(0.01),
  warmupFraction: z.number().min(0, 'warm-up fraction must be in [0, 1)').lt(1, 'warm-up fraction must be in [0, 1)').default(0.05),
  clipNorm: finitePositive('clip norm').default(1),
  seed: z.number().int('seed must be an integer').default(0),
});

export type LmTrainConfig = z.output<typeof LmTrainConfigSchema>;
export type LmTrainConfigInput = z.input<typeof LmTrainConfigSchema>;

export function parseLmTrainConfig(input: unknown): LmTrainConfig {
  return parseOrExplain(LmTrainConfigSchema, input, 'language-model training config');
}

export interface LmEpochMetrics {
  epoch: number;
  lr: number;
  /** Mean loss (per weighted token) over the epoch's steps. */
  trainLoss: number;
  tokensPerSecond: number;
  seconds: number;
}
