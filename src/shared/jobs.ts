/** The jobs panel's contents: what runs now, what waits, and the last failures. */

export const JOB_KINDS = ['train', 'retrain', 'unlearn', 'evaluate', 'import', 'study'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export interface JobEntry {
  /** A run's id, an import's engine job id, or study:<name>. */
  id: string;
  kind: JobKind;
  label: string;
  status: 'queued' | 'running';
  /** Completion in [0, 1], null while unknown. */
  progress: number | null;
  etaSeconds: number | null;
  /** What it is doing now (an import's phase, a study's current run). */
  detail: string | null;
  /** The run page to open: the run itself, or a study's current run. */
  runId: string | null;
  /** When it started running (ms since the epoch); null while queued. */
  startedAt: number | null;
}

export interface JobFailure {
  id: string;
  kind: JobKind;
  label: string;
  error: string;
  runId: string | null;
  at: number;
}

export interface JobList {
  active: JobEntry[];
  /** Newest first, at most JOB_FAILURES_KEPT. */
  failures: JobFailure[];
}

export const JOB_FAILURES_KEPT = 10;
