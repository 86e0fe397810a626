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
   * the app is booted and serving. That is what liveness (`/up`, what kamal-proxy checks) should
   * be: kamal-proxy drops a target after one failed check, so a slow database must not flap it.
   * @default {} — every probe path is a liveness probe.
   */
  probes?: Readonly<Record<string, readonly HealthIndicatorFunction[]>>;
  /**
   * The deadline of one run of a probe's checks, in milliseconds. A check that has not finished by
   * then makes the probe answer 503. It must stay under the prober's own timeout, or the prober
   * gives up before it hears why: kamal-proxy waits 5 s, AWS ALB 5 s, Kubernetes 1 s by default
   * (set this to e.g. 800 there).
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
   * stops taking requests and closes its connections. Kubernetes needs a few seconds (e.g. 5000)
   * here: it goes on routing new requests to a terminating pod until its endpoints are updated.
   * kamal-proxy needs none: it has drained the container before `docker stop` sends SIGTERM.
   * Keep it well under the platform's stop timeout (Docker: 10 s; Kubernetes: 30 s).
   * @default 0
   */
  shutdownDelayMs?: number;
}

/** The probe settings with every default applied and every value checked. */
export interface ResolvedProbeOptions {
  readonly probes: ReadonlyMap<string, readonly HealthIndicatorFunction[]>;
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
} as const satisfies Omit<ResolvedProbeOptions, 'probes'>;
