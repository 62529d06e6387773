/**
 * Runs a study of either kind through the service (study-plan.ts says which runs and
 * how each starts): the forget set, the original, then Retrain and every (method,
 * learning rate, seed) run, each checkpoint evaluated as soon as it exists (a language
 * model's as soon as Retrain's exists too, which its evaluation compares with). After the original, these chains (a run, then its evaluation) are independent:
 * `concurrency` of them run at once (one for the local engine, which runs jobs one at a
 * time anyway; all for a queue of workers). A run whose config hash the catalog already holds as finished is
 * skipped, so a study started again after a crash or with new entries only does what is
 * missing. A failed run is reported and the others go on.
 */
import type { RunRecord, StudyRecord } from '../../shared/catalog-types.js';
import type { RunSummary } from '../../shared/catalog-types.js';
import type { StudyProgress } from '../../shared/lethe-api.js';
import { isLanguageModelStudy, lmStudyRowEntries, studyRowEntries, type AnyStudyConfig } from '../../shared/study-config.js';
import { InvalidRequestError } from '../../shared/validation.js';
import type { Catalog } from '../catalog/catalog.js';
import { entryRepeats, originalConfig, studyPlan, type PlannedStep, type StudyService } from './study-plan.js';

export type { StudyService };

export interface StudyOutcome {
  study: StudyRecord;
  created: number;
  skipped: number;
  failed: { label: string; runId: string; error: string }[];
}

export class StudyFailedStep extends Error {}

export async function runStudy(service: StudyService, catalog: Catalog, config: AnyStudyConfig, report: (progress: StudyProgress) => void, concurrency = 1): Promise<StudyOutcome> {
  // A classifier study's forget set first: the engine checks its rule against the
  // dataset, so a rule it refuses leaves no study behind and costs no training. A
  // language-model study forgets one of the facts dataset's splits.
  const forgetSetId = isLanguageModelStudy(config)
    ? null
    : (
        await service.createForgetSet({ dataset: config.dataset, rule: config.forget, splitSeed: originalConfig(config).splitSeed }).catch((error: Error) => {
          // Named by its field, as the config's other refusals are (the window shows it there).
          throw error instanceof InvalidRequestError ? new InvalidRequestError(`study config: forget: ${error.message}`) : error;
        })
      ).forgetSet.id;
  const plan = studyPlan(config, forgetSetId);
  const study = catalog.studies.byName(config.name) ?? catalog.studies.create(config.name, config.description);
  catalog.studies.setConfig(study.id, config.description, config, forgetSetId);
  const outcome: StudyOutcome = { study, created: 0, skipped: 0, failed: [] };
  const rows = isLanguageModelStudy(config) ? lmStudyRowEntries(config) : studyRowEntries(config);
  const planned = 2 + rows.reduce((n, entry) => n + entryRepeats(config, entry).length, 0);
  // The likelihood-ratio test's models: each a run and its evaluation (skipped where the study already has them).
  const liraModels = !isLanguageModelStudy(config) && config.lira ? config.lira.k * (1 + config.lira.rows.length) : 0;
  const total = 2 * (planned + liraModels);
  let done = 0;

  /** The finished run for this step: the catalog's, or a new one run to its end. */
  const ensure = async (label: string, step: PlannedStep): Promise<RunRecord | undefined> => {
    const existing = catalog.runs.latestFinished(step.kind, step.hash);
    if (existing) {
      catalog.studies.addRun(study.id, existing.id);
      outcome.skipped += 1;
      report({ study: config.name, label, kind: step.kind, runId: existing.id, status: 'skipped', done: ++done, total });
      return existing;
    }
    const started: RunSummary = await step.start(service);
    report({ study: config.name, label, kind: step.kind, runId: started.id, status: 'started', done, total });
    const ended = await service.waitForRun(started.id);
    outcome.created += 1;
    if (ended.status !== 'finished') {
      // A failed run stays in the study, so its reports list it; a cancelled one never ran to an outcome.
      if (ended.status === 'failed') catalog.studies.addRun(study.id, ended.id);
      outcome.failed.push({ label, runId: ended.id, error: ended.error ?? ended.status });
      report({ study: config.name, label, kind: step.kind, runId: ended.id, status: ended.status === 'cancelled' ? 'cancelled' : 'failed', error: ended.error ?? undefined, done: ++done, total });
      if (ended.status === 'cancelled') throw new StudyFailedStep(`${label}: cancelled; the study stops (run it again to resume)`);
      return undefined;
    }
    catalog.studies.addRun(study.id, ended.id);
    report({ study: config.name, label, kind: step.kind, runId: ended.id, status: 'finished', done: ++done, total });
    return catalog.runs.get(ended.id);
  };
  const checkpointOf = (run: RunRecord) => catalog.checkpoints.forRun(run.id)[0]?.hash;

  const original = await ensure('Original', plan.original);
  const originalCheckpoint = original && checkpointOf(original);
  if (!originalCheckpoint) throw new StudyFailedStep(`the original model could not be trained: ${outcome.failed[0]?.error ?? 'no checkpoint was recorded'}`);
  // Settles with Retrain's checkpoint once it exists (undefined if it failed); evaluations that compare with it wait for it.
  let settleRetrain: (checkpoint: string | undefined) => void = () => {};
  const retrainCheckpoint = new Promise<string | undefined>((resolve) => (settleRetrain = resolve));
  const evaluate = async (label: string, run: RunRecord | undefined) => {
    const checkpoint = run && checkpointOf(run);
    if (!checkpoint) return;
    const step = plan.evaluation(checkpoint, plan.evaluationNeedsRetrain ? await retrainCheckpoint : undefined);
    if (step) await ensure(`${label} (evaluation)`, step);
  };
  const retrainChain = async () => {
    let retrain: RunRecord | undefined;
    try {
      retrain = await ensure('Retrain', plan.retrain(originalCheckpoint));
    } finally {
      settleRetrain(retrain && checkpointOf(retrain));
    }
    await evaluate('Retrain', retrain);
  };
  const originalChain = () => evaluate('Original', original);
  const methodChains = plan.entries(originalCheckpoint).flatMap((entry) =>
    entry.runs.map((run) => async () => {
      const label = `${entry.label} (seed ${run.seed}${run.lr === null ? '' : `, lr ${run.lr}`})`;
      await evaluate(label, await ensure(label, run));
    }),
  );
  // Retrain goes first where evaluations wait for it, so a single lane never waits on a chain it has not started.
  const liraChains = plan.lira(originalCheckpoint).map(({ label, step }) => async () => evaluate(label, await ensure(label, step)));
  const chains = plan.evaluationNeedsRetrain ? [retrainChain, originalChain, ...methodChains, ...liraChains] : [originalChain, retrainChain, ...methodChains, ...liraChains];
  await inTurn(chains, concurrency);
  outcome.study = catalog.studies.byName(config.name)!;
  return outcome;
}

/**
 * Runs the tasks in order, `concurrency` at a time. After a task throws no new one
 * starts; the running ones end, then the first error is thrown.
 */
async function inTurn(tasks: (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async () => {
    while (errors.length === 0 && next < tasks.length) {
      try {
        await tasks[next++]!();
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, lane));
  if (errors.length > 0) throw errors[0];
}
