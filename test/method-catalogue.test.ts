import { describe, expect, it } from 'vitest';
import { unlearningCatalogue } from '../src/main/app/method-catalogue.js';
import { AGGREGATORS } from '../src/main/engine/moo/registry.js';
import { METHOD_INFO, type MethodInfo } from '../src/main/engine/unlearn/method-info.js';
import { COMMON_UNLEARN_OPTIONS, UnlearnConfigSchema } from '../src/shared/unlearn-config.js';

describe('unlearning catalogue (the window form’s choices)', () => {
  const catalogue = unlearningCatalogue();

  it('lists every registered method and aggregator with the options its registry entry declares', () => {
    expect(catalogue.methods.map((m) => m.name)).toEqual(Object.keys(METHOD_INFO));
    expect(catalogue.aggregators.map((a) => a.name)).toEqual(Object.keys(AGGREGATORS));
    const common = new Set<string>(COMMON_UNLEARN_OPTIONS);
    const settable = new Set(Object.keys(UnlearnConfigSchema.shape));
    for (const method of catalogue.methods) {
      const info = (METHOD_INFO as Record<string, MethodInfo>)[method.name]!;
      expect(method.parameters.map((p) => p.name), method.name).toEqual(info.options.filter((o) => !common.has(o)));
      expect(method).toMatchObject({ description: info.description, objectives: info.objectives, multiObjective: info.multiObjective, defaults: info.defaults });
    }
    for (const aggregator of catalogue.aggregators) {
      const options = (AGGREGATORS as Record<string, { options: readonly string[] }>)[aggregator.name]!.options;
      // CAGrad's c has no config field, so no form field; seed is a common option.
      expect(aggregator.parameters.map((p) => p.name), aggregator.name).toEqual(options.filter((o) => settable.has(o) && !common.has(o)));
    }
    for (const p of [...catalogue.common, ...catalogue.methods.flatMap((m) => m.parameters), ...catalogue.aggregators.flatMap((a) => a.parameters)]) {
      expect(p.description.length, p.name).toBeGreaterThan(5);
    }
  });

  it('takes kinds, defaults and ranges from the config schema', () => {
    const salun = catalogue.methods.find((m) => m.name === 'salun')!;
    expect(salun.parameters).toEqual([{ name: 'maskRatio', kind: 'number', description: expect.any(String), default: 0.5, min: { value: 0, exclusive: true }, max: { value: 1, exclusive: false } }]);
    const raul = catalogue.methods.find((m) => m.name === 'raul')!;
    expect(raul.parameters.map((p) => [p.name, p.kind, p.default, p.choices])).toEqual([
      ['reference', 'choice', 'uniform', ['uniform', 'heldout']],
      ['frozenReference', 'boolean', false, undefined],
    ]);
    const upgrad = catalogue.aggregators.find((a) => a.name === 'upgrad')!;
    expect(upgrad.parameters).toEqual([{ name: 'weights', kind: 'numbers', description: expect.any(String), min: { value: 0, exclusive: false } }]);
    const byName = Object.fromEntries(catalogue.common.map((p) => [p.name, p]));
    expect(Object.keys(byName)).toEqual(COMMON_UNLEARN_OPTIONS.filter((o) => o !== 'checkpoint' && o !== 'forgetSet' && o !== 'method'));
    expect(byName.momentum).toMatchObject({ kind: 'number', default: 0.9, min: { value: 0, exclusive: false }, max: { value: 1, exclusive: true } });
    expect(byName.batchSize).toMatchObject({ kind: 'integer', default: 256, min: { value: 0, exclusive: true } });
    // An integer field's safe-integer limits are no range.
    expect(byName.seed).toMatchObject({ kind: 'integer', default: 1 });
    expect(byName.seed!.min).toBeUndefined();
    expect(byName.optimizer).toMatchObject({ kind: 'choice', default: 'sgd', choices: ['sgd', 'adamw'] });
  });

  it('shows a newly registered method with its parameters, with no other change', () => {
    const added = { description: 'a new method', objectives: ['retain', 'forget'], defaults: { lr: 0.1, epochs: 2 }, multiObjective: true, options: ['temperature', 'boundary'] } satisfies MethodInfo;
    const extended = unlearningCatalogue({ ...METHOD_INFO, fresh: added });
    const fresh = extended.methods.find((m) => m.name === 'fresh')!;
    expect(fresh.parameters.map((p) => [p.name, p.kind, p.default])).toEqual([
      ['temperature', 'number', 4],
      ['boundary', 'choice', 'nearest'],
    ]);
    expect(fresh.objectives).toEqual(['retain', 'forget']);
  });
});
