import type { ModelArchitecture } from './model-spec.js';

/** What each architecture is, readable without loading TensorFlow.js (CLI help, the window). */
export const ARCHITECTURE_DESCRIPTIONS: Record<ModelArchitecture, string> = {
  mlp: 'MLP 784-256-256-10 (ReLU)',
  cnn: 'small CNN: conv16-pool-conv32-pool-fc128',
  cnn3: '3-conv CNN: conv32-pool-conv64-pool-conv128-pool-fc (for 32x32 colour images)',
  resnet18: 'ResNet-18, CIFAR variant (BatchNorm, Kaiming init, input normalisation inside)',
};
