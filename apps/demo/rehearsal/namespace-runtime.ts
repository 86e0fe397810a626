/**
 * `npm run rehearse`: containers without a container engine. Inside the rehearsal's private namespaces
 * (private-namespace.ts), a bridge named `kamal` stands for Docker's network of that name; each
 * version of the app runs in a network namespace of its own on it (held by a `sleep` process, as a
 * pod's pause container holds one), listening on the deploy file's `proxy.app_port` like every other
 * version, at its own address; `/etc/hosts` maps its 12-hex id to that address, as Docker's DNS does.
 * kamal-proxy runs from the installed binary beside the bridge.
 *
 * A version is the built demo (`node apps/demo/dist/main.js`) as the image runs it: working directory
 * apps/demo (the image's WORKDIR), the image's ENV (read from the Dockerfile) under the container's
 * environment, as the `node` user's uid and gid (1000). Docker's restart policy `unless-stopped` is
 * played too: a version that exits without a stop is started again after 100 ms, doubling each time
 * (reset after 10 s up), as dockerd does.
 *
 * The accessory `postgres:15` is Debian's PostgreSQL 15 (the package scripts/rehearsal-tools.sh
 * installs), in a network namespace of its own on the bridge as well, its service name in `/etc/hosts`,
 * started by postgres-entrypoint.sh as the image's entrypoint starts it; its data directory (the
 * volume of `directories`) is a directory of the rehearsal's, given as PGDATA, which the image reads.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CommandResult, mustRun, runCommand, sleep, waitFor } from './commands.js';
import type { KamalAccessory, TlsCertificate } from './kamal-deployment.js';
import { DEMO_ROOT, REHEARSAL_SOURCES } from './paths.js';
import { insidePrivateNamespaces } from './private-namespace.js';
import { RehearsalError } from './rehearsal-error.js';
import type { AppCheck, AppContainer, ContainerSpec, ExitStatus, Runtime, StopResult } from './runtime.js';

/** The `kamal` bridge's network: the bridge is .1, accessories .2 to .10, versions from .11 on. */
const SUBNET = '10.89.0';
const ACCESSORY_ADDRESSES = 9;
/** The image's `node` user (uid and gid 1000 in the official node images). */
const NODE_USER = 1000;
/** The accessory images this runtime plays, with what. */
const POSTGRES_15 = /^(docker\.io\/(library\/)?)?postgres:15([.-].*)?$/;
/** Where the postgres image keeps its data (its PGDATA), and so where `directories` mount it. */
const POSTGRES_DATA = '/var/lib/postgresql/data';

export class NamespaceRuntime implements Runtime {
  readonly description =
    "the built demo in network namespaces of its own, kamal-proxy from the installed binary, Debian's PostgreSQL 15 as postgres:15";
  readonly readOnlyRoot = false;
  /** Only root can switch the app to uid 1000 (in a user namespace, uid 1000 is not mapped). */
  readonly runsAsNodeUser = mappedRoot() === false;
  /** kamal-proxy's defaults, as in its container: nothing else listens in the private namespace. */
  readonly proxyPorts = { https: 443, http: 80 };
  private readonly hostsFile: string;
  private readonly proxyHome: string;
  private interfaces = 0;
  private versions = 0;
  private accessories = 0;
  private proxy: ChildProcess | undefined;
  private proxyOutput = '';
  private readonly containers: NamespaceContainer[] = [];
  /** The ids and addresses of the containers to come, in /etc/hosts from the start. */
  private readonly slots = Array.from({ length: 32 }, (_, index) => ({
    id: randomBytes(6).toString('hex'),
    address: `${SUBNET}.${11 + index}`,
  }));

  constructor(
    private readonly dir: string,
    private readonly kamalProxyBinary: string,
    readonly certificate: TlsCertificate,
    /** The image's ENV (the Dockerfile's runtime stage), under each container's environment. */
    private readonly imageEnv: Readonly<Record<string, string>>,
  ) {
    this.hostsFile = join(dir, 'hosts');
    this.proxyHome = join(dir, 'kamal-proxy');
  }

