/**
 * `npm run rehearse:image`: the demo's image and kamal-proxy as containers, run by podman with the
 * commands and options Kamal 2.12 gives Docker (`Kamal::Commands::App#run`, `Kamal::Commands::Proxy#run`),
 * on a network named `kamal`, where podman's DNS resolves a container's 12-hex short id to it as
 * Docker's does. scripts/demo-image.sh builds both images and sets podman up for this machine.
 *
 * Beyond Kamal's options: the versions run with a read-only root file system (`--read-only`, without
 * podman's extra tmpfs mounts, so as strict as Docker's), and kamal-proxy publishes its ports on
 * loopback only, on free ports. The accessory `db` (postgres:15, which no registry here serves) runs
 * from a stand-in made locally: Debian's postgresql-15 on the base image, with postgres-entrypoint.sh
 * as the official image's entrypoint (scripts/postgres-accessory.Containerfile).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, isAbsolute, join } from 'node:path';
import { type CommandResult, mustRun, runCommand, waitFor } from './commands.js';
import type { KamalAccessory, TlsCertificate } from './kamal-deployment.js';
import { REHEARSAL_SOURCES } from './paths.js';
import { RehearsalError } from './rehearsal-error.js';
import type { AppCheck, AppContainer, ContainerSpec, ExitStatus, Runtime, StopResult } from './runtime.js';

/** Put on everything the rehearsal creates, so that it removes only its own leftovers. */
const LABEL = 'upgate-rehearsal=1';
/** Kamal's names. */
const NETWORK = 'kamal';
const PROXY = 'kamal-proxy';
const PROXY_VOLUME = 'kamal-proxy-config';
/** Kamal::Configuration::Proxy::Boot#apps_container_directory: where Kamal mounts certificates. */
const APPS_CONFIG = '/home/kamal-proxy/.apps-config';
/** Where the image's app is (its WORKDIR's parent): the preloads go beside it, to resolve its packages. */
const IMAGE_REHEARSAL_DIR = '/app/apps/demo/rehearsal';

export interface PodmanImages {
  /** The demo's image, built from apps/demo/Dockerfile. */
  readonly app: string;
  /** kamal-proxy's image, made from the installed binary. */
  readonly proxy: string;
  /** The stand-in for the accessory image postgres:15. */
  readonly postgres: string;
}

/** The accessory images the stand-in plays. */
const POSTGRES_15 = /^(docker\.io\/(library\/)?)?postgres:15([.-].*)?$/;

export class PodmanRuntime implements Runtime {
  readonly description: string;
  readonly readOnlyRoot = true;
  readonly runsAsNodeUser = true;
  readonly certificate: TlsCertificate;
  private ports = { https: 0, http: 0 };
  private readonly containers: PodmanContainer[] = [];
  private createdNetwork = false;

  constructor(
    private readonly dir: string,
    private readonly images: PodmanImages,
    private readonly serviceDirectory: string,
    private readonly role: string,
    /** The certificate and key files on this machine, mounted where Kamal mounts a custom certificate. */
    private readonly hostCertificate: TlsCertificate,
  ) {
    this.description = `podman containers: ${images.app}, ${images.proxy} as kamal-proxy, ${images.postgres} as postgres:15`;
    const tls = `${APPS_CONFIG}/${serviceDirectory}/tls/${role}`;
    this.certificate = { certificatePath: `${tls}/cert.pem`, privateKeyPath: `${tls}/key.pem` };
  }

  get proxyPorts(): { https: number; http: number } {
    return this.ports;
  }

  async start(): Promise<void> {
    await this.removeLeftovers();
    if ((await runCommand('podman', ['network', 'exists', NETWORK])).code !== 0) {
      await mustRun('podman', ['network', 'create', '--label', LABEL, NETWORK]);
      this.createdNetwork = true;
    }
    await mustRun('podman', ['volume', 'create', '--label', LABEL, PROXY_VOLUME]);

    // Kamal's .kamal/proxy/apps-config, with the certificate where Kamal puts proxy.ssl's.
    const appsConfig = join(this.dir, 'apps-config');
    const tls = join(appsConfig, this.serviceDirectory, 'tls', this.role);
    mkdirSync(tls, { recursive: true });
    await mustRun('cp', [this.hostCertificate.certificatePath, join(tls, 'cert.pem')]);
    await mustRun('cp', [this.hostCertificate.privateKeyPath, join(tls, 'key.pem')]);
    // kamal-proxy runs as its own user in its image; the key is the rehearsal's throwaway one.
    chmodSync(join(tls, 'key.pem'), 0o644);

    const [https, http] = await freePorts(2);
    this.ports = { https: https as number, http: http as number };
    await mustRun('podman', [
      'run',
      '--name',
      PROXY,
      '--network',
      NETWORK,
      '--detach',
      '--restart',
      'unless-stopped',
      '--label',
      LABEL,
      '--volume',
      `${PROXY_VOLUME}:/home/kamal-proxy/.config/kamal-proxy`,
      '--volume',
      `${appsConfig}:${APPS_CONFIG}`,
      '--publish',
      `127.0.0.1:${this.ports.http}:80`,
      '--publish',
      `127.0.0.1:${this.ports.https}:443`,
      this.images.proxy,
      'kamal-proxy',
      'run',
    ]);
    await waitFor('kamal-proxy to start', 15_000, async () => (await this.proxyLogs()).includes('"Server started"'));
  }

