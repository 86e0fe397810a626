import { STATUS_CODES, validateHeaderName, validateHeaderValue } from 'node:http';
import type { HostRejectedEvent } from '../observe/health-event.js';

/**
 * What the `rejectionResponse` function is given: the rejection's fields (every request value in
 * them escaped, see `HostRejectedEvent`), its status text and message, and the sentence about a
 * recognised prober. No raw request value: whatever the function builds, it cannot echo the raw
 * Host.
 */
export interface HostRejectionDetails extends HostRejectedEvent {
  /** The status text: `Bad Request`. */
  readonly title: string;
  /** What the built-in formats say: `host not allowed (not in this server's allowed hosts).` */
  readonly message: string;
  /** For a request that looks like a platform's health check, one sentence naming the fix. */
  readonly hint: string | undefined;
}

/** What a `rejectionResponse` function returns. */
export interface RejectionResponse {
  /**
   * 400 to 599.
   * @default the rejection's status (400 for a malformed host, `rejectStatus` otherwise)
   */
  readonly status?: number;
  /**
   * Response headers. `Content-Length` and, on HTTP/1, `Connection: close` are set by the module;
   * they, `Transfer-Encoding` and the other hop-by-hop headers (`Keep-Alive`, `Upgrade`,
   * `Proxy-Connection`) may not be given. `Cache-Control` defaults to `no-store`.
   * @default { 'content-type': 'text/plain; charset=utf-8' }
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The body (not sent for HEAD).
   * @default '' (none)
   */
  readonly body?: string | Buffer;
}

/** Builds the response of a rejection; called for each rejected request (the slow path). */
export type RejectionResponseFunction = (rejection: HostRejectionDetails) => RejectionResponse;

/**
 * The format of a rejected request's response (the `rejectionResponse` option):
 * - `'text'`: `Bad Request: host not allowed (not in this server's allowed hosts).`, `text/plain`;
 * - `'json'`: the body of Nest's `HttpException` (`new BadRequestException(message)`),
 *   `{"message":"...","error":"Bad Request","statusCode":400}`, `application/json`;
 * - `'problem+json'`: RFC 9457 problem details, `{"type":"about:blank","title":"Bad Request",
 *   "status":400,"detail":"..."}`, `application/problem+json`;
 * - a function of the rejection's details returning status, headers and body.
 */
export type RejectionResponseFormat = 'text' | 'json' | 'problem+json' | RejectionResponseFunction;

/** The built-in formats. */
export const REJECTION_RESPONSE_FORMATS = ['text', 'json', 'problem+json'] as const;

/** A response the gates write: status, headers but Content-Length and Connection, body. */
export interface BuiltResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
  readonly exceptionResponse: string | object;
}

/** Headers the gates set themselves, and hop-by-hop ones (HTTP/2 refuses them), which a function may not give. */
const RESERVED_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'proxy-connection',
]);

const TEXT = Object.freeze({ 'content-type': 'text/plain; charset=utf-8' });
const JSON_TYPE = Object.freeze({ 'content-type': 'application/json; charset=utf-8' });
// RFC 9457's media type; JSON has no charset parameter (RFC 8259), UTF-8 is implied.
const PROBLEM_JSON = Object.freeze({ 'content-type': 'application/problem+json' });

/** The response of a built-in format. */
export function builtInResponse(
  format: 'text' | 'json' | 'problem+json',
  status: number,
  message: string,
): BuiltResponse {
  const title = STATUS_CODES[status] ?? 'Error';
  switch (format) {
    case 'text':
      return { status, headers: TEXT, body: `${title}: ${message}\n`, exceptionResponse: `${title}: ${message}` };
    case 'json': {
      // The key order of HttpException.createBody(), so that the bytes equal Nest's own.
      const body = { message, error: title, statusCode: status };
      return { status, headers: JSON_TYPE, body: JSON.stringify(body), exceptionResponse: body };
    }
    case 'problem+json': {
      const body = { type: 'about:blank', title, status, detail: message };
      return { status, headers: PROBLEM_JSON, body: JSON.stringify(body), exceptionResponse: body };
    }
  }
}

/**
 * What a `rejectionResponse` function returned, checked: the response, or what is wrong with it
 * (in words a log line can carry).
 */
export function checkFunctionResponse(
  returned: unknown,
  fallbackStatus: number,
): { response: BuiltResponse } | { problem: string } {
  if (typeof returned !== 'object' || returned === null) {
    return { problem: `returned ${returned === null ? 'null' : typeof returned}, not { status, headers, body }` };
  }
  const { status = fallbackStatus, headers = {}, body = '' } = returned as RejectionResponse;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
    return { problem: `returned status ${String(status)}; a rejection's status is 400 to 599` };
  }
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) {
    return { problem: `returned a body of type ${typeof body}; give a string or a Buffer` };
  }
  if (typeof headers !== 'object' || headers === null) return { problem: 'returned headers that are not an object' };
  const checked: Record<string, string> = { 'content-type': TEXT['content-type'] };
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) return { problem: `returned the header ${name}, which upgate sets itself` };
    try {
      validateHeaderName(name);
      if (typeof value !== 'string') throw new TypeError(`the value of ${name} is not a string`);
      validateHeaderValue(name, value);
    } catch (error) {
      return { problem: `returned an invalid header (${error instanceof Error ? error.message : String(error)})` };
    }
    checked[lower] = value;
  }
  let exceptionResponse: string | object = typeof body === 'string' ? body.trimEnd() : body.toString('utf8').trimEnd();
  if (/^application\/(?:[\w.-]+\+)?json\b/i.test(checked['content-type'] ?? '')) {
    try {
      exceptionResponse = JSON.parse(exceptionResponse) as object;
    } catch {
      // Not JSON after all: the filters get it as text.
    }
  }
  return { response: { status, headers: Object.freeze(checked), body, exceptionResponse } };
}
