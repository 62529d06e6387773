import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { ForgetSetRequest } from '../src/shared/forget-set.js';
import { InvalidRequestError } from '../src/shared/validation.js';
import { saveCheckpoint } from '../src/main/engine/checkpoint.js';
import { datasetCachePath } from '../src/main/engine/data/builtin-datasets.js';
import { writeDatasetCache } from '../src/main/engine/data/dataset-cache.js';
import { computeSplit, DEFAULT_SPLIT_RULE, loadOrCreateSplit, splitPath } from '../src/main/engine/data/split.js';
import { openCheckpointWithForgetSet } from '../src/main/engine/jobs/checkpoint-context.js';
import { runForgetSetJob } from '../src/main/engine/jobs/forget-set-job.js';
import { checkpointsRoot } from '../src/main/engine/jobs/train-job.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import { ForgetSetError, retainOf, selectByRule } from '../src/main/engine/forget/forget-rules.js';
import { matchImages } from '../src/main/engine/forget/image-match.js';
import { readIndexList } from '../src/main/engine/forget/index-list.js';
import { makeTempDir, syntheticDataset } from './helpers.js';

const dataset = syntheticDataset(1000, 4, 8, 1, 5);
const split = computeSplit(dataset, { seed: 0, testFraction: 0.2, heldOutFraction: 0.1 });
const { labels, classNames } = dataset;

describe('forget sets by rule', () => {
  it('random p% is seeded, sized exactly, inside train, and the 10% set is a prefix of the 50% set', () => {
    const ten = selectByRule({ kind: 'random', percent: 10, seed: 2 }, labels, classNames, split.train).indices;
    const fifty = selectByRule({ kind: 'random', percent: 50, seed: 2 }, labels, classNames, split.train).indices;
    const other = selectByRule({ kind: 'random', percent: 10, seed: 3 }, labels, classNames, split.train).indices;
    expect(ten.length).toBe(Math.round(split.train.length * 0.1));
    expect(fifty.length).toBe(Math.round(split.train.length * 0.5));
    const inFifty = new Set(fifty);
    expect([...ten].every((i) => inFifty.has(i))).toBe(true);
    expect([...ten]).not.toEqual([...other]);
    expect([...selectByRule({ kind: 'random', percent: 10, seed: 2 }, labels, classNames, split.train).indices]).toEqual([...ten]);
    const train = new Set(split.train);
    expect([...fifty].every((i) => train.has(i))).toBe(true);
    expect([...ten]).toEqual([...ten].sort((a, b) => a - b));
    const retain = retainOf(split.train, ten);
    expect(retain.length + ten.length).toBe(split.train.length);
  });

  it('whole classes, and a random share within classes', () => {
    const whole = selectByRule({ kind: 'classes', classes: [1, 3] }, labels, classNames, split.train);
    expect([...whole.indices]).toEqual([...split.train].filter((i) => labels[i] === 1 || labels[i] === 3));
    expect(whole.warnings).toEqual(['the retain set has no sample of class 1 (class1), 3 (class3)']);
    const part = selectByRule({ kind: 'random-in-classes', percent: 20, classes: [2], seed: 1 }, labels, classNames, split.train);
    const ofClass = [...split.train].filter((i) => labels[i] === 2);
    expect(part.indices.length).toBe(Math.round(ofClass.length * 0.2));
    expect([...part.indices].every((i) => labels[i] === 2)).toBe(true);
    expect(part.warnings).toEqual([]);
  });

  it.each([
    [{ kind: 'random', percent: 0, seed: 0 }, /percentage must be in \(0, 100\), got 0/],
    [{ kind: 'random', percent: 100, seed: 0 }, /percentage must be in \(0, 100\), got 100/],
    [{ kind: 'random', percent: 0.01, seed: 0 }, /0.01% of 720 samples is no sample at all/],
    [{ kind: 'classes', classes: [7] }, /class 7 does not exist; classes are 0..3/],
    [{ kind: 'classes', classes: [] }, /name at least one class/],
  ] as const)('refuses %j', (rule, message) => {
    expect(() => selectByRule(rule as never, labels, classNames, split.train)).toThrow(ForgetSetError);
    expect(() => selectByRule(rule as never, labels, classNames, split.train)).toThrow(message);
  });
});

