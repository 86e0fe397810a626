import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * A raw HTTP/1.x client over a `net` socket: it sends exactly the bytes it is given, so that a test
 * can send what no client library would (two Host lines, no Host, an absolute-form target, bytes
 * outside ASCII), and reads the response until the server closes the connection.
 */

/** One parsed response. */
export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  readonly status: number;
  readonly statusLine: string;
  /** Header names lower case; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, de-chunked, decoded as latin1 (byte for byte). */
  readonly body: string;
  /** Everything received, latin1. */
  readonly raw: string;
}

/** The request line and header lines of a raw request; `Connection: close` is added unless `keepAlive`. */
export interface RawRequest {
  readonly method?: string;
  /** Origin-form path or absolute-form target, sent as is. @default '/' */
  readonly target?: string;
  /** @default '1.1' */
  readonly httpVersion?: string;
  /** Header lines in order, `[name, value]`; a name may repeat. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string;
}

/**
 * The bytes of a string as a client puts it on the wire: characters up to U+00FF as one byte each
 * (what Node's parser decodes header values with, latin1, so they arrive unchanged), anything above
 * as UTF-8 (what a real client sends; it arrives as several latin1 characters).
 */
export function wireBytes(text: string): Buffer {
  const parts: Buffer[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    parts.push(code <= 0xff ? Buffer.from([code]) : Buffer.from(char, 'utf8'));
  }
  return Buffer.concat(parts);
}

/** A WebSocket handshake request (RFC 6455's sample key) to `target` with `Host: host`. */
export function websocketUpgrade(host: string, target: string): RawRequest {
  return {
    target,
    headers: [
      ['Host', host],
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
      ['Sec-WebSocket-Version', '13'],
    ],
  };
}

/** The bytes of a request. */
export function formatRawRequest(request: RawRequest, keepAlive = false): Buffer {
  const lines = [`${request.method ?? 'GET'} ${request.target ?? '/'} HTTP/${request.httpVersion ?? '1.1'}`];
  for (const [name, value] of request.headers ?? []) lines.push(`${name}: ${value}`);
  if (!keepAlive) lines.push('Connection: close');
  if (request.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(request.body, 'latin1')}`);
  return wireBytes(`${lines.join('\r\n')}\r\n\r\n${request.body ?? ''}`);
}

/** Sends a request (or raw bytes) on a new connection and resolves with the response once the server closes it. */
export function rawRequest(
  port: number,
  request: RawRequest | Buffer | string,
  timeoutMs = 5000,
  address = '127.0.0.1',
): Promise<RawResponse> {
  return rawRequestOn(connect(port, address), request, timeoutMs);
}

/** The same over TLS, accepting any certificate (a test server's self-signed one). */
export function rawTlsRequest(
  port: number,
  request: RawRequest | Buffer | string,
  timeoutMs = 5000,
): Promise<RawResponse> {
  return rawRequestOn(tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }), request, timeoutMs);
}

function rawRequestOn(socket: Socket, request: RawRequest | Buffer | string, timeoutMs: number): Promise<RawResponse> {
  const bytes = Buffer.isBuffer(request)
    ? request
    : typeof request === 'string'
      ? wireBytes(request)
      : formatRawRequest(request);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no complete response within ${timeoutMs} ms; received: ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`,
        ),
      );
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A server may reset the connection right after answering: what was received still counts.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRawResponse(Buffer.concat(chunks).toString('latin1')));
    });
    // Not `end()`: Node's HTTP server aborts a request whose client half-closes the connection
    // (`httpAllowHalfOpen` is off), so a response that takes a tick would never come.
    socket.write(bytes);
  });
}

/**
 * Parses one HTTP/1.x response: the first final one, after any interim `1xx` (a `100 Continue`),
 * which `raw` keeps.
 */
export function parseRawResponse(raw: string): RawResponse {
  let start = 0;
  while (/^HTTP\/1\.[01] 1(?!01)\d\d /.test(raw.slice(start, start + 13))) {
    const interimEnd = raw.indexOf('\r\n\r\n', start);
    if (interimEnd === -1) break;
    start = interimEnd + 4;
  }
  const response = parseOne(raw.slice(start));
  return { ...response, raw };
}

function parseOne(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return { status: 0, statusLine: '', headers: {}, body: '', raw };
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n') as [string, ...string[]];
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = raw.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  return { status: Number(statusLine.split(' ')[1]), statusLine, headers, body, raw };
}

function dechunk(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const lineEnd = text.indexOf('\r\n', at);
    if (lineEnd === -1) return out;
    const size = parseInt(text.slice(at, lineEnd), 16);
    if (!(size > 0)) return out;
    out += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}
