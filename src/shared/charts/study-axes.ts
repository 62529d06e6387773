/**
 * The objectives a study's charts can put on an axis, as the table's columns: each with
 * its unit and which direction is better, and how to read it from the service's table
 * (a row's mean and std, or one run's value). Pareto values arrive minimised
 * (accuracies negated); `shownValue` turns them back for display.
 */
import type { ParetoObjective, StudyRow, StudyRun } from '../study-config.js';

export interface StudyAxis {
  name: string;
  unit: '%' | 's' | '';
  better: 'lower' | 'higher';
}

export const STUDY_AXES: Record<ParetoObjective, StudyAxis> = {
  UA_gap: { name: 'UA gap', unit: '%', better: 'lower' },
  RA_gap: { name: 'RA gap', unit: '%', better: 'lower' },
  TA_gap: { name: 'TA gap', unit: '%', better: 'lower' },
  MIA_gap: { name: 'MIA gap', unit: '%', better: 'lower' },
  avg_gap: { name: 'Avg. Gap', unit: '%', better: 'lower' },
  RA: { name: 'RA', unit: '%', better: 'higher' },
  TA: { name: 'TA', unit: '%', better: 'higher' },
  RTE: { name: 'RTE', unit: 's', better: 'lower' },
  forget_quality: { name: 'Forget quality', unit: '', better: 'higher' },
  model_utility: { name: 'Model utility', unit: '', better: 'higher' },
};

/** "UA gap (%), lower is better": an axis name with its unit and direction. */
export function axisTitle(objective: ParetoObjective): string {
  const axis = STUDY_AXES[objective];
  return `${axis.name}${axis.unit ? ` (${axis.unit})` : ''} ${axis.better === 'lower' ? '↓' : '↑'} better`;
}

/** The value to show for a minimised Pareto value. */
export function shownValue(objective: ParetoObjective, minimised: number): number {
  return STUDY_AXES[objective].better === 'higher' ? -minimised : minimised;
}

const GAP_METRIC = { UA_gap: 'UA', RA_gap: 'RA', TA_gap: 'TA', MIA_gap: 'MIA' } as const;

/** A row's mean and std on an objective, as the table states them (null without data). */
export function rowValue(objective: ParetoObjective, row: StudyRow<string>): { mean: number; std: number } | null {
  if (!row.metrics) return null;
  switch (objective) {
    case 'UA_gap':
    case 'RA_gap':
    case 'TA_gap':
    case 'MIA_gap': {
      const cell = row.metrics[GAP_METRIC[objective]];
      return cell?.gap == null ? null : { mean: cell.gap, std: cell.std };
    }
    case 'avg_gap':
      return row.avgGap === null ? null : { mean: row.avgGap, std: 0 };
    case 'RA':
    case 'TA':
    case 'forget_quality':
    case 'model_utility': {
      const cell = row.metrics[objective];
      return cell ? { mean: cell.mean, std: cell.std } : null;
    }
    case 'RTE':
      return row.rte;
  }
}

/** One run's value on an objective (null without data). */
export function runValue(objective: ParetoObjective, run: StudyRun<string>): number | null {
  switch (objective) {
    case 'UA_gap':
    case 'RA_gap':
    case 'TA_gap':
    case 'MIA_gap':
      return run.metrics[GAP_METRIC[objective]]?.gap ?? null;
    case 'avg_gap':
      return run.avgGap;
    case 'RA':
    case 'TA':
    case 'forget_quality':
    case 'model_utility':
      return run.metrics[objective]?.value ?? null;
    case 'RTE':
      return run.seconds;
  }
}
