/**
 * Suggestions for misspelt names (`ALLOWED_HOST` for `ALLOWED_HOSTS`, `allowedHost` for
 * `allowedHosts`, `helthcheck` for `healthcheck`), so that a typo is reported instead of being
 * silently ignored.
 */

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2][j - 2] + 1);
      }
      d[i][j] = best;
    }
  }
  return d[rows - 1][cols - 1];
}

/** Case, `_` and `-` do not count: `allowed_hosts`, `allowedHosts` and `ALLOWED-HOSTS` are one name. */
function squash(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '');
}

/**
 * The known name `candidate` most probably meant, if any: the same name in another case or
 * separator style, or one within a small edit distance (1 for names up to 5 characters, 2 beyond,
 * so that short unrelated names are not matched).
 */
export function didYouMean(candidate: string, known: readonly string[]): string | undefined {
  const squashed = squash(candidate);
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    if (name === candidate) return undefined;
    const distance = editDistance(squashed, squash(name));
    const limit = name.length <= 5 ? 1 : 2;
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
