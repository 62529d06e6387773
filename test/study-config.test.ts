import { describe, expect, it } from 'vitest';
import { editDistance, nearestName } from '../src/shared/nearest-name.js';
import fs from 'node:fs';
import YAML from 'yaml';
import { parseClassifierStudyConfig, parseStudyConfig, studyRowEntries } from '../src/shared/study-config.js';
import { parseTrainConfig } from '../src/shared/train-config.js';

const base = { name: 's', dataset: 'mnist', model: 'mlp', forget: { kind: 'random', percent: 10 }, methods: [{ label: 'FT', method: 'ft' }] };

describe('study files refuse unknown keys, naming the nearest valid one', () => {
  it.each([
    [{ original: { epoch: 1, batchsize: 128 } }, /original\.epoch: unknown key; did you mean 'epochs'\?; original\.batchsize: unknown key; did you mean 'batchSize'\?/],
    [{ methods: [{ label: 'FT', method: 'ft', lerning_rate: 0.01 }] }, /methods\.0\.lerning_rate: unknown key; did you mean 'lr'\?/],
    [{ colour: 'red' }, /colour: unknown key; valid keys are name, description, dataset, model, original, retrain, forget, seeds, evaluation, methods, comparisons, lira/],
    [{ retrain: { epoch: 2 } }, /retrain\.epoch: unknown key; did you mean 'epochs'\?/],
    [{ forget: { kind: 'random', percent: 10, sed: 3 } }, /forget\.sed: unknown key; did you mean 'seed'\?/],
    [{ evaluation: { pgdd: true } }, /evaluation\.pgdd: unknown key; did you mean 'pgd'\?/],
  ])('%j', (overrides, message) => {
    expect(() => parseStudyConfig({ ...base, ...overrides })).toThrow(message);
  });

  it('still accepts a study that uses only known keys', () => {
    expect(parseStudyConfig({ ...base, original: { epochs: 1, batchSize: 128 } }).original).toMatchObject({ epochs: 1, batchSize: 128 });
  });

  it('refuses unknown keys of an embedded config from every door', () => {
    expect(() => parseTrainConfig({ dataset: 'mnist', model: 'mlp', batch_size: 32 })).toThrow(/batch_size: unknown key; did you mean 'batchSize'\?/);
  });
});

