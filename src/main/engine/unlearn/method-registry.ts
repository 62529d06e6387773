/** Every unlearning method by name, for the CLI, the service and the window. */
import { methodInfo, type MethodName } from './method-info.js';
import type { UnlearnMethod } from './method.js';
import { bidirectionalDistillation } from './methods/bidirectional-distillation.js';
import { finetune } from './methods/finetune.js';
import { influence } from './methods/influence.js';
import { l1Sparse } from './methods/l1-sparse.js';
import { negGradPlus } from './methods/neggrad-plus.js';
import { salun } from './methods/salun.js';
import { scrub } from './methods/scrub.js';
import { gradientAscent } from './methods/gradient-ascent.js';
import { randomLabel } from './methods/random-label.js';
import { raul } from './methods/raul.js';
import { retrain } from './methods/retrain.js';

const METHODS: Record<MethodName, UnlearnMethod> = {
  retrain,
  ft: finetune,
  ga: gradientAscent,
  rl: randomLabel,
  salun,
  'neggrad+': negGradPlus,
  'l1-sparse': l1Sparse,
  scrub,
  iu: influence,
  bld: bidirectionalDistillation,
  raul,
};

export function unlearnMethod(name: string): UnlearnMethod {
  methodInfo(name);
  return METHODS[name as MethodName];
}