describe('forget sets from index lists', () => {
  const dir = makeTempDir('index-lists');
  const some = [...split.train.subarray(0, 5)];
  const read = (name: string, content: string, column?: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return [...readIndexList(file, { column, count: dataset.count, train: split.train })];
  };
  const sorted = [...some].sort((a, b) => a - b);

  it('reads CSV with and without a header, a named column, JSON arrays and objects, plain text', () => {
    expect(read('a.csv', some.join('\n'))).toEqual(sorted);
    expect(read('b.csv', 'index\n' + some.join('\n'))).toEqual(sorted);
    expect(read('c.csv', 'name,sample\n' + some.map((s) => `x${s},${s}`).join('\n'), 'sample')).toEqual(sorted);
    expect(read('d.json', JSON.stringify(some))).toEqual(sorted);
    expect(read('e.json', JSON.stringify({ indices: some }))).toEqual(sorted);
    expect(read('f.txt', some.join('\r\n') + '\n\n')).toEqual(sorted);
  });

  it.each([
    ['g.txt', `${split.train[0]}\n${dataset.count + 5}`, /g.txt, line 2: index 1005 is out of range \(the dataset has 1000 samples\)/],
    ['h.txt', '-3', /h.txt, line 1: index -3 is negative/],
    ['i.txt', '2.5', /i.txt, line 1: '2.5' is not an index \(expected a plain non-negative decimal integer such as 7\)/],
    ['j.txt', `${split.train[1]}\n${split.train[1]}`, /j.txt, line 2: index \d+ is duplicated \(first at line 1\)/],
    ['k.txt', `${split.test[0]}`, /k.txt, line 1: sample \d+ is not in the train split/],
    ['l.txt', 'seven', /l.txt, line 1: 'seven' is not an index/],
    ['m.txt', '\n\n', /m.txt holds no index: the forget set would be empty/],
    ['n.json', '{"ids": [1]}', /n.json: expected a JSON array of indices/],
    ['o.csv', 'a,b\n1,2', /o.csv: several columns \('a', 'b'\); name the one with the indices/],
  ])('refuses %s', (name, content, message) => {
    expect(() => read(name, content)).toThrow(message);
  });

  // A caller may name any file on the machine; the refusal must not become a way to read it.
  const passwd = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon,sys:/usr/sbin:/usr/sbin/nologin\n';
  it.each([
    ['passwd', /passwd, line 1: an entry of 31 characters is not an index \(expected a plain non-negative decimal integer such as 7\)$/],
    ['passwd.csv', /passwd.csv, line 2: an entry of 19 characters is not an index \(expected a plain non-negative decimal integer such as 7\)$/],
    ['passwd.json', /passwd.json: not valid JSON \(near the start\)$/],
  ])('refuses %s without quoting its content', (name, message) => {
    let error: Error | undefined;
    try {
      read(name, passwd);
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toMatch(/root:|bin\/bash|nologin/);
  });

  it("refuses a stored forget set's file of another dataset, and reads one of this dataset", () => {
    const file = path.join(dir, 'stored.json');
    const write = (digest: string) => fs.writeFileSync(file, JSON.stringify({ dataset: { name: 'other', digest }, indices: some }));
    write('f'.repeat(64));
    const target = { name: dataset.name, digest: dataset.digest };
    expect(() => readIndexList(file, { count: dataset.count, train: split.train, dataset: target })).toThrow(
      `${file} is a forget set of another dataset ('other', digest 'ffffffffffff'), not of '${dataset.name}' (digest ${dataset.digest.slice(0, 12)})`,
    );
    write(dataset.digest);
    expect([...readIndexList(file, { count: dataset.count, train: split.train, dataset: target })]).toEqual(sorted);
  });

  it('names where JSON stops without quoting the text around it', () => {
    expect(() => read('p.json', '[1, 2, "secret-value" 3]')).toThrow(/p.json: not valid JSON \(at character 23\)$/);
    expect(() => read('q.json', '{"indices": ["password123456789012"]}')).toThrow(/q.json, item 0: an entry of 22 characters is not an index \(expected a plain non-negative decimal integer such as 7\)$/);
  });
});

describe('forget sets from images', () => {
  function writeSample(file: string, index: number): void {
    const png = new PNG({ width: 8, height: 8 });
    for (let p = 0; p < 64; p++) {
      const v = dataset.pixels[index * 64 + p]!;
      png.data.set([v, v, v, 255], 4 * p);
    }
    fs.writeFileSync(file, PNG.sync.write(png));
  }

  it('matches images to train samples by pixels and reports unmatched and duplicate files', () => {
    const dir = makeTempDir('forget-images');
    const [a, b] = [split.train[3]!, split.train[10]!];
    writeSample(path.join(dir, '1.png'), a);
    writeSample(path.join(dir, '2.png'), b);
    writeSample(path.join(dir, '3-copy.png'), a);
    const stranger = new PNG({ width: 8, height: 8 });
    stranger.data.fill(7);
    fs.writeFileSync(path.join(dir, '4-stranger.png'), PNG.sync.write(stranger));
    const { indices, report } = matchImages([dir], dataset, split.train);
    expect([...indices]).toEqual([a, b].sort((x, y) => x - y));
    expect(report.matched.map((m) => m.index)).toEqual([a, b]);
    expect(report.unmatched).toEqual([path.join(dir, '4-stranger.png')]);
    expect(report.duplicateFiles).toEqual([{ file: path.join(dir, '3-copy.png'), sameAs: path.join(dir, '1.png') }]);
  });

  it('refuses a set where nothing matches', () => {
    const dir = makeTempDir('forget-none');
    const png = new PNG({ width: 8, height: 8 });
    png.data.fill(3);
    fs.writeFileSync(path.join(dir, 'x.png'), PNG.sync.write(png));
    expect(() => matchImages([dir], dataset, split.train)).toThrow(/none of the 1 image\(s\) matches a train sample/);
  });
});

describe('index values are plain non-negative decimal integers, and a list is read up to a limit', () => {
  const dir = makeTempDir('index-strict');
  const train = split.train[0]!;
  const read = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return () => readIndexList(file, { count: dataset.count, train: split.train });
  };

  it.each([
    ['hex.txt', `${train}\n0x10`, "line 2: '0x10' is not an index"],
    ['exp.txt', '1e1', "line 1: '1e1' is not an index"],
    ['plus.txt', '+3', "line 1: '+3' is not an index"],
    ['spaces.txt', ' 7 ', 'line 1: an entry of 3 characters is not an index'],
    ['zero-lead.txt', '07', "line 1: '07' is not an index"],
    ['spaces.csv', `index\n${train}\n 7`, 'line 3: an entry of 2 characters is not an index'],
    ['hex.csv', '0x10', "line 1: '0x10' is not an index"],
    ['string.json', '["7"]', 'item 0: an entry of 3 characters is not an index'],
    ['fraction.json', '[1.5]', "item 0: '1.5' is not an index"],
  ])('refuses %s naming line and value', (name, content, message) => {
    expect(read(name, content)).toThrow(ForgetSetError);
    expect(read(name, content)).toThrow(`${path.join(dir, name)}, ${message} (expected a plain non-negative decimal integer such as 7)`);
  });

  it('stops reading /dev/zero at 64 MiB', () => {
    const read = () => readIndexList('/dev/zero', { count: dataset.count, train: split.train });
    expect(read).toThrow(InvalidRequestError);
    expect(read).toThrow('/dev/zero is larger than 64 MiB, the limit for an index list');
  });
});

