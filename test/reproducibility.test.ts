/**
 * Known answers that hold Lethe's randomness still across versions. The catalog finds
 * splits and forget sets by digest and skips runs by config hash, so a study run again by
 * a newer Lethe must draw the very same samples. If one of these values changes, every
 * recorded split, forget set and seeded run silently means something else: that is a
 * breaking change, and it needs a catalog migration (or a new generator under a new
 * name), never an updated expected value.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { convertBuiltin, builtinDataset } from '../src/main/engine/data/builtin-datasets.js';
import { computeSplit, DEFAULT_SPLIT_RULE } from '../src/main/engine/data/split.js';
import { runForgetSetJob } from '../src/main/engine/jobs/forget-set-job.js';
import { Random } from '../src/main/engine/random.js';
import { makeTempDir } from './helpers.js';

const BREAKING = 'a breaking change: recorded splits, forget sets and seeded runs would change meaning; it needs a catalog migration, not a new expected value';

describe('reproducibility across versions (known answers)', () => {
  it("the seeded generator's first outputs", () => {
    const plain = new Random(1);
    expect([plain.next(), plain.next(), plain.next(), plain.next()], `Random(1).next(): ${BREAKING}`).toEqual([
      0.8620132235810161, 0.5648478411603719, 0.6960394671186805, 0.6905641744378954,
    ]);
    // The purpose label is mixed into the seed: each consumer has its own stream.
    const forget = new Random(42, 'forget');
    expect([forget.next(), forget.next()], `Random(42, 'forget'): ${BREAKING}`).toEqual([0.30039845826104283, 0.7581514099147171]);
    expect([...new Random(42, 'forget').permutation(10)], `Random(42, 'forget').permutation(10): ${BREAKING}`).toEqual([4, 0, 5, 9, 7, 1, 2, 8, 6, 3]);
    const init = new Random(3, 'init');
    expect([init.normal(), init.normal(), init.normal()], `Random(3, 'init').normal(): ${BREAKING}`).toEqual([
      -1.072679496823952, -0.14044042152470437, 2.835528790820287,
    ]);
  });

  const dataDir = makeTempDir('reproducibility');
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("Fashion-MNIST's content digest and its default split's digest", () => {
    const dataset = convertBuiltin(builtinDataset('fashion-mnist'));
    expect(dataset.digest, `Fashion-MNIST content digest: ${BREAKING}`).toBe('17ec234ad84901b71be6a9fa26f070444aca077e1492b33e1b98e3c7b04c229a');
    const split = computeSplit(dataset, DEFAULT_SPLIT_RULE);
    expect([split.train.length, split.heldOut.length, split.test.length]).toEqual([54000, 6000, 10000]);
    expect(split.digest, `Fashion-MNIST split (seed 0) digest: ${BREAKING}`).toBe('4939d76afaf4636d16acb3bd300fca65c200dac8637c57749fa4996cdaf48511');
  });

  it("forget sets' index digests for fixed seeds, as the forget-set job records them", async () => {
    const random = await runForgetSetJob({ dataset: 'fashion-mnist', rule: { kind: 'random', percent: 10, seed: 1 }, splitSeed: 0 }, dataDir, () => {});
    expect(random.splitDigest, `the split the forget set is drawn from: ${BREAKING}`).toBe('4939d76afaf4636d16acb3bd300fca65c200dac8637c57749fa4996cdaf48511');
    expect([random.size, random.retainSize]).toEqual([5400, 48600]);
    expect(random.digest, `random 10%, seed 1, forget set digest: ${BREAKING}`).toBe('d3b38517e46fa7a522bf9b07fde0ebc24e2745124628266cdc1fa38b57bbadd9');
    const inClasses = await runForgetSetJob(
      { dataset: 'fashion-mnist', rule: { kind: 'random-in-classes', percent: 50, classes: [3, 7], seed: 2 }, splitSeed: 0 },
      dataDir,
      () => {},
    );
    expect(inClasses.size).toBe(5400);
    expect(inClasses.digest, `random 50% of classes 3 and 7, seed 2, forget set digest: ${BREAKING}`).toBe('6f2ce7874c348b4683d4178f1571919292e3c7371b0552983cbe4a3aa6e1db1c');
    const stored = JSON.parse(fs.readFileSync(random.path, 'utf8')) as { indices: number[]; retain: { digest: string } };
    expect(stored.indices.slice(0, 5)).toEqual([7, 12, 19, 24, 25]);
    expect(stored.retain.digest, `random 10%, seed 1, retain set digest: ${BREAKING}`).toBe('794afc1a535e16d8a4a429296d39c09dd765db1f0b299175da403af94fcfa30e');
  });
});
