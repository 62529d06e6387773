/**
 * Runs a study through the service: the forget set, the original, then Retrain and
 * every (method, learning rate, seed) run, each checkpoint evaluated as soon as it
 * exists. After the original, these chains (a run, then its evaluation) are independent:
 * `concurrency` of them run at once (one for the local engine, which runs jobs one at a
 * time anyway; all for a queue of workers). A run whose config hash the catalog already holds as finished is
 * skipped, so a study started again after a crash or with new entries only does what is
 * missing. A failed run is reported and the others go on.
 */
import type { RunKind, RunRecord, StudyRecord } from '../../shared/catalog-types.js';
import type { RunSummary } from '../../shared/catalog-types.js';
import type { StudyProgress } from '../../shared/lethe-api.js';
import { studyRowEntries, type StudyConfig } from '../../shared/study-config.js';
import type { Catalog } from '../catalog/catalog.js';
import { InvalidRequestError } from '../../shared/validation.js';
import { entryRepeats, entryRuns, evaluationRequest, hashOf, liraPlan, originalConfig, retrainConfig } from './study-plan.js';

/** The parts of the service a study drives. */
export interface StudyService {
  startTraining(config: object): Promise<RunSummary>;
  startUnlearning(config: object): Promise<RunSummary>;
  startEvaluation(request: object): Promise<RunSummary>;
  createForgetSet(request: object): Promise<{ forgetSet: { id: number } }>;
  waitForRun(id: string): Promise<RunSummary>;
}

export interface StudyOutcome {
  study: StudyRecord;
  created: number;
  skipped: number;
  failed: { label: string; runId: string; error: string }[];
}

export class StudyFailedStep extends Error {}

export async function runStudy(service: StudyService, catalog: Catalog, config: StudyConfig, report: (progress: StudyProgress) => void, concurrency = 1): Promise<StudyOutcome> {
  const trainConfig = originalConfig(config);
  // The forget set first: the engine checks its rule against the dataset, so a rule it
  // refuses leaves no study behind and costs no training.
  const { forgetSet } = await service.createForgetSet({ dataset: config.dataset, rule: config.forget, splitSeed: trainConfig.splitSeed }).catch((error: Error) => {
    // Named by its field, as the config's other refusals are (the window shows it there).
    throw error instanceof InvalidRequestError ? new InvalidRequestError(`study config: forget: ${error.message}`) : error;
  });
  const study = catalog.studies.byName(config.name) ?? catalog.studies.create(config.name, config.description);
  catalog.studies.setConfig(study.id, config.description, config, forgetSet.id);
  const outcome: StudyOutcome = { study, created: 0, skipped: 0, failed: [] };
  const planned = 2 + studyRowEntries(config).reduce((n, entry) => n + entryRepeats(config, entry).length, 0);
  // The likelihood-ratio test's models: each a run and its evaluation (skipped where the study already has them).
  const liraModels = config.lira ? config.lira.k * (1 + config.lira.rows.length) : 0;
  const total = 2 * (planned + liraModels);
  let done = 0;

  /** The finished run for this config: the catalog's, or a new one run to its end. */
  const ensure = async (label: string, kind: RunKind, hash: string, start: () => Promise<RunSummary>): Promise<RunRecord | undefined> => {
    const existing = catalog.runs.latestFinished(kind, hash);
    if (existing) {
      catalog.studies.addRun(study.id, existing.id);
      outcome.skipped += 1;
      report({ study: config.name, label, kind, runId: existing.id, status: 'skipped', done: ++done, total });
      return existing;
    }
    const started = await start();
    report({ study: config.name, label, kind, runId: started.id, status: 'started', done, total });
    const ended = await service.waitForRun(started.id);
    outcome.created += 1;
    if (ended.status !== 'finished') {
      // A failed run stays in the study, so its reports list it; a cancelled one never ran to an outcome.
      if (ended.status === 'failed') catalog.studies.addRun(study.id, ended.id);
      outcome.failed.push({ label, runId: ended.id, error: ended.error ?? ended.status });
      report({ study: config.name, label, kind, runId: ended.id, status: ended.status === 'cancelled' ? 'cancelled' : 'failed', error: ended.error ?? undefined, done: ++done, total });
      if (ended.status === 'cancelled') throw new StudyFailedStep(`${label}: cancelled; the study stops (run it again to resume)`);
      return undefined;
    }
    catalog.studies.addRun(study.id, ended.id);
    report({ study: config.name, label, kind, runId: ended.id, status: 'finished', done: ++done, total });
    return catalog.runs.get(ended.id);
  };
  const checkpointOf = (run: RunRecord) => catalog.checkpoints.forRun(run.id)[0]?.hash;
  const evaluate = async (label: string, run: RunRecord | undefined, forgetSet: number) => {
    const checkpoint = run && checkpointOf(run);
    if (!checkpoint) return;
    const request = evaluationRequest(config, checkpoint, forgetSet);
    await ensure(`${label} (evaluation)`, 'evaluate', hashOf.evaluate(request), () => service.startEvaluation(request));
  };

  const original = await ensure('Original', 'train', hashOf.train(trainConfig), () => service.startTraining(trainConfig));
  const originalCheckpoint = original && checkpointOf(original);
  if (!originalCheckpoint) throw new StudyFailedStep(`the original model could not be trained: ${outcome.failed[0]?.error ?? 'no checkpoint was recorded'}`);
  const retrain = retrainConfig(config, originalCheckpoint, forgetSet.id);
  const chains = [
    () => evaluate('Original', original, forgetSet.id),
    async () => evaluate('Retrain', await ensure('Retrain', 'retrain', hashOf.unlearn(retrain), () => service.startUnlearning(retrain)), forgetSet.id),
    ...studyRowEntries(config).flatMap((entry) =>
      entryRuns(config, entry, originalCheckpoint, forgetSet.id).map((run) => async () => {
        const label = `${run.label} (seed ${run.seed}${run.lr === null ? '' : `, lr ${run.lr}`})`;
        await evaluate(label, await ensure(label, 'unlearn', hashOf.unlearn(run.config), () => service.startUnlearning(run.config)), forgetSet.id);
      }),
    ),
  ];
  const lira = liraPlan(config, originalCheckpoint, forgetSet.id);
  chains.push(
    ...lira.retrains.map((retrainModel) => async () => {
      const label = `Retrain (likelihood-ratio test, seed ${retrainModel.seed})`;
      await evaluate(label, await ensure(label, 'retrain', hashOf.unlearn(retrainModel), () => service.startUnlearning(retrainModel)), forgetSet.id);
    }),
    ...lira.rows.flatMap((row) =>
      row.runs.map((run) => async () => {
        const label = `${row.label} (likelihood-ratio test, seed ${run.seed})`;
        await evaluate(label, await ensure(label, 'unlearn', hashOf.unlearn(run.config), () => service.startUnlearning(run.config)), forgetSet.id);
      }),
    ),
  );
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
