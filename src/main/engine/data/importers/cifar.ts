/**
 * CIFAR-10 / CIFAR-100 binary batches. A CIFAR-10 record is 1 label byte and 3,072
 * pixel bytes (1,024 red, then green, then blue, row-major 32x32); CIFAR-100 has a
 * coarse and a fine label byte first. Train batches come first; test_batch.bin /
 * test.bin becomes the dataset's own test set. Class names come from
 * batches.meta.txt or fine/coarse_label_names.txt beside the batches, when present.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileChunks, isGzipped } from './byte-stream.js';
import { checkDatasetBytes, classCountOf, ImportError, type ImportedData, type ImportProgress } from './imported-data.js';

const SIDE = 32;
const PLANE = SIDE * SIDE;

export interface CifarOptions {
  /** CIFAR-100 only: which label to use. */
  labels?: 'fine' | 'coarse';
}

function isTestBatch(file: string): boolean {
  return /^test(_batch)?\.bin$/i.test(path.basename(file));
}

function variantOf(files: string[]): 'cifar10' | 'cifar100' {
  const names = files.map((f) => path.basename(f).toLowerCase());
  if (names.some((n) => n.startsWith('data_batch') || n === 'test_batch.bin')) return 'cifar10';
  if (names.some((n) => n === 'train.bin' || n === 'test.bin')) return 'cifar100';
  const size = fs.statSync(files[0]!).size;
  if (size % 3073 === 0) return 'cifar10';
  if (size % 3074 === 0) return 'cifar100';
  throw new ImportError(`${files[0]}: neither CIFAR-10 (3,073-byte) nor CIFAR-100 (3,074-byte) records`);
}

function classNames(dir: string, variant: 'cifar10' | 'cifar100', labels: 'fine' | 'coarse', classes: number): string[] {
  const file = path.join(dir, variant === 'cifar10' ? 'batches.meta.txt' : `${labels}_label_names.txt`);
  if (fs.existsSync(file)) {
    const names = fs.readFileSync(file, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
    if (names.length >= classes) return names;
  }
  return Array.from({ length: classes }, (_, i) => String(i));
}

/** Records are counted from the file's size: it must be a regular, uncompressed, non-empty file. */
function checkBatchFile(file: string): void {
  const stat = fs.statSync(file);
  if (!stat.isFile()) throw new ImportError(`${file} is not a regular file; CIFAR batches are counted by their size`);
  if (stat.size === 0) throw new ImportError(`${file} is empty: it holds no CIFAR record`);
  if (isGzipped(file)) throw new ImportError(`${file} is gzip-compressed; give the .bin batches of the CIFAR archive as they are unpacked`);
}

export async function importCifar(files: string[], progress: ImportProgress, options: CifarOptions = {}): Promise<ImportedData> {
  if (files.length === 0) throw new ImportError('no CIFAR batch (.bin file) given');
  files.forEach(checkBatchFile);
  const variant = variantOf(files);
  const labelBytes = variant === 'cifar10' ? 1 : 2;
  const recordSize = labelBytes + 3 * PLANE;
  const ordered = [...files].sort((a, b) => Number(isTestBatch(a)) - Number(isTestBatch(b)) || a.localeCompare(b));
  const sizes = ordered.map((f) => fs.statSync(f).size);
  ordered.forEach((file, i) => {
    if (sizes[i]! % recordSize !== 0) {
      throw new ImportError(
        `${file}: truncated record: ${sizes[i]} bytes is not a whole number of ${recordSize}-byte ${variant === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} records (record ${Math.floor(sizes[i]! / recordSize) + 1} is incomplete)`,
      );
    }
  });
  const count = sizes.reduce((n, s) => n + s / recordSize, 0);
  checkDatasetBytes(count * (3 * PLANE + 1), ordered.join(', '));
  const pixels = new Uint8Array(count * 3 * PLANE);
  const labels = new Uint8Array(count);
  const labelOffset = variant === 'cifar100' && options.labels !== 'coarse' ? 1 : 0;
  let n = 0;
  const pending = Buffer.alloc(recordSize);
  for (const file of ordered) {
    let filled = 0;
    for await (const chunk of fileChunks(file)) {
      let at = 0;
      while (at < chunk.length) {
        const take = Math.min(recordSize - filled, chunk.length - at);
        chunk.copy(pending, filled, at, at + take);
        filled += take;
        at += take;
        if (filled < recordSize) break;
        labels[n] = pending[labelOffset]!;
        // Planar RGB to interleaved HWC.
        const base = n * 3 * PLANE;
        for (let p = 0; p < PLANE; p++) {
          pixels[base + 3 * p] = pending[labelBytes + p]!;
          pixels[base + 3 * p + 1] = pending[labelBytes + PLANE + p]!;
          pixels[base + 3 * p + 2] = pending[labelBytes + 2 * PLANE + p]!;
        }
        n += 1;
        filled = 0;
      }
      progress(n, count, `reading ${path.basename(file)}`);
    }
  }
  const classes = classCountOf(labels, ordered[0]!);
  const testCount = ordered.filter(isTestBatch).reduce((c, f) => c + fs.statSync(f).size / recordSize, 0);
  return {
    height: SIDE,
    width: SIDE,
    channels: 3,
    dtype: 'uint8',
    classNames: classNames(path.dirname(ordered[0]!), variant, options.labels ?? 'fine', classes),
    pixels,
    labels,
    testCount: testCount === count ? 0 : testCount,
  };
}