  async start(): Promise<void> {
    if (!insidePrivateNamespaces())
      throw new RehearsalError('NamespaceRuntime runs only inside the rehearsal namespaces (private-namespace.ts)');
    await mustRun('ip', ['link', 'set', 'lo', 'up']);
    await mustRun('ip', ['link', 'add', 'kamal', 'type', 'bridge']);
    await mustRun('ip', ['address', 'add', `${SUBNET}.1/24`, 'dev', 'kamal']);
    await mustRun('ip', ['link', 'set', 'kamal', 'up']);
    // Go's resolver re-reads /etc/hosts at most every 5 s, so an entry added later could be missed by
    // kamal-proxy for up to 5 s: every container's id and address is drawn now, before it starts.
    writeFileSync(
      this.hostsFile,
      [
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        ...this.slots.map((slot) => `${slot.address}\t${slot.id}`),
        '',
      ].join('\n'),
    );
    await mustRun('mount', ['--bind', this.hostsFile, '/etc/hosts']);

    // kamal-proxy keeps its state (restored at start) under $HOME/.config/kamal-proxy and its command
    // socket in $XDG_RUNTIME_DIR (else /tmp): both in the rehearsal's directory, so nothing of another
    // kamal-proxy on the machine is read or reached.
    mkdirSync(this.proxyHome, { recursive: true });
    const proxy = spawn(this.kamalProxyBinary, ['run'], { env: this.proxyEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.proxy = proxy;
    proxy.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.proxyOutput += chunk));
    proxy.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.proxyOutput += chunk));
    await waitFor('kamal-proxy to start', 10_000, () => {
      if (proxy.exitCode !== null) throw new RehearsalError(`kamal-proxy run exited:\n${this.proxyOutput}`);
      return this.proxyOutput.includes('"Server started"');
    });
  }

  async run(spec: ContainerSpec): Promise<AppContainer> {
    const slot = this.slots[this.versions++];
    if (!slot) throw new RehearsalError(`the rehearsal runs at most ${this.slots.length} versions`);
    const { id, address } = slot;
    const holder = await this.networkNamespace(address);

    const preloads = spec.preloads.map((file) => `--import=${pathToFileURL(join(REHEARSAL_SOURCES, file)).href}`);
    const env: Record<string, string> = {
      ...this.imageEnv,
      // node is this machine's, not the image's /usr/local/bin/node.
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      ...spec.env.clear,
      ...spec.env.secret,
    };
    if (preloads.length > 0) env['NODE_OPTIONS'] = [env['NODE_OPTIONS'], ...preloads].filter(Boolean).join(' ');
    const user = mappedRoot() === false ? ['--setuid', String(NODE_USER), '--setgid', String(NODE_USER)] : [];
    const container = new NamespaceContainer(id, spec.name, address, holder, {
      args: [...user, '--', process.execPath, 'dist/main.js'],
      cwd: DEMO_ROOT,
      env,
    });
    this.containers.push(container);
    container.start();
    return container;
  }

  async runAccessory(accessory: KamalAccessory): Promise<AppContainer> {
    if (!POSTGRES_15.test(accessory.image))
      throw new RehearsalError(
        `the accessory ${accessory.name} runs ${accessory.image}; npm run rehearse plays postgres:15 alone (with Debian's PostgreSQL 15)`,
      );
    if (this.accessories >= ACCESSORY_ADDRESSES)
      throw new RehearsalError(`the rehearsal runs at most ${ACCESSORY_ADDRESSES} accessories`);
    const address = `${SUBNET}.${2 + this.accessories++}`;
    const holder = await this.networkNamespace(address);
    // Docker's DNS on the kamal network answers the container's name; nothing resolves it before now.
    appendFileSync(this.hostsFile, `${address}\t${accessory.serviceName}\n`);

    // Kamal keeps an accessory's directories in <service name>/ of its home on the server. The server
    // runs as the postgres user, who must get through the rehearsal's directory (not list it).
    chmodSync(this.dir, 0o711);
    const home = join(this.dir, 'accessories', accessory.serviceName);
    let data = join(home, 'layer', 'data');
    for (const directory of accessory.directories) {
      if (isAbsolute(directory.host))
        throw new RehearsalError(`the accessory ${accessory.name} mounts ${directory.host} of the host: not rehearsed`);
      if (directory.container !== POSTGRES_DATA)
        throw new RehearsalError(
          `the accessory ${accessory.name} mounts ${directory.container}: only ${POSTGRES_DATA} is rehearsed`,
        );
      data = join(home, directory.host);
    }
    mkdirSync(data, { recursive: true });
    // The server's socket goes to a directory of its own: /var/run/postgresql is this machine's cluster's.
    const sockets = join(home, 'run');
    mkdirSync(sockets, { recursive: true });
    chmodSync(sockets, 0o1777);
    const entrypoint = [
      'sh',
      join(REHEARSAL_SOURCES, 'postgres-entrypoint.sh'),
      '-c',
      `unix_socket_directories=${sockets}`,
    ];
    // Unprivileged, the rehearsal is root of a user namespace that maps no other user: the server
    // (which refuses to run as root) gets a user namespace of its own, where it is uid 1000.
    const asServerUser = mappedRoot()
      ? ['unshare', '--user', `--map-user=${NODE_USER}`, `--map-group=${NODE_USER}`, '--']
      : [];
    const container = new NamespaceContainer(randomBytes(6).toString('hex'), accessory.serviceName, address, holder, {
      args: ['--', ...asServerUser, ...entrypoint],
      cwd: home,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        ...accessory.env.clear,
        ...accessory.env.secret,
        PGDATA: data,
      },
    });
    this.containers.push(container);
    container.start();
    return container;
  }

  checkApp(_names: readonly string[], reportDir: string): AppCheck {
    // The names need no passing on: the app is a child of `upgate check`, and gets its whole environment.
    return {
      command: `${JSON.stringify(process.execPath)} dist/main.js`,
      cwd: DEMO_ROOT,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TMPDIR: reportDir },
      imageEnv: this.imageEnv,
    };
  }

  kamalProxy(args: readonly string[]): Promise<CommandResult> {
    return runCommand(this.kamalProxyBinary, args, { env: this.proxyEnv() });
  }

  async proxyLogs(): Promise<string> {
    return this.proxyOutput;
  }

  async close(): Promise<void> {
    await Promise.all(this.containers.map((container) => container.remove()));
    if (this.proxy && this.proxy.exitCode === null) {
      const exited = new Promise((done) => this.proxy?.once('exit', done));
      this.proxy.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      this.proxy.kill('SIGKILL');
    }
  }

  /**
   * A network namespace on the bridge at `address`, held by a `sleep` process (it outlives restarts
   * of what runs in it, as a container's does); its holder.
   */
  private async networkNamespace(address: string): Promise<ChildProcess> {
    const holder = spawn('unshare', ['--net', '--', 'sleep', 'infinity'], { stdio: 'ignore' });
    const holderPid = holder.pid;
    if (holderPid === undefined) throw new RehearsalError('could not start unshare for a container');
    await waitFor('the container’s network namespace', 5000, () =>
      readFileSync(`/proc/${holderPid}/comm`, 'utf8').startsWith('sleep'),
    );
    const inside = (...args: string[]) => mustRun('nsenter', ['--target', String(holderPid), '--net', '--', ...args]);
    const veth = `veth${this.interfaces++}`;
    await mustRun('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(holderPid)]);
    await mustRun('ip', ['link', 'set', veth, 'master', 'kamal', 'up']);
    await inside('ip', 'link', 'set', 'lo', 'up');
    await inside('ip', 'address', 'add', `${address}/24`, 'dev', 'eth0');
    await inside('ip', 'link', 'set', 'eth0', 'up');
    return holder;
  }

  private proxyEnv(): NodeJS.ProcessEnv {
    return { PATH: process.env['PATH'] ?? '', HOME: this.proxyHome, XDG_RUNTIME_DIR: this.proxyHome };
  }
}

