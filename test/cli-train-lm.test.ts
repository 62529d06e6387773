import { createHash } from 'node:crypto';
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

  it('eval-lm measures a checkpoint against its Retrain; Retrain against itself has forget quality 1 and no leak', async () => {
    const hashOf = (out: string) => /^checkpoint ([0-9a-f]{64})$/m.exec(out)![1]!;
    const original = hashOf((await cli(['train-lm', ...tiny, '--seed', '1'])).out);
    const retrain = hashOf((await cli(['train-lm', ...tiny, '--seed', '1', '--retain-of', 'forget01'])).out);
    const evaluation = await cli(['eval-lm', original, '--retrain', retrain, '--split', 'forget01', '--json', '--data-dir', dataDir]);
    expect(evaluation.code).toBe(0);
    const outcome = JSON.parse(evaluation.out);
    expect(outcome.split).toBe('forget01');
    expect([outcome.model.forget.count, outcome.model.retain.count, outcome.model.forgetParaphrased.count]).toEqual([2, 2, 2]);
    for (const value of [outcome.model.forget.probability, outcome.model.retain.rougeL, outcome.model.modelUtility, outcome.model.lossAuc, outcome.versusRetrain.forgetQuality]) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    const itself = JSON.parse((await cli(['eval-lm', retrain, '--retrain', retrain, '--split', 'forget01', '--json', '--data-dir', dataDir])).out);
    expect(itself.versusRetrain).toEqual({ forgetQuality: 1, privacyLeak: { loss: 0, minK: 0 } });
    const { checkpoint: retrainCheckpoint, ...retrainSummary } = itself.retrain;
    expect(retrainCheckpoint.hash).toBe(retrain);
    expect(itself.model).toEqual(retrainSummary);
    const text = await cli(['eval-lm', original, '--retrain', retrain, '--split', 'forget01', '--data-dir', dataDir]);
    expect(text.out).toMatch(/forget01: 2 forget and 2 retain questions/);
    expect(text.out).toMatch(/forget quality \S+ \(log10 -?\d+\.\d\d\); privacy leak -?\d+\.\d % \(loss\)/);
  });

  it('eval-lm --relearn-steps runs the relearning attack on copies of the model and its Retrain, leaving both checkpoints as they were', async () => {
    const hashOf = (out: string) => /^checkpoint ([0-9a-f]{64})$/m.exec(out)![1]!;
    const original = hashOf((await cli(['train-lm', ...tiny, '--seed', '3'])).out);
    const retrain = hashOf((await cli(['train-lm', ...tiny, '--seed', '3', '--retain-of', 'forget01'])).out);
    const digests = () =>
      [original, retrain].flatMap((hash) => {
        const folder = path.join(dataDir, 'checkpoints', hash);
        return fs.readdirSync(folder).map((file) => `${hash}/${file} ${createHash('sha256').update(fs.readFileSync(path.join(folder, file))).digest('hex')}`);
      });
    const before = digests();
    const args = ['eval-lm', original, '--retrain', retrain, '--split', 'forget01', '--data-dir', dataDir];
    const attacked = await cli([...args, '--relearn-steps', '4', '--relearn-lr', '1e-2', '--relearn-batch-size', '1', '--json']);
    expect(attacked.code).toBe(0);
    const outcome = JSON.parse(attacked.out);
    // forget01 of 3 people is 1 person, 2 pairs: one fine-tuned on, one held back.
    for (const summary of [outcome.model, outcome.retrain]) {
      const { relearnPairs, before: held, after, recoveredProbability } = summary.relearning;
      expect([relearnPairs, held.count, after.count]).toEqual([1, 1, 1]);
      expect(recoveredProbability).toBeCloseTo(after.probability - held.probability, 12);
      for (const value of [held.rougeL, after.rougeL, held.exactMatch, after.exactMatch]) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
      // Four steps on a pair of the same person make the held-back answer (which names them) more likely.
      expect(after.probability).toBeGreaterThan(held.probability);
    }
    // The numbers before the attack are the held-back pair's own, as the model has it.
    expect(outcome.model.relearning.before.probability).not.toBe(outcome.retrain.relearning.before.probability);
    expect(digests()).toEqual(before);

    const text = await cli([...args, '--relearn-steps', '4', '--relearn-lr', '1e-2', '--relearn-batch-size', '1']);
    expect(text.out).toContain('relearning attack: 4 steps on 1 forget pairs, measured on the 1 held back');
    expect(text.out).toMatch(/^ +model +P before +P after +ROUGE before +ROUGE after +EM before +EM after +recovered P$/m);
    expect(text.out).toMatch(new RegExp(`^${original.slice(0, 12)} +${outcome.model.relearning.before.probability.toFixed(3)} +${outcome.model.relearning.after.probability.toFixed(3)} `, 'm'));
    // 0 or absent: no attack, no relearning numbers.
    for (const off of [[], ['--relearn-steps', '0']]) {
      const plain = JSON.parse((await cli([...args, ...off, '--json'])).out);
      expect('relearning' in plain.model).toBe(false);
      expect('relearning' in plain.retrain).toBe(false);
    }
    expect((await cli(args)).out).not.toContain('relearning');
  });

  it('eval-lm refuses bad relearning options with exit 2, naming the option', async () => {
    const refused = async (extra: string[], message: RegExp) => {
      const result = await cli(['eval-lm', 'abcdef123456', ...extra, '--data-dir', dataDir]);
      expect(result.code).toBe(2);
      expect(result.err).toMatch(message);
      expect(result.out).toBe('');
    };
    await refused(['--relearn-steps', '1.5'], /relearn\.steps: steps must be a positive integer/);
    await refused(['--relearn-steps=-2'], /relearn\.steps: steps must be a positive integer/);
    await refused(['--relearn-steps', 'many'], /--relearn-steps must be a finite number, got 'many'/);
    await refused(['--relearn-steps', '3', '--relearn-lr', '0'], /relearn\.lr: lr must be positive/);
    await refused(['--relearn-steps', '3', '--relearn-fraction', '1'], /relearn\.fraction: fraction must be in \(0, 1\)/);
    await refused(['--relearn-steps', '3', '--relearn-batch-size', '0'], /relearn\.batchSize: batch size must be a positive integer/);
    await refused(['--relearn-steps', '3', '--relearn-seed', '0.5'], /relearn\.seed: seed must be an integer/);
    await refused(['--relearn-lr', '1e-2'], /--relearn-lr sets the relearning attack, which runs only with --relearn-steps N \(N > 0\)/);
    await refused(['--relearn-steps', '0', '--relearn-fraction', '0.3'], /--relearn-fraction sets the relearning attack/);
    // One fact per person: forget01's one person has a single pair, nothing to hold back.
    const single = /^checkpoint ([0-9a-f]{64})$/m.exec((await cli(['train-lm', ...tiny, '--attributes', '1', '--seed', '4'])).out)![1]!;
    const attack = await cli(['eval-lm', single, '--split', 'forget01', '--relearn-steps', '2', '--data-dir', dataDir]);
    expect(attack.code).toBe(2);
    expect(attack.err).toMatch(/relearn: the relearning attack needs at least 2 forget pairs \(one to fine-tune on, one to measure\); forget01 has 1/);
  });

  it('unlearn-lm unlearns a split from a checkpoint with a sequence method, recorded as an unlearn run', async () => {
    const hashOf = (out: string) => /^checkpoint ([0-9a-f]{64})$/m.exec(out)![1]!;
    const original = hashOf((await cli(['train-lm', ...tiny, '--seed', '2'])).out);
    const unlearned = await cli(['unlearn-lm', '--from', original, '--method', 'raul-helddist', '--split', 'forget01', '--steps', '2', '--batch-size', '2', '--json', '--data-dir', dataDir]);
    expect(unlearned.code).toBe(0);
    const detail = JSON.parse(unlearned.out);
    expect([detail.kind, detail.model, detail.method, detail.aggregator, detail.status]).toEqual(['unlearn', 'transformer-tiny', 'raul-helddist', 'upgrad', 'finished']);
    expect(detail.checkpoints.map((c: { role: string }) => c.role)).toEqual(['unlearned']);
    expect(detail.metrics.loss_0.map((m: { step: number }) => m.step)).toEqual([1, 2]);
    expect(detail.metrics.loss_1).toHaveLength(2);
    const hash = detail.checkpoints[0].hash as string;
    expect(hash).not.toBe(original);
    const provenance = JSON.parse(fs.readFileSync(path.join(dataDir, 'checkpoints', hash, 'provenance.json'), 'utf8'));
    expect(provenance).toMatchObject({ kind: 'unlearn', from: original, config: { method: 'raul-helddist', split: 'forget01' } });
    expect((await cli(['eval-lm', hash, '--split', 'forget01', '--data-dir', dataDir])).code).toBe(0);
    const method = await cli(['unlearn-lm', '--from', original, '--method', 'rl', '--data-dir', dataDir]);
    expect(method.code).toBe(2);
    expect(method.err).toMatch(/method must be one of ga, graddiff, npo, raul-unidist, raul-helddist, bld/);
    const aggregator = await cli(['unlearn-lm', '--from', original, '--method', 'npo', '--aggregator', 'upgrade', '--data-dir', dataDir]);
    expect(aggregator.code).toBe(2);
    expect(aggregator.err).toMatch(/unknown aggregator 'upgrade'/);
  });

  it('refuses a bad split or model with exit 2 before anything runs', async () => {
    const split = await cli(['train-lm', ...tiny, '--retain-of', 'forget99']);
    expect(split.code).toBe(2);
    expect(split.err).toMatch(/retainOf must be one of forget01, forget05, forget10/);
    const model = await cli(['train-lm', '--model', 'transformer-huge', '--data-dir', dataDir]);
    expect(model.code).toBe(2);
    expect(model.err).toMatch(/model must be one of transformer-tiny/);
    const evaluation = await cli(['eval-lm', 'abcdef123456', '--data-dir', dataDir]);
    expect(evaluation.code).toBe(2);
    expect(evaluation.err).toMatch(/no checkpoint found at 'abcdef123456'/);
  });

  it('lethe train --dataset facts trains a language model as train-lm does; each kind refuses the other kind\'s options', async () => {
    const own = makeTempDir('cli-train-facts');
    const trained = await cli(['train', '--dataset', 'facts', ...tiny.slice(0, -2), '--data-dir', own]);
    expect(trained.code).toBe(0);
    expect(trained.out).toMatch(/^checkpoint [0-9a-f]{64}$/m);
    const runs = JSON.parse((await cli(['runs', '--json', '--data-dir', own])).out) as { kind: string; model: string; dataset: string; status: string }[];
    expect(runs.map((r) => [r.kind, r.model, r.dataset, r.status])).toEqual([['train', 'transformer-tiny', 'facts', 'finished']]);
    const classifierOption = await cli(['train', '--dataset', 'facts', '--model', 'transformer-tiny', '--optimizer', 'adamw', '--data-dir', own]);
    expect(classifierOption.code).toBe(2);
    expect(classifierOption.err).toMatch(/--optimizer does not apply to the facts dataset's language models/);
    const lmOption = await cli(['train', '--dataset', 'mnist', '--model', 'mlp', '--people', '3', '--data-dir', own]);
    expect(lmOption.code).toBe(2);
    expect(lmOption.err).toMatch(/--people does not apply to classifiers/);
    expect(JSON.parse((await cli(['runs', '--json', '--data-dir', own])).out)).toHaveLength(1);
  });

  it('the help of unlearn-lm describes the language-model methods; unlearn names them', async () => {
    const help = await cli(['unlearn-lm', '--help']);
    expect(help.out).toMatch(/^ {4}npo +NPO \(Zhang et al\. 2024\)/m);
    expect(help.out).toMatch(/^ {4}raul-helddist +RAUL-HeldDist/m);
    expect((await cli(['unlearn', '--help'])).out).toMatch(/Language models have their own \(lethe unlearn-lm\): ga, graddiff, npo, raul-unidist, raul-helddist, bld\./);
  });

  it('refuses a model too large for memory with the estimate (exit 2), recording no run and writing no file', async () => {
    const empty = path.join(makeTempDir('cli-train-lm-memory'), 'data');
    const refused = await cli(['train-lm', '--model', 'transformer-large', '--batch-size', '512', '--data-dir', empty]);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/9\.0 M parameters with batch 512 x \d\d tokens need about \d+\.\d\d GiB, more than the 4\.00 GiB/);
    expect(JSON.parse((await cli(['runs', '--json', '--data-dir', empty])).out)).toEqual([]);
    expect(fs.existsSync(path.join(empty, 'datasets'))).toBe(false);
    expect(fs.existsSync(path.join(empty, 'checkpoints'))).toBe(false);
  });
});
