/**
 * The synthetic facts dataset (after TOFU, scaled to a CPU): fictitious people with one
 * value per attribute, rendered as question-answer pairs; per pair a paraphrased question
 * and answer (templates training never uses) and perturbed answers (the paraphrased
 * answer with other values of the attribute); forget01/05/10 = nested 1/5/10 % of the
 * people, the rest of the people retain; held-out people that no model is trained on
 * (membership inference, HeldDist); general sentences (train and held-out) for fluency.
 * Everything follows from the seed and the options.
 */
import { createHash } from 'node:crypto';
import { Random } from '../../random.js';
import { ATTRIBUTES, FIRST_NAMES, GENERAL_TEMPLATES, LAST_NAMES, SEASONS } from './facts-vocabulary.js';
import { InvalidRequestError } from '../../../../shared/validation.js';

export const FORGET_SPLITS = { forget01: 0.01, forget05: 0.05, forget10: 0.1 } as const;
export type ForgetSplitName = keyof typeof FORGET_SPLITS;

export interface FactsOptions {
  /** People the models are trained on (TOFU: 200). */
  people: number;
  /** Attributes per person, the first n of the fixed list (at most 20). */
  attributes: number;
  /** Perturbed (wrong) answers per question (TOFU: 5). */
  perturbed: number;
  /** People never trained on (held out), as a fraction of `people`. */
  heldOutFraction: number;
  /** General sentences for training and, as many again, held out. */
  generalSentences: number;
  seed: number;
}

export const DEFAULT_FACTS_OPTIONS: FactsOptions = {
  people: 200,
  attributes: 20,
  perturbed: 5,
  heldOutFraction: 0.1,
  generalSentences: 400,
  seed: 0,
};

export interface QaPair {
  /** Index into `people`. */
  person: number;
  attribute: string;
  question: string;
  answer: string;
  paraphrasedQuestion: string;
  paraphrasedAnswer: string;
  perturbedAnswers: string[];
}

export interface Person {
  name: string;
  attributes: Record<string, string>;
  /** False for held-out people, whom no model is trained on. */
  trained: boolean;
}

export interface FactsDataset {
  name: 'facts';
  options: FactsOptions;
  /** sha256 of the generated content (everything but this field). */
  digest: string;
  people: Person[];
  /** One pair per person and attribute, trained and held-out people alike. */
  pairs: QaPair[];
  /** Indices of trained people in each forget split; nested (forget01 within forget05 within forget10). */
  forgetPeople: Record<ForgetSplitName, number[]>;
  generalTrain: string[];
  generalHeldOut: string[];
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? `{${key}}`);
}

export function checkFactsOptions(options: FactsOptions): void {
  const positive = (value: number, what: string) => {
    if (!Number.isInteger(value) || value < 1) throw new InvalidRequestError(`facts dataset: ${what} must be a positive integer, got ${value}`);
  };
  positive(options.people, 'people');
  positive(options.attributes, 'attributes');
  positive(options.perturbed, 'perturbed');
  positive(options.generalSentences, 'generalSentences');
  if (!Number.isInteger(options.seed)) throw new InvalidRequestError(`facts dataset: seed must be an integer, got ${options.seed}`);
  if (options.attributes > ATTRIBUTES.length) throw new InvalidRequestError(`facts dataset: attributes must be at most ${ATTRIBUTES.length}, got ${options.attributes}`);
  if (!(options.heldOutFraction >= 0 && options.heldOutFraction <= 1)) {
    throw new InvalidRequestError(`facts dataset: heldOutFraction must be in [0, 1], got ${options.heldOutFraction}`);
  }
  const total = options.people + Math.ceil(options.people * options.heldOutFraction);
  const names = FIRST_NAMES.length * LAST_NAMES.length;
  if (total > names) throw new InvalidRequestError(`facts dataset: ${total} people need more than the ${names} distinct names available`);
  const fewestValues = Math.min(...ATTRIBUTES.slice(0, options.attributes).map((a) => a.values.length));
  if (options.perturbed > fewestValues - 1) {
    throw new InvalidRequestError(`facts dataset: perturbed must be at most ${fewestValues - 1} (an attribute has only ${fewestValues} values), got ${options.perturbed}`);
  }
}

