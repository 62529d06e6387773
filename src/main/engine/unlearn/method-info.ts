/**
 * What each unlearning method is, readable without TensorFlow.js (the service validates
 * requests with it before recording a run; the CLI and the window list it). The method
 * files take their metadata from here.
 */
import type { SequenceMethodName } from '../../../shared/lm-unlearn-config.js';
import type { UnlearnConfig } from '../../../shared/unlearn-config.js';

export interface MethodInfo {
  description: string;
  /** Objective names in the row order of J, recorded with every run. */
  objectives: string[];
  defaults: { lr: number; epochs: number };
  /** False for methods whose single objective ignores the aggregator. */
  multiObjective: boolean;
  /** The config options this method reads beyond those every method reads (COMMON_UNLEARN_OPTIONS). */
  options: readonly (keyof UnlearnConfig)[];
  /** Changes the weights in one closed-form update rather than by steps: no per-step records. */
  closedForm?: true;
}

export const METHOD_INFO = {
  retrain: { description: 'retrain from scratch on the retain set (the gold standard)', objectives: ['retain'], defaults: { lr: 0.05, epochs: 3 }, multiObjective: false, options: [] },
  ft: { description: 'fine-tuning on the retain set (cross-entropy)', objectives: ['retain'], defaults: { lr: 0.01, epochs: 10 }, multiObjective: false, options: [] },
  ga: { description: 'gradient ascent on the forget set', objectives: ['forget'], defaults: { lr: 1e-4, epochs: 5 }, multiObjective: false, options: [] },
  rl: { description: 'random labels on the forget set, then true labels on the retain set', objectives: ['forget (random labels), then retain'], defaults: { lr: 0.013, epochs: 10 }, multiObjective: false, options: [] },
  salun: { description: 'SalUn: random labels restricted to the most salient weights (mask ratio 0.5)', objectives: ['forget (random labels), then retain'], defaults: { lr: 0.013, epochs: 10 }, multiObjective: false, options: ['maskRatio'] },
  'neggrad+': { description: 'NegGrad+: a (CE_r + proximal) - (1 - a) CE_f, a = 0.9999', objectives: ['retain - forget'], defaults: { lr: 0.01, epochs: 5 }, multiObjective: false, options: ['alpha'] },
  'l1-sparse': { description: 'l1-sparse: fine-tuning on the retain set with a decaying L1 penalty (alpha 1e-4)', objectives: ['retain + l1'], defaults: { lr: 0.01, epochs: 10 }, multiObjective: false, options: ['alpha'] },
  scrub: { description: 'SCRUB: max-steps away from the teacher on D_f, min-steps toward it (and CE) on D_r', objectives: ['teacher distance'], defaults: { lr: 5e-4, epochs: 3 }, multiObjective: false, options: ['alpha', 'temperature', 'gamma', 'maxSteps', 'forgetBatchSize'] },
  iu: { description: 'influence unlearning: one WoodFisher inverse-Fisher step (alpha 0.2; 10 for CIFAR-10 in practice)', objectives: ['influence'], defaults: { lr: 0, epochs: 1 }, multiObjective: false, options: ['alpha', 'fisherSamples'], closedForm: true },
  bld: {
    description: 'bidirectional logit distillation: pull toward the original with forgotten labels masked, push forgotten labels down on forget items',
    objectives: ['forget', 'boundary', 'retain'],
    defaults: { lr: 5e-3, epochs: 5 },
    multiObjective: true,
    options: ['boundary'],
  },
  raul: {
    description: 'Reference-Aligned Unlearning: forget predictions pulled to a uniform or held-out reference, retain by cross-entropy',
    objectives: ['retain', 'forget'],
    defaults: { lr: 5e-3, epochs: 5 },
    multiObjective: true,
    options: ['reference', 'frozenReference'],
  },
} satisfies Record<string, MethodInfo>;

export type MethodName = keyof typeof METHOD_INFO;

export function methodInfo(name: string): MethodInfo {
  const info = (METHOD_INFO as Record<string, MethodInfo>)[name];
  if (!info) throw new Error(`unknown method '${name}'; available: ${Object.keys(METHOD_INFO).join(', ')}`);
  return info;
}

/** The kinds of model a method applies to: image classifiers, or language models (on answer tokens). */
export type ModelKind = 'classifier' | 'language-model';

/** What a method on sequences is (`lethe unlearn-lm`, language-model studies); the files under sequence-methods/ take their metadata from here. */
export interface SequenceMethodInfo {
  description: string;
  /** Objective names in the row order of J (retain first), as the run's loss_k metrics. */
  objectives: string[];
  multiObjective: boolean;
}

export const SEQUENCE_METHOD_INFO = {
  ga: { description: 'gradient ascent on the forget answers (-NLL_F)', objectives: ['forget'], multiObjective: false },
  graddiff: { description: 'GradDiff / NegGrad+: NLL on retain answers, -NLL on forget answers', objectives: ['retain', 'forget'], multiObjective: true },
  npo: { description: 'NPO (Zhang et al. 2024): forget answers made less likely than under the frozen original, NLL on retain', objectives: ['retain', 'forget'], multiObjective: true },
  'raul-unidist': { description: 'RAUL-UniDist: forget answer positions pulled toward uniform, NLL on retain', objectives: ['retain', 'forget'], multiObjective: true },
  'raul-helddist': { description: "RAUL-HeldDist: forget answer positions pulled toward the original's answers about held-out people, NLL on retain", objectives: ['retain', 'forget'], multiObjective: true },
  bld: { description: 'bidirectional logit distillation: toward the original on retain, away from its answer on forget', objectives: ['retain', 'forget'], multiObjective: true },
} satisfies Record<SequenceMethodName, SequenceMethodInfo>;

/** The methods that apply to a kind of model, by name, with what they are. */
export function methodsFor(kind: ModelKind): Readonly<Record<string, { description: string; objectives: string[]; multiObjective: boolean }>> {
  return kind === 'classifier' ? METHOD_INFO : SEQUENCE_METHOD_INFO;
}

/** A method's metadata for a kind of model; the error lists the methods that apply to it. */
export function methodInfoFor(kind: ModelKind, name: string): { description: string; objectives: string[]; multiObjective: boolean } {
  const methods = methodsFor(kind);
  const info = methods[name];
  if (!info) throw new Error(`unknown ${kind} method '${name}'; available: ${Object.keys(methods).join(', ')}`);
  return info;
}
