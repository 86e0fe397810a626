import { DISK_LIMIT_RATIO, HEAP_LIMIT_BYTES, STARTUP_PATH } from '../health/readiness.js';
import { READINESS_PATH, type DemoSettings } from './demo-settings.js';

/**
 * What the app says when it is up: where to reach it, which hosts it answers, which paths are
 * probes, and where each came from, so that a 400 in the next minute is no mystery.
 */
export function startupLines(settings: DemoSettings, port: number): string[] {
  const { upgate, origins } = settings;
  const trust =
    upgate.trustProxy === true ? 'any peer' : upgate.trustProxy === false ? 'no' : upgate.trustProxy.join(', ');
  return [
    `listening on http://localhost:${port} (all interfaces, NODE_ENV ${upgate.environment})`,
    `allowed hosts: ${upgate.allowedHosts.join(', ')} (from ${origins.allowedHosts})`,
    `probe paths: ${settings.livenessPaths.join(', ')} (liveness, no checks; from ${origins.probePaths}), ` +
      `${READINESS_PATH} (readiness: heap under ${HEAP_LIMIT_BYTES / 1024 / 1024} MiB, disk under ${DISK_LIMIT_RATIO * 100}% used, ` +
      `PostgreSQL answering; 503 in maintenance), ${STARTUP_PATH} (startup: the catalogue's table is there)`,
    `port: ${port} (from ${origins.port})`,
    `admin API: ${settings.adminHosts.length > 0 ? `/admin/stats on ${settings.adminHosts.join(', ')} only` : 'off (no admin.* host in the deploy file)'}`,
    `trusts X-Forwarded-Host from: ${trust}; absolute URLs use ${settings.publicScheme}://`,
  ];
}