  async run(spec: ContainerSpec): Promise<AppContainer> {
    const secrets = join(this.dir, `${spec.name}.env`);
    writeFileSync(secrets, envFile(spec.env.secret), { mode: 0o600 });
    const preloads = spec.preloads.flatMap((file) => [
      '--volume',
      `${join(REHEARSAL_SOURCES, file)}:${IMAGE_REHEARSAL_DIR}/${basename(file)}:ro`,
    ]);
    const nodeOptions = spec.preloads.map((file) => `--import=${IMAGE_REHEARSAL_DIR}/${basename(file)}`);
    if (nodeOptions.length > 0 && spec.env.clear['NODE_OPTIONS'] !== undefined)
      throw new RehearsalError(
        `${spec.name}: NODE_OPTIONS is set by the deploy file; the rehearsal's preloads need it`,
      );
    await mustRun('podman', [
      'run',
      '--detach',
      '--restart',
      'unless-stopped',
      '--name',
      spec.name,
      '--network',
      NETWORK,
      '--hostname',
      spec.hostname,
      ...Object.entries(spec.env.clear).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
      '--env-file',
      secrets,
      '--label',
      LABEL,
      '--read-only',
      '--read-only-tmpfs=false',
      ...preloads,
      ...(nodeOptions.length > 0 ? ['--env', `NODE_OPTIONS=${nodeOptions.join(' ')}`] : []),
      this.images.app,
    ]);
    const container = await this.container(spec.name);
    this.containers.push(container);
    return container;
  }

  /** The container of that name: its short id (Kamal::Commands::App#container_id_for) and address. */
  private async container(name: string): Promise<PodmanContainer> {
    const id = await mustRun('podman', ['container', 'ls', '--all', '--filter', `name=^${name}$`, '--quiet']);
    if (!/^[0-9a-f]{12}$/.test(id)) throw new RehearsalError(`podman gave no 12-hex id for ${name}: ${id}`);
    const address = await mustRun('podman', [
      'inspect',
      '--format',
      `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`,
      id,
    ]);
    return new PodmanContainer(id, name, address);
  }

  async runAccessory(accessory: KamalAccessory): Promise<AppContainer> {
    if (!POSTGRES_15.test(accessory.image))
      throw new RehearsalError(
        `the accessory ${accessory.name} runs ${accessory.image}; the rehearsal has a stand-in for postgres:15 alone`,
      );
    // Kamal::Commands::Accessory#run; its directories live in <service name>/ of Kamal's home on the server.
    const home = join(this.dir, 'accessories', accessory.serviceName);
    const volumes = accessory.directories.flatMap((directory) => {
      if (isAbsolute(directory.host))
        throw new RehearsalError(`the accessory ${accessory.name} mounts ${directory.host} of the host: not rehearsed`);
      const host = join(home, directory.host);
      mkdirSync(host, { recursive: true });
      return ['--volume', `${host}:${directory.container}`];
    });
    const secrets = join(this.dir, `${accessory.serviceName}.env`);
    writeFileSync(secrets, envFile(accessory.env.secret), { mode: 0o600 });
    await mustRun('podman', [
      'run',
      '--name',
      accessory.serviceName,
      '--detach',
      '--restart',
      'unless-stopped',
      '--network',
      NETWORK,
      ...Object.entries(accessory.env.clear).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
      '--env-file',
      secrets,
      ...volumes,
      '--label',
      LABEL,
      '--label',
      `service=${accessory.serviceName}`,
      this.images.postgres,
    ]);
    const container = await this.container(accessory.serviceName);
    this.containers.push(container);
    return container;
  }

