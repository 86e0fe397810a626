import type { DiskHealthIndicator, HealthIndicatorFunction, MemoryHealthIndicator } from '@nestjs/terminus';

/**
 * Deadline of a probe's checks: under kamal-proxy's health-check timeout (proxy.healthcheck.timeout,
 * 5 s), which `upgate check --probe-timeout` compares it with.
 */
export const PROBE_TIMEOUT_MS = 3000;

/** Above this much used heap the process is not ready (a leak, or a request hoarding memory). */
export const HEAP_LIMIT_BYTES = 512 * 1024 * 1024;

/** Above this share of the root file system used, the process is not ready (logs, temp files can no longer be written). */
export const DISK_LIMIT_RATIO = 0.95;

/**
 * The readiness probe's checks: memory and disk, with terminus' indicators. Readiness only:
 * kamal-proxy's health check (liveness) has no checks, since it drops a target after one failure.
 */
export function readinessChecks(memory: MemoryHealthIndicator, disk: DiskHealthIndicator): HealthIndicatorFunction[] {
  return [
    () => memory.checkHeap('heap', HEAP_LIMIT_BYTES),
    () => disk.checkStorage('disk', { path: '/', thresholdPercent: DISK_LIMIT_RATIO }),
  ];
}
