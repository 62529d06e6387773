import type { SequenceUnlearnMethod } from '../sequence-method.js';
import { answerNllObjective, uniformTargetObjective } from '../sequence-objectives.js';

/** RAUL-UniDist on sequences: NLL_R, and the forget answer positions pulled toward uniform. */
export const raulUniDist: SequenceUnlearnMethod = {
  name: 'raul-unidist',
  objectives: ({ model, forget, retain }) => [answerNllObjective(model, retain), uniformTargetObjective(model, forget)],
};
