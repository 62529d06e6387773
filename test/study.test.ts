import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifierTable, type StudyConfigInput } from '../src/shared/study-config.js';
import { formatStudyTable } from '../src/shared/study-format.js';
import type { StudyProgress } from '../src/shared/lethe-api.js';
import type { RunDetail } from '../src/shared/catalog-types.js';
import { likelihoodRatioTest } from '../src/main/engine/evaluation/lira.js';
import { readScoreFile } from '../src/main/engine/evaluation/score-file.js';
import { initBackend } from '../src/main/engine/backend.js';
import { loadNativeAddon } from '../src/main/engine/kernels/native-addon.js';
import { runEvaluateJob } from '../src/main/engine/jobs/evaluate-job.js';
import { useStockKernels } from '../src/main/engine/kernels/replace-wasm-kernel.js';
import type { EvaluationChecks } from '../src/shared/evaluation.js';
import { serviceForTests } from './helpers.js';
import { requirement } from './requirements.js';

const { catalog, engine, service } = serviceForTests('study');
const nativeSvm = requirement('native', 'the native SVM', typeof loadNativeAddon().addon?.svmSolve === 'function' ? null : 'the native addon is not built, or built without the SVM');

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
    const table = classifierTable(await service.getStudyTable('mnist-small'));
    expect(table.rows.map((r) => [r.label, r.repeats, r.planned])).toEqual([
      ['Original', 1, 1],
      ['Retrain', 1, 1],
      ['GA', 2, 2],
      ['RAUL-UniDist-UPGrad', 2, 2],
    ]);
    const retrain = table.rows[1]!;
    for (const m of ['UA', 'RA', 'TA', 'MIA'] as const) expect(retrain.metrics![m].gap).toBe(0);
    expect(retrain.avgGap).toBe(0);
    // Every cell and format is checked against the catalog's per-run metrics in the next test.
    // Pareto over the four method runs.
    const pareto = await service.getStudyPareto({ study: 'mnist-small', objectives: ['UA_gap', 'TA'] });
    expect(pareto.points).toHaveLength(4);
    expect(pareto.points.some((p) => !p.dominated)).toBe(true);
    expect(pareto.hypervolume).toBeGreaterThan(0);
  });

  it('every cell of the table, recomputed from the per-run metrics in the catalog, and the same numbers in every format', async () => {
    const table = classifierTable(await service.getStudyTable('mnist-small'));
    // The test's own reading of the catalog, through the service: each run, its evaluation's metrics and its run time.
    const study = (await service.listStudies()).find((s) => s.name === 'mnist-small')!;
    const runs = await Promise.all(study.runIds.map((id) => service.getRun(id)));
    const evaluationOf = new Map(runs.filter((r) => r.kind === 'evaluate').map((r) => [r.config.checkpoint as string, r.latestMetrics]));
    const rowRuns: [string, number, (r: RunDetail) => boolean][] = [
      ['Original', 1, (r) => r.kind === 'train'],
      ['Retrain', 1, (r) => r.kind === 'retrain'],
      ['GA', 2, (r) => r.kind === 'unlearn' && r.method === 'ga'],
      ['RAUL-UniDist-UPGrad', 2, (r) => r.kind === 'unlearn' && r.method === 'raul'],
    ];
    const average = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const sampleStd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - average(xs)) ** 2, 0) / (xs.length - 1)));
    const metrics = ['UA', 'RA', 'TA', 'MIA'] as const;
    const expected = rowRuns.map(([label, planned, belongs]) => {
      const own = runs.filter(belongs);
      const evaluations = own.map((r) => evaluationOf.get(r.checkpoints[0]!.hash)!);
      expect(evaluations.every((e) => e !== undefined)).toBe(true);
      const column = (key: string) => evaluations.map((e) => e[key]!);
      const seconds = own.map((r) => r.latestMetrics.run_seconds!);
      return {
        label,
        repeats: own.length,
        planned,
        cells: Object.fromEntries(metrics.map((m) => [m, { mean: average(column(m)), std: sampleStd(column(m)) }])) as Record<(typeof metrics)[number], { mean: number; std: number }>,
        rte: { mean: average(seconds), std: sampleStd(seconds) },
        boundary: average(column('boundary_accuracy')),
        pgd: average(column('pgd_forget_accuracy')),
        relearn: average(column('relearn_steps')),
      };
    });
    const retrainRow = expected[1]!;
    const gaps = expected.map((row) => Object.fromEntries(metrics.map((m) => [m, Math.abs(row.cells[m].mean - retrainRow.cells[m].mean)])) as Record<(typeof metrics)[number], number>);
    const avgGaps = gaps.map((g) => (g.UA + g.RA + g.TA + g.MIA) / 4);
    // Best per column among the two method rows: the lower gap, Avg. Gap and run time.
    const best = expected.map(() => [] as string[]);
    const markLower = (column: string, value: (k: number) => number) => {
      const [ga, raul] = [value(2), value(3)];
      if (ga <= raul) best[2]!.push(column);
      if (raul <= ga) best[3]!.push(column);
    };
    for (const m of metrics) markLower(m, (k) => gaps[k]![m]);
    markLower('avgGap', (k) => avgGaps[k]!);
    markLower('rte', (k) => expected[k]!.rte.mean);

    expect(table.rows.map((r) => [r.label, r.repeats, r.planned])).toEqual(expected.map((e) => [e.label, e.repeats, e.planned]));
    table.rows.forEach((row, k) => {
      const want = expected[k]!;
      for (const m of metrics) {
        expect(row.metrics![m].mean, `${want.label} ${m} mean`).toBeCloseTo(want.cells[m].mean, 10);
        expect(row.metrics![m].std, `${want.label} ${m} std`).toBeCloseTo(want.cells[m].std, 10);
        expect(row.metrics![m].gap, `${want.label} ${m} gap`).toBeCloseTo(gaps[k]![m], 10);
      }
      expect(row.avgGap, `${want.label} Avg. Gap`).toBeCloseTo(avgGaps[k]!, 10);
      expect(row.rte!.mean, `${want.label} RTE`).toBeCloseTo(want.rte.mean, 10);
      expect(row.rte!.std, `${want.label} RTE std`).toBeCloseTo(want.rte.std, 10);
      expect(row.boundary, `${want.label} boundary`).toBeCloseTo(want.boundary, 10);
      expect(row.pgd, `${want.label} PGD`).toBeCloseTo(want.pgd, 10);
      expect(row.relearnSteps, `${want.label} relearning`).toBeCloseTo(want.relearn, 10);
      expect([...row.best].sort(), `${want.label} best marks`).toEqual([...best[k]!].sort());
    });
    // The two seeds differ, so the spread is real, not a default 0.
    expect(expected[2]!.cells.UA.std + expected[2]!.cells.RA.std + expected[2]!.cells.MIA.std).toBeGreaterThan(0);

    // Every format, parsed back: the same numbers to the printed precision, the same best marks.
    const printed = (row: (typeof expected)[number], k: number): [number[], number, string | null][] => {
      const spread = row.repeats > 1;
      return [
        ...metrics.map((m): [number[], number, string | null] => [spread ? [row.cells[m].mean, row.cells[m].std, gaps[k]![m]] : [row.cells[m].mean, gaps[k]![m]], 2, m]),
        [[avgGaps[k]!], 2, 'avgGap'],
        [spread ? [row.rte.mean, row.rte.std] : [row.rte.mean], 1, 'rte'],
        [[row.boundary], 2, null],
        [[row.pgd], 2, null],
        [[row.relearn], 1, null],
        [[row.repeats, row.planned], 0, null],
      ];
    };
    const checkCells = (format: string, cellTexts: string[][], isBest: (text: string) => boolean) => {
      expect(cellTexts, format).toHaveLength(expected.length);
      cellTexts.forEach((texts, k) => {
        const columns = printed(expected[k]!, k);
        expect(texts, `${format}: ${expected[k]!.label}`).toHaveLength(columns.length);
        columns.forEach(([values, digits, bestColumn], c) => {
          const numbers = (texts[c]!.match(/\d+(\.\d+)?/g) ?? []).map(Number);
          expect(numbers, `${format}: ${expected[k]!.label}, column ${c + 1}: '${texts[c]}'`).toHaveLength(values.length);
          numbers.forEach((n, i) => expect(Math.abs(n - values[i]!), `${format}: ${expected[k]!.label}, column ${c + 1}: '${texts[c]}'`).toBeLessThanOrEqual(0.5 * 10 ** -digits + 1e-9));
          expect(isBest(texts[c]!), `${format}: ${expected[k]!.label}, best mark in '${texts[c]}'`).toBe(bestColumn !== null && best[k]!.includes(bestColumn));
        });
      });
    };
    const lines = (format: 'text' | 'markdown' | 'latex') => formatStudyTable(table, format).split('\n');
    const rowLines = (all: string[], start: (label: string) => string) => expected.map((e) => all.find((l) => l.startsWith(start(e.label)))!);
    checkCells(
      'text',
      rowLines(lines('text'), (label) => `${label} `).map((l) => l.trim().split(/\s{2,}/).slice(1)),
      (t) => t.endsWith('*'),
    );
    checkCells(
      'markdown',
      rowLines(lines('markdown'), (label) => `| ${label} |`).map((l) => l.slice(2, -2).split(' | ').slice(1)),
      (t) => t.startsWith('**') && t.endsWith('**'),
    );
    checkCells(
      'latex',
      rowLines(lines('latex'), (label) => `${label} &`).map((l) => l.replace(/ \\\\$/, '').split(' & ').slice(1)),
      (t) => t.startsWith('\\textbf{'),
    );
    // CSV and JSON carry the full values.
    const [header, ...csvRows] = formatStudyTable(table, 'csv').split('\n').map((l) => l.split(','));
    expect(csvRows).toHaveLength(expected.length);
    const field = (row: string[], name: string) => row[header!.indexOf(name)]!;
    csvRows.forEach((row, k) => {
      const want = expected[k]!;
      expect(field(row, 'label')).toBe(want.label);
      expect([Number(field(row, 'repeats')), Number(field(row, 'planned'))]).toEqual([want.repeats, want.planned]);
      for (const m of metrics) {
        expect(Number(field(row, `${m}_mean`))).toBeCloseTo(want.cells[m].mean, 10);
        expect(Number(field(row, `${m}_std`))).toBeCloseTo(want.cells[m].std, 10);
        expect(Number(field(row, `${m}_gap`))).toBeCloseTo(gaps[k]![m], 10);
      }
      expect(Number(field(row, 'avg_gap'))).toBeCloseTo(avgGaps[k]!, 10);
      expect(Number(field(row, 'rte_mean'))).toBeCloseTo(want.rte.mean, 10);
      expect(Number(field(row, 'rte_std'))).toBeCloseTo(want.rte.std, 10);
      expect(Number(field(row, 'boundary'))).toBeCloseTo(want.boundary, 10);
      expect(Number(field(row, 'pgd'))).toBeCloseTo(want.pgd, 10);
      expect(Number(field(row, 'relearn_steps'))).toBeCloseTo(want.relearn, 10);
      expect(field(row, 'best').split(' ').filter(Boolean).sort()).toEqual([...best[k]!].sort());
    });
    expect(JSON.parse(formatStudyTable(table, 'json'))).toEqual(table);
  });

  it('gives each row its runs for the per-seed view, and bins their evaluations\' per-sample scores for the MIA histograms', async () => {
    const table = classifierTable(await service.getStudyTable('mnist-small'));
    // Per seed: each run's own evaluation value and its gap to Retrain's mean.
    const retrainMean = table.rows[1]!.metrics!;
    for (const row of table.rows) {
      expect(row.runs, row.label).toHaveLength(row.repeats);
      for (const run of row.runs) {
        const evaluation = await service.getRun(run.evaluationId);
        expect(evaluation.kind).toBe('evaluate');
        expect(evaluation.evaluatedRun?.id).toBe(run.runId);
        for (const m of ['UA', 'RA', 'TA', 'MIA'] as const) {
          expect(run.metrics[m].value).toBe(evaluation.latestMetrics[m]);
          expect(run.metrics[m].gap).toBeCloseTo(Math.abs(run.metrics[m].value - retrainMean[m].mean), 10);
        }
      }
    }
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

  it('a study run cancelled mid-run stops the study and records nothing for that run', async () => {
    const withFt: StudyConfigInput = { ...base, name: 'mnist-cancel', methods: [...base.methods, { label: 'FT', method: 'ft', epochs: 1 }] };
    let ftRun = '';
    let cancelling = false;
    const stop = service.subscribe((event) => {
      if (event.type === 'study-progress' && event.progress.status === 'started' && event.progress.label.startsWith('FT')) ftRun = event.progress.runId;
      // Cancel at FT's first step, as Ctrl-C in the CLI does.
      if (event.type === 'unlearn-step' && event.runId === ftRun && !cancelling) {
        cancelling = true;
        void service.cancelRun(ftRun);
      }
    });
    await expect(service.runStudy(withFt)).rejects.toThrow(/FT \(seed 1\): cancelled; the study stops \(run it again to resume\)/);
    stop();
    expect(cancelling).toBe(true);
    const ft = await service.getRun(ftRun);
    expect(ft).toMatchObject({ status: 'cancelled', error: null, checkpoints: [] });
    // Nothing of FT is in the study: no run, no evaluation, an empty row; the other rows are the catalog's.
    const study = (await service.listStudies()).find((s) => s.name === 'mnist-cancel')!;
    expect(study.runIds).not.toContain(ftRun);
    const table = classifierTable(await service.getStudyTable('mnist-cancel'));
    expect(table.rows.map((r) => [r.label, r.repeats, r.planned])).toEqual([
      ['Original', 1, 1],
      ['Retrain', 1, 1],
      ['GA', 2, 2],
      ['RAUL-UniDist-UPGrad', 2, 2],
      ['FT', 0, 2],
    ]);
    expect(table.rows[4]!.metrics).toBeNull();
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
    const table = classifierTable(await service.getStudyTable('mnist-small'));
    expect(table.rows.map((r) => r.label)).toEqual(['Original', 'Retrain', 'GA', 'RAUL-UniDist-UPGrad', 'RL']);
    expect(table.rows[4]).toMatchObject({ repeats: 2, planned: 2 });
  });

  it('runs each grid point as its own row, shares runs with the same config, and compares entries seed by seed', async () => {
    const grid: StudyConfigInput = {
      ...base,
      name: 'mnist-grid',
      methods: [{ label: 'GA', method: 'ga', grid: { lr: [1e-3, 1e-2], epochs: [1] } }, base.methods[1]!],
      comparisons: [['RAUL-UniDist-UPGrad', 'GA']],
    };
    const outcome = await service.runStudy(grid);
    // GA at lr 1e-3 for one epoch is mnist-small's GA: only the lr 1e-2 point is new (2 seeds, each evaluated).
    expect(outcome).toMatchObject({ created: 4, skipped: 12, failed: [] });
    const table = await service.getStudyTable('mnist-grid');
    expect(table.rows.map((r) => [r.label, r.entry, r.repeats, r.planned])).toEqual([
      ['Original', 'Original', 1, 1],
      ['Retrain', 'Retrain', 1, 1],
      ['GA (lr 0.001, 1 ep)', 'GA', 2, 2],
      ['GA (lr 0.01, 1 ep)', 'GA', 2, 2],
      ['RAUL-UniDist-UPGrad', 'RAUL-UniDist-UPGrad', 2, 2],
    ]);
    const small = await service.getStudyTable('mnist-small');
    expect(table.rows[2]!.runs.map((r) => r.runId)).toEqual(small.rows.find((r) => r.label === 'GA')!.runs.map((r) => r.runId));
    const [low, high] = [table.rows[2]!, table.rows[3]!];
    expect(low.runs.map((r) => r.lr)).toEqual([1e-3, 1e-3]);
    expect(high.runs.map((r) => r.lr)).toEqual([1e-2, 1e-2]);
    // Every grid point's run is on the Pareto front's list, under its own label.
    const pareto = await service.getStudyPareto({ study: 'mnist-grid', objectives: ['UA_gap', 'TA'] });
    expect(pareto.points.map((p) => p.label).sort()).toEqual(['GA (lr 0.001, 1 ep)', 'GA (lr 0.001, 1 ep)', 'GA (lr 0.01, 1 ep)', 'GA (lr 0.01, 1 ep)', 'RAUL-UniDist-UPGrad', 'RAUL-UniDist-UPGrad']);
    // The comparison pairs RAUL with GA's grid point of the lower Avg. Gap, seed by seed.
    const bestGa = low.avgGap! <= high.avgGap! ? low : high;
    const raul = table.rows[4]!;
    const differences = [1, 2].map((seed) => raul.runs.find((r) => r.seed === seed)!.avgGap! - bestGa.runs.find((r) => r.seed === seed)!.avgGap!);
    const [comparison] = table.comparisons!;
    expect(comparison).toMatchObject({ a: 'RAUL-UniDist-UPGrad', b: 'GA', rowA: 'RAUL-UniDist-UPGrad', rowB: bestGa.label, seeds: [1, 2] });
    expect(comparison!.difference!.mean).toBeCloseTo((differences[0]! + differences[1]!) / 2, 10);
    // Two pairs: each resample's mean is d1, d2 or their average, so the 95% interval spans [min, max].
    expect(comparison!.difference!.low).toBeCloseTo(Math.min(...differences), 10);
    expect(comparison!.difference!.high).toBeCloseTo(Math.max(...differences), 10);
    expect(formatStudyTable(table, 'markdown')).toContain(`| RAUL-UniDist-UPGrad | ${bestGa.label} | 2 |`);
  });

  it('runs the likelihood-ratio test of a named row: K unlearned and K Retrain models, reusing the study\'s own, and puts its numbers in the table', async () => {
    const outcome = await service.runStudy({ ...base, name: 'mnist-lira', lira: { k: 3, rows: ['GA'] } });
    // GA seeds 1 and 2 are mnist-small's; GA seed 3 and Retrain seeds 1..3 are new, each evaluated.
    expect(outcome).toMatchObject({ created: 8, failed: [] });
    const table = await service.getStudyTable('mnist-lira');
    const [lira] = table.lira!;
    expect(lira).toMatchObject({ label: 'GA', k: 3, unlearned: 3, retrained: 3 });
    // The test's own reading: each model's evaluation, its forget samples' statistic in index order.
    const study = (await service.listStudies()).find((s) => s.name === 'mnist-lira')!;
    const runs = await Promise.all(study.runIds.map((id) => service.getRun(id)));
    const statisticOf = (runId: string) => {
      const checkpoint = runs.find((r) => r.id === runId)!.checkpoints[0]!.hash;
      const evaluation = runs.find((r) => r.kind === 'evaluate' && r.config.checkpoint === checkpoint)!;
      const forget = readScoreFile(catalog.artifacts.forRun(evaluation.id).find((a) => a.kind === 'sample-scores')!.path).find((g) => g.name === 'forget')!;
      const order = Array.from(forget.indices.keys()).sort((x, y) => forget.indices[x]! - forget.indices[y]!);
      return { statistic: Float64Array.from(order, (i) => forget.columns.logitConfidence[i]!), RA: evaluation.latestMetrics.RA!, TA: evaluation.latestMetrics.TA! };
    };
    const bySeed = (kind: string, method: string) => [1, 2, 3].map((seed) => statisticOf(runs.find((r) => r.kind === kind && r.method === method && r.config.seed === seed)!.id));
    const [unlearned, retrained] = [bySeed('unlearn', 'ga'), bySeed('retrain', 'retrain')];
    const mean = (xs: { RA: number; TA: number }[], key: 'RA' | 'TA') => xs.reduce((s, x) => s + x[key], 0) / xs.length;
    const expected = likelihoodRatioTest(
      unlearned.map((m) => m.statistic),
      retrained.map((m) => m.statistic),
      { retainUnlearned: mean(unlearned, 'RA'), retainRetrained: mean(retrained, 'RA'), testUnlearned: mean(unlearned, 'TA'), testRetrained: mean(retrained, 'TA') },
    );
    expect(lira!.summary).toEqual(expected);
    expect(lira!.summary!.examples).toBe(table.forgetSet!.size);
    expect(formatStudyTable(table, 'text')).toContain(`At K = 3 the count-based epsilon is at most ${expected.resolution.toFixed(2)}`);
    expect(formatStudyTable(table, 'markdown')).toContain(`| GA | 3+3/6 | ${expected.challengeEpsilonMean.toFixed(2)} (${expected.challengeEpsilonMedian.toFixed(2)}) |`);
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

  it.skipIf(nativeSvm.skip)("the study's evaluations give the numbers of the code before issue 17's evaluation work (TypeScript SVM, the wasm backend's own dense and normalisation kernels), to the bit", async () => {
    const backend = await initBackend('wasm');
    const study = (await service.listStudies()).find((s) => s.name === 'mnist-small')!;
    const runs = await Promise.all(study.runIds.map((id) => service.getRun(id)));
    const evaluations = runs.filter((r) => r.kind === 'evaluate').slice(0, 3);
    expect(evaluations).toHaveLength(3);
    // Run in this process both times, so the models' forward passes are the same ones. Last in
    // this file: it writes the same score files over the study's.
    const evaluateWith = async (code: 'now' | 'before', run: RunDetail) => {
      process.env.LETHE_SVM = code === 'now' ? 'auto' : 'typescript';
      useStockKernels(code === 'now' ? [] : ['_FusedMatMul', 'FusedBatchNorm']);
      try {
        const forgetSet = catalog.forgetSets.byId(Number(run.config.forgetSet))!;
        const checkpoint = catalog.checkpoints.get(String(run.config.checkpoint))!;
        const checks = run.config.checks as EvaluationChecks;
        const result = await runEvaluateJob(
          { kind: 'evaluate', checkpoint: path.resolve(catalog.dataDir, checkpoint.path), dataDir: catalog.dataDir, forget: { path: path.resolve(catalog.dataDir, forgetSet.path), digest: forgetSet.digest, checks, batchSize: Number(run.config.batchSize) } },
          { backend, notice: () => {} },
        );
        // Everything but the timings.
        return JSON.parse(JSON.stringify({ splits: result.splits, assessment: result.assessment }, (key, value: unknown) => (key === 'seconds' ? undefined : value))) as Pick<typeof result, 'splits' | 'assessment'>;
      } finally {
        delete process.env.LETHE_SVM;
        useStockKernels([]);
      }
    };
    for (const run of evaluations) {
      const native = await evaluateWith('now', run);
      expect(await evaluateWith('before', run)).toEqual(native);
      // And the study's table shows these numbers: the catalog holds the engine's, printed alike.
      for (const metric of ['UA', 'RA', 'TA', 'MIA'] as const) expect(native.assessment![metric].toFixed(2)).toBe(run.latestMetrics[metric]!.toFixed(2));
    }
  });

});
