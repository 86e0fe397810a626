import { describeOrigins } from '@upgate/config';
import type { HealthSettingsResolution } from '@upgate/health';
import { DISK_LIMIT_RATIO, HEAP_LIMIT_BYTES, STARTUP_PATH } from '../health/readiness.js';
import { adminHosts, READINESS_PATH } from './demo-settings.js';
import { publicScheme } from './public-scheme.js';

/** Probe-path origins that are the app's own probe options rather than where the liveness paths came from. */
const PROBE_OPTION_KEYS: readonly string[] = ['probes', 'readinessPaths', 'startupPath'];

/**
 * What the app says when it is up: where to reach it, which hosts it answers, which paths are
 * probes, and where each came from (as upgate resolved them), so that a 400 in the next minute is
 * no mystery.
 */
export function startupLines(resolution: HealthSettingsResolution, port: number): string[] {
  const { settings, origins } = resolution;
  if (settings === undefined) return [];
  const trust =
    settings.trustProxy === true ? 'any peer' : settings.trustProxy === false ? 'no' : settings.trustProxy.join(', ');
  const liveness = settings.probePaths.filter((path) => path !== READINESS_PATH && path !== STARTUP_PATH);
  // The readiness and startup paths come from the probe options; the rest from where the liveness paths came from.
  const livenessOrigins = origins.probePaths.filter(
    (origin) => !(origin.source === 'option' && PROBE_OPTION_KEYS.includes(origin.key)),
  );
  const admin = adminHosts(resolution.deployFile);
  return [
    `listening on http://localhost:${port} (all interfaces, NODE_ENV ${settings.environment})`,
    `allowed hosts: ${settings.allowedHosts.join(', ')} (from ${describeOrigins(origins.allowedHosts)})`,
    `probe paths: ${liveness.join(', ')} (liveness, no checks; from ${describeOrigins(livenessOrigins)}), ` +
      `${READINESS_PATH} (readiness: heap under ${HEAP_LIMIT_BYTES / 1024 / 1024} MiB, disk under ${DISK_LIMIT_RATIO * 100}% used, ` +
      `PostgreSQL answering; 503 in maintenance), ${STARTUP_PATH} (startup: the catalogue's table is there)`,
    `port: ${port} (from ${settings.port === undefined ? "the demo's default" : describeOrigins(origins.port)})`,
    `admin API: ${admin.length > 0 ? `/admin/stats on ${admin.join(', ')} only` : 'off (no admin.* host in the deploy file)'}`,
    `trusts X-Forwarded-Host from: ${trust}; absolute URLs use ${publicScheme(resolution)}://`,
  ];
}
