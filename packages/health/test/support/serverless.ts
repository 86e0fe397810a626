import { once } from 'node:events';
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { parseRawResponse, type RawResponse } from './raw-http.js';

/** What a serverless platform hands a function: an HTTP event, no connection. */
export interface ServerlessEvent {
  readonly method: string;
  readonly path: string;
  /** Header lines in order; a name may repeat. */
  readonly headers: readonly (readonly [string, string])[];
  /** @default '198.51.100.7' (the client's address, as the platform reports it) */
  readonly remoteAddress?: string;
}

/**
 * Calls a framework's request handler the way serverless adapters do (serverless-http,
 * @codegenie/serverless-express): a node `IncomingMessage` built from the event on a stand-in socket
 * (a plain object, not a connection), a `ServerResponse` whose bytes are collected. No server, no
 * port: only the framework itself sees the request.
 */
export async function serverlessCall(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  event: ServerlessEvent,
): Promise<RawResponse> {
  const standInSocket = {
    encrypted: true,
    readable: false,
    remoteAddress: event.remoteAddress ?? '198.51.100.7',
    address: () => ({ port: 443 }),
    end: () => undefined,
    destroy: () => undefined,
  };
  const req = new IncomingMessage(standInSocket as unknown as Socket);
  req.method = event.method;
  req.url = event.path;
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.httpVersion = '1.1';
  for (const [name, value] of event.headers) {
    req.rawHeaders.push(name, value);
    const key = name.toLowerCase();
    // As Node's parser: the first Host is kept, repeats of other headers are joined.
    if (req.headers[key] === undefined) req.headers[key] = value;
    else if (key !== 'host') req.headers[key] = `${String(req.headers[key])}, ${value}`;
  }
  req.push(null);

  const res = new ServerResponse(req);
  const wire = new PassThrough();
  const chunks: Buffer[] = [];
  wire.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.assignSocket(wire as unknown as Socket);
  const finished = once(res, 'finish');
  handler(req, res);
  await finished;
  return parseRawResponse(Buffer.concat(chunks).toString('latin1'));
}
