import { readFileSync } from 'node:fs';
import type { HostDecisionKind, HostRequest, TrustProxy } from '@upgate/config';
import type { RawRequest } from './raw-http.js';

/** One vector of the spec's shared table (packages/config/test/fixtures/host-vectors.json). */
export interface HostVector {
  readonly id: string;
  readonly from: string;
  readonly allowed: readonly string[];
  readonly trustProxy: TrustProxy;
  readonly probePaths: readonly string[];
  /** The request; `httpVersion` says which transport replays it (HTTP/2 over h2c). */
  readonly request: HostRequest & { readonly host: string | null; readonly httpVersion?: string };
  readonly expect: HostDecisionKind;
  readonly why: string;
}

/** The vectors as the config package's fixtures hold them. */
export function loadHostVectors(): HostVector[] {
  const file = new URL('../../../config/test/fixtures/host-vectors.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { vectors: HostVector[] }).vectors;
}

/** Vectors sharing the settings an app is built from: one app per group. */
export interface VectorGroup {
  readonly label: string;
  readonly allowed: readonly string[];
  readonly trustProxy: TrustProxy;
  readonly probePaths: readonly string[];
  readonly vectors: HostVector[];
}

export function groupBySettings(vectors: readonly HostVector[]): VectorGroup[] {
  const groups = new Map<string, VectorGroup>();
  for (const vector of vectors) {
    const key = JSON.stringify([vector.allowed, vector.trustProxy, vector.probePaths]);
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        label: `allowed ${JSON.stringify(vector.allowed)}, trustProxy ${JSON.stringify(vector.trustProxy)}, probes ${JSON.stringify(vector.probePaths)}`,
        allowed: vector.allowed,
        trustProxy: vector.trustProxy,
        probePaths: vector.probePaths,
        vectors: [],
      };
      groups.set(key, group);
    }
    group.vectors.push(vector);
  }
  return [...groups.values()];
}

/** The HTTP/1.x request a vector describes, byte for byte where the wire allows. */
export function toRawRequest(request: HostVector['request']): RawRequest {
  const headers: [string, string][] = [];
  const hosts = request.hostHeaders ?? (request.host === null || request.host === undefined ? [] : [request.host]);
  for (const host of hosts) headers.push(['Host', host]);
  if (request.forwardedHost !== undefined) headers.push(['X-Forwarded-Host', request.forwardedHost]);
  return {
    method: request.method,
    target: request.requestTarget ?? request.path,
    httpVersion: request.httpVersion ?? '1.1',
    headers,
  };
}
