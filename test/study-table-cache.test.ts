/**
 * The study table keeps what it read from the catalog only while the catalog is
 * unchanged: a metric written by this process or another shows in the next table.
 */
import { describe, expect, it } from 'vitest';
import { entryRuns, evaluationRequest, originalConfig, retrainConfig, unlearnRunConfig } from '../src/main/app/study-plan.js';
import { studyTable } from '../src/main/app/study-table.js';
import { Catalog } from '../src/main/catalog/catalog.js';
import { classifierTable, parseClassifierStudyConfig, studyRowEntries } from '../src/shared/study-config.js';
import { makeTempDir } from './helpers.js';

describe('study table over a changing catalog', () => {
  it('reads again after any write and gives the same table while nothing changed', () => {
    const dir = makeTempDir('table-cache');
    const catalog = Catalog.open(dir);
    const config = parseClassifierStudyConfig({ name: 'cached', dataset: 'mnist', model: 'mlp', forget: { kind: 'random', percent: 10, seed: 1 }, seeds: [1], methods: [{ label: 'FT', method: 'ft' }] });
    const dataset = catalog.datasets.upsert({ name: 'mnist', digest: 'd', source: 'builtin', shape: [28, 28, 1], classNames: [], sampleCount: 1 });
    const forgetSet = catalog.forgetSets.add({ datasetId: dataset.id, name: 'random 10%', rule: {}, seed: 1, size: 1, digest: 'f', path: `${dir}/forget.json` }).id;
    const study = catalog.studies.create(config.name, '');
    catalog.studies.setConfig(study.id, '', config, forgetSet);
    let n = 0;
    const evaluations: string[] = [];
    const record = (kind: 'train' | 'retrain' | 'unlearn', runConfig: object, ua: number) => {
      const id = `run-${++n}`;
      const hash = String(n).padStart(64, '0');
      catalog.runs.create({ id, kind, config: runConfig as Record<string, unknown>, appVersion: 't', ownerPid: process.pid });
      catalog.runs.finish(id, 'finished');
      catalog.checkpoints.add({ hash, path: `${dir}/checkpoints/${hash}`, role: kind === 'train' ? 'original' : 'unlearned', runId: id, model: 'mlp', dataset: 'mnist' });
      catalog.runs.create({ id: `${id}-eval`, kind: 'evaluate', config: evaluationRequest(config, hash, forgetSet) as unknown as Record<string, unknown>, appVersion: 't', ownerPid: process.pid });
      catalog.runs.logMetrics(`${id}-eval`, { UA: ua, RA: 90, TA: 88, MIA: 20 }, 0);
      catalog.runs.finish(`${id}-eval`, 'finished');
      evaluations.push(`${id}-eval`);
      return hash;
    };
    const original = record('train', originalConfig(config), 5);
    record('retrain', unlearnRunConfig(retrainConfig(config, original, forgetSet)), 10);
    for (const planned of entryRuns(config, studyRowEntries(config)[0]!, original, forgetSet)) record('unlearn', unlearnRunConfig(planned.config), 7);

    const ftUA = () => classifierTable(studyTable(catalog, catalog.studies.byName('cached')!)).rows.find((r) => r.label === 'FT')!.metrics!.UA;
    expect(ftUA()).toMatchObject({ mean: 7, gap: 3 });
    expect(ftUA()).toMatchObject({ mean: 7, gap: 3 });
    catalog.runs.logMetrics(evaluations[2]!, { UA: 9 }, 1);
    expect(ftUA()).toMatchObject({ mean: 9, gap: 1 });
    const other = Catalog.open(dir);
    other.runs.logMetrics(evaluations[1]!, { UA: 12 }, 1);
    other.close();
    expect(ftUA()).toMatchObject({ mean: 9, gap: 3 });
    catalog.close();
  });
});
