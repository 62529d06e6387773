import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LetheEvent } from '../src/shared/lethe-api.js';
import { IPC_CHANNEL_PREFIX, LETHE_METHODS } from '../src/shared/lethe-api.js';
import { NotFoundError } from '../src/main/app/lethe-service.js';
import { bindIpc } from '../src/main/ipc/bind-ipc.js';
import { createBridge } from '../src/main/server.js';
import { makeTempDir, serviceForTests } from './helpers.js';

const { catalog, engine, service } = serviceForTests('service');
const events: LetheEvent[] = [];
service.subscribe((e) => events.push(e));

function ended(runId: string): Promise<string> {
  return new Promise((resolve) => {
    const stop = service.subscribe((e) => {
      if (e.type === 'run-updated' && e.run.id === runId && ['finished', 'failed', 'cancelled'].includes(e.run.status)) {
        stop();
        resolve(e.run.status);
      }
    });
  });
}

const small = { dataset: 'mnist', model: 'mlp', epochs: 2, batchSize: 256 };

describe('Lethe service', () => {
  it('records a training run from queued to finished with metrics, params and its checkpoint', async () => {
    const run = await service.startTraining(small);
    expect(run.status).toBe('queued');
    expect(await ended(run.id)).toBe('finished');
    const detail = await service.getRun(run.id.slice(0, 8));
    expect(detail).toMatchObject({ kind: 'train', status: 'finished', backend: 'wasm', dataset: 'mnist', model: 'mlp', appVersion: 'test' });
    expect(detail.params).toMatchObject({ epochs: '2', batchSize: '256', lr: '0.05' });
    expect(detail.metrics.test_accuracy!.map((p) => p.step)).toEqual([1, 2]);
    expect(detail.latestMetrics.test_accuracy).toBe(detail.metrics.test_accuracy![1]!.value);
    expect(detail.checkpoints).toHaveLength(1);
    expect(fs.existsSync(path.join(detail.checkpoints[0]!.path, 'weights.bin'))).toBe(true);
    expect(catalog.datasets.list().map((d) => d.name)).toEqual(['mnist']);
    const statuses = events.filter((e) => e.type === 'run-updated' && e.run.id === run.id).map((e) => (e as { run: { status: string } }).run.status);
    expect(statuses[0]).toBe('queued');
    expect(statuses).toContain('running');
    expect(statuses[statuses.length - 1]).toBe('finished');
    expect(events.some((e) => e.type === 'run-progress' && e.runId === run.id)).toBe(true);
    expect(events.filter((e) => e.type === 'run-epoch' && e.runId === run.id)).toHaveLength(2);
  });

  it('answers API calls while a job runs, and marks the run failed with a reason when the engine is killed', async () => {
    const run = await service.startTraining({ ...small, model: 'cnn', epochs: 5, batchSize: 32, seed: 7 });
    await new Promise<void>((resolve) => {
      const stop = service.subscribe((e) => {
        if (e.type === 'run-progress' && e.runId === run.id) {
          stop();
          resolve();
        }
      });
    });
    const listed = await service.listRuns();
    expect(listed.find((r) => r.id === run.id)?.status).toBe('running');
    engine.kill();
    expect(await ended(run.id)).toBe('failed');
    expect((await service.getRun(run.id)).error).toMatch(/the engine process exited \(signal SIGKILL\) while the job was running/);
    expect((await service.getRun(run.id)).checkpoints).toEqual([]);
  });

  it('cancels a run, refuses to cancel an ended one, and soft-deletes', async () => {
    const run = await service.startTraining({ ...small, epochs: 5, batchSize: 16, seed: 8 });
    await service.cancelRun(run.id);
    expect(await ended(run.id)).toBe('cancelled');
    await expect(service.cancelRun(run.id)).rejects.toThrow(/has already ended \(cancelled\)/);
    await service.deleteRun(run.id);
    expect((await service.listRuns()).some((r) => r.id === run.id)).toBe(false);
    await expect(service.getRun('nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses unknown datasets and models before recording anything', async () => {
    const before = (await service.listRuns()).length;
    await expect(service.startTraining({ ...small, dataset: 'imagenet' })).rejects.toThrow(/unknown dataset 'imagenet'/);
    await expect(service.startTraining({ ...small, model: 'vit' })).rejects.toThrow(/unknown model 'vit'/);
    expect((await service.listRuns()).length).toBe(before);
  });
});

describe('IPC door', () => {
  it('binds every method and validates payloads before the service sees them', async () => {
    const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
    const sent: unknown[] = [];
    const unbind = bindIpc({ handle: (channel, fn) => handlers.set(channel, fn) }, service, (_c, e) => sent.push(e));
    expect([...handlers.keys()].sort()).toEqual(LETHE_METHODS.map((m) => IPC_CHANNEL_PREFIX + m).sort());
    const invoke = (method: string, ...args: unknown[]) => handlers.get(IPC_CHANNEL_PREFIX + method)!({}, ...args);
    await expect(invoke('getRun', 42)).rejects.toThrow(/invalid arguments for getRun: run id must be a string/);
    await expect(invoke('getRun')).rejects.toThrow(/invalid arguments for getRun/);
    await expect(invoke('startTraining', { dataset: 'mnist', model: 'mlp', epochs: -1, lr: 'fast' })).rejects.toThrow(
      /invalid arguments for startTraining: epochs must be a positive integer; lr: learning rate must be a finite number/,
    );
    await expect(invoke('listRuns', 'extra')).rejects.toThrow(/invalid arguments for listRuns/);
    expect(Array.isArray(await invoke('listRuns'))).toBe(true);
    unbind();
  });
});

describe('HTTP bridge', () => {
  it('requires the token, checks the host, validates payloads and serves the window', async () => {
    const staticDir = makeTempDir('static');
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<html>lethe</html>');
    fs.writeFileSync(path.join(makeTempDir('outside'), 'secret.txt'), 'secret');
    const token = 'a'.repeat(48);
    const server = createBridge({ service, token, staticDir });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const post = (method: string, body: string, headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
      fetch(`${base}/api/call/${method}`, { method: 'POST', headers, body });
    try {
      expect((await post('listRuns', '[]', {})).status).toBe(401);
      expect((await post('listRuns', '[]', { authorization: `Bearer ${'b'.repeat(48)}` })).status).toBe(401);
      expect(((await (await post('listRuns', '[]', {})).json()) as { error: string }).error).toMatch(/missing or wrong token/);
      expect((await fetch(`${base}/`)).status).toBe(401);
      expect((await post('listRuns', '[]')).status).toBe(200);

      const page = await fetch(`${base}/?token=${token}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe('<html>lethe</html>');
      const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
      expect(page.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
      expect((await post('listRuns', '[]', { cookie })).status).toBe(200);

      const badJson = await post('listRuns', '{not json');
      expect([badJson.status, ((await badJson.json()) as { error: string }).error]).toEqual([400, 'request body is not valid JSON']);
      const badArgs = await post('startTraining', JSON.stringify([{ dataset: 'mnist', model: 'mlp', batchSize: 0 }]));
      expect(badArgs.status).toBe(400);
      expect(((await badArgs.json()) as { error: string }).error).toBe('invalid arguments for startTraining: batch size must be a positive integer');
      const unknown = await post('dropTables', '[]');
      expect([unknown.status, ((await unknown.json()) as { error: string }).error]).toEqual([400, "unknown method 'dropTables'"]);
      expect((await post('getRun', '["no-such-run"]')).status).toBe(404);
      expect((await fetch(`${base}/api/call/listRuns`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(405);
      expect((await fetch(`${base}/../outside/secret.txt`, { headers: { authorization: `Bearer ${token}` } })).status).not.toBe(500);
      expect(await (await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`, { headers: { authorization: `Bearer ${token}` } })).text()).not.toMatch(/root:/);
      // fetch cannot set Host; a DNS-rebinding page would arrive with its own name there.
      const foreignHost = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${base}/api/call/listRuns`, { method: 'POST', headers: { authorization: `Bearer ${token}`, host: 'attacker.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end('[]');
      });
      expect(foreignHost).toBe(403);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
