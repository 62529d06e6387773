/** Dataset import requests and what they report. */
import { z } from 'zod';
import { schemaChosenBy } from './validation.js';

export const IMPORT_FORMATS = ['idx', 'cifar', 'csv', 'image-folder'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

const DATASET_NAME = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'dataset names use letters, digits, . _ - (at most 64)');

export const ImportRequestSchema = z.object({
  paths: z.array(z.string().min(1)).min(1, 'give at least one file or folder to import'),
  format: z.enum(IMPORT_FORMATS, { error: `format must be one of ${IMPORT_FORMATS.join(', ')}` }).optional(),
  /** Dataset name; defaults to the file or folder name. */
  name: DATASET_NAME.optional(),
  labelColumn: z.string().optional(),
  cifarLabels: z.enum(['fine', 'coarse']).optional(),
  /** Image folders: bring differing image sizes to one (else they are refused). */
  resize: z.boolean().optional(),
  size: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
});

/**
 * A dataset made from another one already known to Lethe: `perClass` samples of every
 * class drawn with the seed (`lethe import --subset-of`). A smaller training set lets a
 * model memorise it in minutes on a CPU; the subset is a dataset like any other, with
 * its own digest and split, and its source recorded.
 */
export const SubsetRequestSchema = z.strictObject({
  subsetOf: z.string({ error: 'subsetOf must name a dataset' }).min(1, 'name the dataset to draw the subset from'),
  perClass: z.number({ error: 'perClass must be a number' }).int('perClass must be a whole number').positive('perClass must be at least 1'),
  seed: z.number({ error: 'seed must be a number' }).int('seed must be a whole number').nonnegative('seed must be 0 or more').default(0),
  name: DATASET_NAME,
});

export type ImportRequest = z.output<typeof ImportRequestSchema>;
export type ImportRequestInput = z.input<typeof ImportRequestSchema>;
export type SubsetRequest = z.output<typeof SubsetRequestSchema>;
export type SubsetRequestInput = z.input<typeof SubsetRequestSchema>;
/** Where a new dataset's samples come from: files, or a dataset Lethe already has. */
export type DatasetSourceRequest = ImportRequest | SubsetRequest;
export type DatasetSourceRequestInput = ImportRequestInput | SubsetRequestInput;

export function isSubsetRequest(request: DatasetSourceRequest): request is SubsetRequest {
  return 'subsetOf' in request;
}

/** Either request, checked against its own schema (a `subsetOf` field decides), so errors name that kind's fields. */
export const DatasetSourceRequestSchema = schemaChosenBy<DatasetSourceRequest>((input) =>
  typeof input === 'object' && input !== null && 'subsetOf' in input ? SubsetRequestSchema : ImportRequestSchema,
);

export interface TaskProgress {
  phase: string;
  done: number;
  total: number;
}
