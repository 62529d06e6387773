/**
 * A study: one dataset, one forget set, one original model, one Retrain, and many
 * (method, aggregator, hyper-parameters, seed) runs compared against it. Written as a
 * YAML file for `lethe study run`, validated the same way from every door. Its kind
 * follows the dataset: the facts dataset makes a language-model study (a transformer,
 * a forget split, the sequence methods, TOFU's metrics), any other a classifier study.
 */
import { z } from 'zod';
import { EvaluationChecksSchema } from './evaluation.js';
import { ForgetRuleSchema } from './forget-set.js';
import { LmRelearningRequestSchema } from './lm-evaluation.js';
import { FORGET_SPLIT_NAMES, LmTrainConfigSchema, TRANSFORMER_MODELS } from './lm-train-config.js';
import { LmUnlearnConfigSchema } from './lm-unlearn-config.js';
import { TrainConfigSchema } from './train-config.js';
import { UnlearnConfigSchema } from './unlearn-config.js';
import type { BootstrapInterval } from './bootstrap.js';
import { InvalidRequestError, parseOrExplain, positiveInt, schemaChosenBy } from './validation.js';

export type StudyKind = 'classifier' | 'language-model';

/** The dataset whose studies are of language models. */
export const LANGUAGE_MODEL_DATASET = 'facts';

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

/**
 * Labels name rows: unique (a grid's points included), not a reference row's, and no entry
 * is a Retrain of its own. Returns every row label.
 */
function checkEntries<E extends { label: string; method: string }>(methods: readonly E[], ctx: z.RefinementCtx, rowLabels: (entry: E) => string[] = (entry) => [entry.label]): Set<string> {
  const seen = new Set<string>();
  methods.forEach((entry, i) => {
    if (entry.label === 'Original' || entry.label === 'Retrain') ctx.addIssue({ code: 'custom', path: ['methods', i, 'label'], message: `'${entry.label}' is the name of a reference row` });
    for (const label of new Set(rowLabels(entry))) {
      if (seen.has(label)) ctx.addIssue({ code: 'custom', path: ['methods', i, 'label'], message: `label '${label}' is used twice` });
      seen.add(label);
    }
    if (entry.method === 'retrain') ctx.addIssue({ code: 'custom', path: ['methods', i, 'method'], message: 'the study makes its own Retrain; list only unlearning methods' });
  });
  return seen;
}

const retrainOverrides = z
  .strictObject({
    epochs: z.number().int().positive().optional(),
    lr: learningRate.optional(),
    batchSize: z.number().int().positive().optional(),
    seed: z.number().int().optional(),
  })
  .default({});

const seedList = z.array(z.number().int('seeds are integers')).min(1, 'give at least one seed').default([1]);

/** Two rows (entry labels, or a grid point's label) whose Avg. Gaps are compared seed by seed. */
const ComparisonSchema = z.tuple([z.string().min(1), z.string().min(1)], { error: 'a comparison is a pair of labels, [A, B]' });

