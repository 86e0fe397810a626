/**
 * The bounded distance behind "did you mean" against the whole optimal-string-alignment table it
 * replaces: the same distance whenever it is within the limit, and the same suggestions.
 */
import { describe, expect, it } from '@jest/globals';
import { didYouMean, distanceWithin } from '../src/validate/did-you-mean.js';

/** The whole table: insertions, deletions, substitutions and adjacent swaps. */
function fullDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** Names near and far from each other: upgate's, their typos, an environment's, and random ones. */
function names(): string[] {
  const fixed = [
    '',
    'a',
    'ab',
    'ba',
    'abc',
    'allowedhosts',
    'allowedhost',
    'alowedhosts',
    'allowedhsots',
    'allowedhostsxy',
    'allowedhostsxyz',
    'healthprobepaths',
    'healthprobepath',
    'trustproxy',
    'trustedproxies',
    'hostrejectstatus',
    'hostrejectstauts',
    'path',
    'home',
    'hostname',
    'postgresserviceport',
    'nodeenv',
    'port',
  ];
  // A fixed seed: the same strings on every run, over a small alphabet so that many are close.
  let seed = 42;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const generated = Array.from({ length: 150 }, () =>
    Array.from({ length: random(9) }, () => 'abcd'[random(4)]).join(''),
  );
  return [...fixed, ...generated];
}

describe('distanceWithin', () => {
  it('is the distance of the whole table when that is within the limit, else the limit + 1', () => {
    const all = names();
    const differences: string[] = [];
    for (const limit of [0, 1, 2, 3]) {
      for (const a of all) {
        for (const b of all) {
          const full = fullDistance(a, b);
          const expected = full <= limit ? full : limit + 1;
          const bounded = distanceWithin(a, b, limit);
          if (bounded !== expected) differences.push(`${a} ${b} within ${limit}: ${bounded}, not ${expected}`);
        }
      }
    }
    // 4 limits × 173² pairs, compared without an expect() each, which would take seconds.
    expect(differences).toEqual([]);
  });
});

describe('didYouMean', () => {
  it('suggests what the whole table suggests', () => {
    const known = ['ALLOWED_HOSTS', 'HEALTH_PROBE_PATHS', 'TRUST_PROXY', 'HOST_REJECT_STATUS', 'port', 'path'];
    const squash = (name: string): string => name.toLowerCase().replace(/[_-]/g, '');
    const reference = (candidate: string): string | undefined => {
      let best: { name: string; distance: number } | undefined;
      for (const name of known) {
        if (name === candidate) return undefined;
        const distance = fullDistance(squash(candidate), squash(name));
        const limit = name.length <= 5 ? 1 : 2;
        if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
      }
      return best?.name;
    };
    for (const candidate of [...names(), ...known, 'ALLOWED_HOST', 'allowed-hosts', 'HOST_REJECT_STAUTS', 'prot'])
      expect([candidate, didYouMean(candidate, known)]).toEqual([candidate, reference(candidate)]);
  });
});
