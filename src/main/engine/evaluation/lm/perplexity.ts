/** Fluency: perplexity = exp(total NLL / total tokens) over every token of held-out text. */
export function perplexity(tokenLogProbs: readonly ArrayLike<number>[]): number {
  let sum = 0;
  let count = 0;
  for (const sequence of tokenLogProbs) {
    for (let i = 0; i < sequence.length; i++) sum += sequence[i]!;
    count += sequence.length;
  }
  if (count === 0) throw new RangeError('perplexity needs at least one token');
  return Math.exp(-sum / count);
}