describe('forget-set jobs refuse empty sets and write nothing when they refuse', () => {
  const dataDir = makeTempDir('forget-job');
  writeDatasetCache(datasetCachePath(dataDir, dataset.name), dataset);
  const listing = () => fs.readdirSync(dataDir, { recursive: true }).map(String).sort();
  const job = (rule: ForgetSetRequest['rule'], splitSeed = 0) => runForgetSetJob({ dataset: dataset.name, rule, splitSeed }, dataDir, () => {});

  it('refuses a forget set that takes every train sample (every class, or an index list of all of them)', async () => {
    await job({ kind: 'random', percent: 10, seed: 0 }); // stores the seed-0 split
    const before = listing();
    await expect(job({ kind: 'classes', classes: [0, 1, 2, 3] })).rejects.toThrow(/^classes 0, 1, 2, 3: the forget set holds all \d+ train samples: the retain set would be empty/);
    const trainSplit = loadOrCreateSplit(dataDir, dataset);
    const all = path.join(makeTempDir('all'), 'all.txt');
    fs.writeFileSync(all, [...trainSplit.train].join('\n'));
    await expect(job({ kind: 'file', paths: [all] })).rejects.toThrow(ForgetSetError);
    await expect(job({ kind: 'file', paths: [all] })).rejects.toThrow(`${all}: the forget set holds all ${trainSplit.train.length} train samples`);
    expect(listing()).toEqual(before);
  });

  it('writes the split of a new --split-seed only when the request is accepted', async () => {
    const before = listing();
    await expect(job({ kind: 'classes', classes: [9] }, 5)).rejects.toThrow(/class 9 does not exist/);
    expect(listing()).toEqual(before);
    const made = await job({ kind: 'classes', classes: [1] }, 5);
    const rule = { ...DEFAULT_SPLIT_RULE, seed: 5 };
    expect(fs.existsSync(splitPath(dataDir, dataset, rule))).toBe(true);
    expect(made.splitDigest).toBe(loadOrCreateSplit(dataDir, dataset, rule).digest);
  });
});

