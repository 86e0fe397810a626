/**
 * Steady load through the proxy with autocannon's programmatic API: a fixed number of connections,
 * one request in flight on each, for a bounded time (or until stopped).
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
  /** When each failure or non-2xx answer happened, in ms since the load began. */
  readonly badAtMs: readonly number[];
  /** The first few error messages. */
  readonly errors: readonly string[];
  readonly durationMs: number;
}

export interface LoadOptions {
  readonly port: number;
  /** The Host header (one of the deploy file's proxy hosts). */
  readonly host: string;
  readonly path: string;
  readonly connections: number;
  /** Upper bound; the rehearsal usually stops the load earlier. */
  readonly maxSeconds: number;
}

export class Load {
  readonly began = performance.now();
  private readonly instance: Instance;
  private readonly badAt: number[] = [];
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
        url: `http://127.0.0.1:${options.port}${options.path}`,
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
      if (status < 200 || status > 299) this.badAt.push(this.elapsed());
    });
    this.instance.on('reqError', (error: Error) => {
      this.badAt.push(this.elapsed());
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
      badAtMs: this.badAt,
      errors: this.errors,
      durationMs: this.elapsed(),
    };
  }
}
