/**
 * An unlearning run records only the options of its method and aggregator, and a
 * catalog whose runs recorded every option still has its study runs found (and skipped)
 * once upgraded.
 */
import { describe, expect, it } from 'vitest';
import { runStudy, type StudyService } from '../src/main/app/study-runner.js';
import { entryRuns, evaluationRequest, originalConfig, retrainConfig, unlearnRunConfig } from '../src/main/app/study-plan.js';
import { Catalog } from '../src/main/catalog/catalog.js';
import { methodInfo } from '../src/main/engine/unlearn/method-info.js';
import { parseClassifierStudyConfig, studyRowEntries } from '../src/shared/study-config.js';
import { COMMON_UNLEARN_OPTIONS, parseUnlearnConfig, type UnlearnConfig } from '../src/shared/unlearn-config.js';
import { makeTempDir } from './helpers.js';

const recordedKeys = (input: Record<string, unknown>) =>
  Object.keys(unlearnRunConfig(parseUnlearnConfig({ checkpoint: 'h', forgetSet: 1, ...input })))
    .filter((key) => !(COMMON_UNLEARN_OPTIONS as readonly string[]).includes(key))
    .sort();

describe('recorded unlearning config', () => {
  it('holds the common options, the method\'s own and its aggregator\'s, nothing else', () => {
    expect(recordedKeys({ method: 'raul', aggregator: 'upgrad', weights: [1, 2], maskRatio: 0.3, fisherSamples: 9 })).toEqual(['aggregator', 'frozenReference', 'objectives', 'reference', 'weights']);
    expect(recordedKeys({ method: 'raul', aggregator: 'mgda', weights: [1, 2] })).toEqual(['aggregator', 'frozenReference', 'objectives', 'reference']);
    expect(recordedKeys({ method: 'bld', aggregator: 'pcgrad' })).toEqual(['aggregator', 'boundary', 'objectives']);
    expect(recordedKeys({ method: 'ft', aggregator: 'upgrad', weights: [1], reference: 'heldout' })).toEqual(['objectives']);
    expect(recordedKeys({ method: 'salun' })).toEqual(['maskRatio', 'objectives']);
    expect(recordedKeys({ method: 'scrub', alpha: 0.01 })).toEqual(['alpha', 'gamma', 'maxSteps', 'objectives', 'temperature']);
    expect(recordedKeys({ method: 'iu' })).toEqual(['fisherSamples', 'objectives']);
    const ft = unlearnRunConfig(parseUnlearnConfig({ checkpoint: 'h', forgetSet: 1, method: 'ft', epochs: 2 }));
    expect(ft).toEqual({ checkpoint: 'h', forgetSet: 1, method: 'ft', optimizer: 'sgd', momentum: 0.9, weightDecay: 5e-4, epochs: 2, batchSize: 256, seed: 1, evalBatchSize: 1000, precision: 'fp32', objectives: ['retain'] });
  });

  it('is applied to the runs of an older catalog, so a study run again over it skips every finished run', async () => {
    const study = parseClassifierStudyConfig({
      name: 'before-the-upgrade',
      dataset: 'mnist',
      model: 'mlp',
      original: { epochs: 1 },
      forget: { kind: 'random', percent: 10, seed: 1 },
      seeds: [1, 2],
      methods: [
        { label: 'RAUL', method: 'raul', aggregator: 'upgrad', epochs: 1 },
        { label: 'SCRUB', method: 'scrub', epochs: 1, lr: [1e-3, 1e-4] },
        { label: 'FT', method: 'ft', epochs: 1 },
      ],
    });
    const dir = makeTempDir('old-study');
    const old = Catalog.open(dir, { migrateTo: 4 });
    const dataset = old.datasets.upsert({ name: 'mnist', digest: 'd', source: 'builtin', shape: [28, 28, 1], classNames: [], sampleCount: 1 });
    const forgetSet = old.forgetSets.add({ datasetId: dataset.id, name: 'random 10%', rule: {}, seed: 1, size: 1, digest: 'f', path: `${dir}/forget-sets/f.json` }).id;
    let n = 0;
    /** A finished run as this catalog's version recorded it, with its checkpoint and evaluation. */
    const record = (kind: 'train' | 'retrain' | 'unlearn', config: object) => {
      const id = `run-${++n}`;
      old.runs.create({ id, kind, config: config as Record<string, unknown>, appVersion: 'old', ownerPid: process.pid });
      old.runs.finish(id, 'finished');
      const hash = String(n).padStart(64, '0');
      old.checkpoints.add({ hash, path: `${dir}/checkpoints/${hash}`, role: kind === 'train' ? 'original' : 'unlearned', runId: id, model: 'mlp', dataset: 'mnist' });
      old.runs.create({ id: `${id}-eval`, kind: 'evaluate', config: evaluationRequest(study, hash, forgetSet), appVersion: 'old', ownerPid: process.pid });
      old.runs.finish(`${id}-eval`, 'finished');
      return hash;
    };
    // Before: every option of the schema, whatever the method.
    const everyOption = (config: UnlearnConfig) => ({ ...config, objectives: methodInfo(config.method).objectives });
    const original = record('train', originalConfig(study));
    record('retrain', everyOption(retrainConfig(study, original, forgetSet)));
    for (const entry of studyRowEntries(study)) for (const planned of entryRuns(study, entry, original, forgetSet)) record('unlearn', everyOption(planned.config));
    expect(old.runs.get('run-3')!.config).toHaveProperty('maskRatio');
    old.close();

    const catalog = Catalog.open(dir);
    const refuse = async () => {
      throw new Error('the study started a run the catalog already has');
    };
    const service: StudyService = { startTraining: refuse, startUnlearning: refuse, startEvaluation: refuse, startLanguageModelTraining: refuse, startLanguageModelUnlearning: refuse, startLanguageModelEvaluation: refuse, waitForRun: refuse, createForgetSet: async () => ({ forgetSet: { id: forgetSet } }) };
    const outcome = await runStudy(service, catalog, study, () => {});
    const planned = 2 + 2 + 4 + 2;
    expect(outcome).toMatchObject({ created: 0, skipped: 2 * planned, failed: [] });
    expect(catalog.runs.get('run-3')!.config).not.toHaveProperty('maskRatio');
    expect(catalog.runs.get('run-3')!.config).toMatchObject({ method: 'raul', aggregator: 'upgrad', reference: 'uniform' });
    catalog.close();
  });
});
