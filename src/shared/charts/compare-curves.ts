/**
 * ECharts option for one metric of several runs overlaid (the Compare view), each run in
 * its colour, over epochs or steps as the runs recorded them.
 */
import type { MetricPoint } from '../catalog-types.js';

export interface CurveRun {
  label: string;
  color: string;
  points: MetricPoint[];
}

/** `unit` names the y axis's unit ('' for ratios such as weights and cosines). */
export function compareCurvesOption(metric: string, unit: string, runs: CurveRun[], xName: 'epoch' | 'step'): Record<string, unknown> {
  return {
    animation: false,
    title: { text: metric, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { data: runs.map((r) => r.label), bottom: 0, type: 'scroll' },
    grid: { left: 68, right: 24, top: 40, bottom: 64 },
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 26, minInterval: 1, min: 'dataMin' },
    yAxis: { type: 'value', name: unit ? `${metric} (${unit})` : metric, nameLocation: 'middle', nameGap: 48, scale: true },
    series: runs.map((r) => ({ name: r.label, type: 'line', showSymbol: r.points.length < 30, color: r.color, data: r.points.map((p) => [p.step, p.value]) })),
  };
}
