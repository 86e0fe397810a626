/**
 * The demo's own settings: which Kamal deploy file it reads. Everything upgate needs from that file
 * (hosts, health-check path, port, with environment variables over them and development defaults)
 * is HealthModule's business (`deployFile`); the demo reads the file once, here, because its own
 * code uses two more facts of it: the admin host and whether kamal-proxy terminates TLS.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeployFileReading } from '@upgate/config';
import { readDeployFile } from '@upgate/config/kamal';

/** The readiness probe: the app's own path, with memory and disk checks (see readiness.ts). */
export const READINESS_PATH = '/ready';

/** The port when neither PORT nor the deploy file gives one. */
export const DEFAULT_PORT = 3000;

/** The variables the demo reads to find its deploy file. */
export const DEMO_VARIABLES = Object.freeze({
  /** Path of Kamal's deploy file (relative to the working directory), or `none` to run without one. */
  deployFile: 'DEPLOY_FILE',
  /**
   * Kamal destination whose `deploy.<destination>.yml` is merged over the deploy file: Kamal sets it
   * in the container for `kamal deploy -d <destination>` (the image carries every deploy file).
   */
  destination: 'KAMAL_DESTINATION',
});

/** The app's directory (apps/demo), from dist/settings/ or src/settings/. */
export function appRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/**
 * The deploy file the demo runs with: `DEPLOY_FILE` (or `config/deploy.yml` of the app, whatever
 * the working directory), with `KAMAL_DESTINATION`'s overlay; `undefined` for `DEPLOY_FILE=none`.
 * Its problems are not thrown here: HealthModule reports them with every other setting's.
 */
export function demoDeployFile(env: NodeJS.ProcessEnv = process.env): DeployFileReading | undefined {
  const file = env[DEMO_VARIABLES.deployFile];
  if (file === 'none') return undefined;
  const destination = env[DEMO_VARIABLES.destination] || undefined;
  return readDeployFile(file || join(appRoot(), 'config', 'deploy.yml'), destination ? { destination } : {});
}

/** The hosts the admin API answers on: the deploy file's `admin.*` ones. */
export function adminHosts(deployFile: DeployFileReading | undefined): string[] {
  return (deployFile?.config?.proxy.hosts ?? []).filter((host) => host.toLowerCase().startsWith('admin.'));
}
