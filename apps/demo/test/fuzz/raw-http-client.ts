/**
 * Sends raw request bytes over many concurrent keep-alive connections, pipelining where the
 * answers keep the connection open, and reads the answers with a small HTTP/1.x response parser.
 * No client library: one would refuse or tidy most of what the fuzz sends.
 */
import { Socket } from 'node:net';
import type { FuzzRequest } from './fuzz-requests.js';

export interface RawResponse {
  readonly status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The connection ends after this response (`Connection: close`, or HTTP/1.0 without keep-alive). */
  readonly close: boolean;
}

export type Failure =
  /** The server closed the connection without answering. */
  | 'closed'
  /** The connection was reset before an answer. */
  | 'reset'
  /** No answer within the time limit. */
  | 'timeout'
  /** The connection could not be opened. */
  | 'connect';

export interface Outcome {
  readonly request: FuzzRequest;
  readonly response?: RawResponse;
  readonly failure?: Failure;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

type Parsed = { kind: 'response'; response: RawResponse; used: number } | { kind: 'interim'; used: number } | undefined;

/**
 * Parses one response at the start of `buf`. `undefined` when more bytes are needed; `ended` says
 * the server has closed its side, which completes a body delimited by the end of the connection.
 */
export function parseResponse(buf: Buffer, headOnly: boolean, ended: boolean): Parsed {
  const headEnd = buf.indexOf(CRLFCRLF);
  if (headEnd === -1) return undefined;
  const lines = buf.toString('latin1', 0, headEnd).split('\r\n');
  const statusLine = /^HTTP\/(\d)\.(\d) (\d{3})/.exec(lines[0] ?? '');
  if (!statusLine)
    throw new Error(`not an HTTP response: ${JSON.stringify(buf.toString('latin1', 0, Math.min(headEnd, 200)))}`);
  const status = Number(statusLine[3]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const bodyStart = headEnd + 4;
  if (status >= 100 && status < 200) return { kind: 'interim', used: bodyStart };

  const connection = (headers['connection'] ?? '').toLowerCase();
  const http10 = statusLine[1] === '1' && statusLine[2] === '0';
  const close = connection.includes('close') || (http10 && !connection.includes('keep-alive'));
  const done = (body: Buffer, used: number): Parsed => ({
    kind: 'response',
    response: { status, headers, body, close },
    used,
  });

  if (headOnly || status === 204 || status === 304) return done(Buffer.alloc(0), bodyStart);
  if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
    const chunks: Buffer[] = [];
    let at = bodyStart;
    for (;;) {
      const lineEnd = buf.indexOf(CRLF, at);
      if (lineEnd === -1) return undefined;
      const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size in a response');
      at = lineEnd + 2;
      if (size === 0) {
        // Trailers, up to an empty line.
        for (;;) {
          const end = buf.indexOf(CRLF, at);
          if (end === -1) return undefined;
          const empty = end === at;
          at = end + 2;
          if (empty) return done(Buffer.concat(chunks), at);
        }
      }
      if (buf.length < at + size + 2) return undefined;
      chunks.push(buf.subarray(at, at + size));
      at += size + 2;
    }
  }
  const length = headers['content-length'];
  if (length !== undefined) {
    const end = bodyStart + Number(length);
    return buf.length < end ? undefined : done(buf.subarray(bodyStart, end), end);
  }
  // No length: the body runs to the end of the connection.
  return ended ? done(buf.subarray(bodyStart), buf.length) : undefined;
}

interface Waiting {
  readonly request: FuzzRequest;
  readonly settle: (outcome: Outcome) => void;
}

/** One client connection: requests written in order, answers matched to them in order. */
export class RawConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting: Waiting[] = [];
  private ended = false;
  private gone = false;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Set once a response said the connection ends: nothing more may be sent on it. */
  private closing = false;
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    socket.on('end', () => {
      this.ended = true;
      this.drain();
      this.failAll('closed');
      socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (this.lastError = error.code ?? error.message));
    this.closed = new Promise((done) =>
      socket.once('close', () => {
        this.gone = true;
        this.ended = true;
        this.drain();
        this.failAll(this.lastError === 'ECONNRESET' || this.lastError === 'EPIPE' ? 'reset' : 'closed');
        if (this.timer) clearTimeout(this.timer);
        done();
      }),
    );
  }

  static open(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((done, fail) => {
      const socket = new Socket();
      socket.once('error', fail);
      socket.connect(port, host, () => {
        socket.off('error', fail);
        done(new RawConnection(socket, timeoutMs));
      });
    });
  }

  /** Whether more requests may be written on this connection. */
  get usable(): boolean {
    return !this.closing && !this.ended && !this.gone;
  }

