/**
 * Tabular CSV: a header row, one label column (named, else `label`, else the last
 * column) and numeric features, read line by line. Labels may be any strings; classes
 * are their sorted distinct values. Features become float32 samples of shape
 * [1, 1, features].
 */
import fs from 'node:fs';
import { createInterface } from 'node:readline';
import { quoteFromFile } from '../quote-from-file.js';
import { checkClassCount, ImportError, type ImportedData, type ImportProgress } from './imported-data.js';

export async function importCsv(file: string, progress: ImportProgress, options: { labelColumn?: string } = {}): Promise<ImportedData> {
  const total = fs.statSync(file).size;
  const lines = createInterface({ input: fs.createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let header: string[] | undefined;
  let labelAt = -1;
  let features: number[] = [];
  const labelsText: string[] = [];
  let values = new Float32Array(1 << 16);
  let used = 0;
  let lineNo = 0;
  let bytes = 0;
  for await (const line of lines) {
    lineNo += 1;
    bytes += line.length + 1;
    if (line.trim() === '') continue;
    const cells = line.split(',').map((c) => c.trim());
    if (!header) {
      header = cells;
      labelAt = options.labelColumn !== undefined ? header.indexOf(options.labelColumn) : header.indexOf('label');
      if (options.labelColumn !== undefined && labelAt < 0) {
        throw new ImportError(`${file}: no label column named '${options.labelColumn}' (columns: ${header.map(quoteFromFile).join(', ')})`);
      }
      if (labelAt < 0) labelAt = header.length - 1;
      features = header.map((_, i) => i).filter((i) => i !== labelAt);
      if (features.length === 0) throw new ImportError(`${file}: no feature column besides the label ${quoteFromFile(header[labelAt]!)}`);
      continue;
    }
    if (cells.length !== header.length) throw new ImportError(`${file}, line ${lineNo}: ${cells.length} fields, the header has ${header.length}`);
    const label = cells[labelAt]!;
    if (label === '') throw new ImportError(`${file}, line ${lineNo}: the label (${quoteFromFile(header[labelAt]!)}) is missing`);
    if (used + features.length > values.length) {
      const grown = new Float32Array(values.length * 2);
      grown.set(values);
      values = grown;
    }
    for (const i of features) {
      const v = Number(cells[i]);
      if (cells[i] === '' || !Number.isFinite(v)) {
        throw new ImportError(`${file}, line ${lineNo}: feature ${quoteFromFile(header[i]!)} is ${quoteFromFile(cells[i]!)}, not a number`);
      }
      values[used++] = v;
    }
    labelsText.push(label);
    if (lineNo % 5000 === 0) progress(bytes, total, 'reading rows');
  }
  if (!header || labelsText.length === 0) throw new ImportError(`${file}: no data rows`);
  const classNames = [...new Set(labelsText)].sort((a, b) => (Number.isFinite(Number(a)) && Number.isFinite(Number(b)) ? Number(a) - Number(b) : a.localeCompare(b)));
  checkClassCount(classNames.length, file);
  const index = new Map(classNames.map((name, i) => [name, i]));
  return {
    height: 1,
    width: 1,
    channels: features.length,
    dtype: 'float32',
    classNames,
    pixels: values.slice(0, used),
    labels: Uint8Array.from(labelsText, (l) => index.get(l)!),
    testCount: 0,
  };
}