export function factsDigest(content: Omit<FactsDataset, 'digest'>): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/** Draws `count` distinct items from `items` without `except`. */
function distinct<T>(items: readonly T[], count: number, random: Random, except?: T): T[] {
  const pool = items.filter((item) => item !== except);
  random.shuffle(pool);
  return pool.slice(0, count);
}

export function generateFacts(options: FactsOptions = DEFAULT_FACTS_OPTIONS): FactsDataset {
  checkFactsOptions(options);
  const { seed } = options;
  const attributes = ATTRIBUTES.slice(0, options.attributes);
  const heldOut = Math.ceil(options.people * options.heldOutFraction);
  const total = options.people + heldOut;

  const nameRandom = new Random(seed, 'facts/names');
  const names = nameRandom.permutation(FIRST_NAMES.length * LAST_NAMES.length).subarray(0, total);
  const valueRandom = new Random(seed, 'facts/values');
  const people: Person[] = Array.from(names, (code, i) => ({
    name: `${FIRST_NAMES[code % FIRST_NAMES.length]} ${LAST_NAMES[Math.floor(code / FIRST_NAMES.length)]}`,
    attributes: Object.fromEntries(attributes.map((a) => [a.key, a.values[valueRandom.int(a.values.length)]!])),
    trained: i < options.people,
  }));

  const templateRandom = new Random(seed, 'facts/templates');
  const perturbRandom = new Random(seed, 'facts/perturbed');
  const pairs: QaPair[] = [];
  people.forEach((person, p) => {
    for (const a of attributes) {
      const value = person.attributes[a.key]!;
      const fields = { name: person.name, value };
      const pick = (templates: readonly string[]) => templates[templateRandom.int(templates.length)]!;
      pairs.push({
        person: p,
        attribute: a.key,
        question: fill(pick(a.questions), fields),
        answer: fill(a.answer, fields),
        paraphrasedQuestion: fill(pick(a.paraphrasedQuestions), fields),
        paraphrasedAnswer: fill(a.paraphrasedAnswer, fields),
        perturbedAnswers: distinct(a.values, options.perturbed, perturbRandom, value).map((wrong) => fill(a.paraphrasedAnswer, { name: person.name, value: wrong })),
      });
    }
  });

  // One permutation of the trained people; each split is a prefix, so the splits nest.
  const order = Array.from(new Random(seed, 'facts/forget').permutation(options.people));
  const forgetPeople = Object.fromEntries(
    Object.entries(FORGET_SPLITS).map(([name, fraction]) => [name, order.slice(0, Math.max(1, Math.round(options.people * fraction))).sort((a, b) => a - b)]),
  ) as Record<ForgetSplitName, number[]>;

  const generalRandom = new Random(seed, 'facts/general');
  const vocab: Record<string, readonly string[]> = { ...Object.fromEntries(ATTRIBUTES.map((a) => [a.key, a.values])), season: SEASONS };
  const cities = vocab.birthplace!;
  const sentence = () =>
    fill(GENERAL_TEMPLATES[generalRandom.int(GENERAL_TEMPLATES.length)]!, {
      city: cities[generalRandom.int(cities.length)]!,
      city2: cities[generalRandom.int(cities.length)]!,
      ...Object.fromEntries(Object.entries(vocab).map(([key, values]) => [key, values[generalRandom.int(values.length)]!])),
    });
  const generalTrain = Array.from({ length: options.generalSentences }, sentence);
  const generalHeldOut = Array.from({ length: options.generalSentences }, sentence);

  const content = { name: 'facts' as const, options, people, pairs, forgetPeople, generalTrain, generalHeldOut };
  return { ...content, digest: factsDigest(content) };
}

/** The trained people outside a forget split. */
export function retainPeople(dataset: FactsDataset, split: ForgetSplitName): number[] {
  const forget = new Set(dataset.forgetPeople[split]);
  return dataset.people.flatMap((person, p) => (person.trained && !forget.has(p) ? [p] : []));
}

export function heldOutPeople(dataset: FactsDataset): number[] {
  return dataset.people.flatMap((person, p) => (person.trained ? [] : [p]));
}

/** The question-answer pairs of the given people, in dataset order. */
export function pairsOf(dataset: FactsDataset, people: readonly number[]): QaPair[] {
  const wanted = new Set(people);
  return dataset.pairs.filter((pair) => wanted.has(pair.person));
}
