/**
 * Guesses the format of what the user gave (`lethe import PATH...`, files dropped on the
 * window) and runs the matching importer. `--format` overrides the guess.
 */
import fs from 'node:fs';
import path from 'node:path';
import { IMPORT_FORMATS, type ImportFormat, type ImportRequest } from '../../../../shared/import.js';
import { isImageFile, listFiles } from '../images.js';
import { importCifar } from './cifar.js';
import { importCsv } from './csv-table.js';
import { importIdx } from './idx.js';
import { importImageFolder } from './image-folder.js';
import { ImportError, type ImportedData, type ImportProgress } from './imported-data.js';

const isIdxName = (f: string) => /ubyte(\.gz)?$|\.idx\d?(\.gz)?$/i.test(f);
const isCifarName = (f: string) => /^(data_batch_\d+|test_batch|train|test)\.bin$/i.test(path.basename(f));

export function guessFormat(paths: string[]): ImportFormat {
  if (paths.length === 1 && fs.statSync(paths[0]!).isDirectory()) {
    const entries = fs.readdirSync(paths[0]!);
    if (entries.some((e) => isCifarName(e))) return 'cifar';
    if (entries.some(isIdxName)) return 'idx';
    if (entries.some((e) => fs.statSync(path.join(paths[0]!, e)).isDirectory())) return 'image-folder';
    throw new ImportError(`${paths[0]}: cannot tell the format (no CIFAR batches, IDX files or class subfolders); give --format (${IMPORT_FORMATS.join(', ')})`);
  }
  if (paths.every((p) => p.toLowerCase().endsWith('.csv'))) return 'csv';
  if (paths.every(isIdxName)) return 'idx';
  if (paths.every((p) => p.toLowerCase().endsWith('.bin'))) return 'cifar';
  throw new ImportError(`cannot tell the format of ${paths.join(', ')}; give --format (${IMPORT_FORMATS.join(', ')})`);
}

export async function runImporter(request: ImportRequest, progress: ImportProgress): Promise<{ format: ImportFormat; data: ImportedData }> {
  for (const p of request.paths) {
    if (!fs.existsSync(p)) throw new ImportError(`${p} does not exist`);
  }
  const format = request.format ?? guessFormat(request.paths);
  const files = (accept: (f: string) => boolean) => listFiles(request.paths, accept);
  switch (format) {
    case 'idx':
      return { format, data: await importIdx(files(isIdxName), progress) };
    case 'cifar':
      return { format, data: await importCifar(files((f) => f.toLowerCase().endsWith('.bin')), progress, { labels: request.cifarLabels }) };
    case 'csv': {
      if (request.paths.length !== 1) throw new ImportError('CSV import takes one file');
      return { format, data: await importCsv(request.paths[0]!, progress, { labelColumn: request.labelColumn }) };
    }
    case 'image-folder': {
      if (request.paths.length !== 1 || !fs.statSync(request.paths[0]!).isDirectory()) throw new ImportError('image-folder import takes one folder');
      files(isImageFile); // walks once to refuse links that leave the folder before decoding anything
      return { format, data: await importImageFolder(request.paths[0]!, progress, { shapes: request.resize ? 'resize' : 'refuse', size: request.size }) };
    }
  }
}
