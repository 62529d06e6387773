/**
 * A language model measured as TOFU measures one, on the facts dataset: per question set
 * (forget, retain, the forget set's paraphrased questions) the length-normalised answer
 * probability, ROUGE-L recall and exact match of the greedy answer, and truth ratios; the
 * membership scores of forget against held-out people; perplexity on held-out text. The
 * model-to-Retrain comparisons (forget quality, privacy leak) take two of these.
 */
import type { FactsDataset, QaPair } from '../../data/facts/facts-dataset.js';
import type { Transformer } from '../../models/transformer.js';
import { generateTokens } from '../../text/generate.js';
import { encodePrompt, encodeQa, encodeText, makeSequenceBatch, disposeBatch, type Sequence } from '../../text/sequences.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import { weightedTokenLogProbs } from '../../train/sequence-loss.js';
import { ksTwoSample } from './ks-test.js';
import { lossScore, membershipAuc, minKPercentScore, privacyLeak } from './membership.js';
import { harmonicMean } from './model-utility.js';
import { perplexity } from './perplexity.js';
import { rougeLRecall } from './rouge-l.js';
import { normalisedProbability, truthRatio, truthRatioCloserToOne, truthRatioTrueBetter } from './truth-ratio.js';

/** Extra tokens a greedy answer may run past the reference's length (TOFU generates to a fixed budget). */
const GENERATION_MARGIN = 8;

export interface QaSetMetrics {
  /** Mean over questions of P̄(a|q). */
  probability: number;
  rougeL: number;
  /** Share of questions whose greedy answer is exactly the reference. */
  exactMatch: number;
  count: number;
}

export interface LanguageModelEvaluation {
  forget: QaSetMetrics & { truthRatio: number; truthRatios: number[] };
  retain: QaSetMetrics & { truthRatio: number };
  forgetParaphrased: QaSetMetrics;
  /** Scores per forget (member) and held-out (non-member) pair, higher = more member-like. */
  membership: { forget: { loss: number[]; minK: number[] }; heldOut: { loss: number[]; minK: number[] }; lossAuc: number; minKAuc: number };
  modelUtility: number;
  fluencyPerplexity: number;
}

export function sequenceLogProbs(model: Transformer, sequences: readonly Sequence[], batchSize = 64): Float64Array[] {
  const out: Float64Array[] = [];
  for (let start = 0; start < sequences.length; start += batchSize) {
    const batch = makeSequenceBatch(sequences.slice(start, start + batchSize));
    try {
      out.push(...weightedTokenLogProbs(model, batch));
    } finally {
      disposeBatch(batch);
    }
  }
  return out;
}

/** P̄, ROUGE-L recall and exact match of greedy answers over a set of questions. */
export function qaSetMetrics(model: Transformer, tokenizer: Tokenizer, items: readonly { question: string; answer: string }[]): QaSetMetrics {
  const logProbs = sequenceLogProbs(model, items.map((item) => encodeQa(tokenizer, item.question, item.answer)));
  let rouge = 0;
  let exact = 0;
  items.forEach((item, i) => {
    const budget = logProbs[i]!.length + GENERATION_MARGIN;
    const generated = tokenizer.decode(generateTokens(model, encodePrompt(tokenizer, item.question), { maxTokens: budget, temperature: 0, seed: 0 })).trim();
    rouge += rougeLRecall(item.answer, generated);
    if (generated === item.answer) exact += 1;
  });
  const probabilities = logProbs.map(normalisedProbability);
  return { probability: probabilities.reduce((a, b) => a + b, 0) / items.length, rougeL: rouge / items.length, exactMatch: exact / items.length, count: items.length };
}

/** R per pair: perturbed answers against the paraphrased answer, all after the original question. */
export function truthRatios(model: Transformer, tokenizer: Tokenizer, pairs: readonly QaPair[]): number[] {
  const sequences = pairs.flatMap((pair) => [pair.paraphrasedAnswer, ...pair.perturbedAnswers].map((answer) => encodeQa(tokenizer, pair.question, answer)));
  const logProbs = sequenceLogProbs(model, sequences);
  const per = 1 + (pairs[0]?.perturbedAnswers.length ?? 0);
  return pairs.map((_, i) => truthRatio(logProbs[i * per]!, logProbs.slice(i * per + 1, (i + 1) * per)));
}

function membershipScores(model: Transformer, tokenizer: Tokenizer, pairs: readonly QaPair[]): { loss: number[]; minK: number[] } {
  const logProbs = sequenceLogProbs(model, pairs.map((pair) => encodeQa(tokenizer, pair.question, pair.answer)));
  return { loss: logProbs.map(lossScore), minK: logProbs.map((lp) => minKPercentScore(lp)) };
}

export function evaluateLanguageModel(model: Transformer, tokenizer: Tokenizer, dataset: FactsDataset, sets: { forget: QaPair[]; retain: QaPair[]; heldOut: QaPair[] }): LanguageModelEvaluation {
  const forgetRatios = truthRatios(model, tokenizer, sets.forget);
  const retainRatios = truthRatios(model, tokenizer, sets.retain);
  const forget = { ...qaSetMetrics(model, tokenizer, sets.forget), truthRatio: truthRatioCloserToOne(forgetRatios), truthRatios: forgetRatios };
  const retain = { ...qaSetMetrics(model, tokenizer, sets.retain), truthRatio: truthRatioTrueBetter(retainRatios) };
  const forgetParaphrased = qaSetMetrics(model, tokenizer, sets.forget.map((pair) => ({ question: pair.paraphrasedQuestion, answer: pair.answer })));
  const members = membershipScores(model, tokenizer, sets.forget);
  const nonMembers = membershipScores(model, tokenizer, sets.heldOut);
  const general = sequenceLogProbs(model, dataset.generalHeldOut.map((text) => encodeText(tokenizer, text)));
  return {
    forget,
    retain,
    forgetParaphrased,
    membership: { forget: members, heldOut: nonMembers, lossAuc: membershipAuc(members.loss, nonMembers.loss), minKAuc: membershipAuc(members.minK, nonMembers.minK) },
    // Only the retain set exists here (TOFU adds real-author and world-fact sets): three numbers.
    modelUtility: harmonicMean([retain.probability, retain.rougeL, retain.truthRatio]),
    fluencyPerplexity: perplexity(general),
  };
}

/** Forget quality (KS p-value of forget truth ratios against Retrain's) and privacy leak of both attacks. */
export function compareWithRetrain(model: LanguageModelEvaluation, retrain: LanguageModelEvaluation): { forgetQuality: number; privacyLeak: { loss: number; minK: number } } {
  return {
    forgetQuality: ksTwoSample(model.forget.truthRatios, retrain.forget.truthRatios).pValue,
    privacyLeak: { loss: privacyLeak(model.membership.lossAuc, retrain.membership.lossAuc), minK: privacyLeak(model.membership.minKAuc, retrain.membership.minKAuc) },
  };
}
