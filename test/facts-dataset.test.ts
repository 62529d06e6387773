import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FACTS_OPTIONS, generateFacts, heldOutPeople, pairsOf, retainPeople, type FactsOptions } from '../src/main/engine/data/facts/facts-dataset.js';
import { factsCachePath, loadFactsDataset } from '../src/main/engine/data/facts/facts-store.js';
import { ATTRIBUTES } from '../src/main/engine/data/facts/facts-vocabulary.js';
import { InvalidRequestError } from '../src/shared/validation.js';
import { makeTempDir } from './helpers.js';

const small: FactsOptions = { ...DEFAULT_FACTS_OPTIONS, people: 40, attributes: 6, generalSentences: 20, seed: 3 };

describe('facts dataset', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = generateFacts(small);
    const b = generateFacts(small);
    const c = generateFacts({ ...small, seed: 4 });
    expect(b).toEqual(a);
    expect(b.digest).toBe(a.digest);
    expect(c.digest).not.toBe(a.digest);
    expect(c.people.map((p) => p.name)).not.toEqual(a.people.map((p) => p.name));
  });

  it('has TOFU-sized, nested forget splits disjoint from retain and held-out people', () => {
    const facts = generateFacts(DEFAULT_FACTS_OPTIONS);
    expect(facts.people.filter((p) => p.trained)).toHaveLength(200);
    expect(new Set(facts.people.map((p) => p.name)).size).toBe(facts.people.length);
    expect(facts.pairs).toHaveLength(facts.people.length * 20);
    expect(facts.forgetPeople.forget01).toHaveLength(2);
    expect(facts.forgetPeople.forget05).toHaveLength(10);
    expect(facts.forgetPeople.forget10).toHaveLength(20);
    expect(facts.forgetPeople.forget05).toEqual(expect.arrayContaining(facts.forgetPeople.forget01));
    expect(facts.forgetPeople.forget10).toEqual(expect.arrayContaining(facts.forgetPeople.forget05));
    const heldOut = heldOutPeople(facts);
    expect(heldOut).toHaveLength(20);
    for (const split of ['forget01', 'forget05', 'forget10'] as const) {
      const forget = facts.forgetPeople[split];
      const retain = retainPeople(facts, split);
      expect(forget.length + retain.length).toBe(200);
      expect(retain.filter((p) => forget.includes(p))).toEqual([]);
      expect([...forget, ...retain].filter((p) => heldOut.includes(p))).toEqual([]);
      const forgetNames = new Set(forget.map((p) => facts.people[p]!.name));
      expect(pairsOf(facts, retain).filter((pair) => [...forgetNames].some((name) => pair.question.includes(name)))).toEqual([]);
    }
  });

  it('paraphrases with templates training never uses and perturbs with other values', () => {
    const facts = generateFacts(small);
    for (const pair of facts.pairs) {
      const attribute = ATTRIBUTES.find((a) => a.key === pair.attribute)!;
      const name = facts.people[pair.person]!.name;
      const value = facts.people[pair.person]!.attributes[pair.attribute]!;
      const trainingQuestions = attribute.questions.map((t) => t.replace('{name}', name));
      expect(trainingQuestions).toContain(pair.question);
      expect(trainingQuestions).not.toContain(pair.paraphrasedQuestion);
      expect(pair.answer).toContain(value);
      expect(pair.perturbedAnswers).toHaveLength(small.perturbed);
      expect(new Set(pair.perturbedAnswers).size).toBe(small.perturbed);
      expect(pair.perturbedAnswers).not.toContain(pair.paraphrasedAnswer);
    }
    expect(facts.generalTrain).toHaveLength(20);
    expect(facts.generalHeldOut).toHaveLength(20);
    expect(facts.generalHeldOut.some((s) => s.includes('{'))).toBe(false);
  });

  it('is stored with its digest and regenerated when the file is altered', () => {
    const dir = makeTempDir('facts');
    const first = loadFactsDataset(dir, small);
    const file = factsCachePath(dir, { ...DEFAULT_FACTS_OPTIONS, ...small });
    expect(fs.existsSync(file)).toBe(true);
    expect(loadFactsDataset(dir, small)).toEqual(first);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(first.people[0]!.name, 'Someone Else'));
    const notices: string[] = [];
    expect(loadFactsDataset(dir, small, (m) => notices.push(m))).toEqual(first);
    expect(notices.join()).toMatch(/digest does not match/);
  });

  it('refuses impossible options with the field named and writes nothing', () => {
    const dir = makeTempDir('facts-bad');
    expect(() => loadFactsDataset(dir, { perturbed: 9 })).toThrow(InvalidRequestError);
    expect(() => loadFactsDataset(dir, { perturbed: 9 })).toThrow(/perturbed must be at most 5 \(an attribute has only 6 values\)/);
    expect(() => loadFactsDataset(dir, { people: 0 })).toThrow(/people must be a positive integer/);
    expect(fs.existsSync(`${dir}/datasets`)).toBe(false);
  });
});
