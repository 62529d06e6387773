/**
 * Files dropped on the window in a browser: the bridge's staging route (token, same
 * origin or Bearer, size limit, path-like names) and the service removing staged files
 * once a request has used them, accepted or refused, while a preview keeps them for the
 * save that follows and reports the set the save makes.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagingRoot } from '../src/main/app/upload-staging.js';
import { createBridge } from '../src/main/server.js';
import { makeTempDir, serviceForTests, writeIdxPair } from './helpers.js';

const { dataDir, catalog, service } = serviceForTests('staging');
const token = 'c'.repeat(48);
const staticDir = makeTempDir('staging-static');
fs.writeFileSync(path.join(staticDir, 'index.html'), '<html>lethe</html>');
const LIMIT = 1000;
const server = createBridge({ service, token, staticDir, maxStagedBytes: LIMIT });
let port = 0;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const source = makeTempDir('staging-idx');
  writeIdxPair(source, 200, 5);
  await service.importDataset({ paths: [source], name: 'tiles' });
}, 120_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A PUT as given; with `chunked`, the body goes without a content-length. */
function put(rawPath: string, headers: Record<string, string>, body: Buffer | string, chunked = false): Promise<{ status: number; body: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: rawPath, headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/octet-stream', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string> }));
    });
    req.on('error', reject);
    if (chunked) {
      // Two writes before end: node sends Transfer-Encoding: chunked.
      const half = Math.floor(body.length / 2);
      req.write(body.slice(0, half));
      req.end(body.slice(half));
    } else req.end(body);
  });
}

const bearer = { authorization: `Bearer ${token}` };
const origin = () => ({ origin: `http://127.0.0.1:${port}`, cookie: `lethe_token=${token}` });
const staged = () => (fs.existsSync(stagingRoot(dataDir)) ? fs.readdirSync(stagingRoot(dataDir), { recursive: true }) : []);

