import type { HealthCheckResult, HealthCheckStatus } from '@nestjs/terminus';
import type { ProbeOutcome } from '../observe/health-event.js';
import type { ProbeDetails } from './probe-options.js';
import { type ProbeReply, probeReply } from './probe-reply.js';

/** terminus' overall statuses and the HTTP status a prober reads from each. */
const HTTP_STATUS: Readonly<Record<HealthCheckStatus, 200 | 503>> = {
  ok: 200,
  degraded: 200,
  error: 503,
  shutting_down: 503,
};

/** terminus' overall statuses as probe outcomes. */
const OUTCOME: Readonly<Record<HealthCheckStatus, ProbeOutcome>> = {
  ok: 'ok',
  degraded: 'degraded',
  error: 'failing',
  shutting_down: 'shutting-down',
};

/**
 * The responses of one detail level. Everything that does not depend on a check's result is built
 * once, at start-up; with `'none'` that is every response there is.
 */
export class ProbeReplies {
  /** A probe without checks, while the app serves: what liveness answers. */
  readonly live: ProbeReply;
  /** Every HTTP/2 probe, from the moment shutdown begins. */
  readonly shuttingDown = probeReply(503, 'shutting-down', { status: 'shutting_down' });
  /**
   * Every HTTP/1 probe, from the moment shutdown begins. Probes are answered before the server's
   * request listeners, so the connection drain's `Connection: close` does not reach them: they
   * carry their own, and a prober's keep-alive connection does not hold the closing server open.
   */
  readonly shuttingDownClose = probeReply(503, 'shutting-down', { status: 'shutting_down' }, true);
  /**
   * A readiness or startup probe before the app has started (its server does not listen yet), or
   * a probe with checks before those are wired.
   */
  readonly starting: ProbeReply;
  /** A run in which an indicator threw instead of reporting "down": the error is in the log. */
  readonly failed: ProbeReply;
  private readonly byStatus: Readonly<Record<HealthCheckStatus, ProbeReply>>;
  /** A readiness probe while the app is not ready, when the body shows no reasons. */
  private readonly notReadyPlain: ProbeReply;

  constructor(private readonly details: ProbeDetails) {
    const full = details === 'full';
    this.live = probeReply(200, 'ok', full ? { status: 'ok', info: {}, error: {}, details: {} } : { status: 'ok' });
    this.starting = probeReply(
      503,
      'starting',
      full ? { status: 'error', message: 'the application is starting' } : { status: 'error' },
    );
    this.failed = probeReply(
      503,
      'error',
      full
        ? { status: 'error', message: 'a health indicator threw an error; see the application log' }
        : { status: 'error' },
    );
    this.byStatus = {
      ok: probeReply(200, 'ok', { status: 'ok' }),
      degraded: probeReply(200, 'degraded', { status: 'degraded' }),
      error: probeReply(503, 'failing', { status: 'error' }),
      shutting_down: this.shuttingDown,
    };
    this.notReadyPlain = probeReply(503, 'not-ready', { status: 'error' });
  }

  /** The response to a finished run: terminus' result in full, or its status alone. */
  fromResult(result: HealthCheckResult): ProbeReply {
    const status = HTTP_STATUS[result.status] ?? 503;
    if (this.details === 'full') return probeReply(status, OUTCOME[result.status] ?? 'failing', result);
    return this.byStatus[result.status] ?? this.byStatus.error;
  }

  /**
   * A readiness probe while the app has marked itself not ready: the status alone, or with
   * `'full'` the app's reasons (its own words, written for probers).
   */
  notReady(reasons: readonly string[]): ProbeReply {
    if (this.details !== 'full') return this.notReadyPlain;
    return probeReply(503, 'not-ready', { status: 'error', message: 'the application is not ready', reasons });
  }

  /** The response to a run that missed its deadline. */
  timedOut(timeoutMs: number): ProbeReply {
    const body =
      this.details === 'full'
        ? { status: 'error', message: `the health checks did not finish within ${timeoutMs} ms` }
        : { status: 'error' };
    return probeReply(503, 'timeout', body);
  }
}