  /** Writes the requests at once (pipelined) and resolves with their outcomes, in order. */
  send(requests: readonly FuzzRequest[]): Promise<Outcome[]> {
    const outcomes = requests.map(
      (request) => new Promise<Outcome>((settle) => this.waiting.push({ request, settle })),
    );
    this.arm();
    this.socket.write(
      requests.length === 1 ? (requests[0] as FuzzRequest).bytes : Buffer.concat(requests.map((r) => r.bytes)),
    );
    return Promise.all(outcomes);
  }

  /** Writes part of a request; the rest is for `write` later (a slow client). */
  expect(request: FuzzRequest): Promise<Outcome> {
    const outcome = new Promise<Outcome>((settle) => this.waiting.push({ request, settle }));
    this.arm();
    return outcome;
  }

  write(bytes: Buffer): void {
    if (!this.gone) this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.failAll('timeout');
      this.socket.destroy();
    }, this.timeoutMs);
  }

  private drain(): void {
    while (this.waiting.length > 0) {
      const head = this.waiting[0] as Waiting;
      const parsed = parseResponse(this.buffer, head.request.method === 'HEAD', this.ended);
      if (parsed === undefined) return;
      this.buffer = this.buffer.subarray(parsed.used);
      if (parsed.kind === 'interim') continue;
      this.waiting.shift();
      if (parsed.response.close) this.closing = true;
      head.settle({ request: head.request, response: parsed.response });
      if (this.waiting.length > 0) this.arm();
      else if (this.timer) clearTimeout(this.timer);
    }
  }

  private failAll(failure: Failure): void {
    for (const { request, settle } of this.waiting.splice(0)) settle({ request, failure });
  }
}

export interface SendAllOptions {
  /** Connections open at once. */
  readonly connections: number;
  /** Most requests written back to back on one connection (only requests whose answer keeps it open). */
  readonly pipelineDepth: number;
  /** Longest wait for an answer. */
  readonly timeoutMs: number;
}

/**
 * Sends every request and returns every outcome (in no particular order). Requests that may end
 * their connection are sent alone; runs of requests that keep it open are pipelined.
 */
export async function sendAll(
  port: number,
  requests: readonly FuzzRequest[],
  options: SendAllOptions,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const take = (): FuzzRequest[] | undefined => {
    if (next >= requests.length) return undefined;
    const first = requests[next++] as FuzzRequest;
    const batch = [first];
    if (!first.pipelinable) return batch;
    while (
      batch.length < options.pipelineDepth &&
      next < requests.length &&
      (requests[next] as FuzzRequest).pipelinable
    )
      batch.push(requests[next++] as FuzzRequest);
    return batch;
  };

  const lane = async (): Promise<void> => {
    let connection: RawConnection | undefined;
    for (let batch = take(); batch !== undefined; batch = take()) {
      if (connection === undefined || !connection.usable) {
        if (connection) await retire(connection);
        try {
          connection = await RawConnection.open(port, options.timeoutMs);
        } catch {
          for (const request of batch) outcomes.push({ request, failure: 'connect' });
          connection = undefined;
          continue;
        }
      }
      outcomes.push(...(await connection.send(batch)));
    }
    if (connection) {
      connection.destroy();
      await connection.closed;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, lane));
  return outcomes;
}

/**
 * Lets the server close first where it said it would (its side then holds TIME_WAIT, not ours), but
 * does not wait long for it.
 */
async function retire(connection: RawConnection): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([connection.closed, new Promise<void>((done) => (timer = setTimeout(done, 1000)))]);
  clearTimeout(timer);
  connection.destroy();
}

/**
 * A slowloris client: writes the request `chunkBytes` at a time, `delayMs` apart, then waits for the
 * answer. Resolves with the outcome, as `sendAll` would.
 */
export async function sendSlowly(
  port: number,
  request: FuzzRequest,
  options: { chunkBytes: number; delayMs: number; timeoutMs: number },
): Promise<Outcome> {
  let connection: RawConnection;
  try {
    connection = await RawConnection.open(port, options.timeoutMs);
  } catch {
    return { request, failure: 'connect' };
  }
  const outcome = connection.expect(request);
  for (let at = 0; at < request.bytes.length && connection.usable; at += options.chunkBytes) {
    connection.write(request.bytes.subarray(at, at + options.chunkBytes));
    await new Promise((done) => setTimeout(done, options.delayMs));
  }
  const result = await outcome;
  connection.destroy();
  await connection.closed;
  return result;
}

/** Opens a connection, writes the first `length` bytes of a request, and leaves it there. */
export async function stall(port: number, request: FuzzRequest, length: number): Promise<RawConnection> {
  const connection = await RawConnection.open(port, 24 * 3600_000);
  connection.write(request.bytes.subarray(0, length));
  return connection;
}