describe('staging files dropped in a browser', () => {
  it('refuses without the token, without an Origin or Bearer, over the size limit and with path-like names, leaving nothing', async () => {
    const batch = randomUUID();
    expect((await put(`/api/staging/${batch}/list.csv`, {}, '1\n2\n')).status).toBe(401);
    expect((await put(`/api/staging/${batch}/list.csv`, { authorization: `Bearer ${'d'.repeat(48)}` }, '1\n2\n')).status).toBe(401);
    // The cookie alone, with no Origin, could be a cross-site request that hid its origin.
    expect((await put(`/api/staging/${batch}/list.csv`, { cookie: `lethe_token=${token}` }, '1\n2\n')).status).toBe(403);
    expect((await put(`/api/staging/${batch}/list.csv`, { ...origin(), origin: 'http://127.0.0.1:1' }, '1\n2\n')).status).toBe(403);

    const big = Buffer.alloc(LIMIT + 1, 0x31);
    const declared = await put(`/api/staging/${batch}/big.csv`, bearer, big);
    expect(declared.status).toBe(413);
    expect(declared.body.error).toMatch(/big\.csv is larger than the upload limit of 1000 bytes/);
    const streamed = await put(`/api/staging/${batch}/big.csv`, bearer, big, true);
    expect(streamed.status).toBe(413);

    for (const name of ['..%2F..%2Fcatalog.sqlite', '.hidden', 'a%5Cb.csv', 'a%00b.csv', 'x%0Ay.csv', `${'a'.repeat(201)}.csv`]) {
      const response = await put(`/api/staging/${batch}/${name}`, bearer, '1\n');
      expect(response.status, name).toBe(400);
      expect(response.body.error).toMatch(/is refused: use letters, digits/);
    }
    // The URL parser folds an escaped '..' away before routing: the request never reaches staging.
    expect((await put(`/api/staging/${batch}/%2E%2E`, bearer, '1\n')).status).toBe(415);
    expect((await put(`/api/staging/not-a-uuid/list.csv`, bearer, '1\n')).status).toBe(400);
    // A name already staged in the batch is not overwritten, and the refusal drops the batch.
    expect((await put(`/api/staging/${batch}/list.csv`, bearer, '1\n')).status).toBe(201);
    const twice = await put(`/api/staging/${batch}/list.csv`, bearer, '2\n');
    expect([twice.status, twice.body.error]).toEqual([400, 'list.csv was already uploaded in this batch']);
    expect(staged()).toEqual([]);
  });

  it('stages a file for the page, keeps it through a preview and removes it after a save', async () => {
    const response = await put(`/api/staging/${randomUUID()}/forget%20list.csv`, origin(), 'index\n3\n1\n4\n');
    expect(response.status).toBe(201);
    const file = response.body.path!;
    expect(path.dirname(path.dirname(file))).toBe(stagingRoot(dataDir));
    expect(fs.readFileSync(file, 'utf8')).toBe('index\n3\n1\n4\n');

    const request = { dataset: 'tiles', rule: { kind: 'file' as const, paths: [file] } };
    const setsBefore = (await service.listForgetSets()).length;
    const preview = await service.previewForgetSet(request);
    expect(preview.size).toBe(3);
    expect(preview.sampleIndices).toEqual([1, 3, 4]);
    expect(preview.forgetClassCounts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(fs.existsSync(file)).toBe(true);
    expect((await service.listForgetSets()).length).toBe(setsBefore);
    expect(fs.existsSync(path.join(dataDir, 'forget-sets'))).toBe(false);

    const saved = await service.createForgetSet(request);
    expect(saved.forgetSet.digest).toBe(preview.digest);
    expect(saved.forgetSet.size).toBe(3);
    expect(staged()).toEqual([]);
  });

  it('removes a batch left unused for an hour when the next file is staged', async () => {
    const left = (await put(`/api/staging/${randomUUID()}/left.csv`, bearer, '1\n')).body.path!;
    const recent = (await put(`/api/staging/${randomUUID()}/recent.csv`, bearer, '1\n')).body.path!;
    const hourAgo = new Date(Date.now() - 61 * 60 * 1000);
    fs.utimesSync(path.dirname(left), hourAgo, hourAgo);
    const next = (await put(`/api/staging/${randomUUID()}/next.csv`, bearer, '1\n')).body.path!;
    expect([fs.existsSync(left), fs.existsSync(recent), fs.existsSync(next)]).toEqual([false, true, true]);
    fs.rmSync(stagingRoot(dataDir), { recursive: true });
  });

  it('discards staged copies the user dropped, and nothing else', async () => {
    const staged1 = (await put(`/api/staging/${randomUUID()}/kept.csv`, bearer, '1\n')).body.path!;
    const outside = path.join(makeTempDir('not-staged'), 'list.csv');
    fs.writeFileSync(outside, '1\n');
    const catalogFile = path.join(dataDir, 'catalog.sqlite');
    await service.discardDroppedFiles([outside, staged1, path.join(stagingRoot(dataDir), '..', 'catalog.sqlite'), `${path.dirname(staged1)}/../../catalog.sqlite`]);
    expect([fs.existsSync(outside), fs.existsSync(catalogFile), fs.existsSync(staged1)]).toEqual([true, true, false]);
    expect(staged()).toEqual([]);
  });

  it('removes a staged file after a refusal', async () => {
    const response = await put(`/api/staging/${randomUUID()}/far.csv`, bearer, '1\n999999\n');
    const file = response.body.path!;
    await expect(service.previewForgetSet({ dataset: 'tiles', rule: { kind: 'file', paths: [file] } })).rejects.toThrow(/999999/);
    expect(staged()).toEqual([]);
    const again = (await put(`/api/staging/${randomUUID()}/far.csv`, bearer, '1\n999999\n')).body.path!;
    await expect(service.createForgetSet({ dataset: 'tiles', rule: { kind: 'file', paths: [again] } })).rejects.toThrow(/999999/);
    expect(staged()).toEqual([]);
    expect(catalog.forgetSets.list().every((s) => s.size !== 2)).toBe(true);
  });

  it('previews a rule without writing and saves the same set', async () => {
    const listing = () => fs.readdirSync(dataDir, { recursive: true }).map(String).filter((f) => !f.startsWith('catalog.sqlite')).sort();
    const before = listing();
    const rule = { kind: 'random' as const, percent: 5, seed: 3 };
    const preview = await service.previewForgetSet({ dataset: 'tiles', rule, splitSeed: 4 });
    expect(listing()).toEqual(before);
    expect(preview.size).toBe(preview.forgetClassCounts.reduce((a, b) => a + b, 0));
    expect(preview.trainClassCounts.reduce((a, b) => a + b, 0)).toBe(preview.size + preview.retainSize);
    const saved = await service.createForgetSet({ dataset: 'tiles', rule, splitSeed: 4 });
    expect(saved.forgetSet.digest).toBe(preview.digest);
    expect(saved.forgetSet.size).toBe(preview.size);
  });

  it('converts a built-in dataset in the engine the first time its samples are asked for', async () => {
    const cache = path.join(dataDir, 'datasets', 'mnist.bin');
    expect(fs.existsSync(cache)).toBe(false);
    const detail = await service.getDatasetDetail('mnist');
    expect(fs.existsSync(cache)).toBe(true);
    expect([detail.sampleCount, detail.shape, detail.classCounts.reduce((a, b) => a + b, 0)]).toEqual([10_000, [28, 28, 1], 10_000]);
    const page = await service.listSamples({ dataset: 'mnist', classIndex: 3, page: 1, pageSize: 5 });
    expect(page.total).toBe(detail.classCounts[3]);
    expect(page.samples.map((s) => s.label)).toEqual([3, 3, 3, 3, 3]);
  }, 60_000);

  it('serves samples as PNG images over the bridge and as data through the API', async () => {
    const image = await service.getSampleImage({ dataset: 'tiles', index: 7 });
    const response = await fetch(`http://127.0.0.1:${port}/api/thumbnails/tiles/7.png`, { headers: bearer });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from(image.pngBase64, 'base64'));
    expect((await fetch(`http://127.0.0.1:${port}/api/thumbnails/tiles/7.png`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/api/thumbnails/tiles/200.png`, { headers: bearer })).status).toBe(400);
  });
});

describe('cancelling an import', () => {
  it('ends the import cancelled, records nothing and leaves no file; an unknown task is refused', async () => {
    // A CSV table long enough that the importer is still reading when the cancel arrives.
    const table = path.join(makeTempDir('cancel-import'), 'long.csv');
    const rows = ['a,b,c,label'];
    for (let i = 0; i < 400_000; i++) rows.push(`${i % 7}.5,${i % 11},${i % 13}.25,${i % 3}`);
    fs.writeFileSync(table, rows.join('\n'));
    const datasetsBefore = catalog.datasets.list().length;
    const filesBefore = fs.readdirSync(path.join(dataDir, 'datasets')).sort();
    let cancelled: Promise<void> | undefined;
    const stop = service.subscribe((event) => {
      if (event.type === 'task-progress') cancelled ??= service.cancelImport(event.task);
    });
    await expect(service.importDataset({ paths: [table], name: 'long' })).rejects.toThrow('the import was cancelled; nothing was imported');
    stop();
    await cancelled;
    expect(cancelled).toBeDefined();
    expect(catalog.datasets.list().length).toBe(datasetsBefore);
    expect(fs.readdirSync(path.join(dataDir, 'datasets')).sort()).toEqual(filesBefore);
    await expect(service.cancelImport('no-such-task')).rejects.toThrow('no import under way with task id no-such-task');
  }, 60_000);
});
