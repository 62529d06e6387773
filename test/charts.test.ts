/**
 * The window's chart builders (src/shared/charts/) on values: they draw exactly the
 * service's numbers, keep a method's colour in every figure, and shade gaps by sign.
 */
import { describe, expect, it } from 'vitest';
import type { RunDetail } from '../src/shared/catalog-types.js';
import { STUDY_METRICS, type ParetoAnalysis, type StudyRow, type StudyRun, type StudyTable } from '../src/shared/study-config.js';
import type { ScoreHistograms } from '../src/shared/score-histograms.js';
import { gapShade } from '../src/shared/charts/gap-shading.js';
import { methodColors, RETRAIN_COLOR } from '../src/shared/charts/method-colors.js';
import { miaHistogramOption } from '../src/shared/charts/mia-histograms.js';
import { parallelCoordinatesOption } from '../src/shared/charts/parallel-coordinates.js';
import { paretoScatterOption, type ParetoPointDatum } from '../src/shared/charts/pareto-scatter.js';
import { compareCurvesOption } from '../src/shared/charts/compare-curves.js';
import { gradientCosinesOption } from '../src/shared/charts/run-traces.js';
import { comparisonCsv, configRows, flattenConfig, metricRows } from '../src/shared/run-comparison.js';

type Series = { name: string; type: string; color?: string; data: unknown[] };
const seriesOf = (option: Record<string, unknown>) => option.series as Series[];
const named = (option: Record<string, unknown>, name: string) => seriesOf(option).find((s) => s.name === name)!;

function run(runId: string, seed: number, ua: number, ra: number, seconds: number): StudyRun {
  const cell = (value: number, retrain: number) => ({ value, gap: Math.abs(value - retrain) });
  return { runId, evaluationId: `e-${runId}`, seed, lr: null, metrics: { UA: cell(ua, 10), RA: cell(ra, 90), TA: cell(88, 88), MIA: cell(30, 30) }, avgGap: null, seconds };
}

function row(label: string, role: StudyRow['role'], runs: StudyRun[], ua: number, ra: number): StudyRow {
  const cell = (mean: number, retrain: number) => ({ mean, std: 0.5, gap: Math.abs(mean - retrain) });
  return {
    label,
    entry: label,
    role,
    method: role === 'method' ? label.toLowerCase() : null,
    aggregator: null,
    repeats: runs.length,
    planned: runs.length,
    metrics: { UA: cell(ua, 10), RA: cell(ra, 90), TA: cell(88, 88), MIA: cell(30, 30) },
    avgGap: 1,
    rte: { mean: 2, std: 0.1 },
    boundary: null,
    pgd: null,
    relearnSteps: null,
    best: [],
    runs,
  };
}

const table: StudyTable = {
  kind: 'classifier',
  columns: STUDY_METRICS,
  study: 's',
  dataset: 'mnist',
  model: 'mlp',
  forgetSet: null,
  backend: null,
  rows: [
    row('Original', 'original', [run('o', 0, 2, 99, 5)], 2, 99),
    row('Retrain', 'retrain', [run('r', 0, 10, 90, 5)], 10, 90),
    row('FT', 'method', [run('f1', 1, 4, 95, 2), run('f2', 2, 6, 94, 2)], 5, 94.5),
    row('RAUL', 'method', [run('a1', 1, 9, 91, 1), run('a2', 2, 11, 89, 1)], 10, 90),
  ],
};

// UA gap and RA (negated: minimised), as the service returns them.
const analysis: ParetoAnalysis = {
  study: 's',
  objectives: ['UA_gap', 'RA'],
  points: [
    { runId: 'f1', label: 'FT', seed: 1, lr: null, values: [6, -95], dominated: false },
    { runId: 'f2', label: 'FT', seed: 2, lr: null, values: [4, -94], dominated: true },
    { runId: 'a1', label: 'RAUL', seed: 1, lr: null, values: [1, -91], dominated: false },
    { runId: 'a2', label: 'RAUL', seed: 2, lr: null, values: [1, -89], dominated: true },
  ],
  reference: [6.5, -88.4],
  hypervolume: 12.5,
};

