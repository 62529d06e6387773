import type { DatasetDescription } from '../../../shared/engine-protocol.js';

/**
 * A classification dataset held in memory: samples (NHWC, channels last) and labels.
 * Images are uint8 pixels, scaled to [0, 1] on the way into a model; tabular data is
 * float32 features of shape [1, 1, features], used as they are.
 */
export interface ImageDataset {
  name: string;
  /** sha256 of pixels followed by labels, hex. */
  digest: string;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
  count: number;
  dtype: 'uint8' | 'float32';
  /** count * height * width * channels values, sample-major, channels last. */
  pixels: Uint8Array | Float32Array;
  labels: Uint8Array;
  /** The last `testCount` samples are the dataset's own test set (0: none, the split draws one). */
  testCount: number;
}

export function describeDataset(d: ImageDataset): DatasetDescription {
  return { name: d.name, digest: d.digest, shape: [d.height, d.width, d.channels], classNames: d.classNames, sampleCount: d.count };
}

/** Factor that maps stored values to model inputs: 1/255 for pixels, 1 for features. */
export function inputScale(d: Pick<ImageDataset, 'dtype'>): number {
  return d.dtype === 'uint8' ? 1 / 255 : 1;
}

export function sampleSize(d: Pick<ImageDataset, 'height' | 'width' | 'channels'>): number {
  return d.height * d.width * d.channels;
}

/** Per-channel mean and standard deviation of the model inputs (pixels scaled to [0, 1]). */
export function channelStatistics(
  d: ImageDataset,
  indices: ArrayLike<number>,
): { mean: number[]; std: number[] } {
  const c = d.channels;
  const size = sampleSize(d);
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  const scale = inputScale(d);
  for (let n = 0; n < indices.length; n++) {
    const base = indices[n]! * size;
    for (let i = 0; i < size; i++) {
      const v = d.pixels[base + i]! * scale;
      sum[i % c]! += v;
      sumSq[i % c]! += v * v;
    }
  }
  const perChannel = (indices.length * size) / c;
  const mean = Array.from(sum, (s) => s / perChannel);
  const std = Array.from(sumSq, (s, k) => Math.sqrt(Math.max(s / perChannel - mean[k]! ** 2, 1e-12)));
  return { mean, std };
}
