import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Catalog, catalogPath } from '../src/main/catalog/catalog.js';
import { LATEST_VERSION } from '../src/main/catalog/migrations.js';
import { configHash } from '../src/main/catalog/runs-repository.js';
import { unlearnRunConfig } from '../src/main/engine/unlearn/run-config.js';
import { parseLmTrainConfig } from '../src/shared/lm-train-config.js';
import { parseTrainConfig } from '../src/shared/train-config.js';
import { parseUnlearnConfig } from '../src/shared/unlearn-config.js';
import { makeTempDir } from './helpers.js';

function newRun(catalog: Catalog, id: string, config: Record<string, unknown> = { lr: 0.1 }) {
  return catalog.runs.create({ id, kind: 'train', dataset: 'mnist', model: 'mlp', config, seed: 1, appVersion: '0.1.0', ownerPid: process.pid }, 1000);
}

describe('migrations', () => {
  it('create the latest schema on an empty catalog with WAL and foreign keys', () => {
    const catalog = Catalog.open(makeTempDir('mig-empty'));
    expect(catalog.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(catalog.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(catalog.db.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = (catalog.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(['artifacts', 'checkpoints', 'datasets', 'forget_sets', 'latest_metrics', 'metrics', 'params', 'run_checkpoints', 'runs', 'splits', 'studies', 'study_runs']);
    catalog.close();
  });

  it('upgrade a version-1 catalog in place, keeping its rows and backfilling the latest-metric cache', () => {
    const dir = makeTempDir('mig-v1');
    const old = Catalog.open(dir, { migrateTo: 1 });
    expect(old.db.pragma('user_version', { simple: true })).toBe(1);
    newRun(old, 'r1');
    const insert = old.db.prepare('INSERT INTO metrics (run_id, key, value, step, time) VALUES (?, ?, ?, ?, ?)');
    insert.run('r1', 'test_accuracy', 0.5, 1, 10);
    insert.run('r1', 'test_accuracy', 0.8, 2, 20);
    insert.run('r1', 'train_loss', 1.5, 1, 10);
    old.close();

    const upgraded = Catalog.open(dir);
    expect(upgraded.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(upgraded.runs.get('r1')?.status).toBe('queued');
    expect(upgraded.runs.latestMetrics('r1')).toEqual({ test_accuracy: 0.8, train_loss: 1.5 });
    expect(upgraded.studies.list()).toEqual([]);
    upgraded.close();
    // Opening again is a no-op.
    Catalog.open(dir).close();
  });

  it('upgrade a version-6 catalog: classifier runs record precision fp32, with the config hash a study plans for them now', () => {
    const dir = makeTempDir('mig-v6');
    const old = Catalog.open(dir, { migrateTo: 6 });
    // Configs as the previous version recorded them: every field but precision.
    const { precision: _train, ...train } = parseTrainConfig({ dataset: 'mnist', model: 'mlp' });
    const { precision: _unlearn, ...unlearned } = unlearnRunConfig(parseUnlearnConfig({ checkpoint: 'abc', forgetSet: 1, method: 'ga' }));
    const lm = parseLmTrainConfig({ model: 'transformer-small' });
    const runs = [['train', 'train', train], ['unlearn', 'unlearn', unlearned], ['lm', 'train', lm]] as const;
    for (const [id, kind, config] of runs) {
      old.runs.create({ id, kind, config, appVersion: 'old', ownerPid: process.pid }, 1000);
      old.runs.setParams(id, { seed: 0 });
    }
    old.close();

    const upgraded = Catalog.open(dir);
    expect(upgraded.runs.get('train')!.config).toEqual(parseTrainConfig({ dataset: 'mnist', model: 'mlp' }));
    expect(upgraded.runs.get('train')!.configHash).toBe(configHash(parseTrainConfig({ dataset: 'mnist', model: 'mlp' })));
    expect(upgraded.runs.get('unlearn')!.configHash).toBe(configHash(unlearnRunConfig(parseUnlearnConfig({ checkpoint: 'abc', forgetSet: 1, method: 'ga' }))));
    expect(upgraded.runs.params('train')).toEqual({ precision: 'fp32', seed: '0' });
    expect(upgraded.runs.params('unlearn')).toEqual({ precision: 'fp32', seed: '0' });
    // A language model's run has no precision: left as it was.
    expect(upgraded.runs.get('lm')).toMatchObject({ config: lm, configHash: configHash(lm) });
    expect(upgraded.runs.params('lm')).toEqual({ seed: '0' });
    upgraded.close();
  });

  it('upgrade a version-3 catalog: checkpoints linked to their runs, paths inside the data directory made relative', () => {
    const dir = makeTempDir('mig-v3');
    const old = Catalog.open(dir, { migrateTo: 3 });
    newRun(old, 'r1');
    newRun(old, 'r2');
    const hash = 'a'.repeat(64);
    old.db.prepare('INSERT INTO checkpoints (hash, path, role, run_id, model, dataset, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(hash, path.join(dir, 'checkpoints', hash), 'original', 'r1', 'mlp', 'mnist', 5);
    old.db.prepare('INSERT INTO checkpoints (hash, path, role, run_id, model, dataset, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run('b'.repeat(64), '/elsewhere/cp', 'original', null, 'mlp', 'mnist', 6);
    old.db.prepare('INSERT INTO artifacts (run_id, kind, path, hash, created_at) VALUES (?, ?, ?, ?, ?)').run('r1', 'scores', path.join(dir, 'artifacts', 'scores', 'x.scores'), 'ah', 7);
    old.close();

    const upgraded = Catalog.open(dir);
    expect(upgraded.checkpoints.forRun('r1')).toEqual([{ hash, path: path.join(dir, 'checkpoints', hash), role: 'original', runId: 'r1', model: 'mlp', dataset: 'mnist', createdAt: 5 }]);
    expect(upgraded.checkpoints.forRun('r2')).toEqual([]);
    const stored = upgraded.db.prepare('SELECT path FROM checkpoints ORDER BY hash').pluck().all();
    expect(stored).toEqual([path.join('checkpoints', hash), '/elsewhere/cp']);
    expect(upgraded.db.prepare('SELECT path FROM artifacts').pluck().get()).toBe(path.join('artifacts', 'scores', 'x.scores'));
    // The same bytes made by a second run: one checkpoint, two links.
    upgraded.checkpoints.add({ hash, path: path.join(dir, 'checkpoints', hash), role: 'unlearned', runId: 'r2', model: 'mlp', dataset: 'mnist' });
    expect(upgraded.checkpoints.forRun('r2')).toMatchObject([{ hash, role: 'unlearned', runId: 'r2' }]);
    expect(upgraded.db.prepare('SELECT count(*) FROM checkpoints').pluck().get()).toBe(2);
    upgraded.close();
  });

  it('upgrade a version-3 catalog copied elsewhere before the upgrade: its paths name the copy', () => {
    const original = makeTempDir('mig-copy-from');
    const old = Catalog.open(original, { migrateTo: 3 });
    newRun(old, 'r1');
    const hash = 'c'.repeat(64);
    old.db.prepare('INSERT INTO checkpoints (hash, path, role, run_id, model, dataset, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(hash, path.join(original, 'checkpoints', hash), 'original', 'r1', 'mlp', 'mnist', 5);
    old.db.prepare("INSERT INTO datasets (id, name, digest, source, height, width, channels, class_names, sample_count, created_at) VALUES (1, 'mnist', 'd', 'builtin', 28, 28, 1, '[]', 1, 1)").run();
    old.db.prepare("INSERT INTO forget_sets (dataset_id, name, rule, seed, size, digest, path, created_at) VALUES (1, 'f', '{}', 1, 1, 'fd', ?, 1)").run(path.join(original, 'forget-sets', 'f.json'));
    old.close();
    const copy = path.join(makeTempDir('mig-copy-to'), 'data');
    fs.cpSync(original, copy, { recursive: true });
    fs.rmSync(original, { recursive: true });

    const upgraded = Catalog.open(copy);
    expect(upgraded.checkpoints.get(hash)?.path).toBe(path.join(copy, 'checkpoints', hash));
    expect(upgraded.forgetSets.list()[0]?.path).toBe(path.join(copy, 'forget-sets', 'f.json'));
    upgraded.close();
  });

  it('refuse a file that is not a database, naming it', () => {
    const dir = makeTempDir('mig-bad');
    fs.writeFileSync(catalogPath(dir), 'this is not sqlite'.repeat(100));
    expect(() => Catalog.open(dir)).toThrow(new RegExp(`catalog ${catalogPath(dir)}.*not a database`));
  });
});

describe('catalog version', () => {
  it('changes with every write, from this connection or another, and not with reads', () => {
    const dir = makeTempDir('catalog-version');
    const catalog = Catalog.open(dir);
    const other = Catalog.open(dir);
    const before = catalog.version();
    catalog.runs.list();
    expect(catalog.version()).toBe(before);
    catalog.runs.create({ id: 'own', kind: 'train', config: { a: 1 }, appVersion: 't', ownerPid: process.pid });
    const afterOwn = catalog.version();
    expect(afterOwn).not.toBe(before);
    other.runs.create({ id: 'other', kind: 'train', config: { a: 2 }, appVersion: 't', ownerPid: process.pid });
    expect(catalog.version()).not.toBe(afterOwn);
    other.close();
    catalog.close();
  });
});

describe('repositories round trip', () => {
  it('runs: lifecycle, write-once params, long-format metrics with the latest-value cache', () => {
    const catalog = Catalog.open(makeTempDir('repo-runs'));
    const created = newRun(catalog, 'run-a', { b: [1, 2], a: { y: 1, x: 2 } });
    expect(created).toMatchObject({ id: 'run-a', status: 'queued', kind: 'train', config: { b: [1, 2], a: { y: 1, x: 2 } }, createdAt: 1000 });
    expect(created.configHash).toBe(configHash({ a: { x: 2, y: 1 }, b: [1, 2] }));
    catalog.runs.markRunning('run-a', { name: 'wasm', device: 'CPU', kernels: 'native (oneDNN 3.0)' }, 2000);
    catalog.runs.setParams('run-a', { lr: 0.1, optimizer: 'sgd' });
    expect(() => catalog.runs.setParams('run-a', { lr: 0.2 })).toThrow(/param 'lr' of run run-a is already set \(params are write-once\)/);
    expect(() => catalog.db.prepare("UPDATE params SET value = '9' WHERE key = 'lr'").run()).toThrow(/write-once/);
    expect(catalog.runs.params('run-a')).toEqual({ lr: '0.1', optimizer: 'sgd' });
    catalog.runs.logMetrics('run-a', { loss: 2, acc: 0.5 }, 1, 3000);
    catalog.runs.logMetrics('run-a', { loss: 1, acc: 0.7, skipped: NaN }, 2, 4000);
    catalog.runs.logMetrics('run-a', { loss: 5 }, 1, 5000);
    expect(catalog.runs.metricSeries('run-a').loss!.map((p) => [p.step, p.value])).toEqual([[1, 2], [1, 5], [2, 1]]);
    expect(catalog.runs.latestMetrics('run-a')).toEqual({ loss: 1, acc: 0.7 });
    catalog.runs.finish('run-a', 'finished', null, 6000);
    catalog.runs.finish('run-a', 'failed', 'too late', 7000);
    expect(catalog.runs.get('run-a')).toMatchObject({ status: 'finished', backend: 'wasm', device: 'CPU', kernels: 'native (oneDNN 3.0)', startedAt: 2000, finishedAt: 6000, error: null });
    expect(catalog.runs.find('run-')).toMatchObject({ id: 'run-a' });
    newRun(catalog, 'run-b');
    expect(() => catalog.runs.find('run-')).toThrow(/ambiguous/);
    expect(() => catalog.runs.find('zzz')).toThrow(/no run with id 'zzz'/);
    catalog.close();
  });

  it('runs and checkpoints: id and hash prefixes match exactly, case by case, with no wildcard', () => {
    const catalog = Catalog.open(makeTempDir('repo-prefix'));
    for (const id of ['abc-1', 'Abd-2', 'x%y_z']) newRun(catalog, id);
    for (const reference of ['%', '_', '%%', 'a%', 'ab_', 'ABC', '']) expect(() => catalog.runs.find(reference), reference).toThrow(/no run with id/);
    expect(catalog.runs.find('ab').id).toBe('abc-1');
    expect(catalog.runs.find('Ab').id).toBe('Abd-2');
    expect(catalog.runs.find('x%').id).toBe('x%y_z');
    expect(catalog.runs.find('x%y_').id).toBe('x%y_z');
    for (const hash of ['ab01', 'ab02', 'cd01']) catalog.checkpoints.add({ hash, path: `/x/${hash}`, role: 'original', runId: 'abc-1', model: 'mlp', dataset: null });
    expect(catalog.checkpoints.byHashPrefix('ab').map((c) => c.hash)).toEqual(['ab01', 'ab02']);
    expect(catalog.checkpoints.byHashPrefix('c').map((c) => c.hash)).toEqual(['cd01']);
    for (const reference of ['%', '_b01', 'AB01', 'c%', '']) expect(catalog.checkpoints.byHashPrefix(reference), reference).toEqual([]);
    catalog.close();
  });

  it('runs: soft delete hides a run, refuses an active one, and orphaned active runs fail', () => {
    const catalog = Catalog.open(makeTempDir('repo-soft'));
    newRun(catalog, 'done');
    catalog.runs.finish('done', 'finished');
    newRun(catalog, 'active');
    expect(() => catalog.runs.softDelete('active')).toThrow(/run active is queued; cancel it before deleting it/);
    catalog.runs.softDelete('done');
    expect(catalog.runs.list().map((r) => r.id)).toEqual(['active']);
    expect(catalog.runs.list({ includeDeleted: true }).map((r) => r.id).sort()).toEqual(['active', 'done']);
    expect(catalog.runs.failOrphaned(() => false)).toEqual(['active']);
    expect(catalog.runs.get('active')).toMatchObject({ status: 'failed', error: expect.stringMatching(/interrupted/) });
    catalog.close();
  });

  it('checkpoints, artifacts, datasets with splits, forget sets and studies', () => {
    const catalog = Catalog.open(makeTempDir('repo-misc'));
    newRun(catalog, 'r');
    const cp = catalog.checkpoints.add({ hash: 'h1', path: '/x/h1', role: 'original', runId: 'r', model: 'mlp', dataset: 'mnist' }, 5);
    expect(catalog.checkpoints.add({ ...cp, path: '/elsewhere' })).toEqual(cp);
    expect(catalog.checkpoints.forRun('r')).toEqual([cp]);
    const artifact = catalog.artifacts.add({ runId: 'r', kind: 'scores', path: '/x/a.bin', hash: 'ah' }, 6);
    expect(catalog.artifacts.forRun('r')).toEqual([artifact]);
    const dataset = catalog.datasets.upsert({ name: 'mnist', digest: 'd1', source: 'builtin', shape: [28, 28, 1], classNames: ['0', '1'], sampleCount: 10 }, 7);
    expect(catalog.datasets.upsert({ name: 'other', digest: 'd1', source: 'x', shape: [1, 1, 1], classNames: [], sampleCount: 1 })).toEqual(dataset);
    expect(dataset).toMatchObject({ name: 'mnist', shape: [28, 28, 1], classNames: ['0', '1'] });
    const split = catalog.datasets.addSplit({ datasetId: dataset.id, digest: 's1', seed: 0, testFraction: 0.2, heldOutFraction: 0.1, counts: { train: 7, heldOut: 1, test: 2 } });
    expect(catalog.datasets.splits(dataset.id)).toEqual([split]);
    const forget = catalog.forgetSets.add({ datasetId: dataset.id, name: 'random 10%', rule: { random: 0.1 }, seed: 2, size: 1, digest: 'f1', path: '/x/f1.json' });
    expect(catalog.forgetSets.list(dataset.id)).toEqual([forget]);
    catalog.forgetSets.softDelete(forget.id);
    expect(catalog.forgetSets.list()).toEqual([]);
    const study = catalog.studies.create('cifar sweep', 'methods x seeds');
    catalog.studies.addRun(study.id, 'r');
    catalog.studies.addRun(study.id, 'r');
    expect(catalog.studies.byName('cifar sweep')).toMatchObject({ description: 'methods x seeds', runIds: ['r'] });
    expect(() => catalog.studies.create('cifar sweep')).toThrow(/a study named 'cifar sweep' already exists/);
    catalog.close();
  });
});

describe('purge', () => {
  it('removes soft-deleted runs with their checkpoints and exactly the files no row refers to', () => {
    const dir = makeTempDir('purge');
    const catalog = Catalog.open(dir);
    const folder = (name: string) => {
      const p = path.join(catalog.checkpointsDir, name);
      fs.mkdirSync(p, { recursive: true });
      fs.writeFileSync(path.join(p, 'weights.bin'), name);
      return p;
    };
    newRun(catalog, 'keep');
    newRun(catalog, 'drop');
    catalog.runs.finish('keep', 'finished');
    catalog.runs.finish('drop', 'finished');
    const kept = folder('a'.repeat(64));
    const dropped = folder('b'.repeat(64));
    const stray = folder('c'.repeat(64));
    const deadStaging = folder('.staging-999999-abcd');
    const liveStaging = folder(`.staging-${process.pid}-abcd`);
    catalog.checkpoints.add({ hash: 'a'.repeat(64), path: kept, role: 'original', runId: 'keep', model: 'mlp', dataset: 'mnist' });
    catalog.checkpoints.add({ hash: 'b'.repeat(64), path: dropped, role: 'original', runId: 'drop', model: 'mlp', dataset: 'mnist' });
    fs.mkdirSync(path.join(catalog.artifactsDir, 'keep'), { recursive: true });
    const keptArtifact = path.join(catalog.artifactsDir, 'keep', 'scores.bin');
    fs.writeFileSync(keptArtifact, 'x');
    catalog.artifacts.add({ runId: 'keep', kind: 'scores', path: keptArtifact, hash: 'x' });
    const strayArtifact = path.join(catalog.artifactsDir, 'old-run');
    fs.mkdirSync(strayArtifact);
    catalog.runs.softDelete('drop');

    // Within the grace period nothing on disk goes, but the deleted run does.
    const early = catalog.purge();
    expect(early).toEqual({ runs: 1, checkpoints: 1, removedPaths: [] });

    const report = catalog.purge({ graceMs: 0 });
    expect(report.runs).toBe(0);
    expect(report.removedPaths.sort()).toEqual([dropped, stray, deadStaging, strayArtifact].sort());
    for (const p of [kept, liveStaging, keptArtifact]) expect(fs.existsSync(p)).toBe(true);
    for (const p of report.removedPaths) expect(fs.existsSync(p)).toBe(false);
    expect(catalog.runs.get('drop')).toBeUndefined();
    expect(catalog.db.prepare("SELECT count(*) n FROM metrics WHERE run_id = 'drop'").get()).toEqual({ n: 0 });
    catalog.close();
  });
});

describe('purge with shared checkpoints', () => {
  it('deletes a checkpoint folder only when no live run produced it or reads it', () => {
    const catalog = Catalog.open(makeTempDir('purge-shared'));
    const folder = (hash: string) => {
      const p = path.join(catalog.checkpointsDir, hash);
      fs.mkdirSync(p, { recursive: true });
      fs.writeFileSync(path.join(p, 'weights.bin'), hash);
      return p;
    };
    const [same, source] = ['d'.repeat(64), 'e'.repeat(64)];
    for (const id of ['first', 'second', 'trainer']) newRun(catalog, id);
    newRun(catalog, 'unlearner', { checkpoint: source });
    for (const id of ['first', 'second', 'trainer', 'unlearner']) catalog.runs.finish(id, 'finished');
    // Two runs made the same bytes; an unlearning run reads the trainer's checkpoint.
    catalog.checkpoints.add({ hash: same, path: folder(same), role: 'original', runId: 'first', model: 'mlp', dataset: 'mnist' });
    catalog.checkpoints.add({ hash: same, path: folder(same), role: 'original', runId: 'second', model: 'mlp', dataset: 'mnist' });
    catalog.checkpoints.add({ hash: source, path: folder(source), role: 'original', runId: 'trainer', model: 'mlp', dataset: 'mnist' });
    expect(catalog.checkpoints.forRun('second')).toMatchObject([{ hash: same, runId: 'second' }]);

    catalog.runs.softDelete('first');
    catalog.runs.softDelete('trainer');
    expect(catalog.purge({ graceMs: 0 })).toEqual({ runs: 2, checkpoints: 0, removedPaths: [] });
    expect(catalog.checkpoints.forRun('second')).toMatchObject([{ hash: same, path: path.join(catalog.checkpointsDir, same) }]);
    expect(catalog.checkpoints.get(source)).toBeDefined();
    for (const hash of [same, source]) expect(fs.existsSync(path.join(catalog.checkpointsDir, hash, 'weights.bin'))).toBe(true);

    catalog.runs.softDelete('second');
    catalog.runs.softDelete('unlearner');
    const report = catalog.purge({ graceMs: 0 });
    expect({ ...report, removedPaths: report.removedPaths.sort() }).toEqual({ runs: 2, checkpoints: 2, removedPaths: [same, source].map((h) => path.join(catalog.checkpointsDir, h)) });
    catalog.close();
  });
});

describe('two processes on one catalog', () => {
  it('interleave writes without losing or corrupting any', async () => {
    const dir = makeTempDir('two-proc');
    Catalog.open(dir).close();
    const script = `
      import { Catalog } from './src/main/catalog/catalog.ts';
      const catalog = Catalog.open(process.argv[1]);
      for (let i = 0; i < 150; i++) {
        const id = process.argv[2] + '-' + i;
        catalog.runs.create({ id, kind: 'train', config: { i }, appVersion: 't', ownerPid: process.pid });
        catalog.runs.logMetrics(id, { loss: i, acc: i / 150 }, 1);
        catalog.runs.finish(id, 'finished');
      }
      catalog.close();
    `;
    const run = (name: string) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir, name], { cwd: process.cwd() });
    await Promise.all([run('app'), run('cli')]);
    const db = new Database(catalogPath(dir), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare("SELECT count(*) n FROM runs WHERE status = 'finished'").get()).toEqual({ n: 300 });
    expect(db.prepare('SELECT count(*) n FROM metrics').get()).toEqual({ n: 600 });
    expect(db.prepare('SELECT count(*) n FROM latest_metrics').get()).toEqual({ n: 600 });
    db.close();
  });
});