class NamespaceContainer implements AppContainer {
  readonly startedAt = performance.now();
  private child: ChildProcess | undefined;
  private output = '';
  private lastExit: ExitStatus | undefined;
  private running = false;
  private restartCount = 0;
  private restartDelayMs = 100;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private exitWaiters: (() => void)[] = [];

  constructor(
    readonly id: string,
    public name: string,
    readonly address: string,
    private readonly holder: ChildProcess,
    /** What runs in it: `nsenter --target <holder> --net <args>`, from `cwd`, with `env`. */
    private readonly main: {
      readonly args: readonly string[];
      readonly cwd: string;
      readonly env: Record<string, string>;
    },
  ) {}

  start(): void {
    const began = performance.now();
    const child = spawn('nsenter', ['--target', String(this.holder.pid), '--net', ...this.main.args], {
      cwd: this.main.cwd,
      env: this.main.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.running = true;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    child.once('exit', (code, signal) => {
      this.running = false;
      this.lastExit = { code, signal };
      for (const wake of this.exitWaiters.splice(0)) wake();
      if (this.stopped) return;
      // dockerd's restart manager: 100 ms, doubled on each quick exit, back to 100 ms after 10 s up.
      if (performance.now() - began >= 10_000) this.restartDelayMs = 100;
      this.restartTimer = setTimeout(() => {
        this.restartCount++;
        this.start();
      }, this.restartDelayMs);
      this.restartDelayMs = Math.min(this.restartDelayMs * 2, 60_000);
    });
  }

  async logs(): Promise<string> {
    return this.output;
  }

  async exited(): Promise<ExitStatus | undefined> {
    return this.running ? undefined : this.lastExit;
  }

  async restarts(): Promise<number> {
    return this.restartCount;
  }

  async pid(): Promise<number> {
    if (!this.running || this.child?.pid === undefined) throw new RehearsalError(`${this.name} is not running`);
    return this.child.pid;
  }

  async stop(timeoutSeconds: number): Promise<StopResult> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const began = performance.now();
    if (!this.running || !this.child)
      return { ...(this.lastExit ?? { code: null, signal: null }), ms: 0, killedAfterTimeout: false };
    const exited = new Promise<void>((done) => this.exitWaiters.push(done));
    this.child.kill('SIGTERM');
    const inTime = await Promise.race([exited.then(() => true), sleep(timeoutSeconds * 1000).then(() => false)]);
    if (!inTime) {
      this.child.kill('SIGKILL');
      await exited;
    }
    return { ...(this.lastExit as ExitStatus), ms: performance.now() - began, killedAfterTimeout: !inTime };
  }

  async rename(name: string): Promise<void> {
    this.name = name;
  }

  async remove(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    if (this.running && this.child) {
      const exited = new Promise<void>((done) => this.exitWaiters.push(done));
      this.child.kill('SIGKILL');
      await exited;
    }
    this.holder.kill('SIGKILL');
  }
}

/** Whether the rehearsal is root only in a user namespace of its own (`unshare --map-root-user`). */
function mappedRoot(): boolean {
  return !/^\s*0\s+0\s+4294967295\s*$/.test(readFileSync('/proc/self/uid_map', 'utf8'));
}
