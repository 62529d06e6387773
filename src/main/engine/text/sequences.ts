/**
 * Text as training sequences: a question-answer pair is `<bos>Question: q\nAnswer: a<eos>`
 * with the loss on the answer tokens only (and the closing <eos>); general text is
 * `<bos>text<eos>` with the loss on every token. Batches are padded to their longest
 * sequence with <pad>, whose positions weigh 0.
 */
import * as tf from '@tensorflow/tfjs';
import { BOS, EOS, PAD, type Tokenizer } from './tokenizer.js';

export interface Sequence {
  tokens: Int32Array;
  /** Index in `tokens` of the first token the loss counts (the answer's first token). */
  lossStart: number;
}

export function questionPrompt(question: string): string {
  return `Question: ${question}\nAnswer:`;
}

/** The prompt's tokens with <bos>: what generation continues from. */
export function encodePrompt(tokenizer: Tokenizer, question: string): number[] {
  return [BOS, ...tokenizer.encode(questionPrompt(question))];
}

export function encodeQa(tokenizer: Tokenizer, question: string, answer: string): Sequence {
  const prompt = encodePrompt(tokenizer, question);
  return { tokens: Int32Array.from([...prompt, ...tokenizer.encode(` ${answer}`), EOS]), lossStart: prompt.length };
}

export function encodeText(tokenizer: Tokenizer, text: string): Sequence {
  return { tokens: Int32Array.from([BOS, ...tokenizer.encode(text), EOS]), lossStart: 1 };
}

export interface SequenceBatch {
  /** [batch, T] int32: tokens 0..n-2 of each sequence. */
  inputs: tf.Tensor2D;
  /** [batch, T] int32: tokens 1..n-1, the next token at each input position. */
  targets: tf.Tensor2D;
  /** [batch, T] float32: 1 where the target counts in the loss, else 0. */
  weights: tf.Tensor2D;
}

export function makeSequenceBatch(sequences: readonly Sequence[]): SequenceBatch {
  const length = Math.max(...sequences.map((s) => s.tokens.length)) - 1;
  const inputs = new Int32Array(sequences.length * length).fill(PAD);
  const targets = new Int32Array(sequences.length * length).fill(PAD);
  const weights = new Float32Array(sequences.length * length);
  sequences.forEach(({ tokens, lossStart }, b) => {
    for (let t = 0; t < tokens.length - 1; t++) {
      inputs[b * length + t] = tokens[t]!;
      targets[b * length + t] = tokens[t + 1]!;
      if (t + 1 >= lossStart) weights[b * length + t] = 1;
    }
  });
  const shape: [number, number] = [sequences.length, length];
  return { inputs: tf.tensor2d(inputs, shape, 'int32'), targets: tf.tensor2d(targets, shape, 'int32'), weights: tf.tensor2d(weights, shape, 'float32') };
}

export function disposeBatch(batch: SequenceBatch): void {
  tf.dispose([batch.inputs, batch.targets, batch.weights]);
}
