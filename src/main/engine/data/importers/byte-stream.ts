import fs from 'node:fs';
import { createGunzip } from 'node:zlib';

/** The file's bytes in chunks, gunzipped when it starts with the gzip magic; never whole in memory. */
export async function* fileChunks(file: string): AsyncGenerator<Buffer> {
  const head = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  const read = fs.readSync(fd, head, 0, 2, 0);
  fs.closeSync(fd);
  const gzipped = read === 2 && head[0] === 0x1f && head[1] === 0x8b;
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = gzipped ? raw.pipe(createGunzip()) : raw;
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}

/** Reads exactly `target.length` bytes after `skip` bytes into `target`; returns how many bytes the file really had. */
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
  }
  return total;
}
