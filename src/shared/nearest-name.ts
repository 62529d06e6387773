/** The valid name a mistyped one most likely meant, for "did you mean ...?" messages. */

/** Levenshtein distance: the fewest single-character insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Lower case without separators, so batch_size, batch-size and batchSize compare equal. */
function folded(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

/** First letters of the words: lr for learning_rate (or lerning_rate), lr for learningRate. */
function initials(name: string): string {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .split(/[-_\s]+/)
    .map((word) => word[0]?.toLowerCase() ?? '')
    .join('');
}

/**
 * The candidate nearest to `name`: an abbreviation spelled out (lr for learning_rate), or
 * the fewest edits once case and separators are ignored, if few enough to be a typo
 * (a third of the name's length, at least one). Undefined when nothing is that near.
 */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  const abbreviated = candidates.find((c) => c.length > 1 && folded(c) === initials(name));
  if (abbreviated !== undefined) return abbreviated;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(folded(name), folded(candidate));
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(name.length / 3)) ? best.candidate : undefined;
}