describe('a stored forget set is verified when a job loads it', () => {
  const dataDir = makeTempDir('forget-load');
  writeDatasetCache(datasetCachePath(dataDir, dataset.name), dataset);
  const trainSplit = loadOrCreateSplit(dataDir, dataset);
  const model = Classifier.create({ architecture: 'mlp', inputShape: [8, 8, 1], numClasses: 4, normalization: { mean: [0.3], std: [0.3] }, seed: 1 });
  const checkpoint = saveCheckpoint(checkpointsRoot(dataDir), model, { dataset: { name: dataset.name, digest: dataset.digest }, split: { seed: 0 } }).hash;
  model.dispose();

  async function stored(): Promise<{ path: string; digest: string; body: { indices: number[] } }> {
    const made = await runForgetSetJob({ dataset: dataset.name, rule: { kind: 'random', percent: 10, seed: 3 }, splitSeed: 0 }, dataDir, () => {});
    return { path: made.path, digest: made.digest, body: JSON.parse(fs.readFileSync(made.path, 'utf8')) as { indices: number[] } };
  }
  const open = (set: { path: string; digest: string }) => openCheckpointWithForgetSet(dataDir, checkpoint, set, () => {});

  it('loads an intact set with its retain set', async () => {
    const set = await stored();
    const { forget, retain } = open(set);
    expect([...forget]).toEqual(set.body.indices);
    expect(retain.length + forget.length).toBe(trainSplit.train.length);
  });

  it('refuses indices edited out of range', async () => {
    const set = await stored();
    fs.writeFileSync(set.path, JSON.stringify({ ...JSON.parse(fs.readFileSync(set.path, 'utf8')), indices: [...set.body.indices.slice(0, -1), 99999] }));
    expect(() => open(set)).toThrow(ForgetSetError);
    expect(() => open(set)).toThrow(`forget set ${set.path}, item ${set.body.indices.length - 1}: 99999 is not a train sample of synthetic (the file was changed after it was made)`);
  });

  it('refuses in-range indices that no longer hash to the digest the catalog recorded', async () => {
    const set = await stored();
    const kept = new Set(set.body.indices);
    const other = [...trainSplit.train].find((i) => !kept.has(i))!;
    const edited = [...set.body.indices.slice(1), other].sort((a, b) => a - b);
    fs.writeFileSync(set.path, JSON.stringify({ ...JSON.parse(fs.readFileSync(set.path, 'utf8')), indices: edited }));
    expect(() => open(set)).toThrow(new RegExp(`^forget set ${set.path} was changed after it was made: its indices hash to [0-9a-f]{16}, the catalog recorded ${set.digest.slice(0, 16)}$`));
  });
});
