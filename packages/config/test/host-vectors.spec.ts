/**
 * The spec's test vectors (a copy of shared/vectors/host-vectors.json, so that the project passes on
 * its own): every one is run through compileHostMatcher(...).decide().
 */
import { readFileSync } from 'node:fs';
import { compileHostMatcher, type HostDecision, type HostRequest } from '../src/index.js';
import { quoteHostValue } from '../src/internal.js';

interface Vector {
  readonly id: string;
  readonly from: string;
  readonly allowed: string[];
  readonly trustProxy: boolean;
  readonly request: HostRequest;
  readonly probePaths: string[];
  readonly expect: HostDecision['kind'];
  readonly why: string;
}

const file = JSON.parse(readFileSync(new URL('./fixtures/host-vectors.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
};
const vectors = file.vectors;

/** The rule names a malformed decision may give (spec rule 1 and rule 3). */
const MALFORMED_RULES = [
  /^empty value$/,
  /^name needs labels of 1-63 of a-z 0-9 - _$/,
  /^name longer than 253$/,
  /^port must be 1-5 digits, 1-65535$/,
  /^more than one ':'$/,
  /^a port without a host$/,
  /^unterminated '\['$/,
  /^not an IPv6 address inside brackets$/,
  /^only ':port' may follow '\]'$/,
  /^character '(?:[ -&(-[\]-~]|\\[\\'tnr]|\\x[0-9a-f]{2}|\\u[0-9a-f]{4})' not allowed$/,
  /^Host sent \d+ times$/,
  /^no Host \(nor :authority\)$/,
  /^HTTP\/2 host '.*' differs from :authority '.*'$/,
];

/** The Python-style quoting of the vectors' `why` ('example.com\\x00', cut to 55 characters + ...). */
function sameQuoted(quotedInWhy: string, value: string): boolean {
  const inner = quotedInWhy.slice(1, -1);
  if (inner.endsWith('...')) return quoteHostValue(value, 1000).slice(1, -1).startsWith(inner.slice(0, -3));
  return quoteHostValue(value, 1000) === quotedInWhy;
}

describe('host vectors', () => {
  it('has all 251 vectors with distinct ids', () => {
    expect(vectors).toHaveLength(251);
    expect(new Set(vectors.map((v) => v.id)).size).toBe(251);
  });

  test.each(vectors.map((v) => [`${v.id} ${v.expect}: ${v.why}`, v] as const))('%s', (_name, v) => {
    const matcher = compileHostMatcher({ allowedHosts: v.allowed, probePaths: v.probePaths, trustProxy: v.trustProxy });
    const decision = matcher.decide(v.request);
    expect(decision.kind).toBe(v.expect);

    if (decision.kind === 'allow') {
      // The host handed to the app is itself allowed, normalised (no trailing dot, lower case).
      expect(decision.host).toBeDefined();
      expect(matcher.allowsHost(decision.host as string)).toBe(true);
      expect(decision.host).toBe((decision.host as string).toLowerCase());
      expect(decision.host).not.toMatch(/\.(?::|$)/);
      return;
    }
    if (decision.kind === 'probe') {
      expect(matcher.isProbe(v.request.method, v.request.path)).toBe(true);
      return;
    }

    expect(decision.value).toBeDefined();
    expect(decision.fix).toBeTruthy();
    const value = decision.value as string;
    const structured = /^(malformed|disallowed): (.*)$/.exec(v.why);
    if (decision.kind === 'reject-malformed') {
      expect(MALFORMED_RULES.some((rule) => rule.test(decision.reason as string))).toBe(true);
      if (structured) {
        // "malformed: 'VALUE': RULE[ (empty list ...)][; comment]" or "malformed: RULE[; comment]".
        const text = (structured[2] as string)
          .split('; ')[0]
          ?.replace(/ \(empty list in development: default list\)$/, '');
        const withValue = /^('(?:[^'\\]|\\.)*'): (.*)$/.exec(text as string);
        if (withValue) {
          expect(sameQuoted(withValue[1] as string, value)).toBe(true);
          expect(decision.reason).toBe(withValue[2]);
        } else {
          expect(decision.reason).toBe(text);
        }
      }
    } else {
      expect(decision.reason).toBe('well-formed but matches no entry of the allowed hosts');
      // The fix names the host to list.
      const name = value
        .replace(/:[0-9]+$/, '')
        .replace(/\.$/, '')
        .toLowerCase();
      expect(decision.fix).toContain(`'${name}`);
      if (structured) {
        const quoted = /^('(?:[^'\\]|\\.)*') is well-formed but matches no entry/.exec(structured[2] as string);
        expect(quoted).not.toBeNull();
        expect(sameQuoted((quoted as RegExpExecArray)[1] as string, value)).toBe(true);
      }
    }
  });
});
