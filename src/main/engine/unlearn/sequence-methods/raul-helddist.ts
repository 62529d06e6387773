import type { SequenceUnlearnMethod } from '../sequence-method.js';
import { answerNllObjective, referenceTargetObjective } from '../sequence-objectives.js';

/** RAUL-HeldDist on sequences: NLL_R, and each forget answer's positions pulled toward its held-out reference. */
export const raulHeldDist: SequenceUnlearnMethod = {
  name: 'raul-helddist',
  objectives: ({ model, forget, retain, references }) => {
    if (!references) throw new Error('raul-helddist needs the held-out references of its forget batch');
    return [answerNllObjective(model, retain), referenceTargetObjective(model, forget, references)];
  },
};
