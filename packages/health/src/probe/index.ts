import type { InjectionToken, Provider } from '@nestjs/common';
import { ConnectionDrain } from './connection-drain.js';
import { ProbeChecks } from './probe-checks.js';
import type { ProbeOptions } from './probe-options.js';
import { ProbeResponder } from './probe-responder.js';
import { ProbeShutdown } from './probe-shutdown.js';
import { PROBE_OPTIONS } from './probe.tokens.js';
import { resolveProbeOptions } from './resolve-probe-options.js';

export type { ProbeDetails, ProbeOptions, ResolvedProbeOptions } from './probe-options.js';
export { PROBE_OPTION_DEFAULTS } from './probe-options.js';
export { probeOptionProblems, resolveProbeOptions } from './resolve-probe-options.js';
export { ProbeResponder } from './probe-responder.js';
export { ProbeShutdown } from './probe-shutdown.js';
export { PROBE_OPTIONS } from './probe.tokens.js';

/**
 * The providers of the probes, for the HealthModule to register. `optionsToken` is the module's
 * options provider; its value must include the `ProbeOptions` fields (checked here again, so a
 * module that has already reported every problem at once loses nothing).
 */
export function probeProviders(optionsToken: InjectionToken): Provider[] {
  return [
    { provide: PROBE_OPTIONS, useFactory: (options: ProbeOptions) => resolveProbeOptions(options), inject: [optionsToken] },
    ConnectionDrain,
    ProbeShutdown,
    ProbeChecks,
    ProbeResponder,
  ];
}
