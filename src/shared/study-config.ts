/**
 * A study: one dataset, one forget set, one original model, one Retrain, and many
 * (method, aggregator, hyper-parameters, seed) runs compared against it. Written as a
 * YAML file for `lethe study run`, validated the same way from every door.
 */
import { z } from 'zod';
import { EvaluationChecksSchema } from './evaluation.js';
import { ForgetRuleSchema } from './forget-set.js';
import { TrainConfigSchema } from './train-config.js';
import { UnlearnConfigSchema } from './unlearn-config.js';
import type { BootstrapInterval } from './bootstrap.js';
import { parseOrExplain } from './validation.js';

const learningRate = z.number({ error: 'learning rate must be a finite number' }).positive('learning rate must be finite and positive');
const epochCount = z.number({ error: 'epochs must be a number' }).int('epochs are whole numbers').positive('epochs must be positive');

/** Hyper-parameter axes of an entry: every (learning rate, epochs) combination is a row of its own. */
const GridSchema = z.strictObject({
  lr: z.array(learningRate).min(1, 'a grid axis needs at least one value').optional(),
  epochs: z.array(epochCount).min(1, 'a grid axis needs at least one value').optional(),
});

/** One row of the study's table: a method with its settings, repeated over seeds and learning rates. */
export const StudyEntrySchema = UnlearnConfigSchema.omit({ checkpoint: true, forgetSet: true }).extend({
  /** The row's name in the table, e.g. RAUL-UniDist-UPGrad. */
  label: z.string().min(1, 'every method entry needs a label').max(100),
  /** One learning rate, or a sweep whose runs are repeats of the row (as the RAUL paper's five). */
  lr: z.union([learningRate, z.array(learningRate).min(1, 'a learning-rate sweep needs at least one rate')]).optional(),
  /** Overrides the study's seeds for this row. */
  seeds: z.array(z.number().int('seeds are integers')).min(1).optional(),
  /** A grid: one row per point, labelled `label (lr X, N ep)`, each repeated over the seeds. */
  grid: GridSchema.optional(),
});

/** Two rows (entry labels, or a grid point's label) whose Avg. Gaps are compared seed by seed. */
const ComparisonSchema = z.tuple([z.string().min(1), z.string().min(1)], { error: 'a comparison is a pair of labels, [A, B]' });

export const StudyConfigSchema = z
  .strictObject({
    name: z.string().min(1, 'name the study').max(200),
    description: z.string().default(''),
    dataset: z.string().min(1, 'name the dataset'),
    model: z.string().min(1, 'name the model'),
    /** The original model's recipe; Retrain uses the same one on the retain set unless overridden. */
    original: TrainConfigSchema.omit({ dataset: true, model: true }).default(TrainConfigSchema.omit({ dataset: true, model: true }).parse({})),
    retrain: z
      .strictObject({
        epochs: z.number().int().positive().optional(),
        lr: learningRate.optional(),
        batchSize: z.number().int().positive().optional(),
        seed: z.number().int().optional(),
      })
      .default({}),
    forget: ForgetRuleSchema,
    /** Seeds every method entry is repeated over. */
    seeds: z.array(z.number().int('seeds are integers')).min(1, 'give at least one seed').default([1]),
    evaluation: EvaluationChecksSchema.default(EvaluationChecksSchema.parse({})),
    methods: z.array(StudyEntrySchema).min(1, 'list at least one method'),
    /** Paired comparisons of Avg. Gap across seeds, with a bootstrap interval (study show prints them). */
    comparisons: z.array(ComparisonSchema).default([]),
    /**
     * The likelihood-ratio membership test on these rows: K unlearned models of each row
     * and K Retrain models (seeds 1..K, the study's own runs where seeds agree), each evaluated.
     */
    lira: z
      .strictObject({
        k: z.number().int('K is a whole number').min(2, 'K needs at least 2 models a side').max(512).default(8),
        rows: z.array(z.string().min(1)).min(1, 'name at least one row'),
      })
      .optional(),
  })
  .superRefine((study, ctx) => {
    const seen = new Set<string>();
    study.methods.forEach((entry, i) => {
      if (entry.label === 'Original' || entry.label === 'Retrain') ctx.addIssue({ code: 'custom', path: ['methods', i, 'label'], message: `'${entry.label}' is the name of a reference row` });
      if (entry.grid?.lr && entry.lr !== undefined) ctx.addIssue({ code: 'custom', path: ['methods', i, 'grid', 'lr'], message: 'give the learning rate either as lr or as a grid axis, not both' });
      if (entry.grid?.epochs && entry.epochs !== undefined) ctx.addIssue({ code: 'custom', path: ['methods', i, 'grid', 'epochs'], message: 'give epochs either as epochs or as a grid axis, not both' });
      for (const label of new Set([entry.label, ...gridPoints(entry).map((point) => point.label)])) {
        if (seen.has(label)) ctx.addIssue({ code: 'custom', path: ['methods', i, 'label'], message: `label '${label}' is used twice` });
        seen.add(label);
      }
      if (entry.method === 'retrain') ctx.addIssue({ code: 'custom', path: ['methods', i, 'method'], message: 'the study makes its own Retrain; list only unlearning methods' });
    });
    const rows = new Map(study.methods.flatMap(gridPoints).map((row) => [row.label, row]));
    study.lira?.rows.forEach((label, i) => {
      const row = rows.get(label);
      if (!row) ctx.addIssue({ code: 'custom', path: ['lira', 'rows', i], message: `'${label}' is not a row of this study (a grid's rows are its points, e.g. '${[...rows.keys()].find((l) => l.includes('(')) ?? 'GA (lr 0.001, 2 ep)'}')` });
      else if (Array.isArray(row.lr) && row.lr.length > 1) ctx.addIssue({ code: 'custom', path: ['lira', 'rows', i], message: `'${label}' sweeps ${row.lr.length} learning rates; the test compares models of one setting` });
    });
    study.comparisons.forEach((pair, i) =>
      pair.forEach((label, k) => {
        if (!seen.has(label)) ctx.addIssue({ code: 'custom', path: ['comparisons', i, k], message: `'${label}' is not a method label of this study` });
      }),
    );
  });

