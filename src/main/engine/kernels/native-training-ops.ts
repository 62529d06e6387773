/**
 * Training ops that run as one native call each, forward and backward, where the wasm
 * backend has Lethe's native kernels: convolution + bias + relu, a dense layer's matrix
 * product + bias + relu, the mean softmax cross-entropy, training-mode batch
 * norm (+ a residual, + relu), and the SGD update of every parameter. tfjs composes these
 * from elementwise and reduction kernels (the batch-norm gradient alone tiles and sums
 * whole activations several times), and on wasm those cost more than the convolutions.
 * Layers and the SGD optimizer use these ops when `hasNativeTrainingOps()` and compose
 * the same maths from tfjs ops otherwise.
 */
import * as tf from '@tensorflow/tfjs';
import { backend_util, getKernel, registerGradient, registerKernel, util, type KernelFunc, type NamedTensorMap, type TensorInfo } from '@tensorflow/tfjs';
import type { Activation } from './activation.js';
import type { NativeAddon } from './native-addon.js';
import { heapBuffer, heapOffset, type WasmHeapBackend } from './replace-wasm-kernel.js';
import { geometryOf } from './wasm-native-kernels.js';

const CONV = 'LetheConv2D';
const CONV_BACKPROP_INPUT = 'LetheConv2DBackpropInput';
const CONV_BACKPROP_FILTER_BIAS = 'LetheConv2DBackpropFilterBias';
const BATCH_NORM = 'LetheBatchNorm';
const BATCH_NORM_BACKWARD = 'LetheBatchNormBackward';
const SGD_UPDATE = 'LetheSgdUpdate';
const DENSE = 'LetheDense';
const DENSE_BACKPROP_INPUT = 'LetheDenseBackpropInput';
const DENSE_BACKPROP_WEIGHTS_BIAS = 'LetheDenseBackpropWeightsBias';
const SOFTMAX_CROSS_ENTROPY = 'LetheSoftmaxCrossEntropy';
const SOFTMAX_CROSS_ENTROPY_BACKWARD = 'LetheSoftmaxCrossEntropyBackward';

export type ConvPadding = 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface ConvAttrs {
  strides: number;
  pad: ConvPadding;
  activation: Activation;
  hasBias: boolean;
}

export function hasNativeTrainingOps(): boolean {
  return tf.getBackend() === 'wasm' && getKernel(CONV, 'wasm') !== undefined;
}

/** act(conv(x, filter) + bias), NHWC, one dilation. */
export function nativeConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | undefined, strides: number, pad: ConvPadding, activation: Activation): tf.Tensor4D {
  const inputs: NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  const attrs: ConvAttrs = { strides, pad, activation, hasBias: bias !== undefined };
  return run(CONV, inputs, attrs)[0] as tf.Tensor4D;
}

/** act(x w + bias), x [rows, in], w [in, out]. */
export function nativeDense(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor1D | undefined, activation: Activation): tf.Tensor2D {
  const inputs: NamedTensorMap = bias ? { x, w, bias } : { x, w };
  return run(DENSE, inputs, { activation, hasBias: bias !== undefined })[0] as tf.Tensor2D;
}

/**
 * The mean over rows of -log softmax(logits)[label]; a label outside the classes adds 0 (as
 * tfjs' oneHot picks nothing). One kernel each way where tfjs composes about twenty.
 */
export function nativeSoftmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return run(SOFTMAX_CROSS_ENTROPY, { logits, labels }, {})[0] as tf.Scalar;
}

/**
 * act(gamma * (x - mean) / sqrt(variance + epsilon) + beta + residual) with the batch's
 * per-channel mean and biased variance, which come back too (for the running statistics).
 */
export function nativeBatchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, activation: Activation, residual?: tf.Tensor4D): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const inputs: NamedTensorMap = residual ? { x, gamma, beta, residual } : { x, gamma, beta };
  const [y, mean, variance] = run(BATCH_NORM, inputs, { epsilon, activation, residual: residual !== undefined });
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/** One parameter's SGD state: the parameter, its gradient and its velocity (none before the first step or without momentum). */
export interface SgdState {
  theta: tf.Tensor;
  grad: tf.Tensor;
  velocity?: tf.Tensor;
}

/**
 * PyTorch's SGD step for every parameter in one native call: d = grad + weightDecay * theta;
 * with momentum, velocity = momentum * velocity + d (d itself at the first step) and
 * d = velocity; theta - lr * d. Returns each new parameter and (with momentum) its new velocity.
 */
