import type { HostRejectionRule } from './health-event.js';

type PromClient = typeof import('prom-client');
type Registry = import('prom-client').Registry;

/**
 * A prom-client `Registry`, as far as the module needs one. Structural, so that the module's types
 * name no type of prom-client, which an app without it could not resolve.
 */
export interface MetricsRegistry {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
}

/** The `metrics` option as an object. */
export interface HealthMetricsOptions {
  /**
   * Where the metrics are registered: a prom-client `Registry` the app serves at its `/metrics`.
   * @default prom-client's default registry (`register`), which `collectDefaultMetrics()` fills too
   */
  registry?: MetricsRegistry;
}

/** The metric names, as documented. */
export const METRIC_NAMES = {
  hostRejections: 'upgate_host_rejections_total',
  probeResponses: 'upgate_probe_responses_total',
  probeCheckDuration: 'upgate_probe_check_duration_seconds',
} as const;

/** What the probes of one path count with, resolved once per path: a probe costs one `inc()`. */
export interface ProbeCounters {
  readonly ok: { inc(): void };
  readonly unavailable: { inc(): void };
}

/**
 * The module's Prometheus metrics, when the `metrics` option turns them on (prom-client is an
 * optional peer dependency, imported only then):
 * - `upgate_host_rejections_total{rule,status}`: host rejections, by rule (`malformed`,
 *   `not-allowed`, `not-allowed-on-route`) and status;
 * - `upgate_probe_responses_total{path,status}`: probes answered, by probe path and status;
 * - `upgate_probe_check_duration_seconds{path}`: how long the runs of a path's checks took.
 *
 * Label values are the app's own probe paths, its statuses and three rules: the series are few and
 * known at start-up, and made then. A probe costs one increment of a plain number, handed to
 * prom-client when it collects; nothing when metrics are off.
 */
export class HealthMetrics {
  /** Metrics off: every method is a no-op. */
  static readonly off = new HealthMetrics(undefined, [], []);

  readonly enabled: boolean;
  private readonly rejections: import('prom-client').Counter<'rule' | 'status'> | undefined;
  private readonly rejectionChildren = new Map<string, { inc(): void }>();
  private readonly probeCounters = new Map<string, ProbeCounters>();
  private readonly checkDurations = new Map<string, { observe(seconds: number): void }>();
  private detach: (() => void) | undefined;

  private constructor(
    metrics: { prom: PromClient; registry: Registry } | undefined,
    probePaths: readonly string[],
    checkedPaths: readonly string[],
  ) {
    this.enabled = metrics !== undefined;
    if (metrics === undefined) return;
    const { prom, registry } = metrics;
    this.rejections = metric(prom.Counter, registry, {
      name: METRIC_NAMES.hostRejections,
      help: 'Requests rejected by upgate for their host, by host rule and status.',
      labelNames: ['rule', 'status'] as const,
    });
    // Probes are counted in plain numbers, handed to prom-client when it collects (a scrape): a
    // child's inc() hashes its labels on every call (about 0.2 µs here), a number's ++ does not.
    const responses = metric(prom.Counter, registry, {
      name: METRIC_NAMES.probeResponses,
      help: 'Probes answered by upgate, by probe path and status.',
      labelNames: ['path', 'status'] as const,
      collect(this: { [FLUSHES]?: Set<() => void> }) {
        for (const flush of this[FLUSHES] ?? []) flush();
      },
    });
    const flushes = (responses as { [FLUSHES]?: Set<() => void> })[FLUSHES];
    const tallies: { path: string; status: '200' | '503'; tally: Tally }[] = [];
    // Every series a probe path can have exists from the start, at 0 (Prometheus' advice for
    // known label values: a rate() over a series that appears only with its first 503 misses it).
    for (const path of probePaths) {
      const counters: Record<'200' | '503', { inc(): void }> = { '200': new Tally(), '503': new Tally() };
      for (const status of ['200', '503'] as const) {
        const child = responses.labels({ path, status });
        child.inc(0);
        // A counter of that name made elsewhere (no collect of ours): its children, bound once.
        if (flushes === undefined) counters[status] = child;
        else tallies.push({ path, status, tally: counters[status] as Tally });
      }
      this.probeCounters.set(path, { ok: counters['200'], unavailable: counters['503'] });
    }
    const flush = (): void => {
      for (const { path, status, tally } of tallies) {
        const pending = tally.take();
        if (pending > 0) responses.inc({ path, status }, pending);
      }
    };
    flushes?.add(flush);
    this.detach = () => {
      flush();
      flushes?.delete(flush);
    };
    const durations = metric(prom.Histogram, registry, {
      name: METRIC_NAMES.probeCheckDuration,
      help: "How long the runs of a probe path's health checks took, in seconds.",
      labelNames: ['path'] as const,
    });
    for (const path of checkedPaths) {
      durations.zero({ path });
      this.checkDurations.set(path, durations.labels({ path }));
    }
  }

