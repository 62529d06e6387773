/**
 * ECharts option for one panel of a study's MIA histograms: forget vs test (and retain)
 * scores of one model as the share of each group per bin, overlaid, on bins and a y
 * range shared by every panel of the figure, so the panels compare at a glance. Forget
 * bars take the model's colour, test (and retain) are step outlines over them; the title
 * carries its MIA-efficacy and KS distance.
 */
import { SCORE_LABELS, type HistogramGroup, type ScoreHistograms } from '../score-histograms.js';
import type { ColorOf } from './method-colors.js';

/** Forget as bars in the model's colour; the reference groups as step outlines drawn over them, so both stay visible. */
const GROUP_STYLE: Record<HistogramGroup, { name: string; color?: string; line?: 'solid' | 'dashed' | 'dotted' }> = {
  forget: { name: 'forget' },
  test: { name: 'test', color: '#4d4d4d', line: 'solid' },
  retain: { name: 'retain', color: '#9a9a9a', line: 'dashed' },
  heldOut: { name: 'held-out', color: '#b5a642', line: 'dotted' },
};

/** Percent of the group in a bin. */
const share = (count: number, size: number) => (size > 0 ? (100 * count) / size : 0);

/** "Retrain", "FT (seed 1)": a panel's name. */
export function panelTitle(panel: ScoreHistograms['panels'][number]): string {
  return panel.role === 'method' && panel.seed !== null ? `${panel.label} (seed ${panel.seed})` : panel.label;
}

export function miaHistogramOption(histograms: ScoreHistograms, index: number, colorOf: ColorOf): Record<string, unknown> {
  const panel = histograms.panels[index];
  if (!panel) throw new Error(`no histogram panel ${index}`);
  const { edges } = histograms;
  const digits = Math.max(0, Math.min(3, 2 - Math.floor(Math.log10(Math.max(1e-9, edges[edges.length - 1]! - edges[0]!)))));
  const centres = edges.slice(0, -1).map((e, k) => ((e + edges[k + 1]!) / 2).toFixed(digits));
  // The same y range on every panel.
  const yMax = Math.max(
    1,
    ...histograms.panels.flatMap((p) => histograms.groups.flatMap((g) => (p.counts[g] ?? []).map((c) => share(c, p.sizes[g] ?? 0)))),
  );
  const series = histograms.groups
    .filter((g) => panel.counts[g])
    .map((g) => {
      const style = GROUP_STYLE[g];
      const data = panel.counts[g]!.map((count) => ({ value: share(count, panel.sizes[g]!), count }));
      return style.line
        ? { name: style.name, type: 'line', step: 'middle', showSymbol: false, color: style.color, lineStyle: { width: 1.5, type: style.line }, z: 3, data }
        : { name: style.name, type: 'bar', barCategoryGap: 0, color: colorOf(panel.label), itemStyle: { opacity: 0.7 }, data };
    });
  const ks = panel.ks === null ? 'KS –' : `KS ${panel.ks.toFixed(3)}`;
  const mia = panel.mia === null ? 'MIA –' : `MIA ${panel.mia.toFixed(1)} %`;
  return {
    animation: false,
    title: { text: panelTitle(panel), subtext: `${mia} · ${ks} to Retrain's forget scores`, left: 'center', textStyle: { fontSize: 13 }, subtextStyle: { fontSize: 11 } },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (v: number) => `${v.toFixed(1)} %`,
    },
    legend: { bottom: 0, itemWidth: 14 },
    grid: { left: 50, right: 12, top: 66, bottom: 58 },
    xAxis: { type: 'category', data: centres, name: SCORE_LABELS[histograms.score], nameLocation: 'middle', nameGap: 24, axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', name: 'share of group (%)', nameLocation: 'middle', nameGap: 30, max: Math.ceil(yMax) },
    series,
  };
}
