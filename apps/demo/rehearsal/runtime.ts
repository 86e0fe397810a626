/**
 * Where the rehearsal runs what `kamal deploy` runs on a server: kamal-proxy, and one container per
 * version of the app on the network `kamal`. Two of them:
 *
 * - `NamespaceRuntime` (`npm run rehearse`): kamal-proxy from the installed binary and each version as
 *   the built demo (`node apps/demo/dist/main.js`) in a network namespace of its own, on a private
 *   bridge, inside a private network, mount and PID namespace of the rehearsal;
 * - `PodmanRuntime` (`npm run rehearse:image`): the demo's image and kamal-proxy as podman containers.
 *
 * Both run the deploy file's accessory `db` (postgres:15) on the network, under its service name.
 *
 * The scenarios are written once, against this interface, as Kamal's commands.
 */
import type { CommandResult } from './commands.js';
import type { ContainerEnvironment, KamalAccessory } from './kamal-deployment.js';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: string | null;
}

export interface StopResult extends ExitStatus {
  /** From the stop command to the container's exit. */
  readonly ms: number;
  /** Whether it was still running at the end of the stop timeout (and so got SIGKILL). */
  readonly killedAfterTimeout: boolean;
}

/** What `docker run` is given for one version. */
export interface ContainerSpec {
  /** Kamal's container name, `<service>-<role>-<version>`. */
  readonly name: string;
  /** `--hostname`: Kamal's `<server host>-<12 hex>`. */
  readonly hostname: string;
  readonly env: ContainerEnvironment;
  /**
   * Files of apps/demo/rehearsal preloaded into node (`--import`): the rehearsal's own instruments
   * (the health-check log). The app's code is never changed.
   */
  readonly preloads: readonly string[];
}

export interface AppContainer {
  /** The first 12 hex characters of the container id: what Kamal passes to kamal-proxy as the target. */
  readonly id: string;
  /** Its name, `<service>-<role>-<version>` (a rollback renames the old one of that version). */
  readonly name: string;
  /** The container's address on the `kamal` network. */
  readonly address: string;
  /** `performance.now()` when it was started. */
  readonly startedAt: number;
  /** What it printed (stdout and stderr), all restarts included: `docker logs`. */
  logs(): Promise<string>;
  /** Its exit status, or undefined while it runs (or is about to be restarted). */
  exited(): Promise<ExitStatus | undefined>;
  /** How many times the restart policy restarted it. */
  restarts(): Promise<number>;
  /** The host's process id of its main process (node), while it runs. */
  pid(): Promise<number>;
  /** `docker stop -t <timeoutSeconds>`: SIGTERM, SIGKILL at the timeout; the policy does not restart it. */
  stop(timeoutSeconds: number): Promise<StopResult>;
  /** `docker exec` (the image only). */
  exec?(args: readonly string[]): Promise<CommandResult>;
  /** `docker rename`. */
  rename(name: string): Promise<void>;
  /** Ends it without a stop (as `docker rm -f`), e.g. at clean-up. */
  remove(): Promise<void>;
}

/** How `upgate check --app` starts the app as this runtime starts a version (see `Runtime.checkApp`). */
export interface AppCheck {
  /** The start command, for the shell. */
  readonly command: string;
  /** Where `upgate check` runs it from. */
  readonly cwd: string;
  /** The environment of `upgate check` itself (the app gets it under the container's). */
  readonly env: Readonly<Record<string, string>>;
  /** The image's own environment, for `--env-file` (empty where the image applies it itself). */
  readonly imageEnv: Readonly<Record<string, string>>;
}

export interface Runtime {
  /** For the output: what runs the containers. */
  readonly description: string;
  /** Whether containers run the image with a read-only root file system. */
  readonly readOnlyRoot: boolean;
  /** Whether the app runs as the image's `node` user (uid 1000), as the image runs it. */
  readonly runsAsNodeUser: boolean;
  /** kamal-proxy's HTTPS and HTTP listeners, reachable from the rehearsal at 127.0.0.1. */
  readonly proxyPorts: { readonly https: number; readonly http: number };
  /** The `kamal` network and `kamal-proxy run`, as `kamal setup` / `kamal proxy boot`. */
  start(): Promise<void>;
  /** `docker run --detach --restart unless-stopped --network kamal ...`; returns once it runs. */
  run(spec: ContainerSpec): Promise<AppContainer>;
  /**
   * `docker run --detach --restart unless-stopped --network kamal --name <service name> ...` of an
   * accessory (`kamal accessory boot`); returns once it runs. Other containers reach it by its name.
   */
  runAccessory(accessory: KamalAccessory): Promise<AppContainer>;
  /**
   * The app's start command as a version runs it, for `upgate check --app`, which adds the deploy
   * file's env, the `--env-file` and `UPGATE_CHECK` (a file under `reportDir`) to its environment.
   * `names` are the variables the app must get from that environment.
   */
  checkApp(names: readonly string[], reportDir: string): AppCheck;
  /** `docker exec kamal-proxy kamal-proxy <args>`. */
  kamalProxy(args: readonly string[]): Promise<CommandResult>;
  /** kamal-proxy's log so far (`docker logs kamal-proxy`). */
  proxyLogs(): Promise<string>;
  /** Where the TLS certificate and key must be for kamal-proxy to read them. */
  readonly certificate: { readonly certificatePath: string; readonly privateKeyPath: string };
  /** Removes everything it started. */
  close(): Promise<void>;
}