export type StudyConfig = z.output<typeof StudyConfigSchema>;
export type StudyConfigInput = z.input<typeof StudyConfigSchema>;
export type StudyEntry = z.output<typeof StudyEntrySchema>;

export function parseStudyConfig(input: unknown): StudyConfig {
  return parseOrExplain(StudyConfigSchema, input, 'study config');
}

/** One row of the table as the study file implies it: an entry without a grid, or one point of an entry's grid. */
export type StudyRowEntry = Omit<StudyEntry, 'grid'> & {
  /** The label of the study file's entry the row comes from (its own label when it has no grid). */
  entry: string;
};

/** The rows of an entry: itself, or one per (learning rate, epochs) point of its grid, lr varying slowest. */
export function gridPoints(entry: StudyEntry): StudyRowEntry[] {
  const { grid, ...settings } = entry;
  if (!grid) return [{ ...settings, entry: entry.label }];
  const rates: (number | undefined)[] = grid.lr ?? [undefined];
  const epochs: (number | undefined)[] = grid.epochs ?? [undefined];
  return rates.flatMap((lr) =>
    epochs.map((epochCount) => {
      const axes = [lr === undefined ? '' : `lr ${lr}`, epochCount === undefined ? '' : `${epochCount} ep`].filter(Boolean).join(', ');
      return { ...settings, ...(lr === undefined ? {} : { lr }), ...(epochCount === undefined ? {} : { epochs: epochCount }), label: `${entry.label} (${axes})`, entry: entry.label };
    }),
  );
}

/** Every method row of a study, grids expanded, in the file's order. */
export function studyRowEntries(study: StudyConfig): StudyRowEntry[] {
  return study.methods.flatMap(gridPoints);
}

/** One metric cell: mean +- sample std over the row's repeats, and |mean - Retrain's mean|. */
export interface StudyCell {
  mean: number;
  std: number;
  gap: number | null;
}

export const STUDY_METRICS = ['UA', 'RA', 'TA', 'MIA'] as const;
export type StudyMetric = (typeof STUDY_METRICS)[number];

/** One finished, evaluated run of a row (one seed / learning rate), as the per-seed view shows it. */
export interface StudyRun {
  runId: string;
  /** The evaluate run whose metrics these are (its score artifact feeds the MIA histograms). */
  evaluationId: string;
  seed: number | null;
  lr: number | null;
  /** The run's value and |value - Retrain's mean|. */
  metrics: Record<StudyMetric, { value: number; gap: number | null }>;
  avgGap: number | null;
  seconds: number | null;
}

