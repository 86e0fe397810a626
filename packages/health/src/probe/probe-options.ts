import type { HealthIndicatorFunction } from '@nestjs/terminus';

/** How much of a check's result a prober sees in the body. */
export type ProbeDetails = 'none' | 'full';

/**
 * The probe and shutdown settings of `HealthModule.forRoot()`. The module's options interface
 * extends this one; every field is optional.
 */
export interface ProbeOptions {
  /**
   * The terminus health indicators each probe path runs, keyed by the exact probe path:
   * `{ '/up': [], '/ready': [() => this.db.pingCheck('database')] }`.
   * A probe path without an entry (or with an empty list) has no checks: it answers 200 as long as
   * the process serves. That is what liveness (`/up`) should be: a liveness failure makes
   * Kubernetes restart the container, and kamal-proxy, which checks `/up` during a deploy until the
   * new container takes traffic, would fail the deploy after `deploy_timeout` and leave the old
   * container serving because a dependency was slow. Dependencies belong to a readiness path.
   * A path with checks is a readiness path unless `readinessPaths` says otherwise; the startup
   * path's entry holds the startup checks (see `startupPath`).
   * @default {} — every probe path is a liveness probe.
   */
  probes?: Readonly<Record<string, readonly HealthIndicatorFunction[]>>;
  /**
   * The readiness paths: they answer 503 until the app has started (see `startupPath`), while the
   * app has marked itself not ready (`Readiness.markNotReady(reason)`), and when their checks fail.
   * Load balancers and Kubernetes' `readinessProbe` take the instance out of service on a 503 and
   * put it back on the next 200. Every other probe path is liveness: it follows none of these.
   * Each must be one of the probe paths.
   * @default the probe paths that have checks in `probes`, so that
   *   `probes: { '/up': [], '/ready': [() => db.pingCheck('database')] }` makes `/ready` the
   *   readiness path; list a path here to make it one without checks of its own.
   */
  readinessPaths?: readonly string[];
  /**
   * The startup path (Kubernetes' `startupProbe`): 503 until the app has finished starting, then
   * 200 for good. Started means an HTTP server of the app listens (`app.listen()` resolved, a
   * test's `request(app.getHttpServer())` made it listen, or a server the app made around the
   * framework's handler serves its first request) and this path's checks in `probes`, the startup
   * checks, passed once. They run as soon as the server listens, and again on each probe of this
   * path or a readiness path until they pass; after that, never again. Readiness paths answer 503
   * until then too. It must be one of the probe paths and not a readiness path.
   * @default undefined — no startup path; the app has started once its server listens.
   */
  startupPath?: string;
  /**
   * The deadline of one run of a probe's checks, in milliseconds. A check that has not finished by
   * then makes the probe answer 503. It must stay under the prober's own timeout, or the prober
   * gives up before it hears why: kamal-proxy waits 5 s, AWS ALB 5 s, Kubernetes 1 s by default
   * (set this to e.g. 800 there). At most one run of a path's checks is ever in flight: a run past
   * its deadline goes on until its indicators settle, and every probe of the path meanwhile gets
   * the deadline's 503 at once, without starting another run. Give your indicators a timeout of
   * their own (terminus' `pingCheck` has `timeout`), so that a hung dependency releases them.
   * @default 3000
   */
  probeTimeoutMs?: number;
  /**
   * How long, in milliseconds, the result of a finished run answers later probes of the same path
   * without running the checks again. Concurrent probes always share the run in flight, whatever
   * this says; a cache window also bounds the check rate when probes arrive one after another
   * (several load balancers, each probing every few seconds).
   * @default 0 — every probe after the previous run finished starts a new run.
   */
  probeCacheMs?: number;
  /**
   * What the body of a probe response shows. `'none'`: the status alone (`{"status":"ok"}`,
   * `{"status":"error"}`), because probe paths answer whatever the Host, i.e. to anyone who can
   * reach the port, and the details of a failing check (host names, error messages) are not for
   * them. `'full'`: terminus' result, `{status, info, error, details}`.
   * @default 'none'
   */
  probeDetails?: ProbeDetails;
  /**
   * How long, in milliseconds, the app keeps serving after shutdown begins (SIGTERM with
   * `app.enableShutdownHooks()`, or `app.close()`) while its probes already answer 503, before it
   * stops taking requests (a new connection is then refused) and closes its connections once their
   * requests are answered. Kubernetes needs a few seconds (e.g. 5000)
   * here: it goes on routing new requests to a terminating pod until its endpoints are updated.
   * kamal-proxy needs none: it has drained the container before `docker stop` sends SIGTERM.
   * Keep it well under the platform's stop timeout (Docker: 10 s, Kamal's `stop_timeout`;
   * Kubernetes: `terminationGracePeriodSeconds`, 30 s).
   * @default 0
   */
  shutdownDelayMs?: number;
}

/** The probe settings with every default applied and every value checked. */
export interface ResolvedProbeOptions {
  readonly probes: ReadonlyMap<string, readonly HealthIndicatorFunction[]>;
  readonly readinessPaths: ReadonlySet<string>;
  readonly startupPath: string | undefined;
  readonly probeTimeoutMs: number;
  readonly probeCacheMs: number;
  readonly probeDetails: ProbeDetails;
  readonly shutdownDelayMs: number;
}

/** The defaults documented on `ProbeOptions`. */
export const PROBE_OPTION_DEFAULTS = {
  probeTimeoutMs: 3000,
  probeCacheMs: 0,
  probeDetails: 'none',
  shutdownDelayMs: 0,
} as const satisfies Omit<ResolvedProbeOptions, 'probes' | 'readinessPaths' | 'startupPath'>;
