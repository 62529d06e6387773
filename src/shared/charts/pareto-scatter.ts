/**
 * ECharts option for a study's Pareto front in two objectives: every method run (one
 * colour per method), each method's mean with its std as error bars (from the table),
 * the service's non-dominated points enlarged and joined, Retrain marked as the target,
 * and the hypervolume with its reference point. Nothing is recomputed here: the front
 * and hypervolume are the service's.
 */
import type { AnyStudyTable, ParetoAnalysis, StudyRow } from '../study-config.js';
import type { ColorOf } from './method-colors.js';
import { RETRAIN_COLOR } from './method-colors.js';
import { axisTitle, rowValue, shownValue, STUDY_AXES } from './study-axes.js';

export interface ParetoPointDatum {
  value: [number, number];
  runId: string;
  dominated: boolean;
  tip: string;
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(2));

export function paretoScatterOption(analysis: ParetoAnalysis, table: AnyStudyTable, colorOf: ColorOf): Record<string, unknown> {
  const rows: StudyRow<string>[] = table.rows;
  if (analysis.objectives.length !== 2) throw new Error(`the scatter shows two objectives, the analysis has ${analysis.objectives.length}`);
  const [ox, oy] = analysis.objectives as [ParetoAnalysis['objectives'][number], ParetoAnalysis['objectives'][number]];
  const rowOf = new Map(rows.map((r) => [r.label, r]));
  const shown = (values: number[]): [number, number] => [shownValue(ox, values[0]!), shownValue(oy, values[1]!)];
  const labels = rows.filter((r) => r.role === 'method' && analysis.points.some((p) => p.label === r.label)).map((r) => r.label);

  const datum = (p: ParetoAnalysis['points'][number]): ParetoPointDatum => {
    const row = rowOf.get(p.label);
    const [x, y] = shown(p.values);
    const setting = [row?.method, row?.aggregator && `aggregator ${row.aggregator}`, p.seed !== null && `seed ${p.seed}`, p.lr !== null && `lr ${p.lr}`].filter(Boolean).join(', ');
    return {
      value: [x, y],
      runId: p.runId,
      dominated: p.dominated,
      tip: `${p.label} (${setting})<br>${STUDY_AXES[ox].name} ${fmt(x)} ${STUDY_AXES[ox].unit}, ${STUDY_AXES[oy].name} ${fmt(y)} ${STUDY_AXES[oy].unit}${p.dominated ? '' : '<br>non-dominated'}<br>click to open the run`,
    };
  };

  const runSeries = labels.map((label) => ({
    name: label,
    type: 'scatter',
    color: colorOf(label),
    data: analysis.points.filter((p) => p.label === label).map(datum),
    symbolSize: (_: unknown, params: { data: ParetoPointDatum }) => (params.data.dominated ? 8 : 14),
    itemStyle: { opacity: 0.85 },
    z: 3,
  }));

  const front = analysis.points.filter((p) => !p.dominated).map(datum).sort((a, b) => a.value[0] - b.value[0] || a.value[1] - b.value[1]);
  const frontSeries = {
    name: 'Pareto front',
    type: 'line',
    color: '#222',
    data: front,
    symbol: 'circle',
    symbolSize: 18,
    itemStyle: { color: 'rgba(0,0,0,0)', borderColor: '#222', borderWidth: 2 },
    lineStyle: { type: 'dashed', width: 1.5, color: '#222' },
    z: 4,
  };

  const means = labels.flatMap((label) => {
    const row = rowOf.get(label)!;
    const x = rowValue(ox, row);
    const y = rowValue(oy, row);
    return x && y ? [{ value: [x.mean, y.mean, x.std, y.std], itemStyle: { color: colorOf(label) }, tip: `${label} mean ± std over ${row.repeats} runs` }] : [];
  });
  const meanSeries = {
    name: 'mean ± std',
    type: 'custom',
    color: '#555',
    data: means,
    renderItem: (_: unknown, api: { value: (i: number) => number; coord: (v: number[]) => number[]; visual: (key: 'color') => string }) => {
      const [x, y, sx, sy] = [api.value(0), api.value(1), api.value(2), api.value(3)];
      const at = (a: number, b: number) => api.coord([a, b]);
      const color = api.visual('color');
      const stroke = { stroke: color, lineWidth: 1.5 };
      const line = (a: number[], b: number[]) => ({ type: 'line', shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, style: stroke });
      const c = at(x, y);
      return {
        type: 'group',
        children: [
          line(at(x - sx, y), at(x + sx, y)),
          line(at(x, y - sy), at(x, y + sy)),
          { type: 'rect', shape: { x: c[0]! - 5, y: c[1]! - 5, width: 10, height: 10 }, style: { fill: color, stroke: '#fff', lineWidth: 1 } },
        ],
      };
    },
    z: 2,
  };

  const retrainRow = rows.find((r) => r.role === 'retrain');
  const target = retrainRow && rowValue(ox, retrainRow) && rowValue(oy, retrainRow) ? [rowValue(ox, retrainRow)!.mean, rowValue(oy, retrainRow)!.mean] : null;
  const targetSeries = {
    name: 'Retrain (target)',
    type: 'scatter',
    color: RETRAIN_COLOR,
    symbol: 'triangle',
    symbolSize: 16,
    data: target ? [{ value: target, tip: `Retrain: the target (${fmt(target[0]!)}, ${fmt(target[1]!)})` }] : [],
    z: 5,
  };
  const reference = shown(analysis.reference);
  const referenceSeries = {
    name: 'HV reference',
    type: 'scatter',
    color: '#999',
    symbol: 'rect',
    symbolSize: 9,
    data: [{ value: reference, tip: `hypervolume reference point (${fmt(reference[0])}, ${fmt(reference[1])})` }],
  };

  const nonDominated = analysis.points.filter((p) => !p.dominated).length;
  return {
    animation: false,
    title: {
      text: `Pareto front: ${STUDY_AXES[ox].name} vs ${STUDY_AXES[oy].name}`,
      subtext: `${nonDominated} of ${analysis.points.length} runs non-dominated · hypervolume ${analysis.hypervolume.toPrecision(4)} (reference ${fmt(reference[0])} ${STUDY_AXES[ox].unit}, ${fmt(reference[1])} ${STUDY_AXES[oy].unit})`,
      left: 'center',
      textStyle: { fontSize: 14 },
    },
    tooltip: { trigger: 'item', formatter: (p: { data?: { tip?: string }; seriesName: string }) => p.data?.tip ?? p.seriesName },
    legend: { type: 'scroll', bottom: 0 },
    grid: { left: 64, right: 24, top: 64, bottom: 80 },
    xAxis: { type: 'value', name: axisTitle(ox), nameLocation: 'middle', nameGap: 28, scale: true },
    yAxis: { type: 'value', name: axisTitle(oy), nameLocation: 'middle', nameGap: 46, scale: true },
    series: [...runSeries, meanSeries, frontSeries, targetSeries, referenceSeries],
  };
}
