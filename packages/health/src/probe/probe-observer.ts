import { Inject, Injectable } from '@nestjs/common';
import type { HealthCheckResult } from '@nestjs/terminus';
import type { UpgateSettings } from '@upgate/config';
import { escapeRequestText } from '@upgate/config/internal';
import { HEALTH_SETTINGS } from '../health.constants.js';
import type { ProbeChecksOutcome, ProbeKind, ProbeState, ProbeStateEvent } from '../observe/health-event.js';
import { HealthEvents } from '../observe/health-events.js';
import { HealthLog } from '../observe/health-log.js';
import { HealthMetrics, type ProbeCounters } from '../observe/health-metrics.js';
import type { ResolvedProbeOptions } from './probe-options.js';
import { probeKindOf } from './probe-kind.js';
import type { ProbeReply } from './probe-reply.js';
import { PROBE_OPTIONS } from './probe.tokens.js';

/** One probe path as the responder sees it: resolved once, so that a probe costs one Map lookup. */
export interface ProbeRoute {
  readonly path: string;
  readonly kind: ProbeKind;
  /** Bound at start-up; `undefined` when metrics are off. */
  readonly counters: ProbeCounters | undefined;
}

/** A finished run of a path's checks. */
export interface ProbeRun {
  readonly outcome: ProbeChecksOutcome;
  readonly durationMs: number;
  readonly result: HealthCheckResult | undefined;
  readonly error: unknown;
  /** It had missed its deadline: its probes got the deadline's 503. */
  readonly overdue: boolean;
}

const STATE_OF: Readonly<Record<ProbeChecksOutcome, ProbeState>> = {
  ok: 'passing',
  degraded: 'degraded',
  failing: 'failing',
  error: 'error',
};

/**
 * What the probes tell operators: a `probe` event and a count per probe answered; for each run of a
 * path's checks its duration and a `probe-checks` event; and one log line (with a `probe-state`
 * event) per change of a path's state, never one per probe: a flood of failing probes on a down
 * database writes one line when it goes down and one when it is back. terminus' own
 * `Health Check has failed!` per failed run is silenced (see `ProbeChecks`).
 */
@Injectable()
export class ProbeObserver {
  private readonly byPath = new Map<string, ProbeRoute>();
  private readonly states = new Map<string, { state: ProbeState; since: number }>();
  /** Fixed at start-up; with `events.active`, the responder's one check before observing a probe. */
  readonly metricsOn: boolean;

  constructor(
    @Inject(PROBE_OPTIONS) private readonly options: ResolvedProbeOptions,
    @Inject(HEALTH_SETTINGS) settings: UpgateSettings,
    readonly events: HealthEvents,
    private readonly metrics: HealthMetrics,
    private readonly log: HealthLog,
  ) {
    this.metricsOn = metrics.enabled;
    for (const path of settings.probePaths) {
      this.byPath.set(path, { path, kind: probeKindOf(path, options), counters: metrics.probeResponses(path) });
    }
  }

  /** Every probe path's route. */
  routes(): Iterable<ProbeRoute> {
    return this.byPath.values();
  }

  /** The route of a probe path (every path the matcher calls a probe has one). */
  route(path: string): ProbeRoute {
    return this.byPath.get(path) ?? { path, kind: probeKindOf(path, this.options), counters: undefined };
  }

  /** A probe was answered; called only when metrics are on or someone listens. */
  answered(route: ProbeRoute, method: 'GET' | 'HEAD', reply: ProbeReply): void {
    const counters = route.counters;
    if (counters !== undefined) (reply.status === 200 ? counters.ok : counters.unavailable).inc();
    if (this.events.active) {
      this.events.emit({
        type: 'probe',
        path: route.path,
        kind: route.kind,
        method,
        status: reply.status,
        outcome: reply.outcome,
      });
    }
  }

  /** A run of `path`'s checks finished (on time or late). */
  checksFinished(path: string, run: ProbeRun): void {
    this.metrics.checksTook(path, run.durationMs);
    const kind = this.route(path).kind;
    if (this.events.active) {
      this.events.emit({
        type: 'probe-checks',
        path,
        kind,
        outcome: run.outcome,
        durationMs: run.durationMs,
        overdue: run.overdue,
        checks: run.result?.details,
        error: run.error === undefined ? undefined : describeError(run.error),
      });
    }
    if (run.overdue) {
      // Its probes were answered at the deadline; the next probe runs the checks again and decides the state.
      this.log.warn(
        `${path}: the overdue health checks finished after ${Math.round(run.durationMs)} ms (${run.outcome}); the next probe runs them again`,
        { type: 'probe-checks', path, kind, outcome: run.outcome, durationMs: run.durationMs, overdue: true },
      );
      return;
    }
    this.change(path, kind, STATE_OF[run.outcome], run);
  }

  /** The run in flight missed `probeTimeoutMs`. */
  checksOverdue(path: string, timeoutMs: number): void {
    this.change(path, this.route(path).kind, 'timeout', undefined, timeoutMs);
  }

  private change(path: string, kind: ProbeKind, state: ProbeState, run?: ProbeRun, timeoutMs?: number): void {
    const now = performance.now();
    const before = this.states.get(path);
    if (before?.state === state) return;
    this.states.set(path, { state, since: now });
    // The first run passing is what everyone expects: nothing to say.
    if (before === undefined && state === 'passing') return;
    const event: ProbeStateEvent = {
      type: 'probe-state',
      path,
      kind,
      state,
      previous: before?.state,
      previousForMs: before === undefined ? undefined : Math.round(now - before.since),
      detail: detailOf(state, run, timeoutMs),
    };
    if (this.events.active) this.events.emit(event);
    const was = before === undefined ? '' : ` after ${formatDuration(now - before.since)} ${before.state}`;
    switch (state) {
      case 'passing':
        this.log.log(`${path} (${kind}) is passing again${was}`, event);
        return;
      case 'degraded':
        this.log.warn(`${path} (${kind}) is degraded: ${event.detail}; it answers 200`, event);
        return;
      case 'failing':
        this.log.warn(`${path} (${kind}) is failing: ${event.detail}; it answers 503`, event);
        return;
      case 'timeout':
        this.log.warn(
          `${path} (${kind}): the health checks did not finish within ${timeoutMs} ms (probeTimeoutMs); answering 503 until they do, without starting another run`,
          event,
        );
        return;
      case 'error':
        this.log.error(
          `${path} (${kind}): a health indicator threw instead of reporting "down"; answering 503`,
          run?.error,
          event,
        );
    }
  }
}

/** What failed, in words: `database: down (connect ECONNREFUSED)`. Driver messages are escaped and cut. */
function detailOf(state: ProbeState, run: ProbeRun | undefined, timeoutMs: number | undefined): string | undefined {
  if (state === 'timeout') return `the health checks did not finish within ${timeoutMs} ms`;
  if (state === 'error') return run === undefined ? undefined : `a health indicator threw: ${describeError(run.error)}`;
  if (state === 'passing' || run?.result === undefined) return undefined;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(run.result.details)) {
    const { status, message } = value as { status?: unknown; message?: unknown };
    if (status === 'up') continue;
    const said = typeof message === 'string' ? ` (${escapeRequestText(message, 200)})` : '';
    parts.push(`${escapeRequestText(key, 64)}: ${String(status)}${said}`);
  }
  return parts.length === 0 ? `terminus reported ${run.result.status}` : parts.join(', ');
}

function describeError(error: unknown): string {
  return escapeRequestText(error instanceof Error ? error.message : String(error), 200);
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
