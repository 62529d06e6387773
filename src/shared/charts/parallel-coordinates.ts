/**
 * ECharts `parallel` option over every objective of a study: one line per method run
 * (the method's colour), Retrain as the dashed target; axes can be flipped or put on a
 * log scale, and brushed to select runs.
 */
import type { ParetoObjective, StudyTable } from '../study-config.js';
import type { ColorOf } from './method-colors.js';
import { RETRAIN_COLOR } from './method-colors.js';
import { rowValue, runValue, STUDY_AXES } from './study-axes.js';

export interface ParallelAxisChoice {
  objective: ParetoObjective;
  flip: boolean;
  log: boolean;
}

export function parallelCoordinatesOption(table: StudyTable, axes: ParallelAxisChoice[], colorOf: ColorOf): Record<string, unknown> {
  // A log axis cannot place zero or negatives: such values are left off that axis.
  const onAxis = (axis: ParallelAxisChoice, v: number | null) => (v === null || (axis.log && v <= 0) ? null : v);
  const methods = table.rows.filter((r) => r.role === 'method' && r.runs.length > 0);
  const retrain = table.rows.find((r) => r.role === 'retrain' && r.metrics);
  const series = methods.map((row) => ({
    name: row.label,
    type: 'parallel',
    color: colorOf(row.label),
    lineStyle: { width: 2, opacity: 0.8 },
    data: row.runs.map((run) => ({ value: axes.map((a) => onAxis(a, runValue(a.objective, run))), runId: run.runId, name: `${row.label} seed ${run.seed ?? '-'}` })),
  }));
  if (retrain) {
    series.push({
      name: 'Retrain (target)',
      type: 'parallel',
      color: RETRAIN_COLOR,
      lineStyle: { width: 2.5, opacity: 1, type: 'dashed' } as { width: number; opacity: number },
      data: [{ value: axes.map((a) => onAxis(a, rowValue(a.objective, retrain)?.mean ?? null)), runId: retrain.runs[0]?.runId ?? '', name: 'Retrain' }],
    });
  }
  return {
    animation: false,
    title: { text: 'All objectives, one line per run', subtext: 'drag along an axis to select runs', left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'item', formatter: (p: { name?: string; seriesName: string }) => p.name || p.seriesName },
    legend: { type: 'scroll', bottom: 0 },
    parallel: { left: 56, right: 72, top: 90, bottom: 60 },
    parallelAxis: axes.map((a, dim) => ({
      dim,
      name: `${STUDY_AXES[a.objective].name} (${STUDY_AXES[a.objective].unit})${STUDY_AXES[a.objective].better === 'lower' ? ' ↓' : ' ↑'}${a.log ? ' log' : ''}`,
      type: a.log ? 'log' : 'value',
      inverse: a.flip,
      scale: !a.log,
      nameTextStyle: { fontSize: 11 },
      realtime: true,
    })),
    series,
  };
}
