/**
 * ECharts option for one panel of a study's MIA histograms: forget vs test (and retain)
 * scores of one model as the share of each group per bin, overlaid, on bins and a y
 * range shared by every panel of the figure, so the panels compare at a glance. Forget
 * bars take the model's colour; the title carries its MIA-efficacy and KS distance.
 */
import { SCORE_LABELS, type HistogramGroup, type ScoreHistograms } from '../score-histograms.js';
import type { ColorOf } from './method-colors.js';

const GROUP_STYLE: Record<HistogramGroup, { name: string; color?: string; opacity: number }> = {
  forget: { name: 'forget', opacity: 0.75 },
  test: { name: 'test', color: '#9aa0a6', opacity: 0.55 },
  retain: { name: 'retain', color: '#2f2f2f', opacity: 0.3 },
  heldOut: { name: 'held-out', color: '#b5a642', opacity: 0.4 },
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
  // Forget last, so its bars are drawn over the others.
  const series = [...histograms.groups]
    .sort((a, b) => Number(a === 'forget') - Number(b === 'forget'))
    .filter((g) => panel.counts[g])
    .map((g) => ({
      name: GROUP_STYLE[g].name,
      type: 'bar',
      barGap: '-100%',
      barCategoryGap: 0,
      color: GROUP_STYLE[g].color ?? colorOf(panel.label),
      itemStyle: { opacity: GROUP_STYLE[g].opacity },
      data: panel.counts[g]!.map((count) => ({ value: share(count, panel.sizes[g]!), count })),
    }));
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
