/**
 * Files dropped on the window in a browser, which cannot give a path: the bridge streams
 * each one to `<data-dir>/staging/<batch>/<name>` and answers with that path, and the
 * service then reads it exactly as a path dropped on the desktop app. A batch is removed
 * once a request that uses it ends (accepted or refused), when its upload is refused, or
 * when it is left unused for STALE_MS (a preview the user never saved).
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { InvalidRequestError } from '../../shared/validation.js';

/** Index lists are at most 64 MiB; a dataset dropped for import may be larger. */
export const MAX_STAGED_BYTES = 2 * 2 ** 30;
const STALE_MS = 60 * 60 * 1000;
const BATCH_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Letters, digits, space and . _ - ( ) + , only; no leading dot, no separators. */
const FILE_NAME = /^[\p{L}\p{N}_(+,-][\p{L}\p{N} ._()+,-]{0,199}$/u;

/** An upload over the size limit (the bridge answers 413). */
export class UploadTooLargeError extends InvalidRequestError {}

export function stagingRoot(dataDir: string): string {
  return path.join(dataDir, 'staging');
}

/** The staged file a batch id and file name stand for; anything path-like is refused. */
export function stagedFile(dataDir: string, batch: string, name: string): string {
  if (!BATCH_ID.test(batch)) throw new InvalidRequestError(`upload batch '${batch}' must be a lower-case UUID`);
  if (!FILE_NAME.test(name)) {
    throw new InvalidRequestError(`file name '${name}' is refused: use letters, digits, spaces and . _ - ( ) + , (no leading dot, no folders, at most 200 characters)`);
  }
  return path.join(stagingRoot(dataDir), batch, name);
}

/**
 * Streams a request body to its staged file and returns the path. Over `maxBytes` the
 * upload is refused, and a refused or broken upload leaves nothing behind.
 */
export async function stageUpload(req: http.IncomingMessage, dataDir: string, batch: string, name: string, maxBytes = MAX_STAGED_BYTES): Promise<string> {
  const file = stagedFile(dataDir, batch, name);
  const tooLarge = () => new UploadTooLargeError(`${name} is larger than the upload limit of ${maxBytes} bytes`);
  if (Number(req.headers['content-length']) > maxBytes) throw tooLarge();
  sweepStale(dataDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const out = fs.createWriteStream(file, { flags: 'wx' });
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          req.unpipe(out);
          out.destroy();
          reject(tooLarge());
        }
      });
      req.on('error', reject);
      out.on('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EEXIST' ? new InvalidRequestError(`${name} was already uploaded in this batch`) : error),
      );
      out.on('finish', resolve);
      req.pipe(out);
    });
  } catch (error) {
    removeBatch(dataDir, batch);
    throw error;
  }
  return file;
}

/** The batch folder a path lies in, when it is a staged file of this data directory. */
function batchOf(dataDir: string, file: string): string | undefined {
  const relative = path.relative(stagingRoot(dataDir), path.resolve(file));
  const batch = relative.split(path.sep)[0]!;
  return !relative.startsWith('..') && !path.isAbsolute(relative) && BATCH_ID.test(batch) ? batch : undefined;
}

function removeBatch(dataDir: string, batch: string): void {
  fs.rmSync(path.join(stagingRoot(dataDir), batch), { recursive: true, force: true });
  try {
    fs.rmdirSync(stagingRoot(dataDir));
  } catch {
    // Other batches are still staged (or the folder is already gone).
  }
}

/** Removes the staged batches among `paths` (paths outside the staging folder are left alone). */
export function releaseStaged(dataDir: string, paths: readonly string[]): void {
  for (const batch of new Set(paths.map((p) => batchOf(dataDir, p)))) if (batch) removeBatch(dataDir, batch);
}

function sweepStale(dataDir: string, now = Date.now()): void {
  const root = stagingRoot(dataDir);
  if (!fs.existsSync(root)) return;
  for (const batch of fs.readdirSync(root)) {
    if (now - fs.statSync(path.join(root, batch)).mtimeMs > STALE_MS) removeBatch(dataDir, batch);
  }
}
