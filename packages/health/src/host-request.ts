import type { HostRequest } from '@upgate/config';
import type { NodeRequest } from './node-request.js';

/**
 * The `HostRequest` the matcher decides on, read from a node request. This runs for every request
 * that is not a probe, so it reads only what the host rules need and allocates no more than the
 * result: every Host line is collected only when the raw headers show a second one.
 */
export function toHostRequest(
  req: NodeRequest,
  path: string,
  requestTarget: string | undefined,
  withPeer: boolean,
): HostRequest {
  const headers = req.headers;
  const http2 = req.httpVersionMajor === 2;
  const forwarded = headers['x-forwarded-host'];
  return {
    method: req.method ?? '',
    path,
    host: headers.host,
    hostHeaders: repeatedHostLines(req.rawHeaders),
    // Node joins repeated X-Forwarded-Host lines with ', ' itself; an array only comes from HTTP/2.
    forwardedHost: Array.isArray(forwarded) ? forwarded.join(', ') : forwarded,
    authority: http2 ? (headers[':authority'] as string | undefined) : undefined,
    requestTarget,
    httpVersion: http2 ? '2' : req.httpVersion,
    peerAddress: withPeer ? req.socket?.remoteAddress : undefined,
  };
}

/**
 * Every Host line as sent, when there is more than one (Node keeps only the first in `headers`);
 * `undefined` otherwise, which is the common case and costs one pass over the header names.
 */
function repeatedHostLines(raw: readonly string[]): string[] | undefined {
  let first = -1;
  for (let i = 0; i < raw.length; i += 2) {
    if (isHostName(raw[i])) {
      if (first !== -1) return collectHostLines(raw, first);
      first = i;
    }
  }
  return undefined;
}

function collectHostLines(raw: readonly string[], from: number): string[] {
  const lines: string[] = [];
  for (let i = from; i < raw.length; i += 2) {
    if (isHostName(raw[i])) lines.push(raw[i + 1]);
  }
  return lines;
}

function isHostName(name: string): boolean {
  return name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host');
}

/**
 * The path of a request target that does not start with '/', and the target itself, for the
 * matcher: in absolute form (`GET http://other.example/x HTTP/1.1`, which HTTP/1.1 servers must
 * accept) its authority is a host value checked too (spec rule 3) and its path is what a probe is
 * matched on; any other form but `*` is rejected by the matcher as malformed.
 */
export function splitRequestTarget(url: string): { path: string; requestTarget: string | undefined } {
  if (url.charCodeAt(0) === 0x2f) return { path: url, requestTarget: undefined };
  const scheme = url.indexOf('://');
  if (scheme === -1) return { path: url, requestTarget: url };
  const authorityStart = scheme + 3;
  const slash = url.indexOf('/', authorityStart);
  const query = url.indexOf('?', authorityStart);
  let path: string;
  if (query !== -1 && (slash === -1 || query < slash)) path = `/${url.slice(query)}`;
  else path = slash === -1 ? '/' : url.slice(slash);
  return { path, requestTarget: url };
}
