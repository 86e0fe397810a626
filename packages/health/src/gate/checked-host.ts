import { toNodeRequest } from './node-request.js';

/**
 * Where a gate leaves the host it checked on the node request. It is also the mark that a request
 * was decided: the server gate passes on only requests it allowed, each with its checked host, so
 * the framework gate skips a request that carries one at the cost of this one property read. A
 * global symbol, so that two copies of this package in one app (a nested node_modules) still read
 * what the other wrote; no client can set a symbol-keyed property.
 */
const CHECKED_HOST = Symbol.for('upgate.checked-host');

type Marked = { [CHECKED_HOST]?: string };

/** Records the checked host of an allowed request, which marks it as decided. */
export function setCheckedHost(req: object, host: string | undefined): void {
  (req as Marked)[CHECKED_HOST] = host;
}

/** Whether a gate has decided (and allowed) this node request already. */
export function isDecided(req: object): boolean {
  return (req as Marked)[CHECKED_HOST] !== undefined;
}

/**
 * The host of this request as checked against the allowlist: lower case, no trailing dot, the port
 * kept when sent; behind a trusted proxy, the first `X-Forwarded-Host` entry. Use it, never the raw
 * `Host` header, to build absolute URLs (password-reset links, redirects, canonical links).
 *
 * Takes the node request, the Express `req` or the Fastify `request` (or its `.raw`), including
 * those of `inject()` and serverless handlers. `undefined` when no gate checked this request (the
 * app has no `HealthModule`).
 */
export function getCheckedHost(request: object): string | undefined {
  const direct = (request as Marked)[CHECKED_HOST];
  if (direct !== undefined) return direct;
  const node = toNodeRequest(request);
  return node === undefined ? undefined : (node as Marked)[CHECKED_HOST];
}
