/**
 * What the service computes for the window: histogram counts and KS distances from score
 * artifacts, the links between a model and its evaluations, and noticing another
 * process's writes to the catalog.
 */
import { describe, expect, it } from 'vitest';
import { watchCatalog } from '../src/main/app/catalog-watch.js';
import { runLinks } from '../src/main/app/run-links.js';
import { histogramCounts, ksDistance, sharedEdges } from '../src/main/app/score-histograms.js';
import { Catalog } from '../src/main/catalog/catalog.js';
import { makeTempDir } from './helpers.js';

describe('score histograms', () => {
  it('count every sample once: out-of-range, infinite and NaN scores land in the end bins', () => {
    const values = Float32Array.from([-5, 0, 0.1, 0.5, 0.99, 1, 7, Infinity, -Infinity, NaN]);
    const counts = histogramCounts(values, [0, 0.25, 0.5, 0.75, 1]);
    expect(counts).toEqual([5, 0, 1, 4]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(values.length);
  });

  it('share edges between the pooled 0.5 % and 99.5 % quantiles, and widen a constant to a unit range', () => {
    const a = Float32Array.from({ length: 1000 }, (_, i) => i / 999);
    const edges = sharedEdges([a, Float32Array.from([1e6])], 10);
    expect(edges).toHaveLength(11);
    // 1001 pooled values: ranks round(0.005 * 1000) = 5 and 995; the outlier is left to the end bin.
    expect(edges[0]).toBeCloseTo(5 / 999, 6);
    expect(edges[10]).toBeCloseTo(995 / 999, 6);
    expect(sharedEdges([Float32Array.from([2, 2, 2])], 4)).toEqual([1.5, 1.75, 2, 2.25, 2.5]);
  });

  it('KS distance: 0 for the same sample, 1 for disjoint ones, the largest CDF gap otherwise, ties stepped together', () => {
    const x = Float32Array.from([0.3, 0.1, 0.2]);
    expect(ksDistance(x, Float32Array.from([0.1, 0.2, 0.3]))).toBe(0);
    expect(ksDistance(x, Float32Array.from([5, 6]))).toBe(1);
    expect(ksDistance(Float32Array.from([1, 2, 3]), Float32Array.from([2, 3, 4]))).toBeCloseTo(1 / 3, 12);
    // Ties: F_a(1) = 1/2, F_b(1) = 1/4 -> 1/4; then both reach 1 at 2.
    expect(ksDistance(Float32Array.from([1, 2]), Float32Array.from([1, 2, 2, 2]))).toBeCloseTo(0.25, 12);
  });
});

describe('run links and catalog changes', () => {
  it('link an evaluation to the model run it measured, and a model run to its evaluations with their metrics', () => {
    const catalog = Catalog.open(makeTempDir('links'));
    const base = { dataset: 'mnist', model: 'mlp', appVersion: 't', ownerPid: process.pid };
    catalog.runs.create({ ...base, id: 'model', kind: 'unlearn', method: 'raul', config: { method: 'raul' } });
    catalog.checkpoints.add({ hash: 'h1', path: '/nowhere', role: 'unlearned', runId: 'model', model: 'mlp', dataset: 'mnist' });
    catalog.runs.create({ ...base, id: 'eval', kind: 'evaluate', config: { checkpoint: 'h1', forgetSet: 1 } });
    catalog.runs.create({ ...base, id: 'other', kind: 'evaluate', config: { checkpoint: 'h2', forgetSet: 1 } });
    catalog.runs.logMetrics('eval', { UA: 12, MIA: 40 }, 0);
    catalog.runs.finish('eval', 'finished');
    catalog.runs.finish('other', 'finished');
    catalog.runs.create({ ...base, id: 'deleted', kind: 'evaluate', config: { checkpoint: 'h1', forgetSet: 1 } });
    catalog.runs.finish('deleted', 'finished');
    catalog.runs.softDelete('deleted');
    expect(runLinks(catalog, catalog.runs.get('eval')!)).toEqual({ evaluatedRun: { id: 'model', kind: 'unlearn', method: 'raul', deleted: false }, evaluations: [] });
    const links = runLinks(catalog, catalog.runs.get('model')!);
    expect(links.evaluations.map((e) => [e.id, e.metrics])).toEqual([['eval', { UA: 12, MIA: 40 }]]);
    catalog.close();
  });

  it("notice another connection's commit, and not their own", async () => {
    const dir = makeTempDir('watch');
    const window = Catalog.open(dir);
    const command = Catalog.open(dir);
    let changes = 0;
    const stop = watchCatalog(window.db, () => changes++, 20);
    window.runs.create({ id: 'own', kind: 'train', config: {}, appVersion: 't', ownerPid: process.pid });
    await new Promise((r) => setTimeout(r, 80));
    expect(changes).toBe(0);
    command.runs.create({ id: 'from-cli', kind: 'train', config: {}, appVersion: 't', ownerPid: process.pid });
    await expect.poll(() => changes).toBe(1);
    stop();
    window.close();
    command.close();
  });
});
