/**
 * What an unlearning method on sequences is: its objectives for one step's forget and
 * retain batches, retain first (the step's convention), so every aggregator applies.
 * Each method is one file under sequence-methods/ and one line in the registry; its
 * metadata is SEQUENCE_METHOD_INFO's.
 */
import type { SequenceMethodName } from '../../../shared/lm-unlearn-config.js';
import type { Transformer } from '../models/transformer.js';
import type { Objective } from '../moo/multi-objective-step.js';
import type { SequenceBatch } from '../text/sequences.js';

export interface SequenceStepContext {
  model: Transformer;
  /** The model before unlearning, frozen: NPO's reference, BLD's teacher. */
  original: Transformer;
  forget: SequenceBatch;
  retain: SequenceBatch;
  /** HeldDist: each forget sequence's reference next-token distribution, [batch, V] flattened. */
  references?: Float32Array;
  /** NPO's β. */
  beta: number;
}

export interface SequenceUnlearnMethod {
  name: SequenceMethodName;
  objectives(context: SequenceStepContext): Objective[];
}
