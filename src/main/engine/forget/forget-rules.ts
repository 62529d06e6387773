/**
 * Forget sets by rule, over the train split of a dataset (the reference protocol's
 * choices): a random p% of the train samples, whole classes, or a random p% within
 * chosen classes. For one seed the random draw is a prefix of one fixed permutation,
 * so the 10% set is contained in the 50% set.
 */
import type { ForgetRule } from '../../../shared/forget-set.js';
import { Random } from '../random.js';
import { InvalidRequestError } from '../../../shared/validation.js';

export class ForgetSetError extends InvalidRequestError {}

export interface ForgetSelection {
  /** Dataset sample indices, sorted ascending. */
  indices: Int32Array;
  warnings: string[];
}

function checkPercent(percent: number): void {
  if (!(percent > 0 && percent < 100)) throw new ForgetSetError(`the percentage must be in (0, 100), got ${percent}`);
}

function checkClasses(classes: number[], classNames: string[]): void {
  if (classes.length === 0) throw new ForgetSetError('name at least one class to forget');
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= classNames.length) {
      throw new ForgetSetError(`class ${c} does not exist; classes are 0..${classNames.length - 1} (${classNames.join(', ')})`);
    }
  }
}

/** A seeded prefix of a fixed permutation of `pool`. */
function randomPrefix(pool: Int32Array, percent: number, seed: number): Int32Array {
  const order = new Random(seed, 'forget').permutation(pool.length);
  const size = Math.round((pool.length * percent) / 100);
  if (size === 0) throw new ForgetSetError(`${percent}% of ${pool.length} samples is no sample at all`);
  return Int32Array.from(order.subarray(0, size), (p) => pool[p]!).sort();
}

export function selectByRule(
  rule: Exclude<ForgetRule, { kind: 'file' }>,
  labels: Uint8Array,
  classNames: string[],
  train: Int32Array,
): ForgetSelection {
  let indices: Int32Array;
  switch (rule.kind) {
    case 'random':
      checkPercent(rule.percent);
      indices = randomPrefix(train, rule.percent, rule.seed);
      break;
    case 'classes':
      checkClasses(rule.classes, classNames);
      indices = train.filter((i) => rule.classes.includes(labels[i]!));
      break;
    case 'random-in-classes':
      checkPercent(rule.percent);
      checkClasses(rule.classes, classNames);
      indices = randomPrefix(train.filter((i) => rule.classes.includes(labels[i]!)), rule.percent, rule.seed);
      break;
  }
  if (indices.length === 0) throw new ForgetSetError('the forget set is empty: no train sample matches the rule');
  return { indices, warnings: retainWarnings(indices, labels, classNames, train) };
}

/** Classes the forget set takes wholly out of the retain set (fine for class-wise forgetting, else a mistake). */
export function retainWarnings(forget: Int32Array, labels: Uint8Array, classNames: string[], train: Int32Array): string[] {
  const inTrain = new Int32Array(classNames.length);
  const forgotten = new Int32Array(classNames.length);
  for (const i of train) inTrain[labels[i]!]! += 1;
  for (const i of forget) forgotten[labels[i]!]! += 1;
  const emptied: string[] = [];
  classNames.forEach((name, c) => {
    if (inTrain[c]! > 0 && forgotten[c] === inTrain[c]) emptied.push(`${c} (${name})`);
  });
  return emptied.length ? [`the retain set has no sample of class ${emptied.join(', ')}`] : [];
}

/**
 * The train samples not forgotten; a forget set that is empty or leaves no retain sample
 * is refused (Retrain would train on nothing). `source` (a file, a rule) leads the message.
 */
export function retainOf(train: Int32Array, forget: Int32Array, source?: string): Int32Array {
  const lead = source ? `${source}: ` : '';
  if (forget.length === 0) throw new ForgetSetError(`${lead}the forget set is empty: there is nothing to unlearn`);
  const drop = new Set(forget);
  const retain = train.filter((i) => !drop.has(i));
  if (retain.length === 0) {
    throw new ForgetSetError(`${lead}the forget set holds all ${train.length} train samples: the retain set would be empty, and Retrain and the retain objectives need retain samples`);
  }
  return retain;
}
