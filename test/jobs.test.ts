import { describe, expect, it } from 'vitest';
import { JobBoard } from '../src/main/app/jobs.js';
import { JobCancelledError } from '../src/main/app/engine-client.js';
import type { RunSummary } from '../src/shared/catalog-types.js';
import type { JobList } from '../src/shared/jobs.js';

function run(overrides: Partial<RunSummary>): RunSummary {
  return {
    id: 'r1', kind: 'train', status: 'queued', dataset: 'mnist', model: 'mlp', method: null, aggregator: null, config: {}, configHash: 'h', seed: 0,
    backend: null, device: null, appVersion: 'test', ownerPid: 1, createdAt: 0, startedAt: null, finishedAt: null, error: null, deletedAt: null,
    latestMetrics: {}, durationSeconds: null, ...overrides,
  };
}

function board() {
  let now = 1_000_000;
  const published: JobList[] = [];
  const cancelled: string[] = [];
  const jobs = new JobBoard((list) => published.push(list), async (id) => void cancelled.push(id), () => now);
  return { jobs, published, cancelled, advance: (ms: number) => (now += ms), last: () => published.at(-1)! };
}

describe('jobs board', () => {
  it('follows a training run from queued to running with progress and ETA, and drops it when it finishes', () => {
    const { jobs, last } = board();
    jobs.onEvent({ type: 'run-updated', run: run({}) });
    expect(last().active).toEqual([expect.objectContaining({ id: 'r1', kind: 'train', status: 'queued', label: 'original (train) · mlp on mnist', progress: null, runId: 'r1' })]);
    jobs.onEvent({ type: 'run-updated', run: run({ status: 'running', startedAt: 1_000_000 }) });
    jobs.onEvent({ type: 'run-progress', runId: 'r1', progress: { epoch: 1, epochs: 2, step: 5, stepsPerEpoch: 10, loss: 0.3, samplesPerSecond: 100, etaSeconds: 7 } });
    expect(last().active[0]).toMatchObject({ status: 'running', progress: 0.75, etaSeconds: 7 });
    jobs.onEvent({ type: 'run-updated', run: run({ status: 'finished' }) });
    expect(last()).toEqual({ active: [], failures: [] });
  });

  it('estimates an unlearning run from its steps: by epoch first, then by the first epoch’s length', () => {
    const { jobs, last, advance } = board();
    jobs.onEvent({ type: 'run-updated', run: run({ kind: 'unlearn', method: 'raul', aggregator: 'upgrad', status: 'running', startedAt: 1_000_000, config: { epochs: 4, reference: 'uniform' } }) });
    expect(last().active[0]!.label).toBe('raul · upgrad · UniDist · mlp on mnist');
    const step = (epoch: number, s: number) => jobs.onEvent({ type: 'unlearn-step', runId: 'r1', step: { epoch, step: s, losses: [1, 2], weights: [0.5, 0.5], cosines: [0] } });
    advance(1000);
    step(0, 0);
    expect(last().active[0]).toMatchObject({ progress: 0, etaSeconds: null });
    advance(1000);
    step(0, 1);
    advance(1000);
    step(1, 2); // the first epoch had 2 steps: 8 in all, 3 done after 3 s
    expect(last().active[0]!.progress).toBeCloseTo(3 / 8, 12);
    expect(last().active[0]!.etaSeconds).toBeCloseTo(5, 12);
  });

  it('keeps the last failures newest first with their error text, and not the cancelled or refused-and-gone', () => {
    const { jobs, last } = board();
    for (const id of ['a', 'b', 'c']) jobs.onEvent({ type: 'run-updated', run: run({ id, status: 'running' }) });
    jobs.onEvent({ type: 'run-updated', run: run({ id: 'a', status: 'failed', error: 'out of memory' }) });
    jobs.onEvent({ type: 'run-updated', run: run({ id: 'b', status: 'cancelled' }) });
    jobs.onEvent({ type: 'run-refused', runId: 'c', error: 'forget set 3 does not fit the checkpoint' });
    expect(last().active).toEqual([]);
    expect(last().failures.map((f) => [f.id, f.error])).toEqual([
      ['c', 'forget set 3 does not fit the checkpoint'],
      ['a', 'out of memory'],
    ]);
    // A run another process finished is no job of this board.
    jobs.onEvent({ type: 'run-updated', run: run({ id: 'z', status: 'failed', error: 'x' }) });
    expect(last().failures).toHaveLength(2);
  });

  it('follows a study: progress from its events, cancel stops its current run, a failure keeps the reason', async () => {
    const { jobs, last, cancelled, advance } = board();
    let fail!: (e: Error) => void;
    jobs.follow({ id: 'study:s', kind: 'study', label: 'study s' }, new Promise((_, reject) => (fail = reject)));
    jobs.onEvent({ type: 'study-progress', progress: { study: 's', label: 'FT (seed 1)', kind: 'unlearn', runId: 'u1', status: 'started', done: 0, total: 4 } });
    advance(2000);
    jobs.onEvent({ type: 'study-progress', progress: { study: 's', label: 'FT (seed 1)', kind: 'unlearn', runId: 'u1', status: 'finished', done: 1, total: 4 } });
    expect(last().active[0]).toMatchObject({ kind: 'study', detail: 'FT (seed 1)', runId: 'u1', progress: 0.25, etaSeconds: 6 });
    expect(jobs.cancel('study:s')).toBe(true);
    expect(cancelled).toEqual(['u1']);
    expect(jobs.cancel('study:other')).toBe(false);
    fail(new Error('FT (seed 1): cancelled; the study stops'));
    await Promise.resolve();
    await Promise.resolve();
    expect(last().active).toEqual([]);
    expect(last().failures[0]).toMatchObject({ id: 'study:s', error: 'FT (seed 1): cancelled; the study stops' });
  });

  it('follows an import with its phase; a cancelled import is no failure', async () => {
    const { jobs, last } = board();
    let cancelledImport = false;
    let reject!: (e: Error) => void;
    jobs.follow({ id: 'job-1', kind: 'import', label: 'import cifar' }, new Promise((_, r) => (reject = r)), () => (cancelledImport = true));
    jobs.onEvent({ type: 'task-progress', task: 'job-1', progress: { phase: 'reading images', done: 30, total: 120 } });
    expect(last().active[0]).toMatchObject({ kind: 'import', detail: 'reading images', progress: 0.25 });
    jobs.cancel('job-1');
    expect(cancelledImport).toBe(true);
    reject(new JobCancelledError('job-1'));
    await Promise.resolve();
    await Promise.resolve();
    expect(last()).toEqual({ active: [], failures: [] });
  });
});
