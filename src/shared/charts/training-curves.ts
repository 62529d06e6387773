/**
 * ECharts option for a run's per-epoch curves: loss on the left axis, accuracy (%) on
 * the right. A pure function of the metric series, shared by the window and reports.
 */
import type { MetricPoint } from '../catalog-types.js';

const SERIES: { key: string; name: string; axis: 0 | 1; percent: boolean; dashed: boolean }[] = [
  { key: 'train_loss', name: 'train loss', axis: 0, percent: false, dashed: true },
  { key: 'test_loss', name: 'test loss', axis: 0, percent: false, dashed: false },
  { key: 'train_accuracy', name: 'train accuracy', axis: 1, percent: true, dashed: true },
  { key: 'test_accuracy', name: 'test accuracy', axis: 1, percent: true, dashed: false },
];

export function trainingCurvesOption(metrics: Record<string, MetricPoint[]>): Record<string, unknown> {
  const present = SERIES.filter((s) => (metrics[s.key]?.length ?? 0) > 0);
  return {
    animation: false,
    title: { text: 'Training per epoch', left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { data: present.map((s) => s.name), bottom: 0 },
    grid: { left: 64, right: 64, top: 40, bottom: 64 },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 26, minInterval: 1, min: 'dataMin' },
    yAxis: [
      { type: 'value', name: 'loss (nats)', nameLocation: 'middle', nameGap: 44, scale: true },
      { type: 'value', name: 'accuracy (%)', nameLocation: 'middle', nameGap: 40, min: 0, max: 100 },
    ],
    series: present.map((s) => ({
      name: s.name,
      type: 'line',
      yAxisIndex: s.axis,
      showSymbol: true,
      lineStyle: { type: s.dashed ? 'dashed' : 'solid' },
      data: metrics[s.key]!.map((p) => [p.step, s.percent ? Number((100 * p.value).toFixed(3)) : p.value]),
    })),
  };
}
