import type { SequenceUnlearnMethod } from '../sequence-method.js';
import { answerNllObjective } from '../sequence-objectives.js';

/** GradDiff (NegGrad+ on sequences): NLL_R and -NLL_F, kept separate for the aggregators. */
export const gradDiff: SequenceUnlearnMethod = {
  name: 'graddiff',
  objectives: ({ model, forget, retain }) => [answerNllObjective(model, retain), answerNllObjective(model, forget, -1)],
};