export function nativeSgdUpdate(states: SgdState[], lr: number, momentum: number, weightDecay: number): { theta: tf.Tensor; velocity?: tf.Tensor }[] {
  const inputs: NamedTensorMap = {};
  states.forEach(({ theta, grad, velocity }, i) => {
    inputs[`theta${i}`] = theta;
    inputs[`grad${i}`] = grad;
    if (velocity) inputs[`velocity${i}`] = velocity;
  });
  const outputs = run(SGD_UPDATE, inputs, { lr, momentum, weightDecay, count: states.length });
  // Outputs: every new parameter, then (with momentum) every new velocity.
  return states.map((_, i) => ({ theta: outputs[i]!, ...(momentum !== 0 ? { velocity: outputs[states.length + i]! } : {}) }));
}

interface DenseAttrs {
  activation: Activation;
  hasBias: boolean;
}

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], attrs.strides, 1, attrs.pad, undefined, false, 'channelsLast');
}

/** Batch norm's view of a tensor: rows (every position) x channels (the last dimension). */
function rowsByChannels(x: TensorInfo): { rows: number; channels: number } {
  const channels = x.shape[x.shape.length - 1]!;
  return { rows: util.sizeFromShape(x.shape) / channels, channels };
}

function kernels(addon: NativeAddon): Record<string, KernelFunc> {
  return {
    [CONV]: ({ inputs, backend: b, attrs }) => {
      const backend = b as unknown as WasmHeapBackend;
      const { x, filter, bias } = inputs as Record<string, TensorInfo | undefined>;
      const a = attrs as unknown as ConvAttrs;
      const info = convInfo(x!.shape, filter!.shape, a);
      const y = backend.makeOutput(info.outShape, 'float32');
      addon.conv2d(heapBuffer(backend), geometryOf(info), heapOffset(backend, x), heapOffset(backend, filter), heapOffset(backend, bias), heapOffset(backend, y), a.activation === 'relu' ? 1 : 0);
      return y;
    },
    [CONV_BACKPROP_INPUT]: ({ inputs, backend: b, attrs }) => {
      const backend = b as unknown as WasmHeapBackend;
      const { dy, filter, y } = inputs as Record<string, TensorInfo | undefined>;
      const a = attrs as unknown as ConvAttrs & { inputShape: number[] };
      const info = convInfo(a.inputShape, filter!.shape, a);
      const dx = backend.makeOutput([...a.inputShape], 'float32');
      addon.conv2dBackward(heapBuffer(backend), geometryOf(info), heapOffset(backend, dy), -1, heapOffset(backend, filter), heapOffset(backend, y), heapOffset(backend, dx), -1, -1);
      return dx;
    },
    [CONV_BACKPROP_FILTER_BIAS]: ({ inputs, backend: b, attrs }) => {
      const backend = b as unknown as WasmHeapBackend;
      const { dy, x, y } = inputs as Record<string, TensorInfo | undefined>;
      const a = attrs as unknown as ConvAttrs & { filterShape: number[] };
      const info = convInfo(x!.shape, a.filterShape, a);
      const dw = backend.makeOutput([...a.filterShape], 'float32');
      const db = a.hasBias ? backend.makeOutput([info.outChannels], 'float32') : undefined;
      addon.conv2dBackward(heapBuffer(backend), geometryOf(info), heapOffset(backend, dy), heapOffset(backend, x), -1, heapOffset(backend, y), -1, heapOffset(backend, dw), heapOffset(backend, db));
      return db ? [dw, db] : [dw];
    },
    [DENSE]: ({ inputs, backend: b, attrs }) => {
      const backend = b as unknown as WasmHeapBackend;
      const { x, w, bias } = inputs as Record<string, TensorInfo | undefined>;
      const { activation } = attrs as unknown as DenseAttrs;
      const [rows, fanIn, units] = [x!.shape[0]!, x!.shape[1]!, w!.shape[1]!];
      const y = backend.makeOutput([rows, units], 'float32');
      addon.dense(heapBuffer(backend), rows, fanIn, units, heapOffset(backend, x), heapOffset(backend, w), heapOffset(backend, bias), heapOffset(backend, y), activation === 'relu' ? 1 : 0);
      return y;
    },
    [DENSE_BACKPROP_INPUT]: ({ inputs, backend: b }) => {
      const backend = b as unknown as WasmHeapBackend;
      const { dy, w, y } = inputs as Record<string, TensorInfo | undefined>;
      const [rows, fanIn, units] = [dy!.shape[0]!, w!.shape[0]!, w!.shape[1]!];
      const dx = backend.makeOutput([rows, fanIn], 'float32');
      addon.denseBackward(heapBuffer(backend), rows, fanIn, units, heapOffset(backend, dy), -1, heapOffset(backend, w), heapOffset(backend, y), heapOffset(backend, dx), -1, -1);
      return dx;
    },
    [DENSE_BACKPROP_WEIGHTS_BIAS]: ({ inputs, backend: b, attrs }) => {
      const backend = b as unknown as WasmHeapBackend;
      const { dy, x, y } = inputs as Record<string, TensorInfo | undefined>;
      const { hasBias } = attrs as unknown as DenseAttrs;
      const [rows, fanIn, units] = [x!.shape[0]!, x!.shape[1]!, dy!.shape[1]!];
      const dw = backend.makeOutput([fanIn, units], 'float32');
      const db = hasBias ? backend.makeOutput([units], 'float32') : undefined;
      addon.denseBackward(heapBuffer(backend), rows, fanIn, units, heapOffset(backend, dy), heapOffset(backend, x), -1, heapOffset(backend, y), -1, heapOffset(backend, dw), heapOffset(backend, db));
      return db ? [dw, db] : [dw];
    },
    [SOFTMAX_CROSS_ENTROPY]: ({ inputs, backend: b }) => {
      const backend = b as unknown as WasmHeapBackend;
      const { logits, labels } = inputs as Record<string, TensorInfo | undefined>;
      const loss = backend.makeOutput([], 'float32');
      addon.softmaxCrossEntropy(heapBuffer(backend), logits!.shape[0]!, logits!.shape[1]!, heapOffset(backend, logits), heapOffset(backend, labels), heapOffset(backend, loss), -1, -1);
      return loss;
    },
    [SOFTMAX_CROSS_ENTROPY_BACKWARD]: ({ inputs, backend: b }) => {
      const backend = b as unknown as WasmHeapBackend;
      const { dy, logits, labels } = inputs as Record<string, TensorInfo | undefined>;
      const dlogits = backend.makeOutput([...logits!.shape], 'float32');
      addon.softmaxCrossEntropy(heapBuffer(backend), logits!.shape[0]!, logits!.shape[1]!, heapOffset(backend, logits), heapOffset(backend, labels), -1, heapOffset(backend, dy), heapOffset(backend, dlogits));
      return dlogits;
    },
    [BATCH_NORM]: ({ inputs, backend: b, attrs }) => {
      const backend = b as unknown as WasmHeapBackend;
      const { x, gamma, beta, residual } = inputs as Record<string, TensorInfo | undefined>;
      const { epsilon, activation } = attrs as unknown as { epsilon: number; activation: Activation };
      const { rows, channels } = rowsByChannels(x!);
      const y = backend.makeOutput([...x!.shape], 'float32');
      const mean = backend.makeOutput([channels], 'float32');
      const variance = backend.makeOutput([channels], 'float32');
      addon.batchNormForward(heapBuffer(backend), rows, channels, epsilon, heapOffset(backend, x), heapOffset(backend, gamma), heapOffset(backend, beta), heapOffset(backend, residual), activation === 'relu' ? 1 : 0, heapOffset(backend, y), heapOffset(backend, mean), heapOffset(backend, variance));
      return [y, mean, variance];
    },
    [BATCH_NORM_BACKWARD]: ({ inputs, backend: b, attrs }) => {
      const backend = b as unknown as WasmHeapBackend;
      const { dy, x, gamma, y, mean, variance } = inputs as Record<string, TensorInfo | undefined>;
      const { epsilon, residual } = attrs as unknown as { epsilon: number; residual: boolean };
      const { rows, channels } = rowsByChannels(x!);
      const dx = backend.makeOutput([...x!.shape], 'float32');
      const dgamma = backend.makeOutput([channels], 'float32');
      const dbeta = backend.makeOutput([channels], 'float32');
      const dresidual = residual ? backend.makeOutput([...x!.shape], 'float32') : undefined;
      addon.batchNormBackward(heapBuffer(backend), rows, channels, epsilon, heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, gamma), heapOffset(backend, y), heapOffset(backend, mean), heapOffset(backend, variance), heapOffset(backend, dx), heapOffset(backend, dgamma), heapOffset(backend, dbeta), heapOffset(backend, dresidual));
      return dresidual ? [dx, dgamma, dbeta, dresidual] : [dx, dgamma, dbeta];
    },
    [SGD_UPDATE]: ({ inputs, backend: b, attrs }) => {
      const backend = b as unknown as WasmHeapBackend;
      const { lr, momentum, weightDecay, count } = attrs as unknown as { lr: number; momentum: number; weightDecay: number; count: number };
      const tensors = inputs as Record<string, TensorInfo | undefined>;
      const thetas = Array.from({ length: count }, (_, i) => tensors[`theta${i}`]!);
      const next = thetas.map((theta) => backend.makeOutput([...theta.shape], 'float32'));
      const nextVelocities = momentum !== 0 ? thetas.map((theta) => backend.makeOutput([...theta.shape], 'float32')) : [];
      // Per parameter: count, theta, grad, velocity, thetaOut, velocityOut (offsets taken after every output is made).
      const table = new Float64Array(6 * count);
      thetas.forEach((theta, i) => {
        table.set([util.sizeFromShape(theta.shape), heapOffset(backend, theta), heapOffset(backend, tensors[`grad${i}`]), heapOffset(backend, tensors[`velocity${i}`]), heapOffset(backend, next[i]), heapOffset(backend, nextVelocities[i])], 6 * i);
      });
      addon.sgdUpdate(heapBuffer(backend), table, lr, momentum, weightDecay);
      return [...next, ...nextVelocities];
    },
  };
}