  checkApp(names: readonly string[], reportDir: string): AppCheck {
    // The image, as a version runs it, with the variables `upgate check` gives it; the report file is
    // written to a directory of this machine's, mounted at the same path and made the node user's (:U).
    const env = [...names].sort().flatMap((name) => ['--env', name]);
    const command = [
      'podman',
      'run',
      '--rm',
      '--network',
      'none',
      '--read-only',
      '--read-only-tmpfs=false',
      '--volume',
      `${reportDir}:${reportDir}:U`,
      ...env,
      this.images.app,
    ];
    return {
      command: command.join(' '),
      cwd: this.dir,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        TMPDIR: reportDir,
        ...(process.env['CONTAINERS_CONF'] ? { CONTAINERS_CONF: process.env['CONTAINERS_CONF'] } : {}),
      },
      imageEnv: {},
    };
  }

  kamalProxy(args: readonly string[]): Promise<CommandResult> {
    return runCommand('podman', ['exec', PROXY, 'kamal-proxy', ...args]);
  }

  async proxyLogs(): Promise<string> {
    const result = await runCommand('podman', ['logs', PROXY]);
    return result.stdout + result.stderr;
  }

  async close(): Promise<void> {
    await Promise.all(this.containers.map((container) => container.remove()));
    await runCommand('podman', ['rm', '--force', '--time', '5', PROXY]);
    await runCommand('podman', ['volume', 'rm', '--force', PROXY_VOLUME]);
    if (this.createdNetwork) await runCommand('podman', ['network', 'rm', NETWORK]);
  }

  /** Removes what an earlier, interrupted run left, and refuses to touch anything else. */
  private async removeLeftovers(): Promise<void> {
    const ours = await mustRun('podman', ['container', 'ls', '--all', '--quiet', '--filter', `label=${LABEL}`]);
    if (ours) await mustRun('podman', ['rm', '--force', '--time', '0', ...ours.split('\n')]);
    if ((await runCommand('podman', ['container', 'exists', PROXY])).code === 0)
      throw new RehearsalError(`a container named ${PROXY} that the rehearsal did not start exists: remove it first`);
    if ((await runCommand('podman', ['volume', 'exists', PROXY_VOLUME])).code === 0) {
      const labels = await mustRun('podman', ['volume', 'inspect', '--format', '{{.Labels}}', PROXY_VOLUME]);
      if (!labels.includes('upgate-rehearsal:1'))
        throw new RehearsalError(
          `a volume named ${PROXY_VOLUME} that the rehearsal did not create exists: remove it first`,
        );
      await mustRun('podman', ['volume', 'rm', '--force', PROXY_VOLUME]);
    }
  }
}

class PodmanContainer implements AppContainer {
  readonly startedAt = performance.now();

  constructor(
    readonly id: string,
    public name: string,
    readonly address: string,
  ) {}

  async logs(): Promise<string> {
    const result = await runCommand('podman', ['logs', this.id]);
    return result.stdout + result.stderr;
  }

  async exited(): Promise<ExitStatus | undefined> {
    const [running, code] = (await this.inspect('{{.State.Running}} {{.State.ExitCode}}')).split(' ');
    return running === 'true' ? undefined : exitStatus(Number(code));
  }

  async restarts(): Promise<number> {
    return Number(await this.inspect('{{.RestartCount}}'));
  }

  async pid(): Promise<number> {
    const pid = Number(await this.inspect('{{.State.Pid}}'));
    if (!(pid > 0)) throw new RehearsalError(`${this.name} is not running`);
    return pid;
  }

  async stop(timeoutSeconds: number): Promise<StopResult> {
    const result = await runCommand('podman', ['stop', '--time', String(timeoutSeconds), this.id]);
    if (result.code !== 0) throw new RehearsalError(`podman stop ${this.name} failed: ${result.stderr.trim()}`);
    const exit = exitStatus(Number(await this.inspect('{{.State.ExitCode}}')));
    return { ...exit, ms: result.ms, killedAfterTimeout: exit.signal === 'SIGKILL' };
  }

  exec(args: readonly string[]): Promise<CommandResult> {
    return runCommand('podman', ['exec', this.id, ...args]);
  }

  async rename(name: string): Promise<void> {
    await mustRun('podman', ['rename', this.id, name]);
    this.name = name;
  }

  async remove(): Promise<void> {
    await runCommand('podman', ['rm', '--force', '--time', '0', this.id]);
  }

  private inspect(format: string): Promise<string> {
    return mustRun('podman', ['inspect', '--format', format, this.id]);
  }
}

/** `--env-file` contents: `NAME=value` lines (Kamal writes the secrets so). */
function envFile(values: Readonly<Record<string, string>>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
}

/** A container's exit code as a process's status: 128 + n is signal n (137: SIGKILL, 143: SIGTERM). */
function exitStatus(code: number): ExitStatus {
  const signals: Record<number, string> = { 137: 'SIGKILL', 143: 'SIGTERM', 130: 'SIGINT' };
  return signals[code] ? { code: null, signal: signals[code] } : { code, signal: null };
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((done, fail) => {
          const server = createServer();
          server.once('error', fail);
          server.listen(0, '127.0.0.1', () => done(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}