  /**
   * The metrics for `option` (the module's `metrics` option) on these probe paths, of which
   * `checkedPaths` run checks; prom-client is imported here, only when they are on.
   * @param importPromClient how prom-client is loaded (a test gives another).
   * @throws Error naming the install command when prom-client is not installed.
   */
  static async create(
    option: boolean | HealthMetricsOptions | undefined,
    probePaths: readonly string[],
    checkedPaths: readonly string[],
    importPromClient: () => Promise<unknown> = () => import('prom-client'),
  ): Promise<HealthMetrics> {
    if (option === undefined || option === false) return HealthMetrics.off;
    let prom: PromClient;
    try {
      const loaded = (await importPromClient()) as PromClient & { default?: PromClient };
      // Its CommonJS exports, as ESM sees them: named where Node detects them, else under `default`.
      prom = typeof loaded.Counter === 'function' ? loaded : (loaded.default as PromClient);
    } catch (error) {
      const { code } = error as { code?: unknown };
      if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
      throw new Error(
        'upgate: the metrics option needs prom-client, which is not installed; install it (npm install prom-client) or leave metrics off',
        { cause: error },
      );
    }
    const registry = (option === true ? undefined : option.registry) as Registry | undefined;
    return new HealthMetrics({ prom, registry: registry ?? prom.register }, probePaths, checkedPaths);
  }

  /** The app's counts go into the metric for good, and its collection stops (the registry may outlive it). */
  onApplicationShutdown(): void {
    this.detach?.();
    this.detach = undefined;
  }

  /** Counts a host rejection. */
  hostRejected(rule: HostRejectionRule, status: number): void {
    const rejections = this.rejections;
    if (rejections === undefined) return;
    const key = `${rule} ${status}`;
    let child = this.rejectionChildren.get(key);
    if (child === undefined) {
      child = rejections.labels({ rule, status: String(status) });
      this.rejectionChildren.set(key, child);
    }
    child.inc();
  }

  /** The counters of a probe path's responses, `undefined` when metrics are off. */
  probeResponses(path: string): ProbeCounters | undefined {
    return this.probeCounters.get(path);
  }

  /** Records how long a run of a path's checks took. */
  checksTook(path: string, ms: number): void {
    this.checkDurations.get(path)?.observe(ms / 1000);
  }
}

type MetricClass<T> = new (config: never) => T;

/** On a metric made here: what its `collect()` calls, one per app that counts into it. */
const FLUSHES = Symbol.for('upgate.metric-flushes');

/** A count kept as a plain number until prom-client collects it. */
class Tally {
  private pending = 0;

  inc(): void {
    this.pending++;
  }

  /** The count since the last take. */
  take(): number {
    const pending = this.pending;
    this.pending = 0;
    return pending;
  }
}

/**
 * The metric of that name in the registry, made if it is not there yet: a second app in the same
 * process (tests, a hot reload) counts on in the same series rather than failing to register.
 */
function metric<T extends object>(
  type: MetricClass<T>,
  registry: Registry,
  config: { name: string; help: string; labelNames: readonly string[]; collect?: () => void },
): T {
  const existing = registry.getSingleMetric(config.name);
  if (existing !== undefined) {
    if (existing instanceof type) return existing as T;
    throw new Error(
      `upgate: the metrics registry has a metric named ${config.name} already, of another type than upgate's; remove it or give upgate a registry of its own (metrics: { registry })`,
    );
  }
  const made = new type({ ...config, registers: [registry] } as never);
  if (config.collect !== undefined) (made as { [FLUSHES]?: Set<() => void> })[FLUSHES] = new Set();
  return made;
}
