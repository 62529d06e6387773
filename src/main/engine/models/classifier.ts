import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES } from './architectures.js';
import { Layers, type BufferUpdate } from './layers.js';
import { MODEL_ARCHITECTURES, type ModelSpec } from './model-spec.js';
import { ParameterStore, type StoredTensor } from './parameter-store.js';

export interface ForwardResult {
  logits: tf.Tensor2D;
  /** Running-statistics updates to apply after a training step (empty in eval mode). */
  bufferUpdates: BufferUpdate[];
}

/** A classifier: its spec, its named tensors and its forward pass. Inputs are pixels in [0, 1], NHWC. */
export class Classifier {
  private constructor(
    readonly spec: ModelSpec,
    private readonly store: ParameterStore,
  ) {}

  /** Builds the graph once on a dummy batch, creating every tensor from the spec's seed. */
  static create(spec: ModelSpec): Classifier {
    if (!MODEL_ARCHITECTURES.includes(spec.architecture)) {
      throw new Error(`unknown model '${spec.architecture}'; available: ${MODEL_ARCHITECTURES.join(', ')}`);
    }
    const model = new Classifier(spec, new ParameterStore(spec.seed));
    tf.tidy(() => {
      model.forward(tf.zeros([1, ...spec.inputShape]) as tf.Tensor4D, false);
    });
    model.store.freeze();
    return model;
  }

  forward(x: tf.Tensor4D, training: boolean): ForwardResult {
    const layers = new Layers(this.store, training);
    const logits = ARCHITECTURES[this.spec.architecture](layers, x, this.spec);
    return { logits, bufferUpdates: layers.bufferUpdates };
  }

  /** Logits in eval mode. */
  predict(x: tf.Tensor4D): tf.Tensor2D {
    return this.forward(x, false).logits;
  }

  /** Every named tensor in graph order, parameters and buffers alike. */
  tensors(): StoredTensor[] {
    return this.store.all();
  }

  trainableVariables(): tf.Variable[] {
    return this.store.trainable();
  }

  parameterCount(): number {
    return this.trainableVariables().reduce((n, v) => n + v.size, 0);
  }

  dispose(): void {
    this.store.dispose();
  }
}
