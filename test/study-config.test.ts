import { describe, expect, it } from 'vitest';
import { editDistance, nearestName } from '../src/shared/nearest-name.js';
import { parseStudyConfig } from '../src/shared/study-config.js';
import { parseTrainConfig } from '../src/shared/train-config.js';

const base = { name: 's', dataset: 'mnist', model: 'mlp', forget: { kind: 'random', percent: 10 }, methods: [{ label: 'FT', method: 'ft' }] };

describe('study files refuse unknown keys, naming the nearest valid one', () => {
  it.each([
    [{ original: { epoch: 1, batchsize: 128 } }, /original\.epoch: unknown key; did you mean 'epochs'\?; original\.batchsize: unknown key; did you mean 'batchSize'\?/],
    [{ methods: [{ label: 'FT', method: 'ft', lerning_rate: 0.01 }] }, /methods\.0\.lerning_rate: unknown key; did you mean 'lr'\?/],
    [{ colour: 'red' }, /colour: unknown key; valid keys are name, description, dataset, model, original, retrain, forget, seeds, evaluation, methods/],
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
