import './support/inject-under-jest.js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { compileHostMatcher, type HostDecisionKind, type HostRequest } from '@upgate/config';
import { DISALLOWED_HOST_MESSAGE, MALFORMED_HOST_MESSAGE } from '../src/index.js';
import { h2Request } from './support/h2-client.js';
import {
  groupBySettings,
  loadHostVectors,
  toRawRequest,
  type HostVector,
  type VectorGroup,
} from './support/host-vectors.js';
import { rawRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, startApp, type TestApp } from './support/test-app.js';

/**
 * Every vector of the spec's table, replayed as a real request on a real port against an app built
 * with the vector's settings, over Express and Fastify, and through Fastify's `inject()`: the outcome
 * is read from the status, the body, and whether the app's own code (a counting `app.use()`
 * middleware) ran.
 */

/** What can happen to a request: the matcher's decision, or Node's HTTP parser refusing it first. */
type Outcome = HostDecisionKind | 'parser-400';

/**
 * Vectors whose value cannot reach the app as written, and what really happens to them. Every other
 * vector goes on the wire byte for byte (characters up to U+00FF as single bytes, which Node decodes
 * back to the same characters; sec-043's U+212A as UTF-8, as a real client sends it, arriving as three
 * latin1 characters and still malformed).
 */
const ON_THE_WIRE: Readonly<Record<string, { readonly outcome: Outcome; readonly why: string }>> = {
  'vi-026': {
    outcome: 'allow',
    why: "whitespace around a header value is not part of it (RFC 9110 section 5.5): Node strips it, and the app sees Host 'example.com', which is listed",
  },
  'sec-029': {
    outcome: 'parser-400',
    why: "NUL is not allowed in a header value: Node's parser answers 400 and closes before any request event",
  },
  'ed-068': {
    outcome: 'parser-400',
    why: "DEL is not allowed in a header value: Node's parser answers 400 and closes before any request event",
  },
};

const vectors = loadHostVectors();
// HTTP/2 vectors run over Fastify with `http2: true` only: Express cannot serve HTTP/2 (its request
// and response are node:http's, and Nest's ExpressAdapter has no http2 option).
const http1 = vectors.filter((v) => v.request.httpVersion !== '2');
const http2 = vectors.filter((v) => v.request.httpVersion === '2');

test('every vector of the table is replayed: HTTP/1.x over both adapters, HTTP/2 over Fastify', () => {
  expect(vectors.length).toBeGreaterThan(0);
  expect(http1.length + http2.length).toBe(vectors.length);
  for (const id of Object.keys(ON_THE_WIRE)) expect(vectors.some((v) => v.id === id)).toBe(true);
});

function expectedOutcome(vector: HostVector): Outcome {
  return ON_THE_WIRE[vector.id]?.outcome ?? vector.expect;
}

/** The host the app must see for an allowed request: what the matcher makes of it. */
function expectedCheckedHost(group: VectorGroup, request: HostRequest): string | undefined {
  return matcherOf(group).decide(request).host;
}

function matcherOf(group: VectorGroup) {
  return compileHostMatcher({
    allowedHosts: group.allowed,
    probePaths: group.probePaths,
    trustProxy: group.trustProxy,
  });
}

/**
 * What `inject()` makes of a vector: light-my-request sends HTTP/1.1 with every value as given (no
 * parser trims or refuses anything), but it cannot send a request without a Host or with an empty
 * one (it sends `localhost:80`, the host of its default URL), nor an absolute-form target (it keeps
 * the path of the URL it is given). Those vectors arrive as that request, and are expected to be
 * decided as such.
 */
function asInjected(request: HostVector['request']): HostRequest {
  return { ...request, host: request.host || 'localhost:80', requestTarget: undefined };
}
const CHANGED_BY_INJECT = [
  'ra-049',
  'pr-006',
  'pr-008',
  'ed-057',
  'sec-026',
  'pr-039',
  'vi-018',
  'sec-017',
  'sec-018',
  'pr-020',
  'ed-097',
  'ed-099',
  'ed-100',
  'ed-101',
  'ed-104',
];

interface Observed {
  readonly status: number;
  readonly body: string;
  readonly cacheControl: string | undefined;
  readonly contentType: string | undefined;
}

