/**
 * Membership-inference histograms of a study: for one per-sample score, the counts of
 * forget vs test (and retain) samples per bin for each chosen model, on shared bins, with
 * its MIA-efficacy and the Kolmogorov-Smirnov distance of its forget scores to Retrain's.
 * Binned on the main side from the evaluations' score artifacts.
 */
import { z } from 'zod';

/** The per-sample scores an evaluation keeps (engine/evaluation/score-file.ts writes them). */
export const HISTOGRAM_SCORES = ['confidence', 'entropy', 'loss', 'logitConfidence'] as const;
export type HistogramScore = (typeof HISTOGRAM_SCORES)[number];

export const SCORE_LABELS: Record<HistogramScore, string> = {
  confidence: 'confidence p_y',
  entropy: 'prediction entropy (nats)',
  loss: 'loss −ln p_y (nats)',
  logitConfidence: 'ln(p_y / (1 − p_y))',
};

export const HISTOGRAM_GROUPS = ['forget', 'test', 'retain', 'heldOut'] as const;
export type HistogramGroup = (typeof HISTOGRAM_GROUPS)[number];

export const HistogramRequestSchema = z.object({
  study: z.string().min(1, 'name the study'),
  score: z.enum(HISTOGRAM_SCORES, { error: `score must be one of ${HISTOGRAM_SCORES.join(', ')}` }).default('confidence'),
  /** Model runs of the study (Original, Retrain, method runs); default Original, Retrain and each method's first repeat. */
  runs: z.array(z.string().min(1)).min(1, 'choose at least one run').max(24, 'choose at most 24 runs').optional(),
  groups: z.array(z.enum(HISTOGRAM_GROUPS, { error: `groups are ${HISTOGRAM_GROUPS.join(', ')}` })).min(1, 'choose at least one group').default(['forget', 'test']),
  bins: z.number().int('bins must be an integer').min(5, 'bins must be in [5, 200]').max(200, 'bins must be in [5, 200]').default(40),
});

export type HistogramRequest = z.output<typeof HistogramRequestSchema>;
export type HistogramRequestInput = z.input<typeof HistogramRequestSchema>;

export interface HistogramPanel {
  /** The model run (train, retrain or unlearn) and the evaluation whose scores are binned. */
  runId: string;
  evaluationId: string;
  label: string;
  role: 'original' | 'retrain' | 'method';
  seed: number | null;
  /** MIA-efficacy (%) of the evaluation, on the confidence feature. */
  mia: number | null;
  /** Kolmogorov-Smirnov distance of this model's forget scores to Retrain's (0 for Retrain itself). */
  ks: number | null;
  /** Samples per bin for each requested group; every group's counts sum to its size. */
  counts: Partial<Record<HistogramGroup, number[]>>;
  sizes: Partial<Record<HistogramGroup, number>>;
}

export interface ScoreHistograms {
  study: string;
  score: HistogramScore;
  groups: HistogramGroup[];
  /** Shared bin edges (bins + 1): the 0.5% to 99.5% quantiles of all binned scores; samples beyond them count in the end bins. */
  edges: number[];
  panels: HistogramPanel[];
}
