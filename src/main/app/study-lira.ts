/**
 * The likelihood-ratio membership test of a study's named rows, read from the catalog:
 * each model's evaluation kept the forget set's per-sample logit-scaled confidence, which
 * is the challenge's statistic; K unlearned and K Retrain models give each example its
 * two samples (engine/evaluation/lira.ts).
 */
import type { StudyConfig, StudyLira } from '../../shared/study-config.js';
import type { Catalog } from '../catalog/catalog.js';
import { likelihoodRatioTest } from '../engine/evaluation/lira.js';
import { readScoreFile } from '../engine/evaluation/score-file.js';
import type { UnlearnConfig } from '../../shared/unlearn-config.js';
import { evaluationRequest, hashOf, liraPlan } from './study-plan.js';

interface Model {
  statistic: Float64Array;
  retain: number;
  test: number;
}

/** The evaluated model of a finished run of this config, with its forget samples' statistic in index order; undefined until both exist. */
function evaluatedModel(catalog: Catalog, config: StudyConfig, kind: 'unlearn' | 'retrain', run: UnlearnConfig, forgetSet: number): Model | undefined {
  const found = catalog.runs.latestFinished(kind, hashOf.unlearn(run));
  const checkpoint = found && catalog.checkpoints.forRun(found.id)[0];
  if (!checkpoint) return undefined;
  const evaluation = catalog.runs.latestFinished('evaluate', hashOf.evaluate(evaluationRequest(config, checkpoint.hash, forgetSet)));
  const artifact = evaluation && catalog.artifacts.forRun(evaluation.id).find((a) => a.kind === 'sample-scores');
  const forget = artifact && readScoreFile(artifact.path).find((g) => g.name === 'forget');
  if (!forget) return undefined;
  // Every model scores the same forget set; sorting by sample index lines the examples up across models.
  const order = Array.from(forget.indices.keys()).sort((a, b) => forget.indices[a]! - forget.indices[b]!);
  const metrics = catalog.runs.latestMetrics(evaluation.id);
  return { statistic: Float64Array.from(order, (i) => forget.columns.logitConfidence[i]!), retain: metrics.RA ?? NaN, test: metrics.TA ?? NaN };
}

const meanOf = (models: Model[], key: 'retain' | 'test') => models.reduce((s, m) => s + m[key], 0) / models.length;

export function studyLira(catalog: Catalog, config: StudyConfig, original: string, forgetSet: number): StudyLira[] {
  const plan = liraPlan(config, original, forgetSet);
  if (!config.lira) return [];
  const k = config.lira.k;
  const retrained = plan.retrains.map((run) => evaluatedModel(catalog, config, 'retrain', run, forgetSet)).filter((m): m is Model => m !== undefined);
  return plan.rows.map(({ label, runs }) => {
    const unlearned = runs.map((run) => evaluatedModel(catalog, config, 'unlearn', run.config, forgetSet)).filter((m): m is Model => m !== undefined);
    const complete = unlearned.length === k && retrained.length === k;
    const summary = complete
      ? likelihoodRatioTest(
          unlearned.map((m) => m.statistic),
          retrained.map((m) => m.statistic),
          { retainUnlearned: meanOf(unlearned, 'retain'), retainRetrained: meanOf(retrained, 'retain'), testUnlearned: meanOf(unlearned, 'test'), testRetrained: meanOf(retrained, 'test') },
        )
      : null;
    return { label, k, unlearned: unlearned.length, retrained: retrained.length, summary };
  });
}
