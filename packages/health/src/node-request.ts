import { IncomingMessage, type ServerResponse } from 'node:http';
import { Http2ServerRequest, type Http2ServerResponse } from 'node:http2';

/** The request object of a node HTTP/1 or HTTP/2 (compatibility API) server. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;

/** The response object of a node HTTP/1 or HTTP/2 (compatibility API) server. */
export type NodeResponse = ServerResponse | Http2ServerResponse;

/**
 * The node request behind what a framework hands out: Express' `req` is the node request itself
 * (re-prototyped), Fastify's `request` keeps it in `.raw`.
 */
export function toNodeRequest(request: object): NodeRequest | undefined {
  if (request instanceof IncomingMessage || request instanceof Http2ServerRequest) return request;
  const raw = (request as { raw?: unknown }).raw;
  if (raw instanceof IncomingMessage || raw instanceof Http2ServerRequest) return raw;
  return undefined;
}
