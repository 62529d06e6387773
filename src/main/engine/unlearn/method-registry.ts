/** Every unlearning method by name, for the CLI, the service and the window: the classifier's and those on sequences. */
import type { SequenceMethodName } from '../../../shared/lm-unlearn-config.js';
import { methodInfo, methodInfoFor, type MethodName } from './method-info.js';
import type { UnlearnMethod } from './method.js';
import type { SequenceUnlearnMethod } from './sequence-method.js';
import { sequenceBld } from './sequence-methods/bld.js';
import { sequenceGradientAscent } from './sequence-methods/ga.js';
import { gradDiff } from './sequence-methods/graddiff.js';
import { npo } from './sequence-methods/npo.js';
import { raulHeldDist } from './sequence-methods/raul-helddist.js';
import { raulUniDist } from './sequence-methods/raul-unidist.js';
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

const SEQUENCE_METHODS: Record<SequenceMethodName, SequenceUnlearnMethod> = {
  ga: sequenceGradientAscent,
  graddiff: gradDiff,
  npo,
  'raul-unidist': raulUniDist,
  'raul-helddist': raulHeldDist,
  bld: sequenceBld,
};

export function sequenceMethod(name: string): SequenceUnlearnMethod {
  methodInfoFor('language-model', name);
  return SEQUENCE_METHODS[name as SequenceMethodName];
}
