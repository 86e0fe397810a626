import type { HostValueSource } from '@upgate/config';

/**
 * What the module tells an app that counts or alerts: every host rejection, every probe answered,
 * every run of a probe path's checks, every change of a probe path's state, of the app's readiness,
 * and the start of shutdown. Subscribe with `HealthEvents.subscribe()`; the log lines of the module
 * carry the same fields (`type` names the event).
 *
 * Every value taken from a request is escaped before it gets here (control characters, non-ASCII
 * and quotes as `\xNN`-style escapes; long values cut): an event can go to a log, a metric label or
 * an alert as it is.
 */
export type HealthEvent =
  HostRejectedEvent | ProbeAnsweredEvent | ProbeChecksEvent | ProbeStateEvent | ReadinessEvent | ShutdownEvent;

/** Which host rule a rejection broke (the `rule` label of `upgate_host_rejections_total`). */
export type HostRejectionRule =
  /** A missing, repeated or malformed host value (host rules 1 and 3): always 400. */
  | 'malformed'
  /** A well-formed host that the app-wide allowlist does not list (rule 2). */
  | 'not-allowed'
  /** A host the app allows but a route's `@AllowHosts()` list does not (`HostGuard`). */
  | 'not-allowed-on-route';

/** The platform whose health check a rejected request looks like (see `HostRejectedEvent.prober`). */
export type ProberName =
  'kamal-proxy' | 'Kubernetes' | 'AWS ELB' | 'Google Cloud' | 'Docker HEALTHCHECK' | 'a platform health check';

/** A request whose host was rejected, by either gate (the server's or the framework's) or `HostGuard`. */
export interface HostRejectedEvent {
  readonly type: 'host-rejected';
  /** The status sent: 400 for a malformed host; `rejectStatus` (400, 403 or 421) otherwise, or the `rejectionResponse` function's. */
  readonly status: number;
  readonly rule: HostRejectionRule;
  /** Which value of the request was rejected: `Host`, `:authority`, `X-Forwarded-Host` or `request target`. */
  readonly source: HostValueSource;
  /** The rejected value, quoted and escaped, cut to 100 characters: `'evil.example'`. */
  readonly host: string;
  /** What is wrong with it, in words. */
  readonly reason: string;
  /** What the operator should do: the probe path for a prober, the allowlist entry otherwise. */
  readonly fix: string;
  /** The request's method, escaped (16 characters at most). */
  readonly method: string;
  /** The request's path with its query, escaped, cut to 100 characters. */
  readonly path: string;
  /** The connection's peer address, when there is a connection (not under `inject()`). */
  readonly peer: string | undefined;
  /** The request's User-Agent, quoted and escaped, cut to 100 characters; `undefined` when none was sent. */
  readonly userAgent: string | undefined;
  /**
   * The platform whose health check this request looks like (by its User-Agent, its peer, its path,
   * a Host that is a container id or an IP address with a port), which changes `fix` and adds a hint
   * to the response. It never changes the decision: a User-Agent is the client's word.
   */
  readonly prober: ProberName | undefined;
}

/** The three kinds of probe path (see the README's "Probes" section). */
export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** Why a probe got its answer. */
export type ProbeOutcome =
  /** 200: the process serves (liveness without checks), the app has started, or the checks passed. */
  | 'ok'
  /** 200: a check reported "degraded" (terminus). */
  | 'degraded'
  /** 503: a check reported "down". */
  | 'failing'
  /** 503: the run of the checks missed `probeTimeoutMs` (and until it settles). */
  | 'timeout'
  /** 503: a health indicator threw instead of reporting "down". */
  | 'error'
  /** 503: start-up has not ended (the server does not listen yet, or the startup checks have not passed). */
  | 'starting'
  /** 503: the app marked itself not ready (`Readiness`). */
  | 'not-ready'
  /** 503: shutdown has begun. */
  | 'shutting-down';

/** A probe answered (one per probe request; nothing else is done per probe). */
export interface ProbeAnsweredEvent {
  readonly type: 'probe';
  readonly path: string;
  readonly kind: ProbeKind;
  readonly method: 'GET' | 'HEAD';
  readonly status: 200 | 503;
  readonly outcome: ProbeOutcome;
}

/** The outcomes a run of a path's checks can have. */
export type ProbeChecksOutcome = 'ok' | 'degraded' | 'failing' | 'error';

/** One run of a probe path's checks finished (probes that arrived during it shared it). */
export interface ProbeChecksEvent {
  readonly type: 'probe-checks';
  readonly path: string;
  readonly kind: ProbeKind;
  readonly outcome: ProbeChecksOutcome;
  /** How long the run took, in milliseconds. */
  readonly durationMs: number;
  /** Whether the run had missed `probeTimeoutMs` (its probes got the deadline's 503, not this result). */
  readonly overdue: boolean;
  /** terminus' `details`: each indicator's key and result (`{ database: { status: 'down', message } }`). */
  readonly checks: Readonly<Record<string, unknown>> | undefined;
  /** For `error`: what the indicator threw. */
  readonly error: string | undefined;
}

/** The state of a probe path's checks, as its runs report it. */
export type ProbeState = 'passing' | 'degraded' | 'failing' | 'timeout' | 'error';

/** A probe path's checks changed state (logged: one line per change, however many probes). */
export interface ProbeStateEvent {
  readonly type: 'probe-state';
  readonly path: string;
  readonly kind: ProbeKind;
  readonly state: ProbeState;
  /** The state before; `undefined` for the first run's. */
  readonly previous: ProbeState | undefined;
  /** How long the previous state lasted, in milliseconds. */
  readonly previousForMs: number | undefined;
  /** What failed, in words (the failing checks and their messages, the deadline, the error). */
  readonly detail: string | undefined;
}

/** The app marked itself not ready for a reason, or withdrew one (`Readiness`). */
export interface ReadinessEvent {
  readonly type: 'readiness';
  readonly change: 'not-ready' | 'ready';
  /** The reason marked or withdrawn. */
  readonly reason: string;
  /** The reasons standing now; empty when the app is ready. */
  readonly reasons: readonly string[];
}

/** Shutdown began: every probe answers 503 from now on. */
export interface ShutdownEvent {
  readonly type: 'shutdown';
  /** `shutdownDelayMs`: how long the app goes on serving before its connections drain. */
  readonly delayMs: number;
}
