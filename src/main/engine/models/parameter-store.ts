import * as tf from '@tensorflow/tfjs';
import { Random } from '../random.js';

export type Initializer =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  /** N(0, std^2); Kaiming-normal uses std = sqrt(2 / fan). */
  | { kind: 'normal'; std: number }
  /** U(-bound, bound); PyTorch's default for Linear layers uses bound = 1 / sqrt(fan_in). */
  | { kind: 'uniform'; bound: number };

export interface StoredTensor {
  name: string;
  variable: tf.Variable;
  /** Trainable parameters get gradients; buffers (BatchNorm running statistics) do not. */
  trainable: boolean;
}

function initialValues(size: number, init: Initializer, random: Random): Float32Array {
  const values = new Float32Array(size);
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      values.fill(1);
      break;
    case 'normal':
      for (let i = 0; i < size; i++) values[i] = random.normal() * init.std;
      break;
    case 'uniform':
      for (let i = 0; i < size; i++) values[i] = (random.next() * 2 - 1) * init.bound;
      break;
  }
  return values;
}

/**
 * The named tensors of a model, created on first use while the graph is traced. Each
 * tensor's initial values come from its own seeded stream (seed + name), so they do not
 * depend on creation order or on the backend.
 */
export class ParameterStore {
  private readonly entries = new Map<string, StoredTensor>();
  private frozen = false;

  constructor(private readonly seed: number) {}

  get(name: string, shape: number[], init: Initializer, trainable = true): tf.Variable {
    const found = this.entries.get(name);
    if (found) {
      if (!tf.util.arraysEqual(found.variable.shape, shape)) {
        throw new Error(`parameter ${name} has shape [${found.variable.shape}], the graph asks for [${shape}]`);
      }
      return found.variable;
    }
    if (this.frozen) throw new Error(`parameter ${name} is not part of this model`);
    const values = initialValues(tf.util.sizeFromShape(shape), init, new Random(this.seed, name));
    const variable = tf.variable(tf.tensor(values, shape, 'float32'), trainable, undefined, 'float32');
    this.entries.set(name, { name, variable, trainable });
    return variable;
  }

  /** After the first trace no new tensor may appear (catches graph/spec drift). */
  freeze(): void {
    this.frozen = true;
  }

  all(): StoredTensor[] {
    return [...this.entries.values()];
  }

  trainable(): tf.Variable[] {
    return this.all().filter((e) => e.trainable).map((e) => e.variable);
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose();
    this.entries.clear();
  }
}
