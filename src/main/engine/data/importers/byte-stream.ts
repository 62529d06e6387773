import fs from 'node:fs';
import { createGunzip } from 'node:zlib';
import { ImportError } from './imported-data.js';

/** The file's bytes in chunks, gunzipped when it starts with the gzip magic; never whole in memory. */
export async function* fileChunks(file: string): AsyncGenerator<Buffer> {
  const gzipped = isGzipped(file);
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = gzipped ? raw.pipe(createGunzip()) : raw;
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    const reason = (error as Error).message;
    throw new ImportError(gzipped ? `${file}: the gzip data is damaged or cut short (${reason})` : `${file} cannot be read: ${reason}`);
  } finally {
    // A reader that stops early (a header, a limit) closes the file.
    raw.destroy();
  }
}

/** Whether the file starts with the gzip magic (a file shorter than 2 bytes does not). */
export function isGzipped(file: string): boolean {
  const head = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  try {
    return fs.readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads `target.length` bytes after `skip` bytes into `target`; returns how many bytes the
 * file had, reading no further than one chunk past what was asked for (a longer file, or
 * a gzip stream that inflates without end, is not read to its end).
 */
export async function readInto(file: string, skip: number, target: Uint8Array, onBytes?: (n: number) => void): Promise<number> {
  let position = 0;
  let filled = 0;
  let total = 0;
  for await (const chunk of fileChunks(file)) {
    total += chunk.length;
    let start = 0;
    if (position < skip) {
      start = Math.min(chunk.length, skip - position);
      position += start;
    }
    const take = Math.min(chunk.length - start, target.length - filled);
    if (take > 0) {
      target.set(chunk.subarray(start, start + take), filled);
      filled += take;
      onBytes?.(filled);
    }
    position += chunk.length - start;
    if (total > skip + target.length) break;
  }
  return total;
}
