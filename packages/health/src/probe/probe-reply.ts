import type { OutgoingHttpHeaders } from 'node:http';
import type { ProbeOutcome } from '../observe/health-event.js';

/**
 * A whole probe response, serialised once and written as is: a flood of probes reuses the same
 * headers object and body buffer rather than building them per request.
 */
export interface ProbeReply {
  readonly status: 200 | 503;
  /** Why: what a probe event and the log say (replies with equal bytes but another reason are other objects). */
  readonly outcome: ProbeOutcome;
  readonly headers: Readonly<OutgoingHttpHeaders>;
  readonly body: Buffer;
}

/**
 * @param closeConnection add `Connection: close` (HTTP/1 only: HTTP/2 forbids the header), for a
 *   response that should end its keep-alive connection, as during shutdown.
 */
export function probeReply(
  status: 200 | 503,
  outcome: ProbeOutcome,
  body: unknown,
  closeConnection = false,
): ProbeReply {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  const headers: OutgoingHttpHeaders = {
    'Content-Type': 'application/json; charset=utf-8',
    // A cached "ok" would hide an outage from the next prober behind the same cache.
    'Cache-Control': 'no-store',
    'Content-Length': String(bytes.length),
  };
  if (closeConnection) headers['Connection'] = 'close';
  return { status, outcome, headers: Object.freeze(headers), body: bytes };
}

/** The part of Node's HTTP/1 and HTTP/2 compatibility responses that a probe response needs. */
export interface ProbeResponse {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown;
  end(body?: Buffer): unknown;
  destroy(error?: Error): unknown;
}

export function writeProbeReply(res: ProbeResponse, reply: ProbeReply, head: boolean): void {
  res.writeHead(reply.status, reply.headers as OutgoingHttpHeaders);
  if (head) res.end();
  else res.end(reply.body);
}
