/**
 * Autoregressive generation: greedy (temperature 0) or sampled from softmax(logits / T)
 * with a seeded generator, so one seed gives one continuation. Stops at <eos> or after
 * `maxTokens`; the context is the last `contextLength` tokens.
 */
import * as tf from '@tensorflow/tfjs';
import type { Transformer } from '../models/transformer.js';
import { Random } from '../random.js';
import { EOS } from './tokenizer.js';

export interface GenerateOptions {
  maxTokens: number;
  /** 0 = greedy (argmax); otherwise the softmax temperature. */
  temperature: number;
  seed: number;
}

/** Index of the token drawn from softmax(logits / temperature) (argmax for temperature 0). */
export function pickToken(logits: ArrayLike<number>, temperature: number, random: Random): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  if (temperature === 0) return best;
  const weights = Float64Array.from(logits, (l) => Math.exp((l - logits[best]!) / temperature));
  let u = random.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return best;
}

/** The tokens generated after `prompt` (without the prompt, without the closing <eos>). */
export function generateTokens(model: Transformer, prompt: readonly number[], options: GenerateOptions): number[] {
  const random = new Random(options.seed, 'generate');
  const tokens = [...prompt];
  const generated: number[] = [];
  const { contextLength } = model.spec;
  while (generated.length < options.maxTokens) {
    const window = tokens.slice(-contextLength);
    const logits = tf.tidy(() => {
      const all = model.forward(tf.tensor2d([window], [1, window.length], 'int32'));
      return tf.slice(all, [0, window.length - 1, 0], [1, 1, -1]).dataSync();
    });
    const next = pickToken(logits, options.temperature, random);
    if (next === EOS) break;
    tokens.push(next);
    generated.push(next);
  }
  return generated;
}
