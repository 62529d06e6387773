/** An image classification dataset held in memory as uint8 pixels (NHWC) and labels. */
export interface ImageDataset {
  name: string;
  /** sha256 of pixels followed by labels, hex. */
  digest: string;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
  count: number;
  /** count * height * width * channels bytes, sample-major, channels last. */
  pixels: Uint8Array;
  labels: Uint8Array;
}

export function sampleSize(d: Pick<ImageDataset, 'height' | 'width' | 'channels'>): number {
  return d.height * d.width * d.channels;
}

/** Per-channel mean and standard deviation of the pixels scaled to [0, 1]. */
export function channelStatistics(
  d: ImageDataset,
  indices: ArrayLike<number>,
): { mean: number[]; std: number[] } {
  const c = d.channels;
  const size = sampleSize(d);
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  for (let n = 0; n < indices.length; n++) {
    const base = indices[n]! * size;
    for (let i = 0; i < size; i++) {
      const v = d.pixels[base + i]! / 255;
      sum[i % c]! += v;
      sumSq[i % c]! += v * v;
    }
  }
  const perChannel = (indices.length * size) / c;
  const mean = Array.from(sum, (s) => s / perChannel);
  const std = Array.from(sumSq, (s, k) => Math.sqrt(Math.max(s / perChannel - mean[k]! ** 2, 1e-12)));
  return { mean, std };
}
