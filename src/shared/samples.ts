/** A dataset's samples as the window shows them: per-class counts, pages of samples, thumbnails. */
import { z } from 'zod';
import type { SplitRecord } from './catalog-types.js';

const datasetName = z.string({ error: 'dataset must be a string' }).min(1, 'name the dataset');
const sampleIndex = z.number({ error: 'sample index must be a number' }).int('sample index must be an integer').min(0, 'sample index must be >= 0');

export const SamplePageRequestSchema = z.strictObject({
  dataset: datasetName,
  /** Only samples of this class. */
  classIndex: z.number().int('class must be an integer index').min(0, 'class must be >= 0').optional(),
  /** Only these samples, in this order (a forget set's, a report's matches). */
  indices: z.array(sampleIndex).max(100_000, 'at most 100000 indices').optional(),
  page: z.number().int('page must be an integer').min(0, 'page must be >= 0').default(0),
  pageSize: z.number().int('pageSize must be an integer').min(1, 'pageSize must be >= 1').max(200, 'pageSize must be <= 200').default(48),
});
export type SamplePageRequest = z.output<typeof SamplePageRequestSchema>;
export type SamplePageRequestInput = z.input<typeof SamplePageRequestSchema>;

export const SampleImageRequestSchema = z.strictObject({ dataset: datasetName, index: sampleIndex });
export type SampleImageRequest = z.output<typeof SampleImageRequestSchema>;

export interface SamplePage {
  /** Samples matching the request over all pages. */
  total: number;
  page: number;
  pageSize: number;
  samples: { index: number; label: number }[];
}

/** A sample rendered as PNG, base64 (the window shows it as a data: URL). */
export interface SampleImage {
  index: number;
  label: number;
  pngBase64: string;
}

export interface DatasetDetail {
  name: string;
  digest: string;
  source: string;
  /** [height, width, channels]. */
  shape: [number, number, number];
  /** Images (uint8) have thumbnails; tabular features (float32) do not. */
  dtype: 'uint8' | 'float32';
  classNames: string[];
  classCounts: number[];
  sampleCount: number;
  /** The dataset's own test set (the last samples), 0 when the split draws one. */
  testCount: number;
  /** Splits recorded in the catalog (train / held-out / test sizes). */
  splits: SplitRecord[];
}
