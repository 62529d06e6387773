/**
 * The HTTP bridge: the same LetheApi over loopback HTTP, so the renderer runs in a plain
 * browser (end-to-end tests in Chromium, a remote GPU box through an SSH tunnel).
 *
 * - Every request needs the token printed at start: an `Authorization: Bearer` header,
 *   or the `lethe_token` cookie. Opening `/?token=...` sets the cookie and redirects to
 *   the same address without the token, so it leaves the address bar and the history.
 * - The Host header must name the address the bridge listens on (no DNS rebinding).
 * - An `Origin` header, where a browser sends one, must be the bridge's own origin; a
 *   request that changes state (any method but GET and HEAD) must be JSON and, without
 *   an Origin, carry the token as Bearer. SameSite cookies do not tell ports of one host
 *   apart, so this is what stops a page on another port from posting with the cookie.
 * - POST /api/call/<method> with a JSON array of arguments; GET /api/events is a
 *   server-sent event stream of service events; /api/artifacts/ and /api/uploads/ are
 *   the workers' file transfers (bridge-artifacts.ts, Bearer only); PUT
 *   /api/staging/<batch>/<name> streams a file dropped on the window to the data
 *   directory (upload-staging.ts) and answers its path; GET
 *   /api/thumbnails/<dataset>/<index>.png is a sample as an image; anything else is the
 *   built renderer.
 * - Every response carries a content security policy and refuses framing, sniffing and
 *   referrers.
 */
import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { InvalidRequestError, type WindowEvent } from '../shared/lethe-api.js';
import { dispatch } from './app/dispatch.js';
import { receiveUpload, sendArtifact } from './bridge-artifacts.js';
import { NotFoundError, type LetheService } from './app/lethe-service.js';
import { MAX_STAGED_BYTES, stageUpload, UploadTooLargeError } from './app/upload-staging.js';

export interface BridgeOptions {
  service: LetheService;
  token: string;
  /** Folder of the built renderer (index.html and assets). */
  staticDir: string;
  /** Largest file dropped in a browser that the bridge stages (default MAX_STAGED_BYTES). */
  maxStagedBytes?: number;
}

const MAX_BODY_BYTES = 1 << 20;
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** A refusal with its HTTP status. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function decodePath(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, 'the path has a malformed %-escape');
  }
}

function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === 'lethe_token') return value.join('=');
  }
  return undefined;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * The body as text, refused with 413 past the limit. The rest of an oversized body is
 * left to Node, which reads and drops it after the response, so the client gets the
 * 413 rather than a reset connection.
 */
function readBody(req: http.IncomingMessage): Promise<string> {
  const tooLarge = new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`);
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES) return Promise.reject(tooLarge);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', collect);
        reject(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', collect);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function createBridge({ service, token, staticDir, maxStagedBytes = MAX_STAGED_BYTES }: BridgeOptions): http.Server {
  const server = http.createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    void handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : error instanceof UploadTooLargeError ? 413 : error instanceof InvalidRequestError ? 400 : 500;
      if (!res.headersSent) sendJson(res, status, { error: (error as Error).message });
      else res.end();
    });
  });

  function allowedHost(req: http.IncomingMessage): boolean {
    const address = server.address();
    if (!address || typeof address === 'string') return false;
    const host = req.headers.host ?? '';
    const port = String(address.port);
    const names = new Set([`${address.address}:${port}`, `[${address.address}]:${port}`, `localhost:${port}`]);
    return names.has(host);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://bridge');
    if (!allowedHost(req)) return sendJson(res, 403, { error: `host '${req.headers.host}' is not this bridge` });
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) {
      return sendJson(res, 403, { error: `origin '${origin}' is not this bridge` });
    }
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const queryToken = url.searchParams.get('token');
    if (readOnly && queryToken !== null && sameToken(queryToken, token)) {
      url.searchParams.delete('token');
      res.writeHead(303, {
        'set-cookie': `lethe_token=${token}; HttpOnly; SameSite=Strict; Path=/`,
        location: '/' + url.pathname.replace(/^\/+/, '') + url.search,
        'cache-control': 'no-store',
      });
      return void res.end();
    }
    const byBearer = sameToken(bearer, token);
    if (!byBearer && !sameToken(cookieToken(req.headers.cookie), token)) {
      return sendJson(res, 401, { error: 'missing or wrong token: open the URL that `lethe serve` printed' });
    }
    const transfer = /^\/api\/(artifacts|uploads)\/(.+)$/.exec(url.pathname);
    if (transfer) {
      // Workers, not browsers: the token as Bearer, which no page of another origin can send.
      if (!byBearer) return sendJson(res, 401, { error: 'artifact transfers need the token as Bearer' });
      const relative = decodePath(transfer[2]!);
      if (transfer[1] === 'artifacts' && readOnly) return sendArtifact(res, service.dataDir, relative);
      if (transfer[1] === 'uploads' && req.method === 'PUT') return receiveUpload(req, res, service.dataDir, relative);
      return sendJson(res, 405, { error: `${req.method} is not allowed on /api/${transfer[1]}/` });
    }
    if (!readOnly && origin === undefined && !byBearer) {
      return sendJson(res, 403, { error: 'a request that changes state needs an Origin header or the token as Bearer' });
    }
    const staging = /^\/api\/staging\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (staging) {
      if (req.method !== 'PUT') return sendJson(res, 405, { error: 'use PUT to upload a dropped file' });
      const file = await stageUpload(req, service.dataDir, decodePath(staging[1]!), decodePath(staging[2]!), maxStagedBytes);
      return sendJson(res, 201, { path: file });
    }
    const thumbnail = /^\/api\/thumbnails\/([^/]+)\/(\d{1,9})\.png$/.exec(url.pathname);
    if (thumbnail && readOnly) {
      const image = await service.getSampleImage({ dataset: decodePath(thumbnail[1]!), index: Number(thumbnail[2]) });
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'private, max-age=3600' });
      return void res.end(Buffer.from(image.pngBase64, 'base64'));
    }
    if (!readOnly) {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') return sendJson(res, 415, { error: 'send the arguments as Content-Type: application/json' });
    }

    if (url.pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST for API calls' });
      const method = decodePath(url.pathname.slice('/api/call/'.length));
      const body = await readBody(req);
      let args: unknown;
      try {
        args = body ? JSON.parse(body) : [];
      } catch {
        return sendJson(res, 400, { error: 'request body is not valid JSON' });
      }
      try {
        const result = await dispatch(service, method, args);
        return sendJson(res, 200, { result: result ?? null });
      } catch (error) {
        const status = error instanceof InvalidRequestError ? 400 : error instanceof NotFoundError ? 404 : 422;
        return sendJson(res, status, { error: (error as Error).message });
      }
    }

    if (url.pathname === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': connected\n\n');
      const send = (event: WindowEvent) => res.write(`data: ${JSON.stringify(event)}\n\n`);
      const unsubscribe = service.subscribe(send);
      const stopCatalog = service.onCatalogChanged(() => send({ type: 'catalog-changed' }));
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      req.on('close', () => {
        clearInterval(keepAlive);
        unsubscribe();
        stopCatalog();
      });
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: `${req.method} is not allowed here` });
    const root = path.resolve(staticDir);
    let file = path.resolve(root, '.' + decodePath(url.pathname));
    if (!file.startsWith(root + path.sep) && file !== root) return sendJson(res, 404, { error: 'not found' });
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(root, 'index.html');
    if (!fs.existsSync(file)) {
      return sendJson(res, 503, { error: `the window is not built (${root} is missing): run npm run build` });
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  }

  return server;
}
