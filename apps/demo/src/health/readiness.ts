import type {
  DiskHealthIndicator,
  HealthIndicatorFunction,
  HealthIndicatorService,
  MemoryHealthIndicator,
} from '@nestjs/terminus';
import type { PostgresHealthIndicator } from '../database/postgres-health.indicator.js';
import type { ItemsService } from '../items/items.service.js';

/**
 * Deadline of a probe's checks: under kamal-proxy's health-check timeout (proxy.healthcheck.timeout,
 * 5 s), which `upgate check --probe-timeout` compares it with, and under the Kubernetes probes'
 * timeoutSeconds (k8s/deployment.yaml). The database's own timeouts (DATABASE_TIMEOUT_MS) are
 * shorter still, so a hung database answers "down" before the deadline.
 */
export const PROBE_TIMEOUT_MS = 3000;

/** The startup path (Kubernetes' startupProbe): 200 once the app listens and its catalogue table is there. */
export const STARTUP_PATH = '/startup';

/** Above this much used heap the process is not ready (a leak, or a request hoarding memory). */
export const HEAP_LIMIT_BYTES = 512 * 1024 * 1024;

/** Above this share of the root file system used, the process is not ready (logs, temp files can no longer be written). */
export const DISK_LIMIT_RATIO = 0.95;

/**
 * The readiness probe's checks: memory, disk and the database, with terminus' indicators (the
 * database's is the demo's own, on its pg pool). Readiness only: liveness (/up, what kamal-proxy
 * checks during a deploy) has none, so a slow database neither fails a deploy nor restarts a pod.
 */
export function readinessChecks(
  memory: MemoryHealthIndicator,
  disk: DiskHealthIndicator,
  postgres: PostgresHealthIndicator,
): HealthIndicatorFunction[] {
  return [
    () => memory.checkHeap('heap', HEAP_LIMIT_BYTES),
    () => disk.checkStorage('disk', { path: '/', thresholdPercent: DISK_LIMIT_RATIO }),
    () => postgres.pingCheck('database'),
  ];
}

/**
 * The startup check: the catalogue's table exists (created and seeded if need be). upgate runs it
 * as soon as the app listens and on each startup or readiness probe until it passes once.
 */
export function startupChecks(items: ItemsService, health: HealthIndicatorService): HealthIndicatorFunction[] {
  return [
    async () => {
      const indicator = health.check('catalogue');
      try {
        await items.ensureSchema();
        return indicator.up();
      } catch (error) {
        return indicator.down({ message: error instanceof Error ? error.message : String(error) });
      }
    },
  ];
}
