/**
 * A decoder-only transformer (GPT-2 layout): token + learned position embeddings,
 * pre-LayerNorm blocks of causal multi-head self-attention and a GELU MLP (4 d wide),
 * a final LayerNorm and an output head tied to the token embedding. GPT-2's
 * initialisation: N(0, 0.02) weights, residual projections scaled by 1/sqrt(2 layers),
 * zero biases. Every matrix product is a tfjs matMul, which the native kernels run on wasm.
 * Token lookup is a one-hot product rather than a gather: its gradient is another matMul,
 * where a gather's needs UnsortedSegmentSum, which the wasm backend lacks.
 */
import * as tf from '@tensorflow/tfjs';
import { ParameterStore, type StoredTensor } from './parameter-store.js';
import { checkTransformerSize, type TransformerSpec } from './transformer-spec.js';

const LN_EPSILON = 1e-5;
const INIT_STD = 0.02;
/** Added to the scores of future positions; exp() of it is 0 in float32. */
const MASKED = -1e9;

/** GELU, tanh approximation (GPT-2's). */
export function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** [T, T] additive mask: 0 where key position <= query position, MASKED above the diagonal. */
export function causalMask(length: number): tf.Tensor2D {
  const values = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) values[i * length + j] = MASKED;
  return tf.tensor2d(values, [length, length]);
}

/**
 * Scaled dot-product attention with a causal mask: softmax(q k^T / sqrt(dh) + mask) v.
 * q, k, v: [batch, heads, T, dh].
 */
export function causalAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  const length = q.shape[2];
  const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(q.shape[3])), causalMask(length));
  return tf.matMul(tf.softmax(scores), v);
}

export class Transformer {
  private constructor(
    readonly spec: TransformerSpec,
    private readonly store: ParameterStore,
  ) {}

  /** Builds the graph once on a one-token sequence, creating every tensor from the spec's seed. */
  static create(spec: TransformerSpec): Transformer {
    checkTransformerSize(spec);
    const model = new Transformer(spec, new ParameterStore(spec.seed));
    tf.tidy(() => {
      model.forward(tf.zeros([1, 1], 'int32'));
    });
    model.store.freeze();
    return model;
  }

  private weight(name: string, shape: number[], std = INIT_STD): tf.Variable {
    return this.store.get(name, shape, { kind: 'normal', std });
  }

  private dense(name: string, x: tf.Tensor2D, units: number, std = INIT_STD): tf.Tensor2D {
    const kernel = this.weight(`${name}/kernel`, [x.shape[1], units], std) as tf.Tensor2D;
    const bias = this.store.get(`${name}/bias`, [units], { kind: 'zeros' });
    return tf.fused.matMul({ a: x, b: kernel, bias }) as tf.Tensor2D;
  }

  private layerNorm(name: string, x: tf.Tensor2D): tf.Tensor2D {
    const d = x.shape[1];
    const gamma = this.store.get(`${name}/gamma`, [d], { kind: 'ones' });
    const beta = this.store.get(`${name}/beta`, [d], { kind: 'zeros' });
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPSILON))), gamma), beta);
  }

  /** x: [batch * T, d] -> the attention sublayer's output, same shape. */
  private attention(name: string, x: tf.Tensor2D, batch: number, length: number): tf.Tensor2D {
    const { dModel: d, heads } = this.spec;
    const dh = d / heads;
    const [q, k, v] = tf.split(this.dense(`${name}/qkv`, x, 3 * d), 3, 1).map(
      (t) => tf.transpose(tf.reshape(t, [batch, length, heads, dh]), [0, 2, 1, 3]) as tf.Tensor4D,
    ) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const mixed = tf.reshape(tf.transpose(causalAttention(q, k, v), [0, 2, 1, 3]), [batch * length, d]) as tf.Tensor2D;
    return this.dense(`${name}/proj`, mixed, d, INIT_STD / Math.sqrt(2 * this.spec.layers));
  }

  private mlp(name: string, x: tf.Tensor2D): tf.Tensor2D {
    const hidden = gelu(this.dense(`${name}/fc`, x, 4 * this.spec.dModel)) as tf.Tensor2D;
    return this.dense(`${name}/proj`, hidden, this.spec.dModel, INIT_STD / Math.sqrt(2 * this.spec.layers));
  }

  /** Token ids [batch, T] (T <= context length) -> next-token logits [batch, T, vocabulary]. */
  forward(tokens: tf.Tensor2D): tf.Tensor3D {
    const [batch, length] = tokens.shape;
    const { dModel: d, vocabularySize: vocabulary, contextLength } = this.spec;
    if (length > contextLength) throw new RangeError(`sequence of ${length} tokens is longer than the context of ${contextLength}`);
    const wte = this.weight('wte', [vocabulary, d]) as tf.Tensor2D;
    const wpe = this.weight('wpe', [contextLength, d]) as tf.Tensor2D;
    const oneHot = tf.cast(tf.oneHot(tf.reshape(tokens, [-1]) as tf.Tensor1D, vocabulary), 'float32') as tf.Tensor2D;
    const positions = tf.tile(tf.slice(wpe, [0, 0], [length, d]), [batch, 1]);
    let x = tf.add(tf.matMul(oneHot, wte), positions) as tf.Tensor2D;
    for (let l = 0; l < this.spec.layers; l++) {
      x = tf.add(x, this.attention(`block${l}/attn`, this.layerNorm(`block${l}/ln1`, x), batch, length));
      x = tf.add(x, this.mlp(`block${l}/mlp`, this.layerNorm(`block${l}/ln2`, x)));
    }
    const logits = tf.matMul(this.layerNorm('ln_f', x), wte, false, true);
    return tf.reshape(logits, [batch, length, vocabulary]);
  }

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
