/**
 * The relearning attack on a language model (specs/lm-unlearning.md, "Relearning"):
 * fine-tune a copy of the model on part of the forget pairs for a few
 * AdamW steps, then measure how much of the other forget pairs' answers returns. Run on an
 * unlearned model and on Retrain, the gap says how much of the "forgotten" knowledge was
 * only hidden.
 */
import { DEFAULT_RELEARNING, type LmRelearningRequest } from '../../../../shared/lm-evaluation.js';
import type { QaPair } from '../../data/facts/facts-dataset.js';
import { Transformer } from '../../models/transformer.js';
import { Random } from '../../random.js';
import { encodeQa } from '../../text/sequences.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import { languageModelStep } from '../../train/lm-trainer.js';
import { AdamWOptimizer } from '../../train/optimizers.js';
import { cycled } from '../../unlearn/method.js';
import { qaSetMetrics, type QaSetMetrics } from './evaluate-language-model.js';

export interface RelearningResult {
  relearnPairs: number;
  /** The held-back forget pairs measured before and after the fine-tuning. */
  before: QaSetMetrics;
  after: QaSetMetrics;
  /** P̄_after − P̄_before of the held-back answers. */
  recoveredProbability: number;
}

/** A seeded split of the forget pairs: `fraction` of them to relearn on, the rest held back. */
export function splitForRelearning<T>(pairs: readonly T[], fraction: number, seed: number): { relearn: T[]; heldBack: T[] } {
  const order = new Random(seed, 'relearning-split').permutation(pairs.length);
  const cut = Math.max(1, Math.min(pairs.length - 1, Math.round(pairs.length * fraction)));
  return { relearn: Array.from(order.subarray(0, cut), (i) => pairs[i]!), heldBack: Array.from(order.subarray(cut), (i) => pairs[i]!) };
}

/** Fine-tunes a copy of `model` (the model itself is left as it was) and measures the held-back pairs. */
export function relearningAttack(model: Transformer, tokenizer: Tokenizer, forget: readonly QaPair[], options: LmRelearningRequest = DEFAULT_RELEARNING): RelearningResult {
  const { relearn, heldBack } = splitForRelearning(forget, options.fraction, options.seed);
  const sequences = relearn.map((pair) => encodeQa(tokenizer, pair.question, pair.answer));
  const copy = Transformer.create(model.spec);
  const optimizer = new AdamWOptimizer(0);
  try {
    copy.tensors().forEach((t, i) => t.variable.assign(model.tensors()[i]!.variable));
    const before = qaSetMetrics(copy, tokenizer, heldBack);
    const next = cycled(Int32Array.from(sequences.keys()), options.batchSize, new Random(options.seed, 'relearning-batches'));
    for (let step = 0; step < options.steps; step++) {
      languageModelStep(copy, optimizer, Array.from(next(), (i) => sequences[i]!), options.lr, 1);
    }
    const after = qaSetMetrics(copy, tokenizer, heldBack);
    return { relearnPairs: relearn.length, before, after, recoveredProbability: after.probability - before.probability };
  } finally {
    optimizer.dispose();
    copy.dispose();
  }
}
