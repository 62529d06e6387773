/** A request to continue a prompt with a language-model checkpoint (`lethe generate`), validated at every door. */
import { z } from 'zod';
import { positiveInt } from './validation.js';

export const GenerateRequestSchema = z.strictObject({
  /** A checkpoint folder, or a hash or unique hash prefix under the data directory. */
  checkpoint: z.string({ error: 'checkpoint must be a string' }).min(1, 'name the checkpoint'),
  prompt: z.string({ error: 'prompt must be a string' }).max(10_000, 'prompt is too long (at most 10,000 characters)'),
  /** Wrap the prompt as the facts track's question: `Question: …\nAnswer:`. */
  question: z.boolean().default(false),
  maxTokens: positiveInt('max tokens').max(1000, 'max tokens must be at most 1000').default(48),
  /** 0 = greedy; otherwise the softmax temperature. */
  temperature: z.number({ error: 'temperature must be a finite number' }).min(0, 'temperature must be >= 0').max(100, 'temperature must be at most 100').default(0),
  seed: z.number().int('seed must be an integer').default(0),
});

export type GenerateRequest = z.output<typeof GenerateRequestSchema>;
export type GenerateRequestInput = z.input<typeof GenerateRequestSchema>;

export interface GenerateOutcome {
  checkpoint: { hash: string; path: string };
  /** The text the model added after the prompt. */
  text: string;
  tokens: number;
  /** True when the model ended with <eos>, false when maxTokens ran out. */
  finished: boolean;
}