function run(name: string, inputs: NamedTensorMap, attrs: object): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs, attrs as never);
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}

let gradientsRegistered = false;

function registerGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  registerGradient({
    kernelName: CONV,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as ConvAttrs;
      // The relu's mask is read from y; without relu the kernels take dy as it is.
      const masked: NamedTensorMap = a.activation === 'relu' ? { y } : {};
      // The filter's and bias' gradients now, x's only if the tape asks (not for the first layer).
      const [dw, db] = run(CONV_BACKPROP_FILTER_BIAS, { dy: dy as tf.Tensor, x, ...masked }, { ...a, filterShape: filter.shape });
      return {
        x: () => run(CONV_BACKPROP_INPUT, { dy: dy as tf.Tensor, filter, ...masked }, { ...a, inputShape: x.shape })[0]!,
        filter: () => dw!,
        ...(db ? { bias: () => db } : {}),
      };
    },
  });
  registerGradient({
    kernelName: DENSE,
    inputsToSave: ['x', 'w'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, y] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const a = attrs as unknown as DenseAttrs;
      const masked: NamedTensorMap = a.activation === 'relu' ? { y } : {};
      // As for convolutions: the weights' and bias' gradients now, x's only if the tape asks.
      const [dw, db] = run(DENSE_BACKPROP_WEIGHTS_BIAS, { dy: dy as tf.Tensor, x, ...masked }, a);
      return {
        x: () => run(DENSE_BACKPROP_INPUT, { dy: dy as tf.Tensor, w, ...masked }, a)[0]!,
        w: () => dw!,
        ...(db ? { bias: () => db } : {}),
      };
    },
  });
  registerGradient({
    kernelName: SOFTMAX_CROSS_ENTROPY,
    inputsToSave: ['logits', 'labels'],
    // The labels are data, never differentiated.
    gradFunc: (dy, saved) => {
      const [logits, labels] = saved as [tf.Tensor2D, tf.Tensor1D];
      return { logits: () => run(SOFTMAX_CROSS_ENTROPY_BACKWARD, { dy: dy as tf.Tensor, logits, labels }, {})[0]! };
    },
  });
  registerGradient({
    kernelName: BATCH_NORM,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [true, true, true],
    gradFunc: (dys, saved, attrs) => {
      // Only y reaches a loss: the mean and variance feed the running statistics.
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
      const [x, gamma, y, mean, variance] = saved as tf.Tensor[];
      const { activation, residual } = attrs as unknown as { activation: Activation; residual: boolean };
      const masked: NamedTensorMap = activation === 'relu' ? { y: y! } : {};
      const [dx, dgamma, dbeta, dresidual] = run(BATCH_NORM_BACKWARD, { dy, x: x!, gamma: gamma!, mean: mean!, variance: variance!, ...masked }, attrs);
      return {
        x: () => dx!,
        gamma: () => dgamma!,
        beta: () => dbeta!,
        ...(residual ? { residual: () => dresidual! } : {}),
      };
    },
  });
}

/** Registers the ops' kernels on the wasm backend and their gradients (once per process). */
export function registerNativeTrainingOps(addon: NativeAddon): void {
  for (const [kernelName, kernelFunc] of Object.entries(kernels(addon))) {
    if (!getKernel(kernelName, 'wasm')) registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
  registerGradients();
}