describe('nearest names', () => {
  it.each([
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['flaw', 'lawn', 2],
    ['same', 'same', 0],
  ])('edit distance %s -> %s is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });

  it.each([
    ['epoch', ['epochs', 'lr', 'seed'], 'epochs'],
    ['batch_size', ['epochs', 'batchSize'], 'batchSize'],
    ['lerning_rate', ['label', 'lr', 'method'], 'lr'],
    ['learningRate', ['label', 'lr', 'method'], 'lr'],
    ['colour', ['name', 'model', 'seeds'], undefined],
  ])('%s among %j is %s', (name, candidates, nearest) => {
    expect(nearestName(name, candidates)).toBe(nearest);
  });
});

describe('grid axes', () => {
  it('makes one row per (learning rate, epochs) point, lr varying slowest, each keeping the entry it came from', () => {
    const study = parseClassifierStudyConfig({ ...base, methods: [{ label: 'GA', method: 'ga', grid: { lr: [1e-4, 1e-3], epochs: [2, 5] } }, { label: 'FT', method: 'ft', grid: { epochs: [3] }, lr: 0.01 }] });
    expect(studyRowEntries(study).map((row) => [row.label, row.entry, row.lr, row.epochs])).toEqual([
      ['GA (lr 0.0001, 2 ep)', 'GA', 1e-4, 2],
      ['GA (lr 0.0001, 5 ep)', 'GA', 1e-4, 5],
      ['GA (lr 0.001, 2 ep)', 'GA', 1e-3, 2],
      ['GA (lr 0.001, 5 ep)', 'GA', 1e-3, 5],
      ['FT (3 ep)', 'FT', 0.01, 3],
    ]);
    expect(studyRowEntries(study).some((row) => 'grid' in row)).toBe(false);
  });

  it('keeps files without a grid as they were: one row per entry, an lr list still a sweep of repeats', () => {
    const demo = parseClassifierStudyConfig(YAML.parse(fs.readFileSync('studies/fashion-mnist-demo.yaml', 'utf8')));
    expect(studyRowEntries(demo).map((row) => row.label)).toEqual(demo.methods.map((entry) => entry.label));
    const sweep = parseClassifierStudyConfig({ ...base, methods: [{ label: 'GA', method: 'ga', lr: [1e-4, 1e-3] }] });
    expect(studyRowEntries(sweep)).toEqual([expect.objectContaining({ label: 'GA', entry: 'GA', lr: [1e-4, 1e-3] })]);
    expect(sweep.comparisons).toEqual([]);
  });

  it.each([
    [[{ label: 'GA', method: 'ga', lr: 0.01, grid: { lr: [0.1] } }], /methods\.0\.grid\.lr: give the learning rate either as lr or as a grid axis, not both/],
    [[{ label: 'GA', method: 'ga', epochs: 2, grid: { epochs: [1] } }], /methods\.0\.grid\.epochs: give epochs either as epochs or as a grid axis, not both/],
    [[{ label: 'GA', method: 'ga', grid: { epochs: [1.5] } }], /methods\.0\.grid\.epochs\.0: epochs are whole numbers/],
    [[{ label: 'GA', method: 'ga', grid: { lr: [] } }], /methods\.0\.grid\.lr: a grid axis needs at least one value/],
    [[{ label: 'GA', method: 'ga', grid: { rate: [0.1] } }], /methods\.0\.grid\.rate: unknown key/],
    [[{ label: 'GA', method: 'ga', grid: { epochs: [1] } }, { label: 'GA (1 ep)', method: 'ft' }], /label 'GA \(1 ep\)' is used twice/],
  ])('refuses %j, naming the field', (methods, message) => {
    expect(() => parseClassifierStudyConfig({ ...base, methods })).toThrow(message);
  });

  it('refuses a comparison of a label the study does not have', () => {
    expect(() => parseClassifierStudyConfig({ ...base, comparisons: [['FT', 'GA']] })).toThrow(/comparisons\.0\.1: 'GA' is not a method label of this study/);
    expect(() => parseClassifierStudyConfig({ ...base, comparisons: [['FT']] })).toThrow(/comparisons\.0/);
    expect(parseClassifierStudyConfig({ ...base, methods: [{ label: 'FT', method: 'ft', grid: { epochs: [1, 2] } }, { label: 'GA', method: 'ga' }], comparisons: [['FT', 'GA'], ['FT (2 ep)', 'GA']] }).comparisons).toHaveLength(2);
  });
});

describe('the likelihood-ratio test in a study file', () => {
  it('takes K (8 by default) and rows of the study, and refuses what it cannot test, naming the field', () => {
    expect(parseClassifierStudyConfig({ ...base, lira: { rows: ['FT'] } }).lira).toEqual({ k: 8, rows: ['FT'] });
    const grid = { ...base, methods: [{ label: 'GA', method: 'ga', grid: { epochs: [1, 2] } }] };
    expect(parseClassifierStudyConfig({ ...grid, lira: { k: 32, rows: ['GA (2 ep)'] } }).lira).toEqual({ k: 32, rows: ['GA (2 ep)'] });
    expect(() => parseClassifierStudyConfig({ ...grid, lira: { rows: ['GA'] } })).toThrow(/lira\.rows\.0: 'GA' is not a row of this study \(a grid's rows are its points, e\.g\. 'GA \(1 ep\)'\)/);
    expect(() => parseClassifierStudyConfig({ ...base, methods: [{ label: 'FT', method: 'ft', lr: [0.1, 0.01] }], lira: { rows: ['FT'] } })).toThrow(/lira\.rows\.0: 'FT' sweeps 2 learning rates/);
    expect(() => parseClassifierStudyConfig({ ...base, lira: { k: 1, rows: ['FT'] } })).toThrow(/lira\.k: K needs at least 2 models a side/);
    expect(() => parseClassifierStudyConfig({ ...base, lira: { rows: [] } })).toThrow(/lira\.rows: name at least one row/);
  });
});
