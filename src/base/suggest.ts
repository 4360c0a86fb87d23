/**
 * "Did you mean ...?" for unknown names (threshold keys, config keys, plugin
 * names). Levenshtein distance with a cut-off, so a wild guess suggests nothing
 * rather than something misleading.
 */

/** Edit distance (insertions, deletions, substitutions each cost 1). */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // One row of the DP table is enough: row[j] = distance(a[0..i), b[0..j)).
  const row = new Uint32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) row[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/**
 * The candidate closest to `word` (case-insensitive), or undefined when even
 * the closest one needs more than `maxDistance` edits (default: a third of the
 * word's length, at least 2). Ties go to the earlier candidate, so callers
 * list the most likely names first.
 */
export function closestMatch(word: string, candidates: Iterable<string>, maxDistance?: number): string | undefined {
  const needle = word.toLowerCase();
  const limit = maxDistance ?? Math.max(2, Math.floor(needle.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = levenshtein(needle, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean "x"?` or the empty string, for appending to an error message. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? "" : `; did you mean "${match}"?`;
}
