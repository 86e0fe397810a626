import type { HostRequest } from '@upgate/config';
import type { NodeRequest } from './node-request.js';

/**
 * Whether the app's framework believes `X-Forwarded-Host` on this request (see `ForwardedHostTrust`).
 * Asked only for requests that carry one.
 */
export type FrameworkTrust = (req: NodeRequest) => boolean;

/**
 * The `HostRequest` the matcher decides on, read from a node request (docs/host-rules.md, rule 3).
 * This runs for every request that is not a probe, so it reads only what the host rules need and
 * allocates no more than the result: every Host line is collected only when the raw headers show a
 * second one, and the framework's trust is asked only when `X-Forwarded-Host` is there.
 */
export function toHostRequest(
  req: NodeRequest,
  path: string,
  requestTarget: string | undefined,
  withPeer: boolean,
  frameworkTrusts: FrameworkTrust | undefined,
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
    peerAddress: withPeer ? req.socket?.remoteAddress : undefined,
    forwardedHostTrusted: forwarded !== undefined && frameworkTrusts !== undefined && frameworkTrusts(req),
    headerLimitReached: !http2 && headerLimitReached(req),
  };
}

/**
 * How many header lines Node's HTTP/1 parser keeps when the server's `maxHeadersCount` is not set.
 * Node documents 2000, but its parser counts names and values separately against that figure and
 * so keeps about 1000 lines (Node 20: a request of 1100 lines arrives with 1023). The lower figure
 * is taken: a request may then be called malformed from 1000 lines on, never let through after
 * lines were dropped.
 */
const NODE_DEFAULT_HEADER_LINES = 1000;

/**
 * Whether the request's header lines reached its server's limit, past which Node's HTTP/1 parser
 * drops them without a word (a second Host among them would go unseen: rule 4). Node stops
 * collecting lines once it holds the limit, so a request it cut has at least that many. Requests
 * that no HTTP/1 parser read (`inject()`, a serverless event, HTTP/2, which refuses a stream over
 * its header limit rather than cutting it) have no server on their socket and no limit.
 */
function headerLimitReached(req: NodeRequest): boolean {
  const server = (req.socket as { server?: { maxHeadersCount?: number | null } } | null | undefined)?.server;
  if (server === undefined || server === null) return false;
  const limit = typeof server.maxHeadersCount === 'number' ? server.maxHeadersCount : NODE_DEFAULT_HEADER_LINES;
  // 0 (or less) is no limit: Node keeps every line.
  return limit > 0 && req.rawHeaders.length >= 2 * limit;
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
 * accept) its authority is a host value checked too (rule 3) and its path is what a probe is
 * matched on; a CONNECT's authority form (`example.com:443`) is a host value as a whole; any other
 * form but `*` is rejected by the matcher as malformed.
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
