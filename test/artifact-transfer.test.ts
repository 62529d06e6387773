/** The bridge's transfers for workers, and the coordinator's commit of what they upload. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResultFiles, commitUpload, type ArtifactRef } from '../src/main/app/artifacts.js';
import type { TrainJobResult } from '../src/shared/engine-protocol.js';
import { checkpointContentHash } from '../src/main/engine/checkpoint-hash.js';
import { createBridge } from '../src/main/server.js';
import { makeTempDir, serviceForTests } from './helpers.js';

const { dataDir, service } = serviceForTests('artifact-transfer');
const TOKEN = 'b'.repeat(48);
const bridge = createBridge({ service, token: TOKEN, staticDir: makeTempDir('no-window') });
let base = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(bridge.address() as net.AddressInfo).port}`;
});
afterAll(() => {
  bridge.closeAllConnections();
  bridge.close();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bearer = { authorization: `Bearer ${TOKEN}` };

function put(uploadPath: string, body: Buffer, hash = sha256(body), headers: Record<string, string> = bearer) {
  return fetch(`${base}/api/uploads/${uploadPath}`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream', 'x-content-sha256': hash }, body });
}

/** A checkpoint folder's three files, named by their content hash as the engine names them. */
function checkpointFiles(seed: number): { hash: string; files: Record<string, Buffer> } {
  const modelJson = Buffer.from(JSON.stringify({ format: 'lethe-checkpoint', seed }));
  const weights = Buffer.from(new Float32Array([seed, seed + 1, seed + 2]).buffer);
  return { hash: checkpointContentHash(modelJson, weights), files: { 'model.json': modelJson, 'weights.bin': weights, 'provenance.json': Buffer.from('{}') } };
}

describe('artifact transfers', () => {
  it('sends shared files to a Bearer token only, and nothing outside the shared folders', async () => {
    const content = Buffer.from('{"indices":[1,2,3]}');
    fs.mkdirSync(path.join(dataDir, 'forget-sets'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'forget-sets', 'x.json'), content);
    const ok = await fetch(`${base}/api/artifacts/forget-sets/x.json`, { headers: bearer });
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer())).toEqual(content);
    expect((await fetch(`${base}/api/artifacts/forget-sets/x.json`, { headers: { cookie: `lethe_token=${TOKEN}` } })).status).toBe(401);
    for (const bad of ['catalog.sqlite', 'forget-sets/..%2F..%2Fetc%2Fpasswd', 'forget-sets/.x.json.tmp', 'datasets']) {
      const refused = await fetch(`${base}/api/artifacts/${bad}`, { headers: bearer });
      expect(refused.status, bad).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toMatch(/is not a file under datasets, splits, forget-sets, checkpoints, artifacts/);
    }
    expect((await fetch(`${base}/api/artifacts/forget-sets/none.json`, { headers: bearer })).status).toBe(404);
  });

  it('stores an upload only when its bytes have the sha256 it names, and the coordinator commits it whole', async () => {
    const { hash, files } = checkpointFiles(1);
    const body = files['weights.bin']!;
    const wrong = await put(`up1/checkpoints/${hash}/weights.bin`, body, sha256(Buffer.from('other')));
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toMatch(/its sha256 is [0-9a-f]{64}, x-content-sha256 says/);
    expect((await put(`up1/checkpoints/${hash}/weights.bin`, body, undefined, {})).status).toBe(401);
    expect((await put(`up1/checkpoints/..%2F..%2Fcatalog.sqlite`, body)).status).toBe(400);
    // Nothing of the refused uploads is on disk, not even a temporary file.
    expect(fs.existsSync(path.join(dataDir, 'incoming', 'up1', 'checkpoints', hash)) ? fs.readdirSync(path.join(dataDir, 'incoming', 'up1', 'checkpoints', hash)) : []).toEqual([]);

    const refs: ArtifactRef[] = [];
    for (const [name, bytes] of Object.entries(files)) {
      expect((await put(`up1/checkpoints/${hash}/${name}`, bytes)).status).toBe(201);
      refs.push({ path: `checkpoints/${hash}/${name}`, sha256: sha256(bytes), size: bytes.length });
    }
    await commitUpload(dataDir, 'up1', refs);
    expect(fs.readFileSync(path.join(dataDir, 'checkpoints', hash, 'weights.bin'))).toEqual(body);
    expect(fs.existsSync(path.join(dataDir, 'incoming', 'up1'))).toBe(false);
    // A restarted coordinator commits the same outcome again: what is in place is kept.
    await commitUpload(dataDir, 'up1', refs);
    expect(fs.readFileSync(path.join(dataDir, 'checkpoints', hash, 'model.json'))).toEqual(files['model.json']);
  });

  it('refuses to commit an upload changed after it arrived, leaving the data directory as it was', async () => {
    const { hash, files } = checkpointFiles(2);
    const refs: ArtifactRef[] = [];
    for (const [name, bytes] of Object.entries(files)) {
      expect((await put(`up2/checkpoints/${hash}/${name}`, bytes)).status).toBe(201);
      refs.push({ path: `checkpoints/${hash}/${name}`, sha256: sha256(bytes), size: bytes.length });
    }
    const stored = path.join(dataDir, 'incoming', 'up2', 'checkpoints', hash, 'weights.bin');
    const bytes = fs.readFileSync(stored);
    bytes.writeUInt8(bytes[0]! ^ 1, 0);
    fs.writeFileSync(stored, bytes);
    await expect(commitUpload(dataDir, 'up2', refs)).rejects.toThrow(`the upload of checkpoints/${hash}/weights.bin is missing or does not have the sha256 the worker sent`);
    expect(fs.existsSync(path.join(dataDir, 'checkpoints', hash))).toBe(false);
  });

  it('moves nothing but checkpoint and score files into place, and checks the files a result names', async () => {
    const dataset = Buffer.from('not the coordinator dataset');
    expect((await put('up3/datasets/squares.bin', dataset)).status).toBe(201);
    await expect(commitUpload(dataDir, 'up3', [{ path: 'datasets/squares.bin', sha256: sha256(dataset), size: dataset.length }])).rejects.toThrow(
      "a job's output cannot be datasets/squares.bin: only checkpoint files and score files are accepted",
    );
    expect(fs.existsSync(path.join(dataDir, 'datasets', 'squares.bin'))).toBe(false);
    const { hash } = checkpointFiles(1);
    const result = (checkpoint: { hash: string; path: string }) => ({ kind: 'train', checkpoint }) as TrainJobResult;
    await expect(checkResultFiles(dataDir, result({ hash, path: `checkpoints/${hash}` }))).resolves.toBeUndefined();
    await expect(checkResultFiles(dataDir, result({ hash, path: '../elsewhere' }))).rejects.toThrow(`the job's checkpoint ${hash} is not in`);
    const { hash: absent } = checkpointFiles(3);
    await expect(checkResultFiles(dataDir, result({ hash: absent, path: `checkpoints/${absent}` }))).rejects.toThrow(`the job's checkpoint ${absent} is not in`);
  });
});
