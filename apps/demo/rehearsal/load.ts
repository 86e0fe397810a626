/**
 * Steady load through kamal-proxy's TLS listener with autocannon's programmatic API: a fixed number
 * of connections, one request in flight on each, for a bounded time (or until stopped). The public
 * host goes as the TLS server name (SNI) and as Host, as a browser sends them.
 */
import autocannon, { type Instance, type Result } from 'autocannon';

export interface LoadFigures {
  /** Requests written (an unanswered one still in flight when the load stopped included). */
  readonly sent: number;
  readonly completed: number;
  /** Connection errors and timeouts: requests that got no HTTP answer. */
  readonly failed: number;
  readonly timeouts: number;
  readonly non2xx: number;
  /** Answers by status. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Each failure or non-2xx answer: when (ms since the load began) and what (the status, or the error). */
  readonly bad: readonly BadAnswer[];
  /** The first few error messages. */
  readonly errors: readonly string[];
  readonly durationMs: number;
}

export interface BadAnswer {
  readonly atMs: number;
  readonly status?: number;
  readonly error?: string;
}

export interface LoadOptions {
  /** kamal-proxy's HTTPS port on 127.0.0.1. */
  readonly port: number;
  /** The TLS server name and the Host header: one of the deploy file's proxy hosts. */
  readonly host: string;
  readonly path: string;
  readonly connections: number;
  /** Upper bound; the rehearsal usually stops the load earlier. */
  readonly maxSeconds: number;
}

export class Load {
  readonly began = performance.now();
  private readonly instance: Instance;
  private readonly bad: BadAnswer[] = [];
  private readonly errors: string[] = [];
  readonly finished: Promise<LoadFigures>;

  constructor(readonly options: LoadOptions) {
    let finish: (figures: LoadFigures) => void = () => undefined;
    let fail: (error: Error) => void = () => undefined;
    this.finished = new Promise((done, reject) => {
      finish = done;
      fail = reject;
    });
    this.instance = autocannon(
      {
        url: `https://127.0.0.1:${options.port}${options.path}`,
        servername: options.host,
        connections: options.connections,
        pipelining: 1,
        duration: options.maxSeconds,
        // Longer than any pause the rehearsal causes (a drain, a retry on another server).
        timeout: 10,
        headers: { host: options.host },
      },
      (error, result) => (error ? fail(error) : finish(this.figures(result))),
    );
    this.instance.on('response', (_client: unknown, status: number) => {
      if (status < 200 || status > 299) this.bad.push({ atMs: this.elapsed(), status });
    });
    this.instance.on('reqError', (error: Error) => {
      this.bad.push({ atMs: this.elapsed(), error: error.message });
      if (this.errors.length < 5) this.errors.push(error.message);
    });
  }

  /** Milliseconds since the load began. */
  elapsed(): number {
    return performance.now() - this.began;
  }

  stop(): Promise<LoadFigures> {
    this.instance.stop();
    return this.finished;
  }

  private figures(result: Result): LoadFigures {
    const statuses: Record<string, number> = {};
    for (const [status, { count }] of Object.entries(result.statusCodeStats)) statuses[status] = count;
    return {
      sent: result.requests.sent,
      completed: result.requests.total,
      failed: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      statuses,
      bad: this.bad,
      errors: this.errors,
      durationMs: this.elapsed(),
    };
  }
}
