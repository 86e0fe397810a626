import { writeFileSync, writeSync } from 'node:fs';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  APP_SETTINGS_REPORT_FORMAT,
  type AppSettingsReport,
  type SettingOrigin,
  UPGATE_CHECK_VARIABLE,
} from '@upgate/config';
import type { HealthModuleOptions } from './health-module-options.interface.js';
import { HEALTH_MODULE_OPTIONS, HEALTH_SETTINGS_RESOLUTION } from './health.constants.js';
import { PROBE_OPTION_DEFAULTS, type ResolvedProbeOptions } from './probe/probe-options.js';
import { PROBE_OPTIONS } from './probe/probe.tokens.js';
import type { HealthSettingsResolution } from './resolve-health-settings.js';

/**
 * Check mode, for `upgate check --app "<start command>"`: with `UPGATE_CHECK` set (a file, or `-`
 * for stdout), the app starts as usual up to `listen()`, and there, instead of listening, writes
 * what it resolved (the settings with their origins, the warnings, the deploy file it read, the
 * probe deadline, the port it was asked to listen on) and exits 0. Settings that stop the app are
 * written (and the process exits 1) as soon as they are resolved. The variable is read at start-up
 * only; without it this provider does nothing.
 */
@Injectable()
export class CheckMode implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(HEALTH_SETTINGS_RESOLUTION) private readonly resolution: HealthSettingsResolution,
    @Inject(HEALTH_MODULE_OPTIONS) private readonly options: HealthModuleOptions,
    @Inject(PROBE_OPTIONS) private readonly probes: ResolvedProbeOptions,
  ) {}

  onModuleInit(): void {
    const target = checkModeTarget();
    if (target === undefined) return;
    const report = (listen?: AppSettingsReport['listen']): AppSettingsReport => ({
      ...settingsReport(this.resolution, this.options),
      probeChecks: Object.fromEntries(
        this.resolution.settings?.probePaths.map((path) => [path, this.probes.probes.get(path)?.length ?? 0]) ?? [],
      ),
      ...(listen ? { listen } : {}),
    });
    const server = this.adapterHost.httpAdapter?.getHttpServer?.() as { listen?: unknown } | undefined;
    if (server === undefined || server === null || typeof server.listen !== 'function') {
      writeCheckReport(target, report(), 0);
      return;
    }
    // The first listen() of the app's server (Express: the port given to app.listen(); Fastify: its
    // options object) is where the app would start serving: the report is written instead.
    server.listen = (...args: unknown[]): never => writeCheckReport(target, report(listenArguments(args)), 0);
  }
}

/** `UPGATE_CHECK`: where check mode writes its report, or `undefined` outside check mode. */
export function checkModeTarget(): string | undefined {
  const target = process.env[UPGATE_CHECK_VARIABLE];
  return target === undefined || target === '' ? undefined : target;
}

/** The report as far as the settings go (the rest is added at listen()). */
export function settingsReport(resolution: HealthSettingsResolution, options: HealthModuleOptions): AppSettingsReport {
  const reading = resolution.deployFile;
  const timeout = options?.probeTimeoutMs;
  const timeoutOrigin: SettingOrigin =
    timeout === undefined
      ? { source: 'default', key: 'probeTimeoutMs', name: "@upgate/health's default" }
      : { source: 'option', key: 'probeTimeoutMs', name: 'the probeTimeoutMs option' };
  return {
    format: APP_SETTINGS_REPORT_FORMAT,
    ...(resolution.settings ? { settings: resolution.settings } : {}),
    origins: resolution.origins,
    problems: resolution.problems,
    warnings: resolution.warnings,
    ...(reading
      ? {
          deployFile: {
            file: reading.file,
            path: reading.path,
            ...(reading.destination === undefined ? {} : { destination: reading.destination }),
          },
        }
      : {}),
    ...(typeof timeout === 'number' || timeout === undefined
      ? { probeTimeoutMs: { value: timeout ?? PROBE_OPTION_DEFAULTS.probeTimeoutMs, origin: timeoutOrigin } }
      : {}),
  };
}

/** Writes the report where `UPGATE_CHECK` says and ends the process: nothing of the app runs on. */
export function writeCheckReport(target: string, report: AppSettingsReport, code: 0 | 1): never {
  const text = `${JSON.stringify(report, null, 2)}\n`;
  // Synchronous writes: process.exit() must not cut the report short.
  if (target === '-') writeSync(1, text);
  else {
    writeFileSync(target, text);
    writeSync(
      2,
      `upgate: check mode (${UPGATE_CHECK_VARIABLE}): settings written to ${target}; exiting without listening\n`,
    );
  }
  process.exit(code);
}

/** What `server.listen(...)` was given: a port (number or numeric string), a host, or a pipe path. */
function listenArguments(args: readonly unknown[]): AppSettingsReport['listen'] {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null) {
    const { port, host, path } = first as { port?: unknown; host?: unknown; path?: unknown };
    return {
      ...(portOf(port) === undefined ? {} : { port: portOf(port) }),
      ...(typeof host === 'string' ? { host } : {}),
      ...(typeof path === 'string' ? { path } : {}),
    };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return {
    ...(portOf(first) === undefined ? {} : { port: portOf(first) }),
    ...(typeof second === 'string' ? { host: second } : {}),
  };
}

function portOf(value: unknown): number | undefined {
  const port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof port === 'number' && Number.isInteger(port) && port >= 0 ? port : undefined;
}