const histograms: ScoreHistograms = {
  study: 's',
  score: 'confidence',
  groups: ['forget', 'test'],
  edges: [0, 0.25, 0.5, 0.75, 1],
  panels: [
    { runId: 'r', evaluationId: 'e-r', label: 'Retrain', role: 'retrain', seed: 0, mia: 30, ks: 0, counts: { forget: [1, 2, 3, 4], test: [0, 0, 5, 5] }, sizes: { forget: 10, test: 10 } },
    { runId: 'f1', evaluationId: 'e-f1', label: 'FT', seed: 1, role: 'method', mia: 20, ks: 0.4, counts: { forget: [0, 0, 1, 19], test: [1, 1, 1, 7] }, sizes: { forget: 20, test: 10 } },
  ],
};

describe('chart builders', () => {
  it('histogram panels carry every sample: counts sum to each group size, shares to 100 %', () => {
    histograms.panels.forEach((panel, i) => {
      const option = miaHistogramOption(histograms, i, methodColors(table.rows.map((r) => r.label)));
      for (const group of histograms.groups) {
        const data = named(option, group).data as { value: number; count: number }[];
        expect(data.reduce((s, d) => s + d.count, 0)).toBe(panel.sizes[group]);
        expect(data.reduce((s, d) => s + d.value, 0)).toBeCloseTo(100, 9);
      }
      expect((option.title as { subtext: string }).subtext).toContain(`KS ${panel.ks!.toFixed(3)}`);
      // Shared y range: the tallest share over all panels (19 of 20 = 95 %).
      expect((option.yAxis as { max: number }).max).toBe(95);
    });
  });

  it('the Pareto scatter highlights exactly the service front, shows accuracies un-negated and Retrain as the target', () => {
    const option = paretoScatterOption(analysis, table, methodColors(table.rows.map((r) => r.label)));
    const front = named(option, 'Pareto front').data as ParetoPointDatum[];
    expect(front.map((d) => d.runId).sort()).toEqual(analysis.points.filter((p) => !p.dominated).map((p) => p.runId).sort());
    expect(front.map((d) => d.value)).toEqual([
      [1, 91],
      [6, 95],
    ]);
    const ftPoints = named(option, 'FT').data as ParetoPointDatum[];
    expect(ftPoints.map((d) => [d.runId, d.dominated])).toEqual([
      ['f1', false],
      ['f2', true],
    ]);
    expect((named(option, 'Retrain (target)').data[0] as { value: number[] }).value).toEqual([0, 90]);
    expect((named(option, 'HV reference').data[0] as { value: number[] }).value).toEqual([6.5, 88.4]);
    expect((option.title as { subtext: string }).subtext).toMatch(/^2 of 4 runs non-dominated · hypervolume 12\.50/);
    // Means from the table's row (gap of the mean, std as error bar), not from the points.
    expect((named(option, 'mean ± std').data as { value: number[] }[]).map((d) => d.value)).toEqual([
      [5, 94.5, 0.5, 0.5],
      [0, 90, 0.5, 0.5],
    ]);
  });

  it('a method keeps its colour in the scatter, the parallel coordinates and the histograms', () => {
    const colorOf = methodColors(table.rows.map((r) => r.label));
    const scatter = paretoScatterOption(analysis, table, colorOf);
    const parallel = parallelCoordinatesOption(table, [{ objective: 'UA_gap', flip: false, log: false }, { objective: 'RTE', flip: true, log: true }], colorOf);
    const histogram = miaHistogramOption(histograms, 1, colorOf);
    expect(named(scatter, 'FT').color).toBe(colorOf('FT'));
    expect(named(parallel, 'FT').color).toBe(colorOf('FT'));
    expect(named(histogram, 'forget').color).toBe(colorOf('FT'));
    expect(named(scatter, 'RAUL').color).toBe(named(parallel, 'RAUL').color);
    expect(colorOf('FT')).not.toBe(colorOf('RAUL'));
    expect(named(parallel, 'Retrain (target)').color).toBe(RETRAIN_COLOR);
    // A method's colour follows its place in the study, whatever else is drawn.
    expect(methodColors(['Original', 'Retrain', 'FT']) ('FT')).toBe(colorOf('FT'));
  });

  it('parallel coordinates draw each run on every axis, with flip and log per axis', () => {
    const option = parallelCoordinatesOption(table, [{ objective: 'UA_gap', flip: true, log: false }, { objective: 'RA', flip: false, log: true }], methodColors([]));
    expect((named(option, 'FT').data as { value: number[] }[]).map((d) => d.value)).toEqual([
      [6, 95],
      [4, 94],
    ]);
    expect((option.parallelAxis as { inverse: boolean; type: string }[]).map((a) => [a.inverse, a.type])).toEqual([
      [true, 'value'],
      [false, 'log'],
    ]);
  });

  it('gap shading has the sign of the gap and grows with its size', () => {
    const above = gapShade(+2, 2, 4)!;
    const below = gapShade(-2, 2, 4)!;
    expect(above).toMatch(/^rgba\(214, 96, 77,/);
    expect(below).toMatch(/^rgba\(67, 147, 195,/);
    const alpha = (c: string) => Number(/([\d.]+)\)$/.exec(c)![1]);
    expect(alpha(gapShade(+4, 4, 4)!)).toBeGreaterThan(alpha(above));
    expect(gapShade(0, 0, 4)).toBeUndefined();
    expect(gapShade(null, null, 4)).toBeUndefined();
  });

  it('gradient cosines count the conflicting steps and name the pair by its objectives', () => {
    const points = [0.5, -0.2, -0.1, 0.3].map((value, step) => ({ value, step, time: 0 }));
    const option = gradientCosinesOption({ cosine: points }, ['forget', 'retain']);
    expect((option.title as { subtext: string }).subtext).toBe('2 of 4 steps conflict (below 0, shaded)');
    expect(seriesOf(option)[0]!.name).toBe('forget vs retain');
  });
});

describe('compare curves', () => {
  it('overlay each run in its colour over steps, the axis named with its unit', () => {
    const points = [1, 2, 3].map((step) => ({ step, value: 1 / step, time: 0 }));
    const option = compareCurvesOption('loss_forget', 'nats', [
      { label: 'A', color: '#111111', points },
      { label: 'B', color: '#222222', points: points.slice(1) },
    ], 'step');
    expect((option.yAxis as { name: string }).name).toBe('loss_forget (nats)');
    expect((option.xAxis as { name: string }).name).toBe('step');
    expect(seriesOf(option).map((s) => [s.name, s.color, s.data.length])).toEqual([
      ['A', '#111111', 3],
      ['B', '#222222', 2],
    ]);
  });
});

describe('run comparison', () => {
  const detail = (id: string, config: Record<string, unknown>, metrics: Record<string, number>, evaluation?: Record<string, number>) =>
    ({ id, kind: 'unlearn', method: 'raul', aggregator: 'upgrad', config, latestMetrics: metrics, evaluations: evaluation ? [{ id: `e${id}`, finishedAt: 1, metrics: evaluation }] : [] }) as unknown as RunDetail;
  const runs = [
    detail('a', { lr: 0.1, seed: 1, nested: { x: 1 } }, { run_seconds: 3, loss_forget: 2 }, { UA: 10, RA: 90 }),
    detail('b', { lr: 0.1, seed: 2, nested: { x: 1 } }, { run_seconds: 5 }, { UA: 12 }),
  ];

  it('marks only the differing config keys', () => {
    const rows = configRows(runs);
    expect(rows.filter((r) => r.differs).map((r) => r.key)).toEqual(['seed']);
    expect(rows.find((r) => r.key === 'nested.x')?.values).toEqual(['1', '1']);
    expect(flattenConfig({ a: { b: { c: 1 } }, list: [1, 2], flag: false })).toEqual({ 'a.b.c': '1', list: '1, 2', flag: 'false' });
  });

  it('gives metric deltas against the baseline, evaluation metrics first, traces left out, and writes them as CSV', () => {
    const rows = metricRows(runs, 0);
    expect(rows.map((r) => r.key)).toEqual(['UA', 'RA', 'run_seconds']);
    expect(rows[0]).toEqual({ key: 'UA', unit: '%', values: [10, 12], deltas: [0, 2] });
    expect(rows[2]!.unit).toBe('s');
    expect(rows[1]!.deltas).toEqual([0, null]);
    const csv = comparisonCsv(['A', 'B'], configRows(runs), rows, 'A').split('\n');
    expect(csv[0]).toBe('section,key,unit,A,B');
    expect(csv).toContain('delta vs A,UA,%,0,2');
  });
});