function expectObserved(
  observed: Observed,
  outcome: Outcome,
  vector: HostVector,
  group: VectorGroup,
  appBefore: number,
  t: TestApp,
  request: HostRequest = vector.request,
): void {
  const appRan = t.appCode.requests - appBefore;
  const expectedHost = expectedCheckedHost(group, request);
  switch (outcome) {
    case 'probe':
      expect(observed.status).toBe(200);
      expect(observed.cacheControl).toBe('no-store');
      expect(observed.contentType).toBe('application/json; charset=utf-8');
      if (vector.request.method === 'GET') expect(JSON.parse(observed.body)).toEqual({ status: 'ok' });
      else expect(observed.body).toBe('');
      expect(appRan).toBe(0);
      break;
    case 'allow': {
      const host =
        vector.id in ON_THE_WIRE && request === vector.request ? t.appCode.checkedHosts.at(-1) : expectedHost;
      expect(host).toEqual(expect.any(String));
      expect(observed.status).toBe(200);
      expect(observed.body).toBe(vector.request.method === 'HEAD' ? '' : `app ${host}`);
      expect(appRan).toBe(1);
      expect(t.appCode.checkedHosts.at(-1)).toBe(host);
      break;
    }
    case 'reject-malformed':
      expect(observed.status).toBe(400);
      expect(observed.body).toBe(vector.request.method === 'HEAD' ? '' : `${MALFORMED_HOST_MESSAGE}\n`);
      expect(observed.cacheControl).toBe('no-store');
      expect(appRan).toBe(0);
      break;
    case 'reject-disallowed':
      expect(observed.status).toBe(400);
      expect(observed.body).toBe(vector.request.method === 'HEAD' ? '' : `Bad Request: ${DISALLOWED_HOST_MESSAGE}\n`);
      expect(observed.cacheControl).toBe('no-store');
      expect(appRan).toBe(0);
      break;
    case 'parser-400':
      expect(observed.status).toBe(400);
      expect(observed.body).not.toContain(MALFORMED_HOST_MESSAGE);
      expect(appRan).toBe(0);
      break;
  }
}

function settingsOf(group: VectorGroup) {
  return {
    allowedHosts: group.allowed,
    trustProxy: group.trustProxy,
    probePaths: group.probePaths,
    environment: 'production',
  };
}

describe.each(ADAPTERS)('spec vectors over %s, HTTP/1.x on a raw socket', (adapter: AdapterName) => {
  describe.each(groupBySettings(http1).map((g) => [g.label, g] as const))('%s', (_label, group) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp(adapter, { health: settingsOf(group) });
    });
    afterAll(() => t.close());

    test.each(group.vectors)('$id ($expect): $why', async (vector) => {
      const before = t.appCode.requests;
      const res = await rawRequest(t.port, toRawRequest(vector.request));
      expectObserved(
        {
          status: res.status,
          body: res.body,
          cacheControl: res.headers['cache-control'],
          contentType: res.headers['content-type'],
        },
        expectedOutcome(vector),
        vector,
        group,
        before,
        t,
      );
    });
  });
});

describe('spec vectors over fastify, HTTP/2 (h2c)', () => {
  describe.each(groupBySettings(http2).map((g) => [g.label, g] as const))('%s', (_label, group) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp('fastify', { health: settingsOf(group), http2: true });
    });
    afterAll(() => t.close());

    test.each(group.vectors)('$id ($expect): $why', async (vector) => {
      const { method, path, host, authority } = vector.request;
      const before = t.appCode.requests;
      const res = await h2Request(t.port, {
        ':method': method,
        ':path': path,
        ...(authority === undefined ? {} : { ':authority': authority }),
        ...(host === null || host === undefined ? {} : { host }),
      });
      expectObserved(
        {
          status: res.status,
          body: res.body,
          cacheControl: res.headers['cache-control'] as string | undefined,
          contentType: res.headers['content-type'] as string | undefined,
        },
        expectedOutcome(vector),
        vector,
        group,
        before,
        t,
      );
    });
  });
});

describe('spec vectors through Fastify inject()', () => {
  test('every HTTP/1.x vector is injected; inject() changes only those with no or an empty Host or an absolute-form target', () => {
    const changed = http1.filter(
      (v) => asInjected(v.request).host !== v.request.host || v.request.requestTarget !== undefined,
    );
    expect(changed.map((v) => v.id).sort()).toEqual([...CHANGED_BY_INJECT].sort());
    // HTTP/2 vectors need HTTP/2: light-my-request speaks HTTP/1.1 only. They run over h2c above.
    expect(http2.length).toBeGreaterThan(0);
  });

  describe.each(groupBySettings(http1).map((g) => [g.label, g] as const))('%s', (_label, group) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp('fastify', { health: settingsOf(group) });
    });
    afterAll(() => t.close());

    test.each(group.vectors)('$id ($expect): $why', async (vector) => {
      const request = asInjected(vector.request);
      const headers: Record<string, string | string[]> = {
        host: vector.request.hostHeaders !== undefined ? [...vector.request.hostHeaders] : (request.host as string),
      };
      if (request.forwardedHost !== undefined) headers['x-forwarded-host'] = request.forwardedHost;
      const before = t.appCode.requests;
      const res = await (t.app as NestFastifyApplication).inject({
        method: request.method as 'GET',
        url: request.path,
        headers,
      });
      const outcome = CHANGED_BY_INJECT.includes(vector.id) ? matcherOf(group).decide(request).kind : vector.expect;
      expectObserved(
        {
          status: res.statusCode,
          body: res.body,
          cacheControl: res.headers['cache-control'] as string | undefined,
          contentType: res.headers['content-type'] as string | undefined,
        },
        outcome,
        vector,
        group,
        before,
        t,
        request,
      );
    });
  });
});
