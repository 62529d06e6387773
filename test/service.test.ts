import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LetheEvent } from '../src/shared/lethe-api.js';
import { IPC_CHANNEL_PREFIX, LETHE_METHODS } from '../src/shared/lethe-api.js';
import { NotFoundError } from '../src/main/app/lethe-service.js';
import { bindIpc } from '../src/main/ipc/bind-ipc.js';
import { serviceForTests } from './helpers.js';

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
