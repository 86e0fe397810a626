/**
 * Suggestions for misspelt names (`ALLOWED_HOST` for `ALLOWED_HOSTS`, `allowedHost` for
 * `allowedHosts`, `helthcheck` for `healthcheck`), so that a typo is reported instead of being
 * silently ignored.
 */

/**
 * The optimal string alignment distance of `a` and `b` (insertions, deletions, substitutions and
 * adjacent swaps) when it is at most `limit`, else `limit + 1`. Every variable of the environment
 * is matched against upgate's names at start-up, and nearly all are far from every one: only the
 * cells within `limit` of the diagonal can hold a distance that small, and once a row holds none,
 * no later row can (a row's smallest distance never falls: a swap from two rows up costs no less
 * than the substitution beside it), so an unrelated name is ruled out after a few cells.
 */
export function distanceWithin(a: string, b: string, limit: number): number {
  const over = limit + 1;
  // The distance is at least the difference in length.
  if (Math.abs(a.length - b.length) > limit) return over;
  const cols = b.length + 1;
  let twoUp = new Array<number>(cols).fill(over);
  let up = new Array<number>(cols).fill(over);
  let row = new Array<number>(cols).fill(over);
  for (let j = 0; j <= Math.min(limit, b.length); j++) up[j] = j;
  for (let i = 1; i <= a.length; i++) {
    row.fill(over);
    if (i <= limit) row[0] = i;
    let rowMin = row[0];
    for (let j = Math.max(1, i - limit); j <= Math.min(b.length, i + limit); j++) {
      let best = Math.min(up[j] + 1, row[j - 1] + 1, up[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, twoUp[j - 2] + 1);
      row[j] = Math.min(best, over);
      rowMin = Math.min(rowMin, row[j]);
    }
    if (rowMin > limit) return over;
    [twoUp, up, row] = [up, row, twoUp];
  }
  return up[b.length];
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
    const limit = name.length <= 5 ? 1 : 2;
    const distance = distanceWithin(squashed, squash(name), limit);
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
