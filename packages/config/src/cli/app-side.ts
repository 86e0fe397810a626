/**
 * The app's side of `upgate check`: its settings, with where each came from and where to change
 * it, turned from what `resolveSettings` (or the app's own check-mode report) says into what
 * `checkDeployment` compares, and its problems and warnings into findings.
 */
import type { ComparedSetting, DeploymentAppSettings } from '../check/check-deployment.js';
import type { DeploymentFinding } from '../check/deployment-finding.js';
import { ENV_VARIABLES } from '../load/env-source.js';
import type { SettingOrigin } from '../resolve/setting-origin.js';
import type { SettingKey, UpgateSettings } from '../settings.js';
import { formatConfigProblem, type ConfigProblem } from '../upgate-config.error.js';
import type { VariablePlace } from './container-env.js';

/** What the app will run with, for the report and for `checkDeployment`. */
export interface AppSide {
  /** The settings compared; absent when the app would not start (then `problems` say why). */
  readonly settings: DeploymentAppSettings | undefined;
  readonly environment: string;
  /** What would stop the app starting: no comparison is made while there are any. */
  readonly problems: readonly DeploymentFinding[];
  /** What the app warns about, and what could not be known (a variable from a Kamal secret). */
  readonly notes: readonly DeploymentFinding[];
}

/** How the app's settings came to be, beyond the resolution: from the check's own inputs. */
export interface AppContext {
  /** Where each variable of the container's environment was set. */
  readonly places: ReadonlyMap<string, VariablePlace>;
  readonly probeTimeoutMs: { readonly value: number; readonly label: string } | undefined;
  readonly port?: { readonly value: number; readonly label: string; readonly changeAt: string };
  readonly redirects: DeploymentAppSettings['redirects'];
  /** How an origin in the deploy file reads (`..., which the app reads`). */
  readonly deployFileSuffix: string;
  /** The fix of an empty allowlist: the ways to give one that this app has. */
  readonly emptyAllowlistFix: string;
}

const REFUSES = 'the app refuses to start with it; correct it';

/** The variable each setting is read from, for fixes when a default applies. */
const VARIABLES: Record<ComparedSetting, string> = {
  allowedHosts: ENV_VARIABLES.allowedHosts,
  probePaths: ENV_VARIABLES.probePaths,
  trustProxy: ENV_VARIABLES.trustProxy,
  port: ENV_VARIABLES.port,
  probeTimeoutMs: 'the probeTimeoutMs option',
};

export function appSide(
  resolved: {
    readonly settings?: UpgateSettings | undefined;
    readonly origins: Readonly<Record<SettingKey, readonly SettingOrigin[]>>;
    readonly problems: readonly ConfigProblem[];
    readonly warnings: readonly ConfigProblem[];
  },
  context: AppContext,
  extraNotes: readonly DeploymentFinding[],
): AppSide {
  // A contradiction with the deploy file is what checkDeployment reports, in its own terms.
  const problems = resolved.problems
    .filter((problem) => problem.contradicts === undefined)
    .map((problem) => toFinding(problem, 'error', context));
  const notes = [
    ...resolved.warnings
      .filter((warning) => warning.contradicts === undefined)
      .map((warning) => toFinding(warning, 'warning', context)),
    ...extraNotes,
  ];
  const settings = resolved.settings;
  const environment = settings?.environment ?? 'production';
  if (settings === undefined || problems.length > 0) return { settings: undefined, environment, problems, notes };

  const sources: Partial<Record<ComparedSetting, string>> = {};
  const changeAt: Partial<Record<ComparedSetting, string>> = {};
  for (const key of ['allowedHosts', 'probePaths', 'trustProxy', 'port'] as const) {
    const origins = resolved.origins[key];
    sources[key] = origins.map((origin) => describe(origin, context)).join(' plus ');
    changeAt[key] = placeToChange(key, origins, context);
  }
  let port = settings.port;
  if (context.port) {
    port = context.port.value;
    sources.port = context.port.label;
    changeAt.port = context.port.changeAt;
  } else if (port === undefined) delete sources.port;
  if (context.probeTimeoutMs) sources.probeTimeoutMs = context.probeTimeoutMs.label;

  return {
    environment,
    problems,
    notes,
    settings: {
      allowedHosts: settings.allowedHosts,
      probePaths: settings.probePaths,
      trustProxy: settings.trustProxy,
      ...(port === undefined ? {} : { port }),
      ...(context.probeTimeoutMs ? { probeTimeoutMs: context.probeTimeoutMs.value } : {}),
      redirects: context.redirects ?? {},
      sources,
      changeAt,
    },
  };
}

/** An origin as the report shows it: `PORT in .env.production:3`, `config/deploy.yml:7: proxy.host, which the app reads`. */
export function describe(origin: SettingOrigin, context: Pick<AppContext, 'places' | 'deployFileSuffix'>): string {
  if (origin.source === 'environment') return context.places.get(origin.key)?.label ?? `${origin.key} (environment)`;
  if (origin.source === 'deploy-file') return `${origin.name}${context.deployFileSuffix}`;
  return origin.name;
}

/** Where a user changes the setting so that the app takes it: the place it came from, or the ways to give it. */
function placeToChange(key: ComparedSetting, origins: readonly SettingOrigin[], context: AppContext): string {
  // The first origin is the setting's own source; later ones add to it (HealthModule's probes keys).
  const first = origins[0];
  if (first === undefined || first.source === 'default') return `${VARIABLES[key]} or the ${key} option`;
  if (first.source === 'environment') return context.places.get(first.key)?.changeAt ?? first.key;
  return first.name;
}

/** A problem or warning of the app's settings, at the line of the file it was given in when there is one. */
function toFinding(
  problem: ConfigProblem,
  severity: 'error' | 'warning',
  context: Pick<AppContext, 'places' | 'emptyAllowlistFix'>,
): DeploymentFinding {
  const rule = severity === 'error' ? 'invalid-settings' : 'app-warning';
  const fix = severity === 'error' ? REFUSES : 'the app starts, and logs this; correct it to silence it';
  const text = [problem.value, problem.message].filter((part) => part !== '').join(' ');
  if (problem.setting === 'allowed hosts') {
    const environment = /\(([^)]*) is ("[^"]*")\)/.exec(problem.message);
    return {
      rule,
      severity,
      message: `the app has no allowed hosts, which only development allows${
        environment ? ` (${environment[1]} is ${environment[2]})` : ''
      }: it refuses to start`,
      fix: context.emptyAllowlistFix,
    };
  }
  const place = context.places.get(problem.setting);
  if (place?.location) return { rule, severity, key: problem.setting, location: place.location, message: text, fix };
  const located = /^(?<file>.+?):(?<line>\d+)(?:: (?<key>.+))?$/.exec(problem.setting)?.groups;
  if (located?.['file'] !== undefined) {
    const key = located['key'];
    return {
      rule,
      severity,
      ...(key ? { key } : {}),
      location: { file: located['file'], line: Number(located['line']) },
      message: text,
      fix,
    };
  }
  const setting = place?.label ?? problem.setting;
  return { rule, severity, message: formatConfigProblem({ ...problem, setting }), fix };
}

/** A problem of reading the deploy file, as an error finding. */
export function deployFileFinding(problem: ConfigProblem): DeploymentFinding {
  const finding = toFinding(problem, 'error', { places: new Map(), emptyAllowlistFix: '' });
  return { ...finding, fix: 'the deploy file is not valid for Kamal; correct it' };
}
