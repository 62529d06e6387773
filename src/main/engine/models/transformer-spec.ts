/**
 * The decoder-only transformer's spec (stored in its checkpoints, tokenizer included),
 * its named sizes, its parameter count and the memory a training step needs, all
 * without TensorFlow.js, so a too-large model is refused before anything is allocated.
 */
import type { TokenizerSpec } from '../text/tokenizer.js';
import type { TransformerModelName } from '../../../shared/lm-train-config.js';
import { InvalidRequestError } from '../../../shared/validation.js';

export interface TransformerSize {
  /** Model width (embedding size). */
  dModel: number;
  layers: number;
  heads: number;
  /** Longest sequence, prompt and answer together, in tokens. */
  contextLength: number;
}

export interface TransformerSpec extends TransformerSize {
  architecture: 'transformer';
  vocabularySize: number;
  tokenizer: TokenizerSpec;
  /** Seed of the initial weights. */
  seed: number;
}

/** Named sizes. With the facts vocabulary (960 tokens): tiny 0.06 M parameters, small 0.92 M, medium 5.0 M, large 9.0 M. */
export const TRANSFORMER_SIZES = {
  'transformer-tiny': { dModel: 32, layers: 2, heads: 2, contextLength: 64 },
  'transformer-small': { dModel: 128, layers: 4, heads: 4, contextLength: 64 },
  'transformer-medium': { dModel: 256, layers: 6, heads: 8, contextLength: 64 },
  'transformer-large': { dModel: 320, layers: 7, heads: 8, contextLength: 64 },
} as const satisfies Record<TransformerModelName, TransformerSize>;
export type TransformerSizeName = TransformerModelName;

export function checkTransformerSize(size: TransformerSize): void {
  for (const field of ['dModel', 'layers', 'heads', 'contextLength'] as const) {
    const value = size[field];
    if (!Number.isInteger(value) || value < 1) throw new InvalidRequestError(`transformer ${field} must be a positive integer, got ${value}`);
  }
  if (size.dModel % size.heads !== 0) throw new InvalidRequestError(`transformer dModel (${size.dModel}) must be a multiple of heads (${size.heads})`);
}

/** Trainable parameters: embeddings (the head is tied to them) and per layer 12 d^2 + 13 d, plus the final LayerNorm. */
export function transformerParameterCount(spec: Pick<TransformerSpec, 'dModel' | 'layers' | 'contextLength' | 'vocabularySize'>): number {
  const d = spec.dModel;
  const perLayer = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d);
  return (spec.vocabularySize + spec.contextLength) * d + spec.layers * perLayer + 2 * d;
}

/**
 * Bytes a training step holds at its peak, float32: weights, gradients and AdamW's two
 * moments (4 per parameter), and what the tape keeps for the backward pass, per token:
 * per layer 210 d values and 10 attention values per head and position (T), plus 14
 * vocabulary-sized rows (one-hot input, logits, log-softmax and target pick, and their
 * gradients). Fitted to tf.profile's peak of 6 sizes within 2 % (d 64-128, 2-4 layers,
 * 2-8 heads, T 32-64, V 960-2000), rounded up.
 */
export function trainingMemoryBytes(
  spec: Pick<TransformerSpec, 'dModel' | 'layers' | 'heads' | 'contextLength' | 'vocabularySize'>,
  batchSize: number,
  sequenceLength = spec.contextLength,
): number {
  const perToken = spec.layers * (210 * spec.dModel + 10 * spec.heads * sequenceLength) + 14 * spec.vocabularySize;
  return 4 * (4 * transformerParameterCount(spec) + batchSize * sequenceLength * perToken);
}

/** What the wasm backend can address (its heap is 4 GiB). */
export const WASM_MEMORY_BYTES = 4 * 1024 ** 3;

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

/**
 * Refuses a model and batch whose training step would not fit in `limitBytes`, with the
 * estimate; `sequenceLength` is the longest sequence a batch will hold (batches are padded
 * to their longest sequence, at most the context).
 */
export function checkTrainingMemory(spec: TransformerSpec, batchSize: number, sequenceLength = spec.contextLength, limitBytes = WASM_MEMORY_BYTES): void {
  const needed = trainingMemoryBytes(spec, batchSize, sequenceLength);
  if (needed > limitBytes) {
    const millions = (transformerParameterCount(spec) / 1e6).toFixed(1);
    throw new InvalidRequestError(
      `transformer too large to train: ${millions} M parameters with batch ${batchSize} x ${sequenceLength} tokens need about ${gib(needed)}, ` +
        `more than the ${gib(limitBytes)} available; use a smaller model, batch size or context length`,
    );
  }
}
