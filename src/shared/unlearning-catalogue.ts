/** What the window's unlearning form offers: every method and aggregator with the parameters it reads. */

/** One option of an unlearning run as a form field: its kind, default, range and a one-line description. */
export interface ParameterInfo {
  name: string;
  kind: 'number' | 'integer' | 'boolean' | 'choice' | 'numbers';
  description: string;
  default?: number | string | boolean;
  /** Bounds; `exclusive` when the bound itself is not allowed. */
  min?: { value: number; exclusive: boolean };
  max?: { value: number; exclusive: boolean };
  choices?: string[];
}

export interface MethodDescription {
  name: string;
  description: string;
  /** Objective names in the row order of J: the losses and weights a run records. */
  objectives: string[];
  multiObjective: boolean;
  defaults: { lr: number; epochs: number };
  /** The options this method reads beyond the common ones. */
  parameters: ParameterInfo[];
}

export interface AggregatorDescription {
  name: string;
  description: string;
  parameters: ParameterInfo[];
}

export interface UnlearningCatalogue {
  /** Options every method reads (optimizer, schedule, seed), without what to unlearn. */
  common: ParameterInfo[];
  methods: MethodDescription[];
  aggregators: AggregatorDescription[];
}

/** A finished training run's checkpoint, as the unlearning form offers it. */
export interface OriginalCheckpoint {
  hash: string;
  runId: string;
  datasetId: number | null;
  dataset: string;
  model: string;
  /** Test accuracy in [0, 1] at the end of training, when recorded. */
  testAccuracy: number | null;
  /** The split it was trained on: forget sets of another split do not fit it. */
  splitDigest: string | null;
  createdAt: number;
}
