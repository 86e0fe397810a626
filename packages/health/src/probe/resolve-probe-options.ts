import type { HealthIndicatorFunction } from '@nestjs/terminus';
import { type ConfigProblem, UpgateConfigError } from '@upgate/config';
import { PROBE_OPTION_DEFAULTS, type ProbeOptions, type ResolvedProbeOptions } from './probe-options.js';

/** Node clamps longer timers to 1 ms with a warning, which would turn a long deadline into none. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Every problem with the probe settings, in the form `UpgateConfigError` lists, so that the module
 * can report them together with the other settings' problems. The paths they name (the keys of
 * `probes`, the readiness and startup paths) need not be among the probe paths: the module adds
 * them there (`resolveHealthSettings`), and checks each as a probe path then.
 */
export function probeOptionProblems(options: ProbeOptions): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  checkMilliseconds(problems, 'probeTimeoutMs', options.probeTimeoutMs, 1, 'e.g. 3000');
  checkMilliseconds(problems, 'probeCacheMs', options.probeCacheMs, 0, 'e.g. 0 (no reuse) or 1000');
  checkMilliseconds(problems, 'shutdownDelayMs', options.shutdownDelayMs, 0, 'e.g. 0, or 5000 on Kubernetes');
  const details: unknown = options.probeDetails;
  if (details !== undefined && details !== 'none' && details !== 'full') {
    problems.push({
      setting: 'probeDetails',
      value: show(details),
      message: `is not a detail level; write 'none' (status only, the default) or 'full' (terminus' result)`,
    });
  }
  checkProbes(problems, options.probes);
  checkStartupPath(problems, options.startupPath);
  checkReadinessPaths(problems, options.readinessPaths, options.startupPath);
  return problems;
}

/** The probe settings with their defaults; throws `UpgateConfigError` naming every problem. */
export function resolveProbeOptions(options: ProbeOptions = {}): ResolvedProbeOptions {
  const problems = probeOptionProblems(options);
  if (problems.length > 0) throw new UpgateConfigError(problems);
  const probes = new Map(Object.entries(options.probes ?? {}));
  const withChecks = [...probes].filter(([path, checks]) => checks.length > 0 && path !== options.startupPath);
  return {
    probes,
    readinessPaths: new Set(options.readinessPaths ?? withChecks.map(([path]) => path)),
    startupPath: options.startupPath,
    probeTimeoutMs: options.probeTimeoutMs ?? PROBE_OPTION_DEFAULTS.probeTimeoutMs,
    probeCacheMs: options.probeCacheMs ?? PROBE_OPTION_DEFAULTS.probeCacheMs,
    probeDetails: options.probeDetails ?? PROBE_OPTION_DEFAULTS.probeDetails,
    shutdownDelayMs: options.shutdownDelayMs ?? PROBE_OPTION_DEFAULTS.shutdownDelayMs,
  };
}

function checkMilliseconds(
  problems: ConfigProblem[],
  setting: string,
  value: unknown,
  min: number,
  example: string,
): void {
  if (value === undefined) return;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_TIMER_MS) return;
  problems.push({
    setting,
    value: show(value),
    message: `is not a duration; write a whole number of milliseconds from ${min} to ${MAX_TIMER_MS} (${example})`,
  });
}

function checkProbes(problems: ConfigProblem[], probes: unknown): void {
  if (probes === undefined) return;
  if (probes === null || typeof probes !== 'object' || Array.isArray(probes)) {
    problems.push({
      setting: 'probes',
      value: show(probes),
      message: `is not a map of probe paths to health indicators; write e.g. { '/up': [], '/ready': [() => db.pingCheck('database')] }`,
    });
    return;
  }
  for (const [path, indicators] of Object.entries(probes)) {
    const setting = `probes['${path}']`;
    if (!Array.isArray(indicators)) {
      problems.push({
        setting,
        value: show(indicators),
        message: `is not a list of health indicators; write an array such as [() => db.pingCheck('database')], or [] for none`,
      });
      continue;
    }
    indicators.forEach((indicator: unknown, index) => {
      if (!isIndicator(indicator)) {
        problems.push({
          setting: `${setting}[${index}]`,
          value: show(indicator),
          message: `is not a health indicator; write a function returning a terminus result, e.g. () => db.pingCheck('database')`,
        });
      }
    });
  }
}

function checkStartupPath(problems: ConfigProblem[], path: unknown): void {
  if (path === undefined || typeof path === 'string') return;
  problems.push({
    setting: 'startupPath',
    value: show(path),
    message: `is not a path; write a path such as '/startup'`,
  });
}

function checkReadinessPaths(problems: ConfigProblem[], paths: unknown, startupPath: unknown): void {
  if (paths === undefined) return;
  if (!Array.isArray(paths)) {
    problems.push({
      setting: 'readinessPaths',
      value: show(paths),
      message: `is not a list of paths; write e.g. ['/ready']`,
    });
    return;
  }
  paths.forEach((path: unknown, index) => {
    const setting = `readinessPaths[${index}]`;
    if (typeof path !== 'string') {
      problems.push({
        setting,
        value: show(path),
        message: `is not a path; write a path such as '/ready'`,
      });
    } else if (path === startupPath) {
      problems.push({
        setting,
        value: show(path),
        message: `is the startup path too, which answers 200 for good once the app has started; give readiness a path of its own`,
      });
    }
  });
}

/** A function, or terminus' `HealthCheckAttempt` builder (a thenable), checked without loading terminus. */
function isIndicator(value: unknown): value is HealthIndicatorFunction {
  if (typeof value === 'function') return true;
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `a${typeof value === 'object' ? 'n object' : ` ${typeof value}`}`;
}
