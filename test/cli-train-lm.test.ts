import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/main/cli.js';
import { makeTempDir } from './helpers.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n'), isTTY: false });
  return { code, out, err };
}

describe('lethe train-lm', () => {
  const dataDir = makeTempDir('cli-train-lm');
  const tiny = ['--model', 'transformer-tiny', '--people', '3', '--attributes', '2', '--general-sentences', '2', '--epochs', '1', '--batch-size', '8', '--data-dir', dataDir];

  it('trains a language model, prints its checkpoint, and generate answers from it', async () => {
    const trained = await cli(['train-lm', ...tiny]);
    expect(trained.code).toBe(0);
    const hash = /^checkpoint ([0-9a-f]{64})$/m.exec(trained.out)![1]!;
    expect(fs.existsSync(path.join(dataDir, 'checkpoints', hash, 'model.json'))).toBe(true);
    expect(trained.err).toMatch(/final train loss \d+\.\d{4}/);
    const runs = JSON.parse((await cli(['runs', '--json', '--data-dir', dataDir])).out) as { kind: string; model: string; dataset: string; status: string }[];
    expect(runs.map((r) => [r.kind, r.model, r.dataset, r.status])).toEqual([['train', 'transformer-tiny', 'facts', 'finished']]);
    const answer = await cli(['generate', hash, 'Where was Ada born?', '--question', '--max-tokens', '3', '--json', '--data-dir', dataDir]);
    expect(answer.code).toBe(0);
    expect(JSON.parse(answer.out).checkpoint.hash).toBe(hash);
  });

  it('refuses a bad split or model with exit 2 before anything runs', async () => {
    const split = await cli(['train-lm', ...tiny, '--retain-of', 'forget99']);
    expect(split.code).toBe(2);
    expect(split.err).toMatch(/retainOf must be one of forget01, forget05, forget10/);
    const model = await cli(['train-lm', '--model', 'transformer-huge', '--data-dir', dataDir]);
    expect(model.code).toBe(2);
    expect(model.err).toMatch(/model must be one of transformer-tiny/);
  });
});
