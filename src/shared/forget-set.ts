/** How a forget set is defined, and what making one reports. */
import { z } from 'zod';

const percent = z.number({ error: 'percentage must be a number' }).gt(0, 'percentage must be in (0, 100)').lt(100, 'percentage must be in (0, 100)');
const seed = z.number().int('seed must be an integer').default(0);
const classes = z.array(z.number().int('classes are integer indices').min(0, 'classes are indices >= 0')).min(1, 'name at least one class');

export const ForgetRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('random'), percent, seed }),
  z.strictObject({ kind: z.literal('classes'), classes }),
  z.strictObject({ kind: z.literal('random-in-classes'), percent, classes, seed }),
  /** Index lists (.csv, .json, .txt) or images (.png, .jpg) and folders of them. */
  z.strictObject({ kind: z.literal('file'), paths: z.array(z.string().min(1)).min(1, 'name at least one file'), column: z.string().optional() }),
]);

export type ForgetRule = z.output<typeof ForgetRuleSchema>;

export const ForgetSetRequestSchema = z.object({
  dataset: z.string().min(1, 'dataset must be named'),
  rule: ForgetRuleSchema,
  name: z.string().min(1).max(200).optional(),
  /** Seed of the dataset split whose train part the forget set is drawn from. */
  splitSeed: z.number().int().default(0),
});

export type ForgetSetRequest = z.output<typeof ForgetSetRequestSchema>;
export type ForgetSetRequestInput = z.input<typeof ForgetSetRequestSchema>;

/** What matching dropped images against a dataset found. */
export interface ImageMatchReport {
  matched: { file: string; index: number }[];
  unmatched: string[];
  /** Files whose pixels equal an earlier file's. */
  duplicateFiles: { file: string; sameAs: string }[];
  /** Files whose pixels equal several train samples (all are forgotten). */
  ambiguous: { file: string; indices: number[] }[];
}

export function describeRule(rule: ForgetRule): string {
  switch (rule.kind) {
    case 'random':
      return `random ${rule.percent}% (seed ${rule.seed})`;
    case 'classes':
      return `classes ${rule.classes.join(', ')}`;
    case 'random-in-classes':
      return `random ${rule.percent}% of classes ${rule.classes.join(', ')} (seed ${rule.seed})`;
    case 'file':
      return `from ${rule.paths.length === 1 ? rule.paths[0] : `${rule.paths.length} files`}`;
  }
}

/** What a forget-set request would make, computed without writing anything. */
export interface ForgetSetPreview {
  dataset: string;
  size: number;
  retainSize: number;
  /** Digest of the sorted indices: the saved set has the same. */
  digest: string;
  classNames: string[];
  /** Per class: samples in the train split, and in the forget set. */
  trainClassCounts: number[];
  forgetClassCounts: number[];
  /** The first forget indices (sorted), for thumbnails. */
  sampleIndices: number[];
  warnings: string[];
  report?: ImageMatchReport;
}
