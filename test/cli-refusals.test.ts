/**
 * The command line's contract for bad input: every refusal exits 2 and leaves the
 * catalog and the data directory as they were — including the checks only the engine
 * can make (a missing checkpoint, an unreadable import, a class the dataset lacks).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/main/cli.js';
import { catalogPath } from '../src/main/catalog/catalog.js';
import { makeTempDir } from './helpers.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n'), isTTY: false });
  return { code, out, err };
}

/** Every row of every catalog table, and every file under the data directory with its size. */
function snapshot(dataDir: string): { tables: Record<string, unknown[]>; files: string[] } {
  const db = new Database(catalogPath(dataDir), { readonly: true });
  try {
    const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[];
    const tables = Object.fromEntries(names.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
    const files = (fs.readdirSync(dataDir, { recursive: true }) as string[])
      .filter((f) => !f.startsWith('catalog.sqlite') && fs.statSync(path.join(dataDir, f)).isFile())
      .map((f) => `${f} ${fs.statSync(path.join(dataDir, f)).size}`)
      .sort();
    return { tables, files };
  } finally {
    db.close();
  }
}

describe('every refusal exits 2 and changes nothing', () => {
  const dataDir = makeTempDir('cli-refusals');
  let checkpoint = '';
  let before: ReturnType<typeof snapshot>;

  const study = (name: string, yaml: string) => {
    const file = path.join(makeTempDir('cli-refusals-config'), `${name}.yaml`);
    fs.writeFileSync(file, yaml);
    return file;
  };
  const studyYaml = (overrides: string) =>
    `name: refused\ndataset: mnist\nmodel: mlp\noriginal: { epochs: 1, batchSize: 128 }\nforget: { kind: random, percent: 10 }\nmethods: [{ label: FT, method: ft }]\n${overrides}`;

  beforeAll(async () => {
    const trained = await cli(['train', '--data-dir', dataDir, '--dataset', 'mnist', '--model', 'mlp', '--epochs', '1', '--batch-size', '256', '--json']);
    expect(trained.code).toBe(0);
    checkpoint = (JSON.parse(trained.out) as { checkpoints: { hash: string }[] }).checkpoints[0]!.hash;
    expect((await cli(['forget', '--data-dir', dataDir, '--dataset', 'mnist', '--random', '10%'])).code).toBe(0);
    before = snapshot(dataDir);
    expect(before.tables.runs).toHaveLength(1);
  }, 120_000);

  const train = ['train', '--dataset', 'mnist', '--model', 'mlp'];
  it.each([
    // Parsed and checked by the command line or the service.
    [['trian'], /unknown command 'trian'/],
    [['train', '--epoch', '3'], /Unknown option '--epoch'/],
    [['runs', '--epochs', '3'], /Unknown option '--epochs'/],
    [[...train, '--dataset', 'cifar-11'], /unknown dataset 'cifar-11'/],
    [[...train, '--model', 'vgg'], /unknown model 'vgg'/],
    [[...train, '--epochs', '0'], /epochs must be a positive integer/],
    [[...train, '--epochs', '2.5'], /epochs must be a positive integer/],
    [[...train, '--batch-size', 'abc'], /--batch-size must be a finite number/],
    [[...train, '--batch-size=-4'], /batch size must be a positive integer/],
    [[...train, '--batch-size', '-4'], /--batch-size' argument is ambiguous/],
    [[...train, '--lr=-1'], /learning rate must be finite and positive/],
    [[...train, '--lr', 'Infinity'], /--lr must be a finite number/],
    [[...train, '--optimizer', 'rmsprop'], /optimizer must be one of sgd, adamw/],
    [[...train, '--precision', 'fp16'], /precision must be one of fp32, bf16/],
    [['unlearn', '--from', 'CHECKPOINT', '--forget', '1', '--method', 'ft', '--precision', 'half'], /precision must be one of fp32, bf16/],
    [['evaluate'], /name the checkpoint to evaluate/],
    [['evaluate', '--checks', 'pgd', 'abcdef123'], /--checks needs --forget ID/],
    [['evaluate', 'CHECKPOINT', '--forget', '99'], /no forget set with id 99/],
    [['runs', 'show', 'nope'], /no run with id 'nope'/],
    [['runs', 'rm', 'nope'], /no run with id 'nope'/],
    [['unlearn', '--from', 'CHECKPOINT', '--forget', '1', '--method', 'nope'], /unknown method 'nope'/],
    [['unlearn', '--from', 'CHECKPOINT', '--forget', '1', '--method', 'raul', '--aggregator', 'nope'], /aggregator 'nope'/],
    [['unlearn', '--from', 'CHECKPOINT', '--forget', '9', '--method', 'ft'], /no forget set with id 9/],
    [['study'], /name an action: run, show, pareto or list/],
    [['study', 'explode'], /unknown study action 'explode'/],
    [['study', 'show', 'x', '--format', 'pdf'], /--format must be one of/],
    [['study', 'show', 'nothing'], /no study named 'nothing'/],
    [['study', 'show', 'nothing', '--compare', 'RAUL:GA,FT'], /--compare takes pairs A:B separated by commas, got 'FT'/],
    [['study', 'pareto', 'nothing'], /--objectives is required/],
    [['study', 'run', '/nonexistent/study.yaml'], /cannot read the study config/],
    [['study', 'run', 'YAML:name: [unclosed'], /is not valid YAML/],
    [['study', 'run', `YAML:${studyYaml('seeds: []\n')}`], /seeds: give at least one seed/],
    [['study', 'run', `YAML:${studyYaml('').replace('epochs: 1, batchSize', 'epoch: 1, batchsize')}`], /original\.epoch: unknown key; did you mean 'epochs'\?/],
    [['study', 'run', `YAML:${studyYaml('').replace('model: mlp', 'model: vgg')}`], /unknown model 'vgg'/],
    [['study', 'run', `YAML:${studyYaml('').replace('method: ft', 'method: raul, aggregator: nope')}`], /methods.0 \(FT\): .*aggregator 'nope'/],
    // Checked only by the engine: refused there, and the queued run (if any) is removed.
    [['evaluate', 'abcdef123'], /no checkpoint found at 'abcdef123'/],
    [['evaluate', 'abcdef123', '--forget', '1'], /no checkpoint 'abcdef123': give a checkpoint hash/],
    [['unlearn', '--from', 'abcdef123', '--forget', '1', '--method', 'ft'], /no checkpoint 'abcdef123': give a checkpoint hash/],
    [['import', '/nonexistent/data.csv', '--format', 'csv'], /\/nonexistent\/data\.csv/],
    [['import', '--subset-of', 'mnist', '--per-class', '2000', '--name', 'm'], /mnist: cannot draw 2000 samples of every class: class 0 '0' has 1001, 1 '1' has 1127/],
    [['import', '--subset-of', 'nope', '--per-class', '5', '--name', 'm'], /unknown dataset 'nope'/],
    [['import', '--subset-of', 'mnist', '--per-class', '5x', '--name', 'm'], /--per-class must be a whole number, got '5x'/],
    [['import', '--subset-of', 'mnist', '--name', 'm'], /--subset-of needs --per-class N/],
    [['import', '--subset-of', 'mnist', '--per-class', '5'], /--subset-of needs --name/],
    [['import', 'a.csv', '--per-class', '5'], /--per-class and --seed go with --subset-of/],
    [[...train, '--model', 'resnet18', '--batch-size', '2048'], /needs an estimated [\d.]+ GiB of memory \(batch size 2048, eval batch size 1000\), more than the wasm backend's 4\.0 GiB heap: batch size up to \d+ and eval batch size up to \d+ fit/],
    [['forget', '--dataset', 'nope', '--random', '10%'], /unknown dataset 'nope'/],
    [['forget', '--dataset', 'mnist', '--classes', '42'], /class 42 does not exist/],
    [['study', 'run', `YAML:${studyYaml('').replace('{ kind: random, percent: 10 }', '{ kind: classes, classes: [42] }')}`], /class 42 does not exist/],
  ])('%j', async (args, message) => {
    const resolved = (args as string[]).map((a) => (a === 'CHECKPOINT' ? checkpoint : a.startsWith('YAML:') ? study('config', a.slice(5)) : a));
    const { code, err } = await cli([...resolved, '--data-dir', dataDir]);
    expect(err).toMatch(message as RegExp);
    expect(code).toBe(2);
    expect(snapshot(dataDir)).toEqual(before);
  });

  it.each([
    [{ LETHE_NATIVE: 'off' }, /precision bf16 needs Lethe's native kernels, which are unused here: LETHE_NATIVE=off \(use precision fp32\)/],
    [{ LETHE_BACKEND: 'cpu' }, /precision bf16 needs Lethe's native kernels, which run on the wasm backend; this engine runs cpu \(use precision fp32\)/],
  ])('bf16 without the native kernels (%j) is refused by the engine', async (env, message) => {
    const saved = { ...process.env };
    Object.assign(process.env, env); // the engine process inherits it
    try {
      for (const args of [[...train, '--precision', 'bf16'], ['unlearn', '--from', checkpoint, '--forget', '1', '--method', 'ft', '--precision', 'bf16']]) {
        const { code, err } = await cli([...args, '--data-dir', dataDir]);
        expect(err).toMatch(message);
        expect(code).toBe(2);
        expect(snapshot(dataDir)).toEqual(before);
      }
    } finally {
      for (const key of Object.keys(env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});
