export const MODEL_ARCHITECTURES = ['mlp', 'cnn', 'cnn3', 'resnet18'] as const;
export type ModelArchitecture = (typeof MODEL_ARCHITECTURES)[number];

/** Everything needed to rebuild a model's graph; stored in every checkpoint. */
export interface ModelSpec {
  architecture: ModelArchitecture;
  /** [height, width, channels] */
  inputShape: [number, number, number];
  numClasses: number;
  /** Per-channel statistics of the training pixels in [0, 1]; applied inside the model. */
  normalization: { mean: number[]; std: number[] };
  /** Seed of the initial weights. */
  seed: number;
}
