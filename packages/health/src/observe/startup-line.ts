import { Inject, Injectable } from '@nestjs/common';
import { describeOrigins } from '@upgate/config';
import type { HealthModuleOptions } from '../health-module-options.interface.js';
import { HEALTH_MODULE_OPTIONS, HEALTH_SETTINGS_RESOLUTION } from '../health.constants.js';
import type { ResolvedProbeOptions } from '../probe/probe-options.js';
import { probeKindOf } from '../probe/probe-kind.js';
import { PROBE_OPTIONS } from '../probe/probe.tokens.js';
import type { HealthSettingsResolution } from '../resolve-health-settings.js';
import { HealthLog } from './health-log.js';
import { HealthMetrics } from './health-metrics.js';

/**
 * The line the module writes when its gates are on an HTTP server, beside Nest's "Mapped {/x, GET}
 * route" lines: which paths are probes (each one's kind and how many checks it runs), how many
 * allowed host entries there are and where they come from, whom `X-Forwarded-Host` is believed
 * from, and what a rejected host gets:
 *
 * `probe paths /up (liveness), /ready (readiness, 1 check); 2 allowed hosts from config/deploy.yml:14:
 * proxy.hosts; X-Forwarded-Host believed from no one; a rejected host gets 400 (text)`
 */
@Injectable()
export class StartupLine {
  constructor(
    @Inject(HEALTH_SETTINGS_RESOLUTION) private readonly resolution: HealthSettingsResolution,
    @Inject(PROBE_OPTIONS) private readonly probes: ResolvedProbeOptions,
    @Inject(HEALTH_MODULE_OPTIONS) private readonly options: HealthModuleOptions,
    private readonly metrics: HealthMetrics,
    private readonly log: HealthLog,
  ) {}

  write(): void {
    const settings = this.resolution.settings;
    if (settings === undefined) return;
    const probes = settings.probePaths.map((path) => ({
      path,
      kind: probeKindOf(path, this.probes),
      checks: this.probes.probes.get(path)?.length ?? 0,
    }));
    const probeText =
      probes.length === 0
        ? 'no probe paths'
        : `probe paths ${probes
            .map(
              ({ path, kind, checks }) =>
                `${path} (${kind}${checks === 0 ? '' : `, ${checks} check${checks === 1 ? '' : 's'}`})`,
            )
            .join(', ')}`;
    const hosts = settings.allowedHosts.length;
    const from = describeOrigins(this.resolution.origins.allowedHosts);
    const trust = settings.trustProxy;
    const trustText = trust === true ? 'any peer' : trust === false || trust.length === 0 ? 'no one' : trust.join(', ');
    const format = this.options.rejectionResponse ?? 'text';
    const formatName = typeof format === 'function' ? 'the rejectionResponse function' : format;
    const metrics = this.metrics.enabled ? '; Prometheus metrics on' : '';
    this.log.log(
      `${probeText}; ${hosts} allowed host${hosts === 1 ? '' : 's'} from ${from}; X-Forwarded-Host believed from ${trustText}; a rejected host gets ${settings.rejectStatus} (${formatName})${metrics}`,
      {
        type: 'startup',
        probes,
        allowedHosts: hosts,
        allowedHostsFrom: from,
        trustProxy: trust,
        rejectStatus: settings.rejectStatus,
        rejectionResponse: typeof format === 'function' ? 'function' : format,
        metrics: this.metrics.enabled,
      },
    );
  }
}
