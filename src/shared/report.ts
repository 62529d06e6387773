/**
 * A study's report as one file, the same from every door: the PDF to share, the
 * self-contained HTML it is printed from, one CSV row per run, or the LaTeX table.
 */
import { z } from 'zod';

export const REPORT_FORMATS = ['pdf', 'html', 'csv', 'latex'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const ReportRequestSchema = z.strictObject({
  study: z.string({ error: 'study name must be a string' }).min(1, 'name the study'),
  format: z.enum(REPORT_FORMATS, { error: `format must be one of ${REPORT_FORMATS.join(', ')}` }),
});
export type ReportRequest = z.output<typeof ReportRequestSchema>;

export interface ReportFile {
  /** A file name to save it under, e.g. mnist-small-report.pdf. */
  fileName: string;
  mimeType: string;
  /** Text as it is; the PDF's bytes as base64 (it crosses IPC and JSON). */
  encoding: 'utf8' | 'base64';
  content: string;
}

/** The file name a study's report is saved under: the name's safe characters only. */
export function reportFileName(study: string, format: ReportFormat): string {
  const base = study.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'study';
  return `${base}-report.${format === 'latex' ? 'tex' : format}`;
}
