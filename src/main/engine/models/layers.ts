/**
 * The building blocks that model files compose. A `Layers` object is handed to a
 * model's forward function; each call names its parameters, which the store creates on
 * the first trace. In training mode BatchNorm uses batch statistics and records the
 * update of its running statistics (PyTorch semantics: momentum 0.1, unbiased variance).
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../kernels/activation.js';
import { hasNativeTrainingOps, nativeBatchNormTraining, nativeConv2d, nativeDense } from '../kernels/native-training-ops.js';
import type { ParameterStore } from './parameter-store.js';

export interface BufferUpdate {
  variable: tf.Variable;
  value: tf.Tensor;
}

const BN_MOMENTUM = 0.1;
const BN_EPSILON = 1e-5;

export class Layers {
  /** Running-statistics updates collected during a training-mode forward pass. */
  readonly bufferUpdates: BufferUpdate[] = [];

  constructor(
    private readonly store: ParameterStore,
    readonly training: boolean,
  ) {}

  /** Convolution with PyTorch's symmetric padding floor(k/2) and Kaiming-normal (fan-out) weights. */
  conv2d(
    name: string,
    x: tf.Tensor4D,
    options: { filters: number; kernelSize: number; strides?: number; bias?: boolean; activation?: Activation },
  ): tf.Tensor4D {
    const { filters, kernelSize, strides = 1, bias = false, activation = 'linear' } = options;
    const inChannels = x.shape[3];
    const kernel = this.store.get(`${name}/kernel`, [kernelSize, kernelSize, inChannels, filters], {
      kind: 'normal',
      std: Math.sqrt(2 / (kernelSize * kernelSize * filters)),
    });
    const p = Math.floor(kernelSize / 2);
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [p, p], [p, p], [0, 0]];
    const biasVar = bias
      ? this.store.get(`${name}/bias`, [filters], { kind: 'uniform', bound: 1 / Math.sqrt(kernelSize * kernelSize * inChannels) })
      : undefined;
    const padding = p === 0 ? 'valid' : pad;
    if (hasNativeTrainingOps()) return nativeConv2d(x, kernel as tf.Tensor4D, biasVar as tf.Tensor1D | undefined, strides, padding, activation);
    return tf.fused.conv2d({ x, filter: kernel as tf.Tensor4D, strides, pad: padding, bias: biasVar, activation });
  }

  /** act(batchNorm(x) + residual): the residual (a block's shortcut) is added before the activation. */
  batchNorm(name: string, x: tf.Tensor4D, activation: Activation = 'linear', residual?: tf.Tensor4D): tf.Tensor4D {
    const channels = x.shape[3];
    const gamma = this.store.get(`${name}/gamma`, [channels], { kind: 'ones' }) as tf.Tensor1D;
    const beta = this.store.get(`${name}/beta`, [channels], { kind: 'zeros' }) as tf.Tensor1D;
    const runningMean = this.store.get(`${name}/running_mean`, [channels], { kind: 'zeros' }, false);
    const runningVar = this.store.get(`${name}/running_var`, [channels], { kind: 'ones' }, false);
    if (this.training && hasNativeTrainingOps()) {
      const { y, mean, variance } = nativeBatchNormTraining(x, gamma, beta, BN_EPSILON, activation, residual);
      this.recordRunningStatistics(runningMean, runningVar, mean, variance, x.size / channels);
      return y;
    }
    let y: tf.Tensor4D;
    if (this.training) {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      y = tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, BN_EPSILON);
      this.recordRunningStatistics(runningMean, runningVar, mean, variance, x.size / channels);
    } else {
      y = tf.batchNorm4d(x, runningMean as tf.Tensor1D, runningVar as tf.Tensor1D, beta, gamma, BN_EPSILON);
    }
    if (residual) y = tf.add(y, residual);
    return activation === 'relu' ? tf.relu(y) : y;
  }

  /** PyTorch's running statistics: momentum 0.1, unbiased variance over n values per channel. */
  private recordRunningStatistics(runningMean: tf.Variable, runningVar: tf.Variable, mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    const unbiased = tf.mul(variance, n / Math.max(n - 1, 1));
    // Only the returned loss is differentiated, so these updates carry no gradient.
    this.bufferUpdates.push(
      { variable: runningMean, value: tf.keep(tf.add(tf.mul(runningMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM))) },
      { variable: runningVar, value: tf.keep(tf.add(tf.mul(runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM))) },
    );
  }

  /** Fully connected layer with PyTorch's default uniform initialisation. */
  dense(name: string, x: tf.Tensor2D, units: number, activation: Activation = 'linear'): tf.Tensor2D {
    const fanIn = x.shape[1];
    const bound = 1 / Math.sqrt(fanIn);
    const kernel = this.store.get(`${name}/kernel`, [fanIn, units], { kind: 'uniform', bound });
    const bias = this.store.get(`${name}/bias`, [units], { kind: 'uniform', bound });
    // Outside training tfjs' _FusedMatMul runs, summed in the stock kernel's order (the evaluation's bits).
    if (this.training && hasNativeTrainingOps()) return nativeDense(x, kernel as tf.Tensor2D, bias as tf.Tensor1D, activation);
    return tf.fused.matMul({ a: x, b: kernel as tf.Tensor2D, bias, activation }) as tf.Tensor2D;
  }

  /**
   * (x - mean) / std per channel, with the statistics baked into the model: one batch-norm
   * kernel (variance std^2, no epsilon) rather than two broadcasting ops, 5 times slower on
   * wasm (4.0 vs 0.7 ms for 64 CIFAR images). Scale 1 and offset 0 are explicit: tfjs'
   * gradient tape cannot record a batch norm with either missing.
   */
  normalizeInput(x: tf.Tensor4D, normalization: { mean: number[]; std: number[] }): tf.Tensor4D {
    const channels = normalization.std.length;
    const variance = tf.tensor1d(normalization.std.map((s) => s * s));
    return tf.batchNorm4d(x, tf.tensor1d(normalization.mean), variance, tf.zeros([channels]) as tf.Tensor1D, tf.ones([channels]) as tf.Tensor1D, 0);
  }
}

export function applyBufferUpdates(updates: BufferUpdate[]): void {
  for (const { variable, value } of updates) {
    variable.assign(value);
    value.dispose();
  }
  updates.length = 0;
}
