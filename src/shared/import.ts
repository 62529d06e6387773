/** Dataset import requests and what they report. */
import { z } from 'zod';

export const IMPORT_FORMATS = ['idx', 'cifar', 'csv', 'image-folder'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export const ImportRequestSchema = z.object({
  paths: z.array(z.string().min(1)).min(1, 'give at least one file or folder to import'),
  format: z.enum(IMPORT_FORMATS, { error: `format must be one of ${IMPORT_FORMATS.join(', ')}` }).optional(),
  /** Dataset name; defaults to the file or folder name. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'dataset names use letters, digits, . _ - (at most 64)').optional(),
  labelColumn: z.string().optional(),
  cifarLabels: z.enum(['fine', 'coarse']).optional(),
  /** Image folders: bring differing image sizes to one (else they are refused). */
  resize: z.boolean().optional(),
  size: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
});

export type ImportRequest = z.output<typeof ImportRequestSchema>;
export type ImportRequestInput = z.input<typeof ImportRequestSchema>;

export interface TaskProgress {
  phase: string;
  done: number;
  total: number;
}
