/**
 * Unlearning a language model's forget pairs: seeded forget and retain batches, the
 * method's objectives (retain first, by the step's convention), one multi-objective
 * step each (any aggregator; a single objective passes through), AdamW without weight
 * decay. Each method's objectives come from the registry (sequence-methods/).
 */
import type { Transformer } from '../models/transformer.js';
import { createAggregator } from '../moo/registry.js';
import { multiObjectiveStep, type StepRecord } from '../moo/multi-objective-step.js';
import { disposeBatch, makeSequenceBatch, type Sequence } from '../text/sequences.js';
import { AdamWOptimizer } from '../train/optimizers.js';
import { CancelledError, nextTick } from '../train/trainer.js';
import { Random } from '../random.js';
import { cycled } from './method.js';
import { sequenceMethod } from './method-registry.js';
import { InvalidRequestError } from '../../../shared/validation.js';
import type { SequenceMethodName } from '../../../shared/lm-unlearn-config.js';

export interface SequenceUnlearnConfig {
  method: SequenceMethodName;
  aggregator: string;
  steps: number;
  batchSize: number;
  lr: number;
  /** NPO's β. */
  beta: number;
  seed: number;
}

function concatenated(rows: Float32Array[]): Float32Array {
  const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  let offset = 0;
  for (const row of rows) {
    out.set(row, offset);
    offset += row.length;
  }
  return out;
}

export async function unlearnSequences(
  model: Transformer,
  original: Transformer,
  forget: readonly Sequence[],
  retain: readonly Sequence[],
  config: SequenceUnlearnConfig,
  hooks: { signal?: AbortSignal; onStep?: (record: StepRecord) => void } = {},
  /** HeldDist: per forget sequence, its reference next-token distribution (see heldOutReferences). */
  references?: readonly Float32Array[],
): Promise<StepRecord[]> {
  if (forget.length === 0 || retain.length === 0) throw new InvalidRequestError(`unlearning needs forget and retain pairs, got ${forget.length} and ${retain.length}`);
  if (config.method === 'raul-helddist' && references?.length !== forget.length) {
    throw new InvalidRequestError(`raul-helddist needs one held-out reference per forget pair, got ${references?.length ?? 0} for ${forget.length}`);
  }
  const method = sequenceMethod(config.method);
  const weighting = createAggregator(config.aggregator, { seed: config.seed });
  const optimizer = new AdamWOptimizer(0);
  const random = new Random(config.seed, 'unlearn-batches');
  const nextForget = cycled(Int32Array.from(forget.keys()), config.batchSize, random);
  const nextRetain = cycled(Int32Array.from(retain.keys()), config.batchSize, random);
  const records: StepRecord[] = [];
  try {
    for (let step = 0; step < config.steps; step++) {
      if (hooks.signal?.aborted) throw new CancelledError();
      const chosen = nextForget();
      const forgetBatch = makeSequenceBatch(Array.from(chosen, (i) => forget[i]!));
      const batchReferences = references && concatenated(Array.from(chosen, (i) => references[i]!));
      const retainBatch = makeSequenceBatch(Array.from(nextRetain(), (i) => retain[i]!));
      try {
        const record = multiObjectiveStep(model.trainableVariables(), method.objectives({ model, original, forget: forgetBatch, retain: retainBatch, references: batchReferences, beta: config.beta }), weighting, optimizer, config.lr);
        if (!record.losses.every(Number.isFinite)) throw new Error(`the loss became ${record.losses.join(', ')} at step ${step + 1}`);
        records.push(record);
        hooks.onStep?.(record);
      } finally {
        disposeBatch(forgetBatch);
        disposeBatch(retainBatch);
      }
      await nextTick();
    }
  } finally {
    optimizer.dispose();
  }
  return records;
}
