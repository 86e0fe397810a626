import type { InjectionToken, Provider } from '@nestjs/common';
import { ConnectionDrain } from './connection-drain.js';
import { ProbeChecks } from './probe-checks.js';
import { ProbeObserver } from './probe-observer.js';
import type { ProbeOptions } from './probe-options.js';
import { ProbeResponder } from './probe-responder.js';
import { ProbeShutdown } from './probe-shutdown.js';
import { PROBE_OPTIONS } from './probe.tokens.js';
import { Readiness } from './readiness.js';
import { resolveProbeOptions } from './resolve-probe-options.js';

export type { ProbeDetails, ProbeOptions, ResolvedProbeOptions } from './probe-options.js';
export { PROBE_OPTION_DEFAULTS } from './probe-options.js';
export { probeOptionProblems, resolveProbeOptions } from './resolve-probe-options.js';
export { ProbeResponder } from './probe-responder.js';
export { ProbeShutdown } from './probe-shutdown.js';
export { PROBE_OPTIONS } from './probe.tokens.js';
export { Readiness } from './readiness.js';
export type { OnShutdownBegin } from './on-shutdown-begin.interface.js';

/**
 * The providers of the probes, for the HealthModule to register. `optionsToken` is the module's
 * options provider; its value must include the `ProbeOptions` fields. `validatedBy`, when given, is
 * a provider that validates those options together with the module's others (and throws listing
 * every problem): it is resolved first, so that its complete report is the one a user sees.
 */
export function probeProviders(optionsToken: InjectionToken, validatedBy?: InjectionToken): Provider[] {
  return [
    {
      provide: PROBE_OPTIONS,
      useFactory: (options: ProbeOptions) => resolveProbeOptions(options),
      inject: validatedBy === undefined ? [optionsToken] : [optionsToken, validatedBy],
    },
    ConnectionDrain,
    Readiness,
    ProbeShutdown,
    ProbeObserver,
    ProbeChecks,
    ProbeResponder,
  ];
}
