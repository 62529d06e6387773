/**
 * The HTTP bridge as a browser, an attacker's page and a script reach it. Requests that
 * fetch would normalise or refuse to send (paths with `..` and %-escapes, foreign Host
 * and Origin headers, oversized bodies) go out raw through node:http.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge } from '../src/main/server.js';
import { makeTempDir, serviceForTests } from './helpers.js';

const { catalog, service } = serviceForTests('bridge');
const token = 'a'.repeat(48);
const staticDir = makeTempDir('static');
fs.writeFileSync(path.join(staticDir, 'index.html'), '<html>lethe</html>');
const secretFile = path.join(makeTempDir('outside'), 'secret.txt');
fs.writeFileSync(secretFile, 'root:x:0:0:the secret line\nsecond:secret:line\n');
const server = createBridge({ service, token, staticDir });
let port = 0;
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request exactly as given: the path is not normalised, the headers are not filled in. */
function raw(method: string, rawPath: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = { authorization: `Bearer ${token}` };
const json = { 'content-type': 'application/json' };
const errorOf = (response: RawResponse) => (JSON.parse(response.body) as { error: string }).error;

async function cookie(): Promise<string> {
  const opened = await raw('GET', `/?token=${token}`);
  return opened.headers['set-cookie']![0]!.split(';')[0]!;
}

function addRun(id: string): void {
  catalog.runs.create({ id, kind: 'train', dataset: 'mnist', model: 'mlp', config: { id }, seed: 1, appVersion: 'test', ownerPid: process.pid });
  catalog.runs.finish(id, 'finished');
}

const listedIds = async () => ((await service.listRuns()).map((r) => r.id));

describe('HTTP bridge', () => {
  it('requires the token, checks the host, validates payloads and serves the window', async () => {
    const post = (method: string, body: string, headers: Record<string, string> = bearer) => raw('POST', `/api/call/${method}`, { ...json, ...headers }, body);
    expect((await post('listRuns', '[]', {})).status).toBe(401);
    expect((await post('listRuns', '[]', { authorization: `Bearer ${'b'.repeat(48)}` })).status).toBe(401);
    expect(errorOf(await post('listRuns', '[]', {}))).toMatch(/missing or wrong token/);
    expect((await raw('GET', '/')).status).toBe(401);
    expect((await raw('GET', `/?token=${'b'.repeat(48)}`)).status).toBe(401);
    expect((await post('listRuns', '[]')).status).toBe(200);
    // fetch would send the same, but here through the real stack.
    expect((await fetch(`${base}/api/call/listRuns`, { method: 'POST', headers: { ...bearer, ...json }, body: '[]' })).status).toBe(200);

    const badJson = await post('listRuns', '{not json');
    expect([badJson.status, errorOf(badJson)]).toEqual([400, 'request body is not valid JSON']);
    const badArgs = await post('startTraining', JSON.stringify([{ dataset: 'mnist', model: 'mlp', batchSize: 0 }]));
    expect([badArgs.status, errorOf(badArgs)]).toEqual([400, 'invalid arguments for startTraining: batch size must be a positive integer']);
    const unknown = await post('dropTables', '[]');
    expect([unknown.status, errorOf(unknown)]).toEqual([400, "unknown method 'dropTables'"]);
    expect((await post('getRun', '["no-such-run"]')).status).toBe(404);
    expect((await raw('GET', '/api/call/listRuns', bearer)).status).toBe(405);
    // A DNS-rebinding page would arrive with its own name in Host.
    expect((await raw('POST', '/api/call/listRuns', { ...bearer, ...json, host: 'attacker.example' }, '[]')).status).toBe(403);
  });

  it('exchanges the token in the address for a cookie and takes the token out of the address', async () => {
    const opened = await raw('GET', `/?token=${token}`);
    expect([opened.status, opened.headers.location]).toEqual([303, '/']);
    expect(opened.headers['set-cookie']).toEqual([`lethe_token=${token}; HttpOnly; SameSite=Strict; Path=/`]);
    expect((await raw('GET', `/runs/abc?tab=metrics&token=${token}`)).headers.location).toBe('/runs/abc?tab=metrics');
    // Never a protocol-relative redirect to another host.
    expect((await raw('GET', `/.//evil.example/?token=${token}`)).headers.location).toBe('/evil.example/');
    const page = await raw('GET', '/', { cookie: await cookie() });
    expect([page.status, page.body]).toEqual([200, '<html>lethe</html>']);
    // The token in the address only opens the window: it authorises no API call.
    expect((await raw('POST', `/api/call/listRuns?token=${token}`, json, '[]')).status).toBe(401);
  });

  it('lets no page of another origin change state with the cookie (CSRF)', async () => {
    addRun('csrf-target-1');
    const session = await cookie();
    const own = `http://127.0.0.1:${port}`;
    const attempt = (headers: Record<string, string>) => raw('POST', '/api/call/deleteRun', headers, '["csrf-target-1"]');
    // What a no-cors form or fetch from http://127.0.0.1:<other port> sends: the cookie rides along.
    const noCors = await attempt({ cookie: session, 'content-type': 'text/plain;charset=UTF-8', origin: `http://127.0.0.1:${port + 1}` });
    expect([noCors.status, errorOf(noCors)]).toEqual([403, `origin 'http://127.0.0.1:${port + 1}' is not this bridge`]);
    expect((await attempt({ cookie: session, ...json, origin: `http://127.0.0.1:${port + 1}` })).status).toBe(403);
    expect((await attempt({ cookie: session, ...json, origin: 'null' })).status).toBe(403);
    expect((await attempt({ cookie: session, ...json, origin: `http://localhost:${port + 1}` })).status).toBe(403);
    // Without an Origin only a client that holds the token itself may change state.
    const noOrigin = await attempt({ cookie: session, ...json });
    expect([noOrigin.status, errorOf(noOrigin)]).toEqual([403, 'a request that changes state needs an Origin header or the token as Bearer']);
    // Even from the bridge's own origin, only JSON: a form or a text/plain post cannot be forged into a call.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const plain = await attempt({ cookie: session, origin: own, 'content-type': type });
      expect([plain.status, errorOf(plain)]).toEqual([415, 'send the arguments as Content-Type: application/json']);
    }
    expect((await attempt({ ...bearer, origin: `http://127.0.0.1:${port + 1}`, ...json })).status).toBe(403);
    expect(await listedIds()).toContain('csrf-target-1');

    // The window itself (own origin, JSON, cookie) and a script (Bearer, no Origin) still can.
    expect((await attempt({ cookie: session, origin: own, 'content-type': 'application/json; charset=utf-8' })).status).toBe(200);
    expect(await listedIds()).not.toContain('csrf-target-1');
    addRun('csrf-target-2');
    expect((await raw('POST', '/api/call/deleteRun', { ...bearer, ...json }, '["csrf-target-2"]')).status).toBe(200);
    expect(await listedIds()).not.toContain('csrf-target-2');
    // The window's own page at localhost is its own origin too.
    expect((await raw('POST', '/api/call/listRuns', { cookie: session, ...json, host: `localhost:${port}`, origin: `http://localhost:${port}` }, '[]')).status).toBe(200);
  });

  it('puts security headers on every response', async () => {
    const responses = [
      await raw('GET', '/'),
      await raw('GET', '/', bearer),
      await raw('GET', `/?token=${token}`),
      await raw('POST', '/api/call/listRuns', { ...bearer, ...json }, '[]'),
      await raw('POST', '/api/call/listRuns', { ...bearer, ...json }, '{'),
      await raw('GET', '/%E0%A4%A', bearer),
    ];
    expect(responses.map((r) => r.status)).toEqual([401, 200, 303, 200, 400, 400]);
    for (const { headers } of responses) {
      expect(headers['content-security-policy']).toMatch(/^default-src 'self'; script-src 'self';.*frame-ancestors 'none'$/);
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['x-frame-options']).toBe('DENY');
      expect(headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('answers a body over the limit with 413 and a malformed %-escape with 400', async () => {
    const big = Buffer.alloc((1 << 20) + 1, 0x20);
    const declared = await raw('POST', '/api/call/listRuns', { ...bearer, ...json }, big);
    expect([declared.status, errorOf(declared)]).toEqual([413, 'request body exceeds 1048576 bytes']);
    // Chunked, with no length announced: refused once the limit is passed.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/call/listRuns', headers: { ...bearer, ...json } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      for (let i = 0; i < 5; i++) req.write(Buffer.alloc(1 << 19, 0x20));
      req.end();
    });
    expect(chunked).toBe(413);
    // The connection survives: the same server still answers.
    expect((await raw('POST', '/api/call/listRuns', { ...bearer, ...json }, '[]')).status).toBe(200);

    const badEscapeApi = await raw('POST', '/api/call/list%E0%A4%ARuns', { ...bearer, ...json }, '[]');
    expect([badEscapeApi.status, errorOf(badEscapeApi)]).toEqual([400, 'the path has a malformed %-escape']);
    expect((await raw('GET', '/assets/%ZZ.js', bearer)).status).toBe(400);
    expect((await raw('GET', '/%', bearer)).status).toBe(400);
  });

  it('serves nothing outside the window folder, whatever the path spells', async () => {
    const outside = path.relative(staticDir, secretFile).split(path.sep);
    expect(outside[0]).toBe('..');
    const spellings = [
      '/' + outside.join('/'),
      '/' + outside.map((s) => (s === '..' ? '%2e%2e' : s)).join('/'),
      '/' + outside.map((s) => (s === '..' ? '%2E%2E' : s)).join('%2f'),
      '/' + outside.join('%2F'),
      '/./' + outside.map((s) => (s === '..' ? '.%2e' : s)).join('%2f'),
      '/assets/..%2f' + outside.join('%2f'),
      '/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
    ];
    for (const spelling of spellings) {
      const response = await raw('GET', spelling, bearer);
      expect(response.body).not.toMatch(/secret|root:/);
      expect([spelling, response.status]).toEqual([spelling, expect.any(Number)]);
      // Spellings that decode past the folder reach the guard and get 404; the others are
      // normalised by the URL parser into the folder and get the window.
      if (decodeURIComponent(new URL(spelling, 'http://x').pathname).includes('..')) expect([spelling, response.status]).toEqual([spelling, 404]);
      else expect([spelling, response.body]).toEqual([spelling, '<html>lethe</html>']);
    }
  });

  it('does not echo the content of a file named in a request', async () => {
    const response = await raw('POST', '/api/call/createForgetSet', { ...bearer, ...json }, JSON.stringify([{ dataset: 'mnist', rule: { kind: 'file', paths: [secretFile] } }]));
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(errorOf(response)).toMatch(/secret.txt, line 1: an entry of 26 characters is not a number/);
    expect(response.body).not.toMatch(/root|second|secret:/);
  });
});
