import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../src/main/app/lethe-service.js';
import { dispatch } from '../src/main/app/dispatch.js';
import type { JobList } from '../src/shared/jobs.js';
import type { LetheEvent } from '../src/shared/lethe-api.js';
import { parseStudyConfig } from '../src/shared/study-config.js';
import { InvalidRequestError } from '../src/shared/validation.js';
import { makeTempDir, serviceForTests } from './helpers.js';

const { dataDir, catalog, service } = serviceForTests('experiments');
const events: LetheEvent[] = [];
service.subscribe((e) => events.push(e));

const study = {
  name: 'window study',
  dataset: 'mnist',
  model: 'mlp',
  original: { epochs: 1, batchSize: 256 },
  forget: { kind: 'random' as const, percent: 5, seed: 1 },
  evaluation: { relearn: false, pgd: false, boundary: false },
  methods: [{ label: 'RAUL', method: 'raul', aggregator: 'upgrad', lr: [0.01, 0.02], epochs: 1 }],
};

/** Every file under the data directory with its size, to show a refusal wrote nothing. */
function snapshot(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => `${path.relative(dir, path.join(e.parentPath, e.name))}:${fs.statSync(path.join(e.parentPath, e.name)).size}`).sort();
}

describe('the service for the window’s experiments', () => {
  it('saves a study as the YAML `lethe study run` reads, in the data directory or where asked', async () => {
    // Through a door, as the window saves it: the file holds what was given, not the schema's defaults.
    const saved = (await dispatch(service, 'saveStudyFile', [study])) as { path: string; yaml: string };
    expect(YAML.parse(saved.yaml)).toEqual(study);
    expect(saved.path).toBe(path.join(dataDir, 'studies', 'window-study.yaml'));
    expect(fs.readFileSync(saved.path, 'utf8')).toBe(saved.yaml);
    expect(parseStudyConfig(YAML.parse(saved.yaml))).toEqual(parseStudyConfig(study));
    const elsewhere = path.join(makeTempDir('study-file'), 'mine.yml');
    expect((await service.saveStudyFile(study, elsewhere)).path).toBe(elsewhere);
    expect(YAML.parse(fs.readFileSync(elsewhere, 'utf8'))).toEqual(study);
  });

  it('refuses a study the schema refuses, or a relative or non-YAML path, and writes nothing', async () => {
    const before = snapshot(dataDir);
    const bad = { ...study, methods: [{ ...study.methods[0]!, lr: [-1] }] };
    await expect(dispatch(service, 'saveStudyFile', [bad])).rejects.toThrow(/methods\.0\.lr.*learning rate must be finite and positive/);
    await expect(service.saveStudyFile(study, 'studies/x.yaml')).rejects.toThrow(new InvalidRequestError("the study file must be an absolute path, got 'studies/x.yaml'"));
    await expect(service.saveStudyFile(study, path.join(dataDir, 'x.json'))).rejects.toThrow(/must end in \.yaml or \.yml/);
    expect(snapshot(dataDir)).toEqual(before);
  });

  it('offers finished training runs as originals with dataset, model, accuracy and split; jobs follow an unlearning run to its end', async () => {
    expect(await service.listOriginals()).toEqual([]);
    const train = await service.startTraining({ dataset: 'mnist', model: 'mlp', epochs: 1, batchSize: 256 });
    await service.waitForRun(train.id);
    const [original] = await service.listOriginals();
    const checkpoint = catalog.checkpoints.forRun(train.id)[0]!;
    const split = catalog.datasets.splits(catalog.datasets.byName('mnist')!.id)[0]!;
    expect(original).toMatchObject({ hash: checkpoint.hash, runId: train.id, dataset: 'mnist', model: 'mlp', splitDigest: split.digest });
    expect(original!.testAccuracy).toBe(catalog.runs.latestMetrics(train.id).test_accuracy);
    expect(original!.testAccuracy).toBeGreaterThan(0.5);

    const { forgetSet } = await service.createForgetSet({ dataset: 'mnist', rule: { kind: 'random', percent: 5, seed: 1 } });
    expect(forgetSet.rule.splitDigest).toBe(original!.splitDigest);
    events.length = 0;
    const run = await service.startUnlearning({ checkpoint: original!.hash, forgetSet: forgetSet.id, method: 'raul', aggregator: 'upgrad', epochs: 2 });
    await service.waitForRun(run.id);
    const lists = events.filter((e): e is { type: 'jobs-changed'; jobs: JobList } => e.type === 'jobs-changed').map((e) => e.jobs);
    const mine = lists.map((l) => l.active.find((j) => j.id === run.id));
    expect(mine[0]).toMatchObject({ kind: 'unlearn', status: 'queued', label: 'raul · upgrad · UniDist · mlp on mnist' });
    const progress = mine.flatMap((j) => (j?.progress == null ? [] : [j.progress]));
    expect(progress.length).toBeGreaterThan(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(1);
    expect(lists.at(-1)).toEqual({ active: [], failures: [] });
    expect(await service.listJobs()).toEqual({ active: [], failures: [] });
    await expect(service.cancelJob(run.id)).rejects.toThrow(NotFoundError);
  }, 120_000);

  it('names the forget rule in a study refused for it, as the window shows it next to that field', async () => {
    const before = snapshot(dataDir);
    await expect(service.runStudy({ ...study, forget: { kind: 'classes', classes: [42] } })).rejects.toThrow(
      new InvalidRequestError('study config: forget: class 42 does not exist; classes are 0..9 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)'),
    );
    expect(snapshot(dataDir)).toEqual(before);
    expect(await service.listStudies()).toEqual([]);
    expect((await service.listJobs()).failures[0]).toMatchObject({ id: 'study:window study', kind: 'study', error: expect.stringMatching(/^study config: forget: class 42/) });
  });

  it('lists a running study as one job and refuses to start it twice', async () => {
    const running = service.runStudy({ ...study, methods: [{ ...study.methods[0]!, lr: 0.01 }] });
    await expect.poll(async () => (await service.listJobs()).active.map((j) => j.id)).toContain('study:window study');
    await expect(service.runStudy(study)).rejects.toThrow("study 'window study' is already running");
    const outcome = await running;
    expect(outcome.failed).toEqual([]);
    expect((await service.listJobs()).active).toEqual([]);
  }, 240_000);
});
