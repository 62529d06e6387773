/**
 * ROUGE-L recall as TOFU reports it (Google's rouge_score, `rougeL`, recall): the longest
 * common subsequence of the reference's and the generated text's words over the number of
 * reference words. Words as rouge_score's default tokenizer makes them: lower-cased, every
 * run of characters other than a-z and 0-9 a separator. TOFU also stems words (Porter);
 * the facts corpus has no inflected variants of its answer words, so no stemmer here.
 */

export function rougeWords(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').split(' ').filter((w) => w.length > 0);
}

/** Length of the longest common subsequence, by the classic O(|a| |b|) table kept to one row. */
export function longestCommonSubsequence(a: readonly string[], b: readonly string[]): number {
  let previous = new Int32Array(b.length + 1);
  for (const word of a) {
    const row = new Int32Array(b.length + 1);
    for (let j = 1; j <= b.length; j++) row[j] = word === b[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, row[j - 1]!);
    previous = row;
  }
  return previous[b.length]!;
}

/** LCS(reference words, generated words) / |reference words|; 0 for an empty reference (rouge_score's convention). */
export function rougeLRecall(reference: string, generated: string): number {
  const ref = rougeWords(reference);
  if (ref.length === 0) return 0;
  return longestCommonSubsequence(ref, rougeWords(generated)) / ref.length;
}
