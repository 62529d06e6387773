/**
 * Reading files a user names without trusting their size: a device such as /dev/zero,
 * a pipe or a huge file is read only up to a limit, then refused with a message naming
 * the file and the limit. Nothing unbounded is ever held in memory.
 */
import fs from 'node:fs';
import { InvalidRequestError } from '../../../shared/validation.js';

export const MIB = 1 << 20;

/** Sizes in words: 64 MiB, 1.5 GiB, 512 bytes. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${+(bytes / (1 << 30)).toFixed(2)} GiB`;
  if (bytes >= MIB) return `${+(bytes / MIB).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(2)} KiB`;
  return `${bytes} bytes`;
}

/** The whole file, read in chunks and refused as soon as it passes `limit` bytes. */
export function readFileBounded(file: string, limit: number, what: string): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    // A regular file is read in one step; a device or a pipe (size 0) in 1 MiB steps.
    const size = fs.fstatSync(fd).size;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(total === 0 && size > 0 ? size + 1 : MIB, limit + 1 - total));
      const read = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
      if (total > limit) throw new InvalidRequestError(`${file} is larger than ${formatBytes(limit)}, the limit for ${what}`);
    }
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    throw new InvalidRequestError(`cannot read ${file}: ${(error as Error).message}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return Buffer.concat(chunks, total);
}
