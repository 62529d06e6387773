/**
 * A synthetic study written straight into a catalog with the configs a real study
 * records, for the benches of what reads one (bench/window-data.ts, bench/report.ts):
 * 10 method entries (FT and RAUL-UPGrad by turns, 1 to 10 epochs) x `seeds` seeds plus
 * Original and Retrain, each model run finished with its evaluation (UA, RA, TA, MIA,
 * boundary accuracy) and both in the study, as the study runner records them; every
 * evaluation points at one score file of 60,000 samples (forget 6,000, test 10,000,
 * retain 44,000). No model is trained: the numbers are random.
 */
import path from 'node:path';
import { entryRuns, evaluationRequest, originalConfig, retrainConfig, unlearnRunConfig } from '../src/main/app/study-plan.js';
import type { Catalog } from '../src/main/catalog/catalog.js';
import { SCORE_COLUMNS, writeScoreFile, type ScoreGroup } from '../src/main/engine/evaluation/score-file.js';
import { Random } from '../src/main/engine/random.js';
import { parseClassifierStudyConfig, studyRowEntries, type StudyConfig } from '../src/shared/study-config.js';

export interface FakeStudyOptions {
  name: string;
  seeds: number;
  /** Seeds the random numbers. */
  randomSeed: number;
  /** RAUL-UPGrad runs log 100 steps of objective losses, weights and cosines (the report's traces). */
  traces?: boolean;
  /** The study also holds one failed run (the report lists it). */
  failedRun?: boolean;
}

export interface FakeStudy {
  config: StudyConfig;
  /** The score file every evaluation points at. */
  scoreFile: string;
}

export function writeFakeStudy(catalog: Catalog, dataDir: string, options: FakeStudyOptions): FakeStudy {
  const random = new Random(options.randomSeed);
  const config = parseClassifierStudyConfig({
    name: options.name,
    dataset: 'mnist',
    model: 'mlp',
    forget: { kind: 'random', percent: 10, seed: 1 },
    seeds: Array.from({ length: options.seeds }, (_, i) => i + 1),
    methods: Array.from({ length: 10 }, (_, k) => ({ label: `M${k}`, method: k % 2 ? 'raul' : 'ft', aggregator: 'upgrad', epochs: k + 1 })),
  });
  const dataset = catalog.datasets.upsert({ name: 'mnist', digest: 'bench', source: 'builtin', shape: [28, 28, 1], classNames: Array.from({ length: 10 }, String), sampleCount: 10_000 });
  const forgetSet = catalog.forgetSets.add({ datasetId: dataset.id, name: 'random 10%', rule: { kind: 'random' }, seed: 1, size: 6000, digest: 'bench', path: path.join(dataDir, 'forget.json') });
  const study = catalog.studies.create(config.name, 'benchmark');
  catalog.studies.setConfig(study.id, 'benchmark', config, forgetSet.id);

  function group(name: string, count: number, shift: number): ScoreGroup {
    const columns = Object.fromEntries(SCORE_COLUMNS.map((c) => [c, Float32Array.from({ length: count }, () => Math.min(1, Math.max(0, shift + 0.25 * (random.next() - 0.5) * 2)))])) as ScoreGroup['columns'];
    return { name, indices: Int32Array.from({ length: count }, (_, i) => i), labels: new Int32Array(count), columns };
  }
  const scoreFile = path.join(dataDir, 'scores.bin');
  const scoreHash = writeScoreFile(scoreFile, [group('forget', 6000, 0.8), group('test', 10_000, 0.7), group('retain', 44_000, 0.9)]);

  const base = { dataset: 'mnist', model: 'mlp', appVersion: 'bench', ownerPid: process.pid };
  let counter = 0;
  function modelRun(kind: 'train' | 'retrain' | 'unlearn', runConfig: object, seed: number, traced: boolean): string {
    const id = `${kind}-${++counter}`;
    const hash = `ckpt-${counter}`;
    catalog.runs.create({ ...base, id, kind, config: runConfig as Record<string, unknown>, seed });
    catalog.runs.markRunning(id, { name: 'wasm', device: 'CPU (bench)' });
    catalog.runs.logMetrics(id, { run_seconds: 1 + random.next() * 10 }, 1);
    if (traced) {
      catalog.runs.setParams(id, { objectives: 'forget | retain' });
      for (let step = 1; step <= 100; step++) {
        const w = random.next();
        catalog.runs.logMetrics(id, { loss_forget: 2 + random.next(), loss_retain: 0.3 * random.next(), weight_forget: w, weight_retain: 1 - w, cosine: 2 * random.next() - 1 }, step);
      }
    }
    catalog.runs.finish(id, 'finished');
    catalog.checkpoints.add({ hash, path: path.join(dataDir, hash), role: kind === 'train' ? 'original' : kind === 'retrain' ? 'retrain' : 'unlearned', runId: id, model: 'mlp', dataset: 'mnist' });
    const evaluation = `eval-${counter}`;
    catalog.runs.create({ ...base, id: evaluation, kind: 'evaluate', config: evaluationRequest(config, hash, forgetSet.id) as unknown as Record<string, unknown> });
    catalog.runs.logMetrics(evaluation, { UA: 100 * random.next(), RA: 90 + 10 * random.next(), TA: 85 + 10 * random.next(), MIA: 100 * random.next(), boundary_accuracy: 80 + 20 * random.next() }, 0);
    catalog.artifacts.add({ runId: evaluation, kind: 'sample-scores', path: scoreFile, hash: scoreHash });
    catalog.runs.finish(evaluation, 'finished');
    catalog.studies.addRun(study.id, id);
    catalog.studies.addRun(study.id, evaluation);
    return hash;
  }
  catalog.db.transaction(() => {
    const original = modelRun('train', originalConfig(config), config.original.seed, false);
    const retrain = retrainConfig(config, original, forgetSet.id);
    modelRun('retrain', unlearnRunConfig(retrain), retrain.seed, false);
    for (const entry of studyRowEntries(config)) {
      for (const planned of entryRuns(config, entry, original, forgetSet.id)) modelRun('unlearn', unlearnRunConfig(planned.config), planned.seed, Boolean(options.traces) && entry.method === 'raul');
    }
    if (options.failedRun) {
      catalog.runs.create({ ...base, id: 'failed-1', kind: 'unlearn', config: { failed: true }, seed: options.seeds + 1 });
      catalog.runs.finish('failed-1', 'failed', 'the engine process exited (signal SIGKILL) while the job was running');
      catalog.studies.addRun(study.id, 'failed-1');
    }
  })();
  return { config, scoreFile };
}