export interface StudyRow {
  label: string;
  /** The study file's entry the row comes from: its grid's label for a grid point, else the row's own label. */
  entry: string;
  role: 'original' | 'retrain' | 'method';
  method: string | null;
  aggregator: string | null;
  /** Finished and evaluated repeats, and how many the config asks for. */
  repeats: number;
  planned: number;
  metrics: Record<StudyMetric, StudyCell> | null;
  /** Mean of the four gaps (of the row means). */
  avgGap: number | null;
  /** Run time of the unlearning in seconds (training time for the original and Retrain). */
  rte: { mean: number; std: number } | null;
  /** Stronger checks, row means: accuracy in percent, relearning in attack steps. */
  boundary: number | null;
  pgd: number | null;
  relearnSteps: number | null;
  /** Columns in which this row is best among the method rows. */
  best: string[];
  /** The repeats behind the row's means. */
  runs: StudyRun[];
}

export interface StudyTable {
  study: string;
  dataset: string;
  model: string;
  forgetSet: { id: number; name: string; size: number } | null;
  backend: string | null;
  rows: StudyRow[];
  /** Set when the rows were chosen: 'best-avg-gap' keeps each entry's grid point with the lowest Avg. Gap. */
  selection?: 'best-avg-gap';
  /** The study's paired comparisons of Avg. Gap across seeds. */
  comparisons?: StudyComparison[];
  /** The likelihood-ratio membership test of the rows the config names. */
  lira?: StudyLira[];
}

/** A paired comparison of two rows' Avg. Gap over the seeds both have. */
export interface StudyComparison {
  /** The labels asked for, and the rows they resolved to (an entry with a grid: its best point). */
  a: string;
  b: string;
  rowA: string | null;
  rowB: string | null;
  seeds: number[];
  /** mean over seeds of AvgGap(A) - AvgGap(B) (negative: A is closer to Retrain), with its interval; null without a shared seed. */
  difference: BootstrapInterval | null;
}

/** The likelihood-ratio test of one row against Retrain over the forget set. */
export interface LiraSummary {
  k: number;
  examples: number;
  /** Mean and median over the forget examples of the challenge's count-based epsilon, and the largest finite value it can take at K. */
  challengeEpsilonMean: number;
  challengeEpsilonMedian: number;
  resolution: number;
  /** The same of the Gaussian-fit epsilon, and what identical distributions give on average at K. */
  gaussianEpsilonMean: number;
  gaussianEpsilonMedian: number;
  gaussianNoiseFloor: number;
  /** The challenge's forgetting quality: the mean points of the examples' epsilons (1 = indistinguishable from Retrain). */
  forgettingQuality: number;
  /** forgettingQuality x (RA_U / RA_R) x (TA_U / TA_R), the challenge's final score; null without accuracies. */
  score: number | null;
}

export interface StudyLira {
  label: string;
  k: number;
  /** Evaluated models found so far on each side (the test needs K each). */
  unlearned: number;
  retrained: number;
  summary: LiraSummary | null;
}

/** Objectives a Pareto analysis can use, each minimised (accuracies enter negated). */
export const PARETO_OBJECTIVES = ['UA_gap', 'RA_gap', 'TA_gap', 'MIA_gap', 'avg_gap', 'RA', 'TA', 'RTE'] as const;
export type ParetoObjective = (typeof PARETO_OBJECTIVES)[number];

export const ParetoRequestSchema = z.object({
  study: z.string().min(1, 'name the study'),
  objectives: z
    .array(z.enum(PARETO_OBJECTIVES, { error: `objectives are ${PARETO_OBJECTIVES.join(', ')}` }))
    .min(2, 'choose two or three objectives')
    .max(3, 'choose two or three objectives'),
  /** Hypervolume reference point in the minimised space; default: each objective's worst value plus 10% of its range (or 1). */
  reference: z.array(z.number().finite()).optional(),
});

export type ParetoRequest = z.output<typeof ParetoRequestSchema>;

export interface ParetoPoint {
  runId: string;
  label: string;
  seed: number | null;
  lr: number | null;
  /** Objective values as minimised (accuracies negated). */
  values: number[];
  dominated: boolean;
}

export interface ParetoAnalysis {
  study: string;
  objectives: ParetoObjective[];
  points: ParetoPoint[];
  reference: number[];
  hypervolume: number;
}
