import { describe, expect, it } from 'vitest';
import type { StudyConfigInput } from '../src/shared/study-config.js';
import { formatStudyTable } from '../src/shared/study-format.js';
import type { StudyProgress } from '../src/shared/lethe-api.js';
import { serviceForTests } from './helpers.js';

const { catalog, engine, service } = serviceForTests('study');

const base: StudyConfigInput = {
  name: 'mnist-small',
  dataset: 'mnist',
  model: 'mlp',
  original: { epochs: 1, batchSize: 256, lr: 0.05 },
  forget: { kind: 'random', percent: 10, seed: 1 },
  seeds: [1, 2],
  evaluation: { relearnSamples: 64, relearnBudget: 5, pgdSamples: 50, pgdSteps: 3 },
  methods: [
    { label: 'GA', method: 'ga', epochs: 1, lr: 1e-3 },
    { label: 'RAUL-UniDist-UPGrad', method: 'raul', reference: 'uniform', aggregator: 'upgrad', epochs: 1 },
  ],
};

function finishedPerHash(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const run of catalog.runs.list()) if (run.status === 'finished') counts.set(run.configHash, (counts.get(run.configHash) ?? 0) + 1);
  return counts;
}

describe('studies', () => {
  it('runs every run of the config once, evaluates each checkpoint, and builds the table from the catalog', async () => {
    const outcome = await service.runStudy(base);
    // original + Retrain + 2 methods x 2 seeds, each evaluated.
    expect(outcome).toMatchObject({ study: 'mnist-small', created: 12, skipped: 0, failed: [] });
    const table = await service.getStudyTable('mnist-small');
    expect(table.rows.map((r) => [r.label, r.repeats, r.planned])).toEqual([
      ['Original', 1, 1],
      ['Retrain', 1, 1],
      ['GA', 2, 2],
      ['RAUL-UniDist-UPGrad', 2, 2],
    ]);
    const retrain = table.rows[1]!;
    for (const m of ['UA', 'RA', 'TA', 'MIA'] as const) expect(retrain.metrics![m].gap).toBe(0);
    expect(retrain.avgGap).toBe(0);
    // GA's cells are the mean and sample std of its two evaluations, its gaps |mean - Retrain|.
    const study = catalog.studies.byName('mnist-small')!;
    const evaluations = study.runIds.map((id) => catalog.runs.get(id)!).filter((r) => r.kind === 'evaluate');
    expect(evaluations).toHaveLength(6);
    const gaRuns = study.runIds.map((id) => catalog.runs.get(id)!).filter((r) => r.method === 'ga');
    const gaCheckpoints = gaRuns.map((r) => catalog.checkpoints.forRun(r.id)[0]!.hash);
    const gaUA = evaluations.filter((e) => gaCheckpoints.includes(e.config.checkpoint as string)).map((e) => catalog.runs.latestMetrics(e.id).UA!);
    expect(gaUA).toHaveLength(2);
    const ga = table.rows[2]!;
    const mean = (gaUA[0]! + gaUA[1]!) / 2;
    expect(ga.metrics!.UA.mean).toBeCloseTo(mean, 10);
    expect(ga.metrics!.UA.std).toBeCloseTo(Math.abs(gaUA[0]! - gaUA[1]!) / Math.SQRT2, 10);
    expect(ga.metrics!.UA.gap).toBeCloseTo(Math.abs(mean - retrain.metrics!.UA.mean), 10);
    expect(ga.avgGap).toBeCloseTo((['UA', 'RA', 'TA', 'MIA'] as const).reduce((s, m) => s + ga.metrics![m].gap!, 0) / 4, 10);
    // One entry per seed for the per-seed view: each run's own value and its gap to Retrain's mean.
    expect(ga.runs.map((r) => r.metrics.UA.value).sort()).toEqual([...gaUA].sort());
    for (const r of ga.runs) expect(r.metrics.UA.gap).toBeCloseTo(Math.abs(r.metrics.UA.value - retrain.metrics!.UA.mean), 10);
    expect(ga.runs.map((r) => r.runId).sort()).toEqual(gaRuns.map((r) => r.id).sort());
    expect(ga.rte!.mean).toBeGreaterThan(0);
    // Best per column is marked among the two methods only.
    expect(table.rows[0]!.best).toEqual([]);
    expect(ga.best.includes('avgGap') !== table.rows[3]!.best.includes('avgGap') || ga.avgGap === table.rows[3]!.avgGap).toBe(true);
    // Every format carries the rows.
    for (const format of ['text', 'markdown', 'csv', 'latex'] as const) expect(formatStudyTable(table, format)).toContain('RAUL-UniDist-UPGrad');
    expect(formatStudyTable(table, 'csv').split('\n')).toHaveLength(5);
    expect(JSON.parse(formatStudyTable(table, 'json')).rows).toHaveLength(4);
    // Pareto over the four method runs.
    const pareto = await service.getStudyPareto({ study: 'mnist-small', objectives: ['UA_gap', 'TA'] });
    expect(pareto.points).toHaveLength(4);
    expect(pareto.points.some((p) => !p.dominated)).toBe(true);
    expect(pareto.hypervolume).toBeGreaterThan(0);
  });

  it('bins the evaluations\' per-sample scores for the MIA histograms, with the KS distance to Retrain', async () => {
    const table = await service.getStudyTable('mnist-small');
    const histograms = await service.getScoreHistograms({ study: 'mnist-small', score: 'loss', groups: ['forget', 'test', 'retain'], bins: 30 });
    // Original, Retrain and each method's first run.
    expect(histograms.panels.map((p) => p.runId)).toEqual(table.rows.map((r) => r.runs[0]!.runId));
    expect(histograms.edges).toHaveLength(31);
    const retrain = histograms.panels[1]!;
    expect(retrain.ks).toBe(0);
    const forgetSize = table.forgetSet!.size;
    for (const panel of histograms.panels) {
      expect(panel.sizes.forget).toBe(forgetSize);
      for (const group of histograms.groups) expect(panel.counts[group]!.reduce((a, b) => a + b, 0)).toBe(panel.sizes[group]);
      expect(panel.ks).toBeGreaterThanOrEqual(0);
      expect(panel.ks).toBeLessThanOrEqual(1);
      expect(panel.mia).toBe(table.rows.find((r) => r.runs.some((run) => run.runId === panel.runId))!.runs.find((run) => run.runId === panel.runId)!.metrics.MIA.value);
    }
    // A run outside the study is refused by name, and nothing is read.
    await expect(service.getScoreHistograms({ study: 'mnist-small', runs: ['not-a-run'] })).rejects.toThrow(/histogram runs: 'not-a-run' is not an evaluated run of study 'mnist-small'/);
  });

  it('skips everything the catalog already has when run again', async () => {
    const before = catalog.runs.list().length;
    const outcome = await service.runStudy(base);
    expect(outcome).toMatchObject({ created: 0, skipped: 12, failed: [] });
    expect(catalog.runs.list()).toHaveLength(before);
  });

  it('resumes a study whose engine was killed mid-way without redoing finished runs or duplicating rows', async () => {
    const extended: StudyConfigInput = { ...base, methods: [...base.methods, { label: 'RL', method: 'rl', epochs: 1 }] };
    const progress: StudyProgress[] = [];
    const stop = service.subscribe((event) => {
      if (event.type !== 'study-progress') return;
      progress.push(event.progress);
      // Kill the engine as the first new unlearning run starts.
      if (event.progress.status === 'started' && event.progress.label.startsWith('RL (seed 1')) setTimeout(() => engine.kill(), 200);
    });
    const interrupted = await service.runStudy(extended);
    stop();
    expect(interrupted.skipped).toBe(12);
    expect(interrupted.failed).toHaveLength(1);
    expect(interrupted.failed[0]!.error).toMatch(/engine process exited/);
    const resumed = await service.runStudy(extended);
    // Only the killed run and its evaluation are made again.
    expect(resumed).toMatchObject({ created: 2, failed: [] });
    expect(resumed.skipped).toBe(12 + 2);
    for (const count of finishedPerHash().values()) expect(count).toBe(1);
    const table = await service.getStudyTable('mnist-small');
    expect(table.rows.map((r) => r.label)).toEqual(['Original', 'Retrain', 'GA', 'RAUL-UniDist-UPGrad', 'RL']);
    expect(table.rows[4]).toMatchObject({ repeats: 2, planned: 2 });
  });

  it('refuses bad configs with the field named, before running anything', async () => {
    const before = catalog.runs.list().length;
    await expect(service.runStudy({ ...base, methods: [] })).rejects.toThrow(/methods: list at least one method/);
    await expect(service.runStudy({ ...base, methods: [{ label: 'X', method: 'ga' }, { label: 'X', method: 'ft' }] })).rejects.toThrow(/label 'X' is used twice/);
    await expect(service.runStudy({ ...base, methods: [{ label: 'Y', method: 'nope' }] })).rejects.toThrow(/methods.0 \(Y\): unknown method 'nope'/);
    await expect(service.runStudy({ ...base, dataset: 'cifar-99' })).rejects.toThrow(/unknown dataset 'cifar-99'/);
    await expect(service.getStudyTable('missing')).rejects.toThrow(/no study named 'missing'/);
    expect(catalog.runs.list()).toHaveLength(before);
  });
});
