import type { SequenceUnlearnMethod } from '../sequence-method.js';
import { bldObjective } from '../sequence-objectives.js';

/** BLD on sequences: toward the frozen original on retain answer positions, away from its answer on forget ones. */
export const sequenceBld: SequenceUnlearnMethod = {
  name: 'bld',
  objectives: ({ model, original, forget, retain }) => [bldObjective(model, original, retain, 'retain'), bldObjective(model, original, forget, 'forget')],
};
