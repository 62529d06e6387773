/**
 * IDX files (the MNIST format, plain or gzip-compressed): a magic number (two zero bytes,
 * a type byte, 0x08 = uint8, and the number of dimensions), the big-endian dimension
 * sizes, then the data. Images have three dimensions, labels one. Pairs are matched by
 * name (train-images with train-labels, t10k-images with t10k-labels); a t10k/test pair
 * becomes the dataset's own test set.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileChunks, isGzipped, readInto } from './byte-stream.js';
import { checkDatasetBytes, classCountOf, ImportError, type ImportedData, type ImportProgress } from './imported-data.js';

interface IdxHeader {
  dims: number[];
  headerBytes: number;
}

async function readHeader(file: string): Promise<IdxHeader> {
  const head: Buffer[] = [];
  let length = 0;
  for await (const chunk of fileChunks(file)) {
    head.push(chunk);
    length += chunk.length;
    if (length >= 4 + 4 * 4) break;
  }
  const bytes = Buffer.concat(head);
  if (bytes.length < 4) throw new ImportError(`${file}: too short to be an IDX file`);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) {
    throw new ImportError(`${file}: wrong IDX magic number 0x${bytes.subarray(0, 4).toString('hex')} (expected 0x0000080N for unsigned bytes)`);
  }
  const ndim = bytes[3]!;
  if (bytes.length < 4 + 4 * ndim) throw new ImportError(`${file}: truncated IDX header (${bytes.length} bytes; ${ndim} dimensions need ${4 + 4 * ndim})`);
  const dims = Array.from({ length: ndim }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  return { dims, headerBytes: 4 + 4 * ndim };
}

async function readIdx(file: string, expectedDims: number, progress: ImportProgress): Promise<{ dims: number[]; data: Uint8Array }> {
  const { dims, headerBytes } = await readHeader(file);
  if (dims.length !== expectedDims) {
    throw new ImportError(`${file}: ${dims.length} dimensions in the IDX header, expected ${expectedDims} (${expectedDims === 3 ? 'images' : 'labels'})`);
  }
  const what = expectedDims === 3 ? 'images' : 'labels';
  if (dims[0] === 0) throw new ImportError(`${file}: the IDX header says 0 ${what}; the file holds no sample`);
  if (dims.includes(0)) throw new ImportError(`${file}: the IDX header says images of ${dims.slice(1).join('x')} pixels; an image needs at least 1x1`);
  const size = dims.reduce((a, b) => a * b, 1);
  // Check the header's claim before allocating for it: against the file's size, and against what a dataset may hold.
  const stat = fs.statSync(file);
  if (stat.isFile() && !isGzipped(file) && stat.size !== headerBytes + size) {
    throw new ImportError(`${file}: size disagrees with its header: [${dims.join(', ')}] needs ${headerBytes + size} bytes, the file has ${stat.size}`);
  }
  checkDatasetBytes(size, file);
  const data = new Uint8Array(size);
  const phase = `reading ${path.basename(file)}`;
  const total = await readInto(file, headerBytes, data, (n) => progress(n, size, phase));
  if (total !== headerBytes + size) {
    const has = total > headerBytes + size ? `the file has more` : `the file has ${total}`;
    throw new ImportError(`${file}: size disagrees with its header: [${dims.join(', ')}] needs ${headerBytes + size} bytes, ${has}`);
  }
  return { dims, data };
}

function pairKey(file: string): { key: string; kind: 'images' | 'labels' } | undefined {
  const base = path.basename(file).toLowerCase();
  const m = /^(.*?)[-_.]?(images|labels)/.exec(base);
  return m ? { key: m[1]!, kind: m[2] as 'images' | 'labels' } : undefined;
}

export async function importIdx(files: string[], progress: ImportProgress): Promise<ImportedData> {
  const pairs = new Map<string, { images?: string; labels?: string }>();
  for (const file of files) {
    const key = pairKey(file);
    if (!key) throw new ImportError(`${file}: cannot tell whether this IDX file holds images or labels (name it *-images-* or *-labels-*)`);
    const pair = pairs.get(key.key) ?? {};
    if (pair[key.kind]) throw new ImportError(`${file}: two ${key.kind} files for '${key.key}' (${pair[key.kind]})`);
    pair[key.kind] = file;
    pairs.set(key.key, pair);
  }
  const ordered = [...pairs.entries()].sort(([a], [b]) => Number(/t10k|test/.test(a)) - Number(/t10k|test/.test(b)));
  if (ordered.length > 2) throw new ImportError(`IDX import takes one train pair and at most one test pair, got ${ordered.length} pairs`);
  const parts: { images: Uint8Array; labels: Uint8Array; count: number; dims: number[] }[] = [];
  for (const [key, pair] of ordered) {
    if (!pair.images || !pair.labels) throw new ImportError(`IDX '${key}': ${pair.images ? 'labels' : 'images'} file missing (have ${pair.images ?? pair.labels})`);
    const images = await readIdx(pair.images, 3, progress);
    const labels = await readIdx(pair.labels, 1, progress);
    if (labels.dims[0] !== images.dims[0]) {
      throw new ImportError(`${pair.labels}: ${labels.dims[0]} labels for ${images.dims[0]} images in ${pair.images}`);
    }
    parts.push({ images: images.data, labels: labels.data, count: images.dims[0]!, dims: images.dims });
  }
  const [height, width] = [parts[0]!.dims[1]!, parts[0]!.dims[2]!];
  for (const p of parts) {
    if (p.dims[1] !== height || p.dims[2] !== width) throw new ImportError(`IDX pairs disagree on image size: ${height}x${width} vs ${p.dims[1]}x${p.dims[2]}`);
  }
  checkDatasetBytes(parts.reduce((n, p) => n + p.images.length + p.labels.length, 0), files.join(', '));
  const pixels = parts.length === 1 ? parts[0]!.images : concat(parts.map((p) => p.images));
  const labels = parts.length === 1 ? parts[0]!.labels : concat(parts.map((p) => p.labels));
  const classes = classCountOf(labels, ordered.map(([, pair]) => pair.labels).join(', '));
  return {
    height,
    width,
    channels: 1,
    dtype: 'uint8',
    classNames: Array.from({ length: classes }, (_, i) => String(i)),
    pixels,
    labels,
    testCount: parts.length === 2 ? parts[1]!.count : 0,
  };
}

function concat(arrays: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}
