/**
 * Tabular CSV: a header row, one label column (named, else `label`, else the last
 * column) and numeric features, read line by line. Labels may be any strings; classes
 * are their sorted distinct values. Features become float32 samples of shape
 * [1, 1, features]. A feature is a decimal number (`0x10`, `Infinity` are refused); a
 * line longer than MAX_CSV_LINE_BYTES ends the import, so a file without line breaks
 * (/dev/zero) is never read into memory.
 */
import fs from 'node:fs';
import { formatBytes, MIB } from '../bounded-read.js';
import { quoteFromFile } from '../quote-from-file.js';
import { checkClassCount, checkDatasetBytes, ImportError, type ImportedData, type ImportProgress } from './imported-data.js';

const MAX_CSV_LINE_BYTES = MIB;

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** The file's lines (without line ends), each at most `maxBytes` long. */
async function* boundedLines(file: string, maxBytes: number): AsyncGenerator<string> {
  const stream = fs.createReadStream(file, { highWaterMark: MIB });
  let partial = Buffer.alloc(0);
  let lineNo = 1;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let rest = partial.length ? Buffer.concat([partial, chunk]) : chunk;
      for (let end = rest.indexOf(0x0a); end >= 0; end = rest.indexOf(0x0a)) {
        if (end > maxBytes) break;
        yield rest.toString('utf8', 0, end > 0 && rest[end - 1] === 0x0d ? end - 1 : end);
        rest = rest.subarray(end + 1);
        lineNo += 1;
      }
      if (rest.length > maxBytes) {
        throw new ImportError(`${file}, line ${lineNo} is longer than ${formatBytes(maxBytes)}, the limit for one CSV line (is this a CSV table?)`);
      }
      partial = Buffer.from(rest);
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(`${file} cannot be read: ${(error as Error).message}`);
  } finally {
    stream.destroy();
  }
  if (partial.length) yield partial.toString('utf8', 0, partial[partial.length - 1] === 0x0d ? partial.length - 1 : partial.length);
}

export async function importCsv(file: string, progress: ImportProgress, options: { labelColumn?: string } = {}): Promise<ImportedData> {
  const total = fs.statSync(file).size;
  let header: string[] | undefined;
  let labelAt = -1;
  let features: number[] = [];
  // Rows hold the id of their label (first-seen order); at most 256 distinct labels are kept.
  const labelIds = new Map<string, number>();
  let rowLabels = new Uint8Array(1 << 12);
  let rows = 0;
  let values = new Float32Array(1 << 16);
  let used = 0;
  let lineNo = 0;
  let bytes = 0;
  for await (const line of boundedLines(file, MAX_CSV_LINE_BYTES)) {
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
      const size = Math.max(2 * values.length, used + features.length);
      checkDatasetBytes(4 * size + rows, file);
      values = grown(values, size);
    }
    for (const i of features) {
      const v = Number(cells[i]);
      if (!DECIMAL.test(cells[i]!) || !Number.isFinite(v)) {
        throw new ImportError(`${file}, line ${lineNo}: feature ${quoteFromFile(header[i]!)} is ${quoteFromFile(cells[i]!)}, not a decimal number`);
      }
      values[used++] = v;
    }
    let id = labelIds.get(label);
    if (id === undefined) {
      id = labelIds.size;
      if (id === 256) throw new ImportError(`${file}, line ${lineNo}: a 257th distinct label (${quoteFromFile(label)}); Lethe stores at most 256 classes`);
      labelIds.set(label, id);
    }
    if (rows === rowLabels.length) rowLabels = grown(rowLabels, 2 * rows);
    rowLabels[rows++] = id;
    if (lineNo % 5000 === 0) progress(bytes, total, 'reading rows');
  }
  if (!header || rows === 0) throw new ImportError(`${file}: no data rows`);
  // Decimal labels in numeric order (so 2 comes before 10, and 0x10 is text), then the others by name.
  const numeric = (label: string) => DECIMAL.test(label);
  const classNames = [...labelIds.keys()].sort((a, b) =>
    numeric(a) && numeric(b) ? Number(a) - Number(b) : numeric(a) !== numeric(b) ? (numeric(a) ? -1 : 1) : a.localeCompare(b),
  );
  checkClassCount(classNames.length, file);
  const classOf = Uint8Array.from(labelIds.keys(), (name) => classNames.indexOf(name));
  return {
    height: 1,
    width: 1,
    channels: features.length,
    dtype: 'float32',
    classNames,
    pixels: values.slice(0, used),
    labels: rowLabels.slice(0, rows).map((id) => classOf[id]!),
    testCount: 0,
  };
}

function grown<T extends Float32Array | Uint8Array>(array: T, size: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(size);
  bigger.set(array);
  return bigger;
}