export const ClassifierStudyConfigSchema = z
  .strictObject({
    name: z.string().min(1, 'name the study').max(200),
    description: z.string().default(''),
    dataset: z.string().min(1, 'name the dataset'),
    model: z.string().min(1, 'name the model'),
    /** The original model's recipe; Retrain uses the same one on the retain set unless overridden. */
    original: TrainConfigSchema.omit({ dataset: true, model: true }).default(TrainConfigSchema.omit({ dataset: true, model: true }).parse({})),
    retrain: retrainOverrides,
    forget: ForgetRuleSchema,
    /** Seeds every method entry is repeated over. */
    seeds: seedList,
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
    study.methods.forEach((entry, i) => {
      if (entry.grid?.lr && entry.lr !== undefined) ctx.addIssue({ code: 'custom', path: ['methods', i, 'grid', 'lr'], message: 'give the learning rate either as lr or as a grid axis, not both' });
      if (entry.grid?.epochs && entry.epochs !== undefined) ctx.addIssue({ code: 'custom', path: ['methods', i, 'grid', 'epochs'], message: 'give epochs either as epochs or as a grid axis, not both' });
    });
    const seen = checkEntries(study.methods, ctx, (entry) => [entry.label, ...gridPoints(entry).map((point) => point.label)]);
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

/** A classifier study's field given in a language-model study: refused with the reason rather than dropped. */
function notForLanguageModels(reason: string) {
  return z.undefined({ error: `not in a language-model study: ${reason}` }).optional();
}

const stepCount = z.number({ error: 'steps must be a number' }).int('steps are whole numbers').positive('steps must be positive');

/** A language-model entry's grid: its length is unlearning steps, not epochs. */
const LmGridSchema = z.strictObject({
  lr: z.array(learningRate).min(1, 'a grid axis needs at least one value').optional(),
  steps: z.array(stepCount).min(1, 'a grid axis needs at least one value').optional(),
});

/** One row of a language-model study: a sequence method with its settings, repeated over seeds and learning rates. */
export const LmStudyEntrySchema = LmUnlearnConfigSchema.omit({ checkpoint: true, split: true }).extend({
  label: z.string().min(1, 'every method entry needs a label').max(100),
  lr: z.union([learningRate, z.array(learningRate).min(1, 'a learning-rate sweep needs at least one rate')]).optional(),
  seeds: z.array(z.number().int('seeds are integers')).min(1).optional(),
  /** Optional here (unlearn-lm's default applies), so that steps given both ways are told apart. */
  steps: stepCount.optional(),
  /** A grid: one row per point, labelled `label (lr X, N steps)`, each repeated over the seeds. */
  grid: LmGridSchema.optional(),
});

const lmOriginalRecipe = LmTrainConfigSchema.omit({ model: true, retainOf: true });

/** A language-model study: a transformer trained on the facts dataset, a forget split, Retrain on its retain people, TOFU's evaluation of every run. */
export const LmStudyConfigSchema = z
  .strictObject({
    name: z.string().min(1, 'name the study').max(200),
    description: z.string().default(''),
    dataset: z.literal(LANGUAGE_MODEL_DATASET),
    model: z.enum(TRANSFORMER_MODELS, { error: `a language-model study's model is one of ${TRANSFORMER_MODELS.join(', ')}` }),
    /** The original's recipe and the facts dataset's options; Retrain uses the same unless overridden. */
    original: lmOriginalRecipe.default(lmOriginalRecipe.parse({})),
    retrain: retrainOverrides,
    forget: z.strictObject({ split: z.enum(FORGET_SPLIT_NAMES, { error: `forget.split must be one of ${FORGET_SPLIT_NAMES.join(', ')}` }).default('forget05') }).default({ split: 'forget05' }),
    seeds: seedList,
    evaluation: z
      .strictObject({
        /** Retain people measured (the first ones); default as many as the split forgets. */
        retainPeople: positiveInt('retain people').optional(),
        /** The relearning attack on every evaluated model (`relearn: {}` for its defaults); absent: not run. */
        relearn: LmRelearningRequestSchema.optional(),
      })
      .default({}),
    methods: z.array(LmStudyEntrySchema).min(1, 'list at least one method'),
    comparisons: notForLanguageModels('comparisons are of Avg. Gap, which language-model studies do not have; compare forget quality and model utility in the table or on the Pareto front'),
    lira: notForLanguageModels("the likelihood-ratio membership test is of classifier studies; a language-model study's privacy leak column is its membership measure"),
  })
  .superRefine((study, ctx) => {
    study.methods.forEach((entry, i) => {
      if (entry.grid?.lr && entry.lr !== undefined) ctx.addIssue({ code: 'custom', path: ['methods', i, 'grid', 'lr'], message: 'give the learning rate either as lr or as a grid axis, not both' });
      if (entry.grid?.steps && entry.steps !== undefined) ctx.addIssue({ code: 'custom', path: ['methods', i, 'grid', 'steps'], message: 'give steps either as steps or as a grid axis, not both' });
    });
    checkEntries(study.methods, ctx, (entry) => [entry.label, ...lmGridPoints(entry).map((point) => point.label)]);
  });

/** A study of either kind, checked against its kind's schema (the dataset decides), so errors name that kind's fields. */
export const StudyConfigSchema = schemaChosenBy<StudyConfig | LmStudyConfig>((input) => (isLanguageModelInput(input) ? LmStudyConfigSchema : ClassifierStudyConfigSchema));

function isLanguageModelInput(input: unknown): boolean {
  return typeof input === 'object' && input !== null && (input as { dataset?: unknown }).dataset === LANGUAGE_MODEL_DATASET;
}

/** A classifier study's config. */
export type StudyConfig = z.output<typeof ClassifierStudyConfigSchema>;
export type LmStudyConfig = z.output<typeof LmStudyConfigSchema>;
export type AnyStudyConfig = StudyConfig | LmStudyConfig;
export type StudyConfigInput = z.input<typeof ClassifierStudyConfigSchema> | z.input<typeof LmStudyConfigSchema>;
export type StudyEntry = z.output<typeof StudyEntrySchema>;
export type LmStudyEntry = z.output<typeof LmStudyEntrySchema>;

export function isLanguageModelStudy(config: AnyStudyConfig): config is LmStudyConfig {
  return config.dataset === LANGUAGE_MODEL_DATASET;
}

export function studyKind(config: AnyStudyConfig): StudyKind {
  return isLanguageModelStudy(config) ? 'language-model' : 'classifier';
}

export function parseStudyConfig(input: unknown): AnyStudyConfig {
  return parseOrExplain(StudyConfigSchema, input, 'study config');
}

/** A classifier study's config (for code that only makes those). */
export function parseClassifierStudyConfig(input: unknown): StudyConfig {
  return parseOrExplain(ClassifierStudyConfigSchema, input, 'study config');
}

/** One row of the table as the study file implies it: an entry without a grid, or one point of an entry's grid. */
export type StudyRowEntry = Omit<StudyEntry, 'grid'> & {
  /** The label of the study file's entry the row comes from (its own label when it has no grid). */
  entry: string;
};

/**
 * An entry's rows: itself, or one per (learning rate, length) point of its grid, lr
 * varying slowest; the length is `lengthKey` (epochs, or a language model's steps),
 * written `N unit` in the label.
 */
function expandGrid<E extends { label: string }>(entry: E, grid: { lr?: number[] } | undefined, lengthKey: string, lengths: number[] | undefined, unit: string): (E & { entry: string })[] {
  if (!grid) return [{ ...entry, entry: entry.label }];
  const rates: (number | undefined)[] = grid.lr ?? [undefined];
  return rates.flatMap((lr) =>
    (lengths ?? [undefined]).map((length) => {
      const axes = [lr === undefined ? '' : `lr ${lr}`, length === undefined ? '' : `${length} ${unit}`].filter(Boolean).join(', ');
      return { ...entry, ...(lr === undefined ? {} : { lr }), ...(length === undefined ? {} : { [lengthKey]: length }), label: `${entry.label} (${axes})`, entry: entry.label };
    }),
  );
}

/** The rows of an entry: itself, or one per (learning rate, epochs) point of its grid, lr varying slowest. */
export function gridPoints(entry: StudyEntry): StudyRowEntry[] {
  const { grid, ...settings } = entry;
  return expandGrid(settings, grid, 'epochs', grid?.epochs, 'ep');
}

/** Every method row of a classifier study, grids expanded, in the file's order. */
export function studyRowEntries(study: StudyConfig): StudyRowEntry[] {
  return study.methods.flatMap(gridPoints);
}

/** One row of a language-model study's table: an entry without a grid, or one point of an entry's grid. */
export type LmStudyRowEntry = Omit<LmStudyEntry, 'grid'> & { entry: string };

/** The rows of a language-model entry: itself, or one per (learning rate, steps) point of its grid, lr varying slowest. */
export function lmGridPoints(entry: LmStudyEntry): LmStudyRowEntry[] {
  const { grid, ...settings } = entry;
  return expandGrid(settings, grid, 'steps', grid?.steps, 'steps');
}

/** Every method row of a language-model study, grids expanded, in the file's order. */
export function lmStudyRowEntries(study: LmStudyConfig): LmStudyRowEntry[] {
  return study.methods.flatMap(lmGridPoints);
}

/** One metric cell: mean +- sample std over the row's repeats, and |mean - Retrain's mean|. */
export interface StudyCell {
  mean: number;
  std: number;
  gap: number | null;
}

/** A classifier study's headline metrics (%), each judged by its gap to Retrain. */
export const STUDY_METRICS = ['UA', 'RA', 'TA', 'MIA'] as const;
export type StudyMetric = (typeof STUDY_METRICS)[number];

/** The relearning attack's columns, in a language-model study whose evaluation runs it. */
export const LM_RELEARNING_METRICS = ['relearn_probability', 'relearn_rouge', 'relearn_recovered_probability'] as const;

/** A language-model study's headline metrics, as TOFU reports them (the evaluation's metric names). */
export const LM_STUDY_METRICS = ['forget_quality', 'model_utility', 'forget_probability', 'forget_rouge', 'retain_probability', 'retain_rouge', 'paraphrase_probability', 'paraphrase_rouge', 'privacy_leak', 'fluency', ...LM_RELEARNING_METRICS] as const;
export type LmStudyMetric = (typeof LM_STUDY_METRICS)[number];

type MetricOf<K extends StudyKind> = K extends 'classifier' ? StudyMetric : LmStudyMetric;

/**
 * How each column of a study's table is read: its header and which value is best among
 * the methods (gap: nearest Retrain; high / low; zero: nearest 0; none: not marked).
 */
export const STUDY_COLUMNS: { [K in StudyKind]: Record<MetricOf<K>, { header: string; best: 'gap' | 'high' | 'low' | 'zero' | 'none' }> } = {
  classifier: { UA: { header: 'UA', best: 'gap' }, RA: { header: 'RA', best: 'gap' }, TA: { header: 'TA', best: 'gap' }, MIA: { header: 'MIA', best: 'gap' } },
  'language-model': {
    forget_quality: { header: 'Forget quality', best: 'high' },
    model_utility: { header: 'Model utility', best: 'high' },
    forget_probability: { header: 'Forget prob.', best: 'none' },
    forget_rouge: { header: 'Forget ROUGE', best: 'none' },
    retain_probability: { header: 'Retain prob.', best: 'none' },
    retain_rouge: { header: 'Retain ROUGE', best: 'none' },
    paraphrase_probability: { header: 'Para. prob.', best: 'none' },
    paraphrase_rouge: { header: 'Para. ROUGE', best: 'none' },
    privacy_leak: { header: 'Privacy leak', best: 'zero' },
    fluency: { header: 'Perplexity', best: 'none' },
    // After the relearning attack, on the held-back forget pairs: best nearest Retrain's, a model that never knew them.
    relearn_probability: { header: 'Relearn prob.', best: 'gap' },
    relearn_rouge: { header: 'Relearn ROUGE', best: 'gap' },
    relearn_recovered_probability: { header: 'Recovered P', best: 'gap' },
  },
};

/** A study's metric columns: its kind's, the relearning attack's only where its evaluation runs the attack. */
export function studyColumns(config: AnyStudyConfig): string[] {
  if (!isLanguageModelStudy(config)) return [...STUDY_METRICS];
  return LM_STUDY_METRICS.filter((m) => config.evaluation.relearn !== undefined || !(LM_RELEARNING_METRICS as readonly string[]).includes(m));
}

/** One finished, evaluated run of a row (one seed / learning rate), as the per-seed view shows it. */
export interface StudyRun<M extends string = StudyMetric> {
  runId: string;
  /** The evaluate run whose metrics these are (its score artifact feeds the MIA histograms). */
  evaluationId: string;
  seed: number | null;
  lr: number | null;
  /** The run's value and |value - Retrain's mean|. */
  metrics: Record<M, { value: number; gap: number | null }>;
  avgGap: number | null;
  seconds: number | null;
}

export interface StudyRow<M extends string = StudyMetric> {
  label: string;
  /** The study file's entry the row comes from: its grid's label for a grid point, else the row's own label. */
  entry: string;
  role: 'original' | 'retrain' | 'method';
  method: string | null;
  aggregator: string | null;
  /** Finished and evaluated repeats, and how many the config asks for. */
  repeats: number;
  planned: number;
  metrics: Record<M, StudyCell> | null;
  /** Classifier studies: mean of the four gaps (of the row means). */
  avgGap: number | null;
  /** Run time of the unlearning in seconds (training time for the original and Retrain). */
  rte: { mean: number; std: number } | null;
  /** Stronger checks (classifier studies), row means: accuracy in percent, relearning in attack steps. */
  boundary: number | null;
  pgd: number | null;
  relearnSteps: number | null;
  /** Columns in which this row is best among the method rows. */
  best: string[];
  /** The repeats behind the row's means. */
  runs: StudyRun<M>[];
}

export interface StudyTableOf<K extends StudyKind> {
  kind: K;
  study: string;
  dataset: string;
  model: string;
  /** The metric columns, in order. */
  columns: readonly MetricOf<K>[];
  /** Classifier studies: the catalogued forget set; language-model studies: the split's name and its question-answer pairs. */
  forgetSet: { id: number; name: string; size: number } | null;
  backend: string | null;
  rows: StudyRow<MetricOf<K>>[];
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

/** A classifier study's table. */
export type StudyTable = StudyTableOf<'classifier'>;
export type LmStudyTable = StudyTableOf<'language-model'>;
export type AnyStudyTable = StudyTable | LmStudyTable;

/** The table of a classifier study; the error names the study where it is of another kind (MIA histograms, for one, are the classifier's). */
export function classifierTable(table: AnyStudyTable): StudyTable {
  if (table.kind !== 'classifier') throw new InvalidRequestError(`study '${table.study}' is a ${table.kind} study; this view is of classifier studies`);
  return table;
}

/** Objectives a Pareto analysis of a classifier study can use, each minimised (accuracies enter negated). */
export const PARETO_OBJECTIVES = ['UA_gap', 'RA_gap', 'TA_gap', 'MIA_gap', 'avg_gap', 'RA', 'TA', 'RTE'] as const;
/** Those of a language-model study; forget quality and model utility enter negated (TOFU's plot is the first two). */
export const LM_PARETO_OBJECTIVES = ['forget_quality', 'model_utility', 'RTE'] as const;
export type ParetoObjective = (typeof PARETO_OBJECTIVES)[number] | (typeof LM_PARETO_OBJECTIVES)[number];

export const PARETO_OBJECTIVES_BY_KIND: Record<StudyKind, readonly ParetoObjective[]> = { classifier: PARETO_OBJECTIVES, 'language-model': LM_PARETO_OBJECTIVES };
const ALL_PARETO_OBJECTIVES = [...new Set([...PARETO_OBJECTIVES, ...LM_PARETO_OBJECTIVES])] as [ParetoObjective, ...ParetoObjective[]];

export const ParetoRequestSchema = z.object({
  study: z.string().min(1, 'name the study'),
  objectives: z
    .array(z.enum(ALL_PARETO_OBJECTIVES, { error: `objectives are ${PARETO_OBJECTIVES.join(', ')} (classifier studies) or ${LM_PARETO_OBJECTIVES.join(', ')} (language-model studies)` }))
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
