import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/**
 * The request object of a node HTTP/1 or HTTP/2 (compatibility API) server, or what stands for one
 * where no server is involved: light-my-request's under Fastify's `inject()`, a serverless
 * handler's `IncomingMessage` built from an event. The gates read only `method`, `url`, `headers`,
 * `rawHeaders`, `httpVersionMajor` and `socket`.
 */
export type NodeRequest = IncomingMessage | Http2ServerRequest;

/** The response object that goes with a `NodeRequest`. */
export type NodeResponse = ServerResponse | Http2ServerResponse;

/**
 * The node request behind what a framework hands out: Fastify's `request` keeps it in `.raw`,
 * Express' `req` is the node request itself (re-prototyped). Told apart by shape rather than by
 * class, since under `inject()` Fastify's raw request is light-my-request's, not an `IncomingMessage`.
 */
export function toNodeRequest(request: object): NodeRequest | undefined {
  const raw = (request as { raw?: unknown }).raw;
  if (isRequestLike(raw)) return raw;
  return isRequestLike(request) ? request : undefined;
}

function isRequestLike(value: unknown): value is NodeRequest {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { headers?: unknown; method?: unknown };
  return typeof candidate.headers === 'object' && candidate.headers !== null && typeof candidate.method === 'string';
}
