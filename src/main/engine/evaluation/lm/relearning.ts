/**
 * The relearning attack on a language model (after TOFU's and open-unlearning's
 * relearning checks): fine-tune a copy of the model on part of the forget pairs for a few
 * AdamW steps, then measure how much of the other forget pairs' answer probability
 * returns. Run on an unlearned model and on Retrain, the gap says how much of the
 * "forgotten" knowledge was only hidden.
 */
import { Transformer } from '../../models/transformer.js';
import { Random } from '../../random.js';
import type { Sequence } from '../../text/sequences.js';
import { languageModelStep } from '../../train/lm-trainer.js';
import { AdamWOptimizer } from '../../train/optimizers.js';
import { cycled } from '../../unlearn/method.js';
import { sequenceLogProbs } from './evaluate-language-model.js';
import { normalisedProbability } from './truth-ratio.js';

export interface RelearningOptions {
  steps: number;
  lr: number;
  batchSize: number;
  seed: number;
}

export const DEFAULT_RELEARNING: RelearningOptions = { steps: 10, lr: 1e-3, batchSize: 8, seed: 0 };

export interface RelearningResult {
  /** Mean P̄(a|q) of the held-back forget pairs before and after the fine-tuning. */
  probabilityBefore: number;
  probabilityAfter: number;
}

function meanProbability(model: Transformer, sequences: readonly Sequence[]): number {
  const probabilities = sequenceLogProbs(model, sequences).map(normalisedProbability);
  return probabilities.reduce((a, b) => a + b, 0) / probabilities.length;
}

/** A seeded split of the forget pairs: `fraction` of them to relearn on, the rest held back. */
export function splitForRelearning<T>(pairs: readonly T[], fraction: number, seed: number): { relearn: T[]; heldBack: T[] } {
  const order = new Random(seed, 'relearning-split').permutation(pairs.length);
  const cut = Math.max(1, Math.min(pairs.length - 1, Math.round(pairs.length * fraction)));
  return { relearn: Array.from(order.subarray(0, cut), (i) => pairs[i]!), heldBack: Array.from(order.subarray(cut), (i) => pairs[i]!) };
}

/** Fine-tunes a copy of `model` (the model itself is left as it was) and measures the held-back pairs. */
export function relearningAttack(model: Transformer, relearn: readonly Sequence[], heldBack: readonly Sequence[], options: RelearningOptions = DEFAULT_RELEARNING): RelearningResult {
  const copy = Transformer.create(model.spec);
  const optimizer = new AdamWOptimizer(0);
  try {
    copy.tensors().forEach((t, i) => t.variable.assign(model.tensors()[i]!.variable));
    const probabilityBefore = meanProbability(copy, heldBack);
    const next = cycled(Int32Array.from(relearn.keys()), options.batchSize, new Random(options.seed, 'relearning-batches'));
    for (let step = 0; step < options.steps; step++) {
      languageModelStep(copy, optimizer, Array.from(next(), (i) => relearn[i]!), options.lr, 1);
    }
    return { probabilityBefore, probabilityAfter: meanProbability(copy, heldBack) };
  } finally {
    optimizer.dispose();
    copy.dispose();
  }
}
