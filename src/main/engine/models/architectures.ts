/**
 * The model graphs. Each is a forward function over `Layers`; parameters are named by
 * position in the graph so a checkpoint maps back onto the same graph.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layers } from './layers.js';
import type { ModelArchitecture, ModelSpec } from './model-spec.js';

type Forward = (layers: Layers, x: tf.Tensor4D, spec: ModelSpec) => tf.Tensor2D;

function flatten(x: tf.Tensor): tf.Tensor2D {
  return tf.reshape(x, [x.shape[0]!, -1]);
}

/** 784-256-256-10 multilayer perceptron (any input shape, flattened). */
const mlp: Forward = (layers, x, spec) => {
  let h = flatten(layers.normalizeInput(x, spec.normalization));
  h = layers.dense('fc1', h, 256, 'relu');
  h = layers.dense('fc2', h, 256, 'relu');
  return layers.dense('fc3', h, spec.numClasses);
};

/** Small CNN: two 3x3 conv + ReLU + 2x2 max-pool stages (16, 32 filters), a 128-unit hidden layer. */
const cnn: Forward = (layers, x, spec) => {
  let h: tf.Tensor4D = layers.normalizeInput(x, spec.normalization);
  h = layers.conv2d('conv1', h, { filters: 16, kernelSize: 3, bias: true, activation: 'relu' });
  h = tf.maxPool(h, 2, 2, 'valid');
  h = layers.conv2d('conv2', h, { filters: 32, kernelSize: 3, bias: true, activation: 'relu' });
  h = tf.maxPool(h, 2, 2, 'valid');
  const f = layers.dense('fc1', flatten(h), 128, 'relu');
  return layers.dense('fc2', f, spec.numClasses);
};

/** Three 3x3 conv + ReLU + 2x2 max-pool stages (32, 64, 128 filters), then one dense layer to the classes. */
const cnn3: Forward = (layers, x, spec) => {
  let h: tf.Tensor4D = layers.normalizeInput(x, spec.normalization);
  for (const [k, filters] of [32, 64, 128].entries()) {
    h = layers.conv2d(`conv${k + 1}`, h, { filters, kernelSize: 3, bias: true, activation: 'relu' });
    h = tf.maxPool(h, 2, 2, 'valid');
  }
  return layers.dense('fc', flatten(h), spec.numClasses);
};

function basicBlock(layers: Layers, name: string, x: tf.Tensor4D, filters: number, strides: number): tf.Tensor4D {
  let h = layers.conv2d(`${name}/conv1`, x, { filters, kernelSize: 3, strides });
  h = layers.batchNorm(`${name}/bn1`, h, 'relu');
  h = layers.conv2d(`${name}/conv2`, h, { filters, kernelSize: 3 });
  let shortcut = x;
  if (strides !== 1 || x.shape[3] !== filters) {
    shortcut = layers.conv2d(`${name}/shortcut/conv`, x, { filters, kernelSize: 1, strides });
    shortcut = layers.batchNorm(`${name}/shortcut/bn`, shortcut);
  }
  return layers.batchNorm(`${name}/bn2`, h, 'relu', shortcut);
}

/**
 * ResNet-18, CIFAR variant: 3x3 stride-1 stem, no max-pool, BasicBlocks [2, 2, 2, 2]
 * with 64-128-256-512 filters, global average pool, fully connected output.
 */
const resnet18: Forward = (layers, x, spec) => {
  let h: tf.Tensor4D = layers.normalizeInput(x, spec.normalization);
  h = layers.conv2d('stem/conv', h, { filters: 64, kernelSize: 3 });
  h = layers.batchNorm('stem/bn', h, 'relu');
  const stages: [number, number][] = [[64, 1], [128, 2], [256, 2], [512, 2]];
  stages.forEach(([filters, strides], s) => {
    h = basicBlock(layers, `layer${s + 1}/block1`, h, filters, strides);
    h = basicBlock(layers, `layer${s + 1}/block2`, h, filters, 1);
  });
  const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
  return layers.dense('fc', pooled, spec.numClasses);
};

export const ARCHITECTURES: Record<ModelArchitecture, Forward> = { mlp, cnn, cnn3, resnet18 };
