import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RunDetail } from '../src/shared/catalog-types.js';
import { runCli } from '../src/main/cli.js';
import { makeTempDir } from './helpers.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n'), isTTY: false });
  return { code, out, err };
}

describe('lethe CLI input checks', () => {
  const dataDir = makeTempDir('cli');
  const train = (...extra: string[]) => cli(['train', '--data-dir', dataDir, '--dataset', 'mnist', '--model', 'mlp', ...extra]);

  it.each([
    [['--dataset', 'cifar-11'], /unknown dataset 'cifar-11'; available: fashion-mnist, mnist/],
    [['--model', 'vgg'], /unknown model 'vgg'; available: mlp, cnn, cnn3, resnet18/],
    [['--epochs', '0'], /epochs must be a positive integer/],
    [['--epochs', '2.5'], /epochs must be a positive integer/],
    [['--batch-size', 'abc'], /--batch-size must be a finite number, got 'abc'/],
    [['--batch-size=-4'], /batch size must be a positive integer/],
    [['--batch-size', '-4'], /--batch-size' argument is ambiguous/],
    [['--lr=-1'], /learning rate must be finite and positive/],
    [['--lr', '0'], /learning rate must be finite and positive/],
    [['--lr', 'Infinity'], /--lr must be a finite number, got 'Infinity'/],
    [['--lr', 'NaN'], /--lr must be a finite number, got 'NaN'/],
    [['--optimizer', 'rmsprop'], /optimizer must be one of sgd, adamw/],
  ])('refuses %j with a clear message and exit code 2', async (extra, message) => {
    const { code, err } = await train(...(extra as string[]));
    expect(code).toBe(2);
    expect(err).toMatch(message as RegExp);
  });

  it('refuses an unwritable data directory', async () => {
    const file = path.join(dataDir, 'a-file');
    fs.writeFileSync(file, '');
    const { code, err } = await cli(['train', '--data-dir', path.join(file, 'sub'), '--dataset', 'mnist', '--model', 'mlp']);
    expect(code).toBe(2);
    expect(err).toMatch(/data directory .*a-file\/sub is not writable/);
  });

  it('refuses unknown commands and options', async () => {
    expect((await cli(['trian'])).err).toMatch(/unknown command 'trian'/);
    expect((await cli(['train', '--epoch', '3'])).code).toBe(2);
    const foreign = await cli(['runs', '--epochs', '3', '--data-dir', dataDir]);
    expect(foreign.code).toBe(2);
    expect(foreign.err).toMatch(/lethe runs: Unknown option '--epochs'/);
  });

  it('prints help a new user can follow', async () => {
    const main = await cli(['--help']);
    expect(main.code).toBe(0);
    expect(main.out).toMatch(/train +train a classifier/);
    const train = await cli(['train', '--help']);
    expect(train.out).toMatch(/--dataset NAME +fashion-mnist \| mnist/);
    expect(train.out).toMatch(/lethe train --dataset fashion-mnist --model cnn --epochs 3/);
  });

  it('asks for the checkpoint to evaluate and names one that does not exist', async () => {
    const missing = await cli(['evaluate', '--data-dir', dataDir]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/name the checkpoint to evaluate/);
    const unknown = await cli(['evaluate', 'abcdef123', '--data-dir', dataDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no checkpoint found at 'abcdef123'/);
  });

  it('checks study commands and config files before running anything', async () => {
    const study = (...args: string[]) => cli(['study', ...args, '--data-dir', dataDir]);
    expect((await study()).err).toMatch(/name an action: run, show, pareto or list/);
    expect((await study('explode')).err).toMatch(/unknown study action 'explode'/);
    expect((await study('show', 'x', '--format', 'pdf')).err).toMatch(/--format must be one of text, markdown, csv, json, latex/);
    expect((await study('run', path.join(dataDir, 'missing.yaml'))).err).toMatch(/cannot read the study config .*missing\.yaml/);
    const broken = path.join(dataDir, 'broken.yaml');
    fs.writeFileSync(broken, 'name: [unclosed\n');
    const yaml = await study('run', broken);
    expect(yaml.code).toBe(2);
    expect(yaml.err).toMatch(/broken\.yaml is not valid YAML/);
    const incomplete = path.join(dataDir, 'incomplete.yaml');
    fs.writeFileSync(incomplete, 'name: s\ndataset: mnist\nmodel: mlp\nforget: { kind: random, percent: 150 }\nmethods: []\n');
    const invalid = await study('run', incomplete);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/forget.percent: percentage must be in \(0, 100\)/);
    expect(invalid.err).toMatch(/methods: list at least one method/);
    expect((await study('show', 'nothing')).err).toMatch(/no study named 'nothing'/);
    expect((await study('pareto', 'nothing')).err).toMatch(/--objectives is required/);
  });

  it('lists datasets as JSON', async () => {
    const { code, out } = await cli(['datasets', '--json', '--data-dir', dataDir]);
    expect(code).toBe(0);
    const rows = JSON.parse(out) as { name: string; classes: string[] }[];
    expect(rows.map((r) => r.name)).toEqual(['fashion-mnist', 'mnist']);
    expect(rows[0]!.classes).toHaveLength(10);
  });
});

describe('lethe train, runs and purge end to end', () => {
  it('records a run in the catalog, lists, shows, deletes and purges it', async () => {
    const dataDir = makeTempDir('cli-e2e');
    const lethe = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['bin/lethe.mjs', ...args, '--data-dir', dataDir], { env: { ...process.env, LETHE_BACKEND: 'wasm' } });
    const { stdout } = await lethe('train', '--dataset', 'mnist', '--model', 'mlp', '--epochs', '1', '--batch-size', '128', '--json');
    const run = JSON.parse(stdout) as RunDetail;
    expect(run).toMatchObject({ status: 'finished', kind: 'train', backend: 'wasm' });
    expect(run.latestMetrics.test_accuracy).toBeGreaterThan(0.85);
    const checkpoint = run.checkpoints[0]!;
    expect(fs.existsSync(path.join(checkpoint.path, 'weights.bin'))).toBe(true);
    expect(path.basename(checkpoint.path)).toBe(checkpoint.hash);

    expect((await lethe('runs', 'list')).stdout).toMatch(new RegExp(`^${run.id.slice(0, 8)}  finished  train  mnist`));
    const shown = JSON.parse((await lethe('runs', 'show', run.id.slice(0, 8), '--json')).stdout) as RunDetail;
    expect(shown.metrics.test_accuracy![0]!.value).toBe(run.latestMetrics.test_accuracy);
    await lethe('runs', 'rm', run.id);
    expect(JSON.parse((await lethe('runs', 'list', '--json')).stdout)).toEqual([]);
    // The checkpoint is younger than purge's grace period: the run goes, its folder stays until later.
    const purged = JSON.parse((await lethe('purge', '--json')).stdout) as { runs: number; removedPaths: string[] };
    expect(purged).toMatchObject({ runs: 1, removedPaths: [] });
  });
});

describe('training config schema', () => {
  it('refuses a non-finite learning rate from any door', async () => {
    const { parseTrainConfig } = await import('../src/shared/train-config.js');
    expect(() => parseTrainConfig({ dataset: 'mnist', model: 'mlp', lr: Infinity })).toThrow(/learning rate must be a finite number/);
    expect(() => parseTrainConfig({ dataset: 'mnist', model: 'mlp', epochs: 1.5, batchSize: 0 })).toThrow(
      /epochs must be a positive integer; batch size must be a positive integer/,
    );
  });
});
