/**
 * The bridge's artifact transfers for workers (token as Bearer on every request):
 * GET /api/artifacts/<path> sends a shared file of the data directory; PUT
 * /api/uploads/<upload>/<path> with an `x-content-sha256` header stores a worker's
 * output under incoming/<upload>/, written to a temporary name, checked against the
 * hash and only then renamed into place. The coordinator moves it further when it
 * records the job; nothing here touches the catalog.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { InvalidRequestError } from '../shared/validation.js';
import { sharedFile, uploadFolder } from './app/artifacts.js';
import { temporarySibling } from './engine/data/atomic-file.js';

/** Larger than any checkpoint Lethe makes (ResNet-18 is 45 MB). */
const MAX_UPLOAD_BYTES = 4 * 2 ** 30;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export function sendArtifact(res: http.ServerResponse, dataDir: string, relative: string): void {
  const file = sharedFile(dataDir, relative);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return send(res, 404, { error: `no artifact ${relative}` });
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': fs.statSync(file).size, 'cache-control': 'no-store' });
  fs.createReadStream(file).pipe(res);
}

export async function receiveUpload(req: http.IncomingMessage, res: http.ServerResponse, dataDir: string, rest: string): Promise<void> {
  const slash = rest.indexOf('/');
  if (slash < 0) throw new InvalidRequestError('upload path must be /api/uploads/<upload id>/<artifact path>');
  const target = sharedFile(uploadFolder(dataDir, rest.slice(0, slash)), rest.slice(slash + 1));
  const expected = String(req.headers['x-content-sha256'] ?? '');
  if (!/^[0-9a-f]{64}$/.test(expected)) throw new InvalidRequestError('an upload needs its sha256 as 64 lower-case hex digits in x-content-sha256');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = temporarySibling(target);
  const hash = createHash('sha256');
  let size = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const out = fs.createWriteStream(tmp);
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        hash.update(chunk);
        if (size > MAX_UPLOAD_BYTES) req.destroy(new InvalidRequestError(`upload exceeds ${MAX_UPLOAD_BYTES} bytes`));
      });
      req.on('error', reject);
      out.on('error', reject);
      out.on('finish', resolve);
      req.pipe(out);
    });
    const actual = hash.digest('hex');
    if (actual !== expected) throw new InvalidRequestError(`upload of ${rest} refused: its sha256 is ${actual}, x-content-sha256 says ${expected}`);
    const fd = fs.openSync(tmp, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, target);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  send(res, 201, { stored: rest, sha256: expected, size });
}
