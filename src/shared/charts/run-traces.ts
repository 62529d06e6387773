/**
 * ECharts options for an unlearning run's per-step traces, from the metrics the service
 * records each step: `loss_<objective>`, the aggregator's `weight_<objective>` and the
 * gradient cosines (`cosine`, or `cosine_<i>_<j>` with several pairs). Conflicting steps
 * (cosine below zero) fall in a shaded band.
 */
import type { MetricPoint } from '../catalog-types.js';

const OBJECTIVE_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9'];

function seriesOf(metrics: Record<string, MetricPoint[]>, prefix: string): { name: string; points: MetricPoint[] }[] {
  return Object.keys(metrics)
    .filter((k) => k.startsWith(prefix))
    .sort()
    .map((k) => ({ name: k.slice(prefix.length), points: metrics[k]! }));
}

/** Which traces a run has: per-objective losses, and weights and cosines for multi-objective runs. */
export function traceKinds(metrics: Record<string, MetricPoint[]>): { losses: boolean; weights: boolean; cosines: boolean } {
  const keys = Object.keys(metrics);
  return { losses: keys.some((k) => k.startsWith('loss_')), weights: keys.some((k) => k.startsWith('weight_')), cosines: keys.some((k) => k === 'cosine' || k.startsWith('cosine_')) };
}

function base(title: string, yName: string, legend: string[]): Record<string, unknown> {
  return {
    animation: false,
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { data: legend, bottom: 0, type: 'scroll' },
    grid: { left: 60, right: 24, top: 40, bottom: 64 },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 26, minInterval: 1, min: 'dataMin' },
    yAxis: { type: 'value', name: yName, nameLocation: 'middle', nameGap: 44, scale: true },
  };
}

export function objectiveLossesOption(metrics: Record<string, MetricPoint[]>): Record<string, unknown> {
  const losses = seriesOf(metrics, 'loss_');
  return {
    ...base('Objective losses per step', 'loss (nats)', losses.map((l) => l.name)),
    series: losses.map((l, i) => ({ name: l.name, type: 'line', showSymbol: false, color: OBJECTIVE_COLORS[i % OBJECTIVE_COLORS.length], data: l.points.map((p) => [p.step, p.value]) })),
  };
}

export function aggregatorWeightsOption(metrics: Record<string, MetricPoint[]>): Record<string, unknown> {
  const weights = seriesOf(metrics, 'weight_');
  const option = base('Aggregator weights per step (stacked)', 'weight', weights.map((w) => w.name));
  return {
    ...option,
    yAxis: { type: 'value', name: 'weight', nameLocation: 'middle', nameGap: 44, min: 0 },
    series: weights.map((w, i) => ({
      name: w.name,
      type: 'line',
      stack: 'weights',
      areaStyle: { opacity: 0.6 },
      showSymbol: false,
      color: OBJECTIVE_COLORS[i % OBJECTIVE_COLORS.length],
      data: w.points.map((p) => [p.step, p.value]),
    })),
  };
}

/** "forget vs retain" for `cosine`, "1 vs 3" for `cosine_1_3` when the objectives are given. */
function pairName(key: string, objectives: string[]): string {
  const pair = /^cosine_(\d+)_(\d+)$/.exec(key);
  if (!pair) return objectives.length === 2 ? `${objectives[0]} vs ${objectives[1]}` : 'cosine';
  const name = (k: string) => objectives[Number(k) - 1] ?? k;
  return `${name(pair[1]!)} vs ${name(pair[2]!)}`;
}

export function gradientCosinesOption(metrics: Record<string, MetricPoint[]>, objectives: string[]): Record<string, unknown> {
  const keys = Object.keys(metrics).filter((k) => k === 'cosine' || k.startsWith('cosine_')).sort();
  const names = keys.map((k) => pairName(k, objectives));
  const conflicts = keys.reduce((n, k) => n + metrics[k]!.filter((p) => p.value < 0).length, 0);
  const steps = keys.reduce((n, k) => n + metrics[k]!.length, 0);
  return {
    ...base('Gradient cosine per pair of objectives', 'cos(g_i, g_j)', names),
    title: { text: 'Gradient cosine per pair of objectives', subtext: `${conflicts} of ${steps} steps conflict (below 0, shaded)`, left: 'center', textStyle: { fontSize: 14 } },
    grid: { left: 60, right: 24, top: 56, bottom: 64 },
    yAxis: { type: 'value', name: 'cos(g_i, g_j)', nameLocation: 'middle', nameGap: 44, min: -1, max: 1 },
    series: keys.map((k, i) => ({
      name: names[i],
      type: 'line',
      showSymbol: false,
      color: OBJECTIVE_COLORS[(i + 2) % OBJECTIVE_COLORS.length],
      data: metrics[k]!.map((p) => [p.step, p.value]),
      markArea: i === 0 ? { silent: true, itemStyle: { color: 'rgba(214, 96, 77, 0.12)' }, data: [[{ yAxis: -1 }, { yAxis: 0 }]] } : undefined,
      markLine: i === 0 ? { silent: true, symbol: 'none', lineStyle: { color: '#b00020', type: 'dotted' }, data: [{ yAxis: 0 }], label: { show: false } } : undefined,
    })),
  };
}
