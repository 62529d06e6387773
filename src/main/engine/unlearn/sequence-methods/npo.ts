import type { SequenceUnlearnMethod } from '../sequence-method.js';
import { answerNllObjective, npoObjective } from '../sequence-objectives.js';

/** NPO (Zhang et al. 2024) with the retain NLL (NPO+RT): the forget answers against the frozen original, with the config's β. */
export const npo: SequenceUnlearnMethod = {
  name: 'npo',
  objectives: ({ model, original, forget, retain, beta }) => [answerNllObjective(model, retain), npoObjective(model, original, forget, beta)],
};
