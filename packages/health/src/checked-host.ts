import { toNodeRequest } from './node-request.js';

/**
 * Where the early request layer leaves the host it checked. A global symbol, so that two copies of
 * this package in one app (a nested node_modules) still read what the other wrote.
 */
const CHECKED_HOST = Symbol.for('upgate.checked-host');

type Marked = { [CHECKED_HOST]?: string };

/** Records the checked host on the node request (called by the layer for allowed requests). */
export function setCheckedHost(req: object, host: string | undefined): void {
  (req as Marked)[CHECKED_HOST] = host;
}

/**
 * The host of this request as checked against the allowlist: lower case, no trailing dot, the port
 * kept when sent; behind a trusted proxy, the first `X-Forwarded-Host` entry. Use it, never the raw
 * `Host` header, to build absolute URLs (password-reset links, redirects, canonical links).
 *
 * Takes the node request, the Express `req` or the Fastify `request` (or its `.raw`).
 * `undefined` when the layer did not check this request (no `HealthModule`, or a request that did
 * not come through the app's HTTP server).
 */
export function getCheckedHost(request: object): string | undefined {
  const direct = (request as Marked)[CHECKED_HOST];
  if (direct !== undefined) return direct;
  const node = toNodeRequest(request);
  return node === undefined ? undefined : (node as Marked)[CHECKED_HOST];
}
