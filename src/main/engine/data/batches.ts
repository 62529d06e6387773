/**
 * Turns sample indices into input tensors (pixels scaled to [0, 1]), with optional
 * augmentation done on the bytes before upload (random crop with zero padding, as
 * torchvision's RandomCrop(padding=p), and horizontal flip with probability 1/2).
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random.js';
import { inputScale, sampleSize, type ImageDataset } from './dataset.js';

export interface Augmentation {
  cropPadding: number;
  flip: boolean;
  random: Random;
}

export function makeInputBatch(dataset: ImageDataset, indices: ArrayLike<number>, augmentation?: Augmentation): tf.Tensor4D {
  const { height: h, width: w, channels: c } = dataset;
  const size = sampleSize(dataset);
  const out = new Float32Array(indices.length * size);
  const scale = inputScale(dataset);
  for (let n = 0; n < indices.length; n++) {
    const src = indices[n]! * size;
    const dst = n * size;
    const pad = augmentation?.cropPadding ?? 0;
    const shiftY = pad > 0 ? augmentation!.random.int(2 * pad + 1) - pad : 0;
    const shiftX = pad > 0 ? augmentation!.random.int(2 * pad + 1) - pad : 0;
    const flip = augmentation?.flip === true && augmentation.random.next() < 0.5;
    if (shiftX === 0 && shiftY === 0 && !flip) {
      for (let i = 0; i < size; i++) out[dst + i] = dataset.pixels[src + i]! * scale;
      continue;
    }
    for (let y = 0; y < h; y++) {
      const sy = y + shiftY;
      for (let x = 0; x < w; x++) {
        const sx = (flip ? w - 1 - x : x) + shiftX;
        const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
        for (let k = 0; k < c; k++) {
          out[dst + (y * w + x) * c + k] = inside ? dataset.pixels[src + (sy * w + sx) * c + k]! * scale : 0;
        }
      }
    }
  }
  return tf.tensor4d(out, [indices.length, h, w, c]);
}

export function makeLabelBatch(dataset: ImageDataset, indices: ArrayLike<number>): tf.Tensor1D {
  const labels = new Int32Array(indices.length);
  for (let n = 0; n < indices.length; n++) labels[n] = dataset.labels[indices[n]!]!;
  return tf.tensor1d(labels, 'int32');
}
