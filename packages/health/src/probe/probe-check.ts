import { HttpException } from '@nestjs/common';
import type { HealthCheckResult, HealthIndicatorFunction } from '@nestjs/terminus';
import type { ProbeChecksOutcome } from '../observe/health-event.js';
import type { ProbeObserver } from './probe-observer.js';
import type { ProbeReplies } from './probe-replies.js';
import type { ProbeReply } from './probe-reply.js';

/** terminus' `HealthCheckService.check`: resolves with the result, or throws a 503 carrying it. */
export type RunHealthChecks = (indicators: HealthIndicatorFunction[]) => Promise<HealthCheckResult>;

/**
 * The checks of one probe path, with at most one run of them in flight, ever.
 *
 * Every probe that arrives during a run waits for it, so a flood of probes costs one round of
 * database pings. A run that misses its deadline answers 503 to its waiters at the deadline; its
 * indicators cannot be cancelled, so the run stays in flight until they settle, and every probe
 * meanwhile gets the deadline's 503 at once rather than starting a second run: a hung database is
 * never pinged by overlapping runs, however many probes arrive and however long it hangs. The
 * first probe after the late run has settled starts a new one (the late result is logged, not
 * used: it describes the past). Indicators with a timeout of their own (terminus' `pingCheck`)
 * bound how long a hung dependency keeps the path at 503.
 *
 * Each run's outcome goes to the `ProbeObserver`, which logs a change of state, not every run.
 */
export class ProbeCheck {
  private readonly timeoutReply: ProbeReply;
  /** What the probes of the run in flight wait for: its result, or the deadline's 503. */
  private inFlight: Promise<ProbeReply> | undefined;
  /** The run in flight missed its deadline and its indicators have not settled yet. */
  private overdue = false;
  private cached: ProbeReply | undefined;
  private cachedUntil = 0;

  constructor(
    readonly path: string,
    private readonly indicators: readonly HealthIndicatorFunction[],
    private readonly runChecks: RunHealthChecks,
    private readonly replies: ProbeReplies,
    private readonly timeoutMs: number,
    private readonly cacheMs: number,
    private readonly observer: ProbeObserver,
  ) {
    this.timeoutReply = replies.timedOut(timeoutMs);
  }

  /**
   * The reply to a probe now: the reused result while it is fresh, the deadline's 503 while an
   * overdue run is still in flight, else the run in flight's (started if there is none). Never rejects.
   */
  reply(): ProbeReply | Promise<ProbeReply> {
    if (this.cached !== undefined && performance.now() < this.cachedUntil) return this.cached;
    if (this.overdue) return this.timeoutReply;
    return (this.inFlight ??= this.run());
  }

  private run(): Promise<ProbeReply> {
    const started = performance.now();
    return new Promise<ProbeReply>((resolve) => {
      let answered = false;
      const deadline = setTimeout(() => {
        answered = true;
        this.overdue = true;
        this.observer.checksOverdue(this.path, this.timeoutMs);
        resolve(this.timeoutReply);
      }, this.timeoutMs);
      // The deadline answers probes; it must not hold a shutting-down process open.
      deadline.unref();
      const finish = (
        reply: ProbeReply,
        outcome: ProbeChecksOutcome,
        result: HealthCheckResult | undefined,
        error?: unknown,
      ): void => {
        this.inFlight = undefined;
        const overdue = answered;
        if (overdue) this.overdue = false;
        else {
          clearTimeout(deadline);
          if (this.cacheMs > 0) {
            this.cached = reply;
            this.cachedUntil = performance.now() + this.cacheMs;
          }
          resolve(reply);
        }
        const durationMs = performance.now() - started;
        this.observer.checksFinished(this.path, { outcome, durationMs, result, error, overdue });
      };
      let checks: Promise<HealthCheckResult>;
      try {
        checks = this.runChecks([...this.indicators]);
      } catch (error) {
        checks = Promise.reject(error);
      }
      checks.then(
        (result) => finish(this.replies.fromResult(result), outcomeOf(result), result),
        (error: unknown) => {
          // terminus reports a failed check as a ServiceUnavailableException whose response is the result.
          const result = error instanceof HttpException ? error.getResponse() : undefined;
          if (isHealthCheckResult(result)) finish(this.replies.fromResult(result), outcomeOf(result), result);
          else finish(this.replies.failed, 'error', undefined, error);
        },
      );
    });
  }
}

function outcomeOf(result: HealthCheckResult): ProbeChecksOutcome {
  if (result.status === 'ok') return 'ok';
  return result.status === 'degraded' ? 'degraded' : 'failing';
}

function isHealthCheckResult(value: unknown): value is HealthCheckResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { status?: unknown }).status === 'string' &&
    'details' in value
  );
}
