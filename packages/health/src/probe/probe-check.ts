import { HttpException, Logger } from '@nestjs/common';
import type { HealthCheckResult, HealthIndicatorFunction } from '@nestjs/terminus';
import type { ProbeReplies } from './probe-replies.js';
import type { ProbeReply } from './probe-reply.js';

/** terminus' `HealthCheckService.check`: resolves with the result, or throws a 503 carrying it. */
export type RunHealthChecks = (indicators: HealthIndicatorFunction[]) => Promise<HealthCheckResult>;

/**
 * The checks of one probe path. At most one run is in flight: every probe that arrives meanwhile
 * waits for that run, so a flood of probes costs one round of database pings. A run that misses
 * its deadline answers 503 to all of its waiters at the deadline; its indicators are left to
 * finish on their own (they cannot be cancelled), and the next probe starts a new run, so a hung
 * dependency is pinged at most once per deadline.
 */
export class ProbeCheck {
  private readonly logger = new Logger('HealthProbe');
  private readonly timeoutReply: ProbeReply;
  private inFlight: Promise<ProbeReply> | undefined;
  private cached: ProbeReply | undefined;
  private cachedUntil = 0;

  constructor(
    readonly path: string,
    private readonly indicators: readonly HealthIndicatorFunction[],
    private readonly runChecks: RunHealthChecks,
    private readonly replies: ProbeReplies,
    private readonly timeoutMs: number,
    private readonly cacheMs: number,
  ) {
    this.timeoutReply = replies.timedOut(timeoutMs);
  }

  /** The reply to a probe now: the reused result while it is fresh, else the run in flight's. Never rejects. */
  reply(): ProbeReply | Promise<ProbeReply> {
    if (this.cached !== undefined && performance.now() < this.cachedUntil) return this.cached;
    return (this.inFlight ??= this.run());
  }

  private run(): Promise<ProbeReply> {
    return new Promise<ProbeReply>((resolve) => {
      let settled = false;
      const settle = (reply: ProbeReply): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        this.inFlight = undefined;
        if (this.cacheMs > 0) {
          this.cached = reply;
          this.cachedUntil = performance.now() + this.cacheMs;
        }
        resolve(reply);
      };
      const deadline = setTimeout(() => {
        this.logger.warn(
          `${this.path}: the health checks did not finish within ${this.timeoutMs} ms (probeTimeoutMs); answering 503`,
        );
        settle(this.timeoutReply);
      }, this.timeoutMs);
      // The deadline answers probes; it must not hold a shutting-down process open.
      deadline.unref();
      let checks: Promise<HealthCheckResult>;
      try {
        checks = this.runChecks([...this.indicators]);
      } catch (error) {
        checks = Promise.reject(error);
      }
      checks.then(
        (result) => settle(this.replies.fromResult(result)),
        (error: unknown) => settle(this.fromError(error)),
      );
    });
  }

  private fromError(error: unknown): ProbeReply {
    // terminus reports a failed check as a ServiceUnavailableException whose response is the result.
    if (error instanceof HttpException) {
      const result = error.getResponse();
      if (isHealthCheckResult(result)) return this.replies.fromResult(result);
    }
    this.logger.error(
      `${this.path}: a health indicator threw instead of reporting "down"; answering 503`,
      error instanceof Error ? error.stack : String(error),
    );
    return this.replies.failed;
  }
}

function isHealthCheckResult(value: unknown): value is HealthCheckResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { status?: unknown }).status === 'string' &&
    'details' in value
  );
}
