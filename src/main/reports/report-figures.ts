/**
 * The report's figures: the window's own ECharts options (src/shared/charts/) rendered
 * on the server to SVG, so they stay vector in the HTML, the PDF and the LaTeX folder.
 */
import * as echarts from 'echarts';
import { methodColors } from '../../shared/charts/method-colors.js';
import { miaHistogramOption, panelTitle } from '../../shared/charts/mia-histograms.js';
import { paretoScatterOption } from '../../shared/charts/pareto-scatter.js';
import { aggregatorWeightsOption, gradientCosinesOption, objectiveLossesOption, traceKinds } from '../../shared/charts/run-traces.js';
import { STUDY_AXES } from '../../shared/charts/study-axes.js';
import { isAvailable, type StudyReport } from './report-model.js';

export type FigureSection = 'pareto' | 'mia' | 'traces';

export interface ReportFigure {
  /** A file-safe name, unique in the report: pareto-UA_gap-TA, mia-2, trace-RAUL-UPGrad-weights. */
  id: string;
  section: FigureSection;
  caption: string;
  width: number;
  height: number;
  svg: string;
}

// ECharts' default legend: a 25 px symbol, 5 px to its 12 px text, 10 px between entries, 14 px rows 10 px apart.
const LEGEND_ROW = 24;
const legendEntryWidth = (name: string) => 25 + 5 + 7 * name.length + 10;

/** How many rows a plain legend of these names takes in `width` pixels (entries wrap whole). */
export function legendRows(names: string[], width: number): number {
  let rows = names.length ? 1 : 0;
  let used = 0;
  for (const entry of names.map(legendEntryWidth)) {
    if (used > 0 && used + entry > width) {
      rows += 1;
      used = 0;
    }
    used += entry;
  }
  return rows;
}

/**
 * One chart as an SVG document, for paper: without animation (a printed page shows the
 * first frame) and with every legend entry shown (a scrolling legend hides some behind
 * arrows). A legend at the bottom that needs more than one row makes the figure taller
 * by its extra rows and keeps them below the plot, which they would otherwise cover.
 */
export function renderSvg(option: Record<string, unknown>, width: number, height: number): { svg: string; height: number } {
  const legend = option.legend as Record<string, unknown> | undefined;
  const grid = option.grid as Record<string, unknown> | undefined;
  const names = ((option.series as { name?: string }[] | undefined) ?? []).flatMap((s) => (s.name ? [s.name] : []));
  const extra = legend?.bottom !== undefined && typeof grid?.bottom === 'number' ? (legendRows(names, width - 20) - 1) * LEGEND_ROW : 0;
  const tall = height + Math.max(0, extra);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height: tall });
  try {
    chart.setOption({
      ...option,
      animation: false,
      ...(legend ? { legend: { ...legend, type: 'plain' } } : {}),
      ...(extra > 0 ? { grid: { ...grid, bottom: (grid!.bottom as number) + extra } } : {}),
    });
    return { svg: chart.renderToSVGString(), height: tall };
  } finally {
    chart.dispose();
  }
}

const fileSafe = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');

export function reportFigures(report: StudyReport): ReportFigure[] {
  const colorOf = methodColors(report.table.rows.map((r) => r.label));
  const figures: ReportFigure[] = [];
  const add = (figure: Omit<ReportFigure, 'svg'>, option: Record<string, unknown>) => figures.push({ ...figure, ...renderSvg(option, figure.width, figure.height) });
  for (const analysis of report.paretos.filter(isAvailable)) {
    const [x, y] = analysis.objectives as [keyof typeof STUDY_AXES, keyof typeof STUDY_AXES];
    add(
      { id: `pareto-${x}-${y}`, section: 'pareto', caption: `Pareto front of the method runs: ${STUDY_AXES[x].name} against ${STUDY_AXES[y].name}, hypervolume ${analysis.hypervolume.toPrecision(4)}.`, width: 760, height: 440 },
      paretoScatterOption(analysis, report.table, colorOf),
    );
  }
  const histograms = report.histograms;
  if (isAvailable(histograms)) {
    histograms.panels.forEach((panel, i) =>
      add({ id: `mia-${i + 1}-${fileSafe(panelTitle(panel))}`, section: 'mia', caption: `MIA histogram of ${panelTitle(panel)}.`, width: 330, height: 250 }, miaHistogramOption(histograms, i, colorOf)),
    );
  }
  for (const trace of report.traces) {
    const kinds = traceKinds(trace.metrics);
    const name = `${trace.label}${trace.seed === null ? '' : ` (seed ${trace.seed})`}`;
    const id = `trace-${fileSafe(trace.label)}`;
    const size = { section: 'traces' as const, width: 680, height: 260 };
    if (kinds.losses) add({ ...size, id: `${id}-losses`, caption: `Objective losses per step of ${name}.` }, objectiveLossesOption(trace.metrics));
    if (kinds.weights) add({ ...size, id: `${id}-weights`, caption: `Aggregator weights per step of ${name}.` }, aggregatorWeightsOption(trace.metrics));
    if (kinds.cosines) add({ ...size, id: `${id}-cosines`, caption: `Gradient cosines per step of ${name}.` }, gradientCosinesOption(trace.metrics, trace.objectives));
  }
  return figures;
}
