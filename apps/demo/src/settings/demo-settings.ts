/**
 * The demo's settings. The public hosts, the health-check path and the port are written once, in
 * Kamal's `config/deploy.yml`, and read from it here through `@upgate/config`; environment
 * variables override them (ALLOWED_HOSTS, HEALTH_PROBE_PATHS, PORT, TRUST_PROXY, NODE_ENV).
 *
 * Production (any NODE_ENV but development): `loadSettings` with the deploy file, so that an
 * override that would break the deploy (a PORT other than proxy.app_port, probe paths without
 * proxy.healthcheck.path, an allowlist without a proxy host) stops the app with the reason.
 *
 * Development (NODE_ENV unset or `development`): the deploy file's hosts must not lock you out of
 * localhost, and a local PORT must not be an error. So the allowlist is upgate's local one
 * (`.localhost`, 127.0.0.1, [::1]) plus the deploy file's hosts (try them with
 * `curl -H 'Host: demo.example.com' localhost:3000/api/items`), and PORT simply wins.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEVELOPMENT_ALLOWED_HOSTS,
  ENV_VARIABLES,
  loadSettings,
  readKamalDeployFile,
  type KamalDeployConfig,
  type UpgateOptions,
  type UpgateSettings,
} from '@upgate/config';

/** The readiness probe: the app's own path, with memory and disk checks (see readiness.ts). */
export const READINESS_PATH = '/ready';

/** The port when neither PORT nor a deploy file gives one. */
export const DEFAULT_PORT = 3000;

/**
 * In development the admin API also answers on this host: browsers resolve every `*.localhost`
 * name to the loopback address, so http://admin.localhost:3000/admin works without /etc/hosts.
 */
export const DEVELOPMENT_ADMIN_HOST = 'admin.localhost';

/** The demo's own variables: where the deploy file is, and the Kamal destination. */
export const DEMO_VARIABLES = Object.freeze({
  /** Path of Kamal's deploy file (relative to the working directory), or `none` to run without one. */
  deployFile: 'DEPLOY_FILE',
  /** Kamal destination whose `deploy.<destination>.yml` is merged over the deploy file. */
  destination: 'DEPLOY_DESTINATION',
});

export interface DemoSettings {
  /** What the HealthModule enforces: the allowlist, probe paths (liveness and readiness), proxy trust. */
  readonly upgate: UpgateSettings;
  readonly port: number;
  /** The probe paths with no checks: kamal-proxy's health check among them. */
  readonly livenessPaths: readonly string[];
  /** Hosts the admin API answers on: the deploy file's `admin.*` hosts (and admin.localhost in development). */
  readonly adminHosts: readonly string[];
  /** The scheme of absolute URLs the app builds: https when kamal-proxy terminates TLS in production. */
  readonly publicScheme: 'http' | 'https';
  /** The deploy file read, as shown in messages, or undefined. */
  readonly deployFile: string | undefined;
  /** Where the allowlist, probe paths and port came from, for the start-up lines. */
  readonly origins: { readonly allowedHosts: string; readonly probePaths: string; readonly port: string };
}

/** The app's directory (apps/demo), from dist/settings/ or src/settings/. */
export function appRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/**
 * Reads the settings. Throws `UpgateConfigError` listing every problem (main.ts prints it and
 * exits 1).
 */
export function loadDemoSettings(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): DemoSettings {
  const fileVariable = env[DEMO_VARIABLES.deployFile];
  const deployFile =
    fileVariable === 'none'
      ? undefined
      : fileVariable !== undefined && fileVariable !== ''
        ? resolve(cwd, fileVariable)
        : join(appRoot(), 'config', 'deploy.yml');
  const destination = env[DEMO_VARIABLES.destination] || undefined;
  const environment = env[ENV_VARIABLES.environment]?.trim() || 'development';

  if (environment !== 'development') {
    const upgate = loadSettings({ env, cwd, ...(deployFile ? { deployFile, destination } : {}) });
    const deploy = deployFile
      ? readKamalDeployFile(deployFile, { cwd, ...(destination ? { destination } : {}) })
      : undefined;
    return finish(upgate, deploy, env, environment, deploy?.file);
  }

  // Development: the deploy file's values, checked with its own file and line in messages, first...
  const deploy = deployFile
    ? readKamalDeployFile(deployFile, { cwd, ...(destination ? { destination } : {}) })
    : undefined;
  const fromDeploy = deploy
    ? loadSettings({
        env: { NODE_ENV: 'development' },
        cwd,
        deployFile: deploy.file,
        ...(destination ? { destination } : {}),
      })
    : undefined;
  // ...then the environment over them, without the production cross-checks.
  const options: { -readonly [K in keyof UpgateOptions]: UpgateOptions[K] } = {};
  if (fromDeploy && deploy) {
    if (env[ENV_VARIABLES.allowedHosts] === undefined)
      options.allowedHosts = union(
        DEVELOPMENT_ALLOWED_HOSTS,
        deploy.proxy.hosts.length > 0 ? fromDeploy.allowedHosts : [],
      );
    if (env[ENV_VARIABLES.probePaths] === undefined) options.probePaths = fromDeploy.probePaths;
    if (env[ENV_VARIABLES.port] === undefined && fromDeploy.port !== undefined) options.port = fromDeploy.port;
  }
  const upgate = loadSettings({ options, env, cwd });
  return finish(upgate, deploy, env, environment, deploy?.file);
}

function finish(
  upgate: UpgateSettings,
  deploy: KamalDeployConfig | undefined,
  env: NodeJS.ProcessEnv,
  environment: string,
  shownFile: string | undefined,
): DemoSettings {
  const development = environment === 'development';
  const livenessPaths = upgate.probePaths.filter((path) => path !== READINESS_PATH);
  const adminHosts = union(
    (deploy?.proxy.hosts ?? []).filter((host) => host.toLowerCase().startsWith('admin.')),
    development ? [DEVELOPMENT_ADMIN_HOST] : [],
  );
  const deployed = (key: string): string => {
    const at = deploy?.locate(key);
    return at ? `${at.file}:${at.line} ${key}` : `${shownFile ?? 'the deploy file'} ${key} (Kamal's default)`;
  };
  const hostsKey = deploy?.locate('proxy.hosts') ? 'proxy.hosts' : 'proxy.host';
  const fromEnv = (name: string): boolean => env[name] !== undefined;
  return {
    upgate: { ...upgate, probePaths: union(upgate.probePaths, [READINESS_PATH]) },
    port: upgate.port ?? DEFAULT_PORT,
    livenessPaths,
    adminHosts,
    publicScheme: !development && deploy?.proxy.ssl ? 'https' : 'http',
    deployFile: shownFile,
    origins: {
      allowedHosts: fromEnv(ENV_VARIABLES.allowedHosts)
        ? ENV_VARIABLES.allowedHosts
        : deploy && deploy.proxy.hosts.length > 0
          ? development
            ? `upgate's development hosts plus ${deployed(hostsKey)}`
            : deployed(hostsKey)
          : development
            ? "upgate's development default"
            : 'none',
      probePaths: fromEnv(ENV_VARIABLES.probePaths)
        ? ENV_VARIABLES.probePaths
        : deploy
          ? deployed('proxy.healthcheck.path')
          : "upgate's default",
      port: fromEnv(ENV_VARIABLES.port) ? ENV_VARIABLES.port : deploy ? deployed('proxy.app_port') : 'default',
    },
  };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
