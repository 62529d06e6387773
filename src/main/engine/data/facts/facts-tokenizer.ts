/**
 * The facts track's tokenizer, learned from the generator's word lists and templates
 * rather than from generated people: every model (original, Retrain, unlearned) shares one
 * vocabulary that no person's facts shaped, so a Retrain has read nothing of the forget
 * people, not even through its tokenizer.
 */
import { questionPrompt } from '../../text/sequences.js';
import { Tokenizer } from '../../text/tokenizer.js';
import { ATTRIBUTES, FIRST_NAMES, GENERAL_TEMPLATES, LAST_NAMES, SEASONS } from './facts-vocabulary.js';

/** Each template filled once (alone and after a space), and every listed word alone, after a space and before a full stop. */
export function factsLexicon(): string[] {
  const someName = `${FIRST_NAMES[0]} ${LAST_NAMES[0]}`;
  const templates = ATTRIBUTES.flatMap((a) => [...a.questions, ...a.paraphrasedQuestions].map(questionPrompt).concat(a.answer, a.paraphrasedAnswer));
  const filled = [...templates, ...GENERAL_TEMPLATES].map((t) => t.replace(/\{\w+\}/g, (field) => (field === '{name}' ? someName : 'X')));
  const words = [...FIRST_NAMES, ...LAST_NAMES, ...SEASONS, ...ATTRIBUTES.flatMap((a) => a.values)].flatMap((v) => v.split(' '));
  // Answers follow 'Answer:' after a space, so each sentence is also learned with one.
  return [...filled.flatMap((t) => [t, ` ${t}`]), ...words.flatMap((w) => [w, ` ${w}`, `${w}.`])];
}

export function factsTokenizer(): Tokenizer {
  return Tokenizer.learn(factsLexicon());
}
