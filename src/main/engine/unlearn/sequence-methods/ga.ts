import type { SequenceUnlearnMethod } from '../sequence-method.js';
import { answerNllObjective } from '../sequence-objectives.js';

/** GA on sequences: gradient ascent on the forget answers (-NLL_F). */
export const sequenceGradientAscent: SequenceUnlearnMethod = {
  name: 'ga',
  objectives: ({ model, forget }) => [answerNllObjective(model, forget, -1)],
};
