/**
 * Forget sets from dropped images: each image is decoded, brought to the dataset's
 * channels, and matched to train samples with the same pixels (sha256 of the bytes).
 */
import { createHash } from 'node:crypto';
import type { ImageMatchReport } from '../../../shared/forget-set.js';
import { decodeImage, isImageFile, listFiles, toChannels } from '../data/images.js';
import { sampleSize, type ImageDataset } from '../data/dataset.js';
import { ForgetSetError } from './forget-rules.js';

function pixelHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function matchImages(paths: string[], dataset: ImageDataset, train: Int32Array): { indices: Int32Array; report: ImageMatchReport } {
  if (dataset.dtype !== 'uint8') throw new ForgetSetError(`${dataset.name} holds tabular features, not images: give an index list`);
  const files = listFiles(paths, isImageFile);
  if (files.length === 0) throw new ForgetSetError(`no PNG or JPEG image under ${paths.join(', ')}`);
  const size = sampleSize(dataset);
  const byHash = new Map<string, number[]>();
  for (const i of train) {
    const bytes = (dataset.pixels as Uint8Array).subarray(i * size, (i + 1) * size);
    const hash = pixelHash(bytes);
    const list = byHash.get(hash);
    if (list) list.push(i);
    else byHash.set(hash, [i]);
  }
  const report: ImageMatchReport = { matched: [], unmatched: [], duplicateFiles: [], ambiguous: [] };
  const seenFiles = new Map<string, string>();
  const chosen = new Set<number>();
  for (const file of files) {
    const image = toChannels(decodeImage(file), dataset.channels as 1 | 3);
    if (image.height !== dataset.height || image.width !== dataset.width) {
      report.unmatched.push(file);
      continue;
    }
    const hash = pixelHash(image.data);
    const earlier = seenFiles.get(hash);
    if (earlier) {
      report.duplicateFiles.push({ file, sameAs: earlier });
      continue;
    }
    seenFiles.set(hash, file);
    const samples = byHash.get(hash);
    if (!samples) {
      report.unmatched.push(file);
      continue;
    }
    if (samples.length > 1) report.ambiguous.push({ file, indices: samples });
    report.matched.push({ file, index: samples[0]! });
    for (const s of samples) chosen.add(s);
  }
  if (chosen.size === 0) {
    throw new ForgetSetError(`none of the ${files.length} image(s) matches a train sample of ${dataset.name}: the forget set would be empty`);
  }
  return { indices: Int32Array.from(chosen).sort(), report };
}
