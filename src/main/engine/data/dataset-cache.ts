/**
 * The compact on-disk form of a dataset: magic, a JSON header, the samples (uint8
 * pixels or float32 features, little-endian), uint8 labels. Reading checks the size against the header and the content digest, so a
 * truncated or altered cache is detected instead of silently used.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';
import { sampleSize, type ImageDataset } from './dataset.js';

const MAGIC = Buffer.from('LETHEDS1', 'ascii');

export class CorruptCacheError extends Error {}

/** Everything but the bytes, stored as JSON ahead of them. */
type CacheHeader = Omit<ImageDataset, 'pixels' | 'labels'>;

export function datasetDigest(pixels: Uint8Array | Float32Array, labels: Uint8Array): string {
  return createHash('sha256').update(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength)).update(labels).digest('hex');
}

export function writeDatasetCache(file: string, dataset: ImageDataset): void {
  const { pixels, labels, ...header } = dataset;
  const headerBytes = Buffer.from(JSON.stringify(header satisfies CacheHeader), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  writeFileAtomic(file, [MAGIC, length, headerBytes, new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength), labels]);
}

export function readDatasetCache(file: string): ImageDataset {
  const bytes = fs.readFileSync(file);
  const fail = (what: string): never => {
    throw new CorruptCacheError(`dataset cache ${file} is corrupt: ${what}`);
  };
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) fail('bad magic');
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const headerStart = MAGIC.length + 4;
  if (bytes.length < headerStart + headerLength) fail('truncated header');
  let header: CacheHeader;
  try {
    const raw = JSON.parse(bytes.subarray(headerStart, headerStart + headerLength).toString('utf8')) as Partial<CacheHeader>;
    // Caches written before dtype and testCount existed are uint8 with no own test set.
    header = { ...(raw as CacheHeader), dtype: raw.dtype ?? 'uint8', testCount: raw.testCount ?? 0 };
  } catch {
    return fail('unreadable header');
  }
  // A cache written before zero dimensions were refused on import would fail deep in training.
  if (!(header.count >= 1 && header.height >= 1 && header.width >= 1 && header.channels >= 1)) {
    fail(`${header.count} samples of ${header.height}x${header.width}x${header.channels} values; a dataset needs samples of at least 1x1x1 (import it again)`);
  }
  const bytesPerValue = header.dtype === 'float32' ? 4 : 1;
  const pixelBytes = header.count * sampleSize(header) * bytesPerValue;
  const dataStart = headerStart + headerLength;
  const expected = dataStart + pixelBytes + header.count;
  if (bytes.length !== expected) fail(`${bytes.length} bytes on disk, header says ${expected} (truncated?)`);
  // Copy float32 data into an aligned buffer; uint8 can be viewed in place.
  const pixels =
    header.dtype === 'float32'
      ? new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataStart, bytes.byteOffset + dataStart + pixelBytes))
      : new Uint8Array(bytes.buffer, bytes.byteOffset + dataStart, pixelBytes);
  const labels = new Uint8Array(bytes.buffer, bytes.byteOffset + dataStart + pixelBytes, header.count);
  if (datasetDigest(pixels, labels) !== header.digest) fail('content digest does not match');
  return { ...header, pixels, labels };
}
