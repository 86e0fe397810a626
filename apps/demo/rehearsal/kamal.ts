/**
 * What `kamal deploy`, `kamal rollback <version>` and `kamal accessory boot <name>` do on a server
 * once the images are there (Kamal::Cli::App::Boot#run, Kamal::Commands::Accessory#run, basecamp/kamal
 * v2.12.0), against a `Runtime`:
 *
 * 1. a container of that version already there (a rollback's) is renamed out of the way;
 * 2. `docker run --detach` of the new version;
 * 3. `docker exec kamal-proxy kamal-proxy deploy <service>-<role> --target=<short id>:<app_port> ...`,
 *    which returns once kamal-proxy has found the target healthy, switched traffic to it and drained
 *    the old one, or fails at the deploy timeout;
 * 4. on failure the new container is stopped (`docker stop`) and the old one keeps serving; on success
 *    the old one is stopped.
 *
 * The secrets are those of apps/demo/.kamal/secrets, read as Kamal reads it (kamal-secrets.ts) with
 * the values the rehearsal exports in the shell that runs `kamal`.
 */
import { randomBytes } from 'node:crypto';
import type { CommandResult } from './commands.js';
import type { KamalDeployment } from './kamal-deployment.js';
import { readKamalSecrets } from './kamal-secrets.js';
import { KAMAL_SECRETS } from './paths.js';
import type { AppContainer, Runtime, StopResult } from './runtime.js';

/**
 * What the rehearsal exports for apps/demo/.kamal/secrets to read: the database's password (new for
 * each run; the accessory is created with it), and a registry token no step uses (images are local).
 */
export const REHEARSAL_SECRETS: Readonly<Record<string, string>> = Object.freeze({
  POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
  KAMAL_REGISTRY_PASSWORD: 'unused: the rehearsal pulls no image',
});

/** Preloaded into every version: prints the health checks it receives (observe-requests.mjs). */
const OBSERVE_REQUESTS = 'observe-requests.mjs';

export interface Boot {
  readonly version: string;
  readonly container: AppContainer;
  /** `kamal-proxy deploy`: its exit status, output and duration. */
  readonly deploy: CommandResult;
  readonly deployed: boolean;
  /** The container stopped afterwards: the old one after a deploy, the new one after a failed deploy. */
  readonly stopped?: { readonly container: AppContainer; readonly result: StopResult };
}

export class Kamal {
  /** The container kamal-proxy sends traffic to. */
  live: AppContainer | undefined;
  private readonly byName = new Map<string, AppContainer>();

  constructor(
    private readonly runtime: Runtime,
    /** The secrets of apps/demo/.kamal/secrets, as Kamal reads them for `env.secret`. */
    readonly secrets: Readonly<Record<string, string>> = secretsExporting(REHEARSAL_SECRETS),
  ) {}

  /** `kamal accessory boot <name>`: its container on the `kamal` network, under its service name. */
  bootAccessory(deploy: KamalDeployment, name: string): Promise<AppContainer> {
    return this.runtime.runAccessory(deploy.accessory(name, this.secrets));
  }

  /**
   * Boots `version` with the settings of `deploy` (the deploy file Kamal runs with): its env for the
   * container, its proxy settings for kamal-proxy; `secrets` stand for a `.kamal/secrets` that reads
   * otherwise on this deploy.
   */
  async boot(
    version: string,
    deploy: KamalDeployment,
    { secrets = this.secrets }: { secrets?: Readonly<Record<string, string>> } = {},
  ): Promise<Boot> {
    const name = deploy.containerName(version);
    const clash = this.byName.get(name);
    if (clash) {
      const renamed = `${name}_replaced_${randomBytes(8).toString('hex')}`;
      await clash.rename(renamed);
      this.byName.delete(name);
      this.byName.set(renamed, clash);
    }
    const container = await this.runtime.run({
      name,
      hostname: `${deploy.serverHost.slice(0, 51).replace(/\.$/, '')}-${randomBytes(6).toString('hex')}`,
      env: deploy.containerEnvironment(version, secrets),
      preloads: [OBSERVE_REQUESTS],
    });
    this.byName.set(name, container);
    const result = await this.runtime.kamalProxy(deploy.deployCommandArgs(container.id, this.runtime.certificate));
    if (result.code !== 0) {
      const stop = await container.stop(deploy.stopTimeoutSeconds);
      return { version, container, deploy: result, deployed: false, stopped: { container, result: stop } };
    }
    const old = this.live;
    this.live = container;
    if (!old) return { version, container, deploy: result, deployed: true };
    const stop = await old.stop(deploy.stopTimeoutSeconds);
    return { version, container, deploy: result, deployed: true, stopped: { container: old, result: stop } };
  }
}

/** The secrets Kamal reads from apps/demo/.kamal/secrets when the shell exports `exported`. */
export function secretsExporting(exported: Readonly<Record<string, string>>): Record<string, string> {
  return readKamalSecrets(KAMAL_SECRETS, exported);
}
