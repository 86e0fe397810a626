/**
 * What Kamal 2.12 derives from a deploy file for the primary role, ported from basecamp/kamal v2.12.0
 * so that the rehearsal drives kamal-proxy and starts containers exactly as `kamal deploy` would:
 *
 * - the `kamal-proxy deploy` command: `Kamal::Configuration::Proxy#deploy_command_args` (every
 *   option of `deploy_options`, in its order, through `Kamal::Utils.optionize(..., with: "=")`), with
 *   the proxy settings of the role merged over the root's (`Role#proxy`);
 * - the container's environment: `Role#env` (`env` / `env.clear`, the role's own `env`, host tags),
 *   `env.secret` from the secrets, and the `KAMAL_*` variables of `Kamal::Commands::App#run`;
 * - names and timeouts: `Role#container_prefix` (the kamal-proxy service), `deploy_timeout`,
 *   `drain_timeout`, `Role#stop_args`.
 *
 * The file is first read with `@upgate/config`'s reader, which rejects what Kamal rejects in the proxy
 * settings; the rest is read here from the same YAML.
 */
import { readFileSync } from 'node:fs';
import { readKamalDeployFile } from '@upgate/config/kamal';
import { parse } from 'yaml';
import { RehearsalError } from './rehearsal-error.js';

/** Kamal 2.12's defaults for what a deploy file leaves out. */
export const KAMAL_DEFAULTS = Object.freeze({
  /** `Kamal::Configuration#deploy_timeout`, seconds. */
  deployTimeout: 30,
  /** `Kamal::Configuration#drain_timeout`, seconds. */
  drainTimeout: 30,
  /** `Kamal::Configuration::Proxy::DEFAULT_LOG_REQUEST_HEADERS`. */
  logRequestHeaders: ['Cache-Control', 'Last-Modified', 'User-Agent'],
  /** `proxy.app_port`. */
  appPort: 80,
  /** `docker stop` without `-t`, which Kamal passes only when `stop_timeout` is set. */
  dockerStopTimeout: 10,
});

type Mapping = Record<string, unknown>;

/** A value of a `deploy_options` entry: Ruby's nil (left out), true (a bare flag), a scalar or a list. */
type OptionValue = string | number | boolean | readonly (string | number)[] | undefined | null;

export interface TlsCertificate {
  readonly certificatePath: string;
  readonly privateKeyPath: string;
}

export interface ContainerEnvironment {
  /** `--env` arguments of `docker run`: the `KAMAL_*` variables and the role's `env.clear`. */
  readonly clear: Readonly<Record<string, string>>;
  /** The `--env-file` Kamal writes from `env.secret` (names resolved through their aliases). */
  readonly secret: Readonly<Record<string, string>>;
}

/** An accessory of the deploy file, as `kamal accessory boot <name>` runs it (`Kamal::Commands::Accessory#run`). */
export interface KamalAccessory {
  /** Its key under `accessories`. */
  readonly name: string;
  /** The container's name, and so its name on the `kamal` network: `service` of the accessory, else `<service>-<name>`. */
  readonly serviceName: string;
  readonly image: string;
  /** `KAMAL_HOST`, `env.clear`, and `env.secret` from the secrets. */
  readonly env: ContainerEnvironment;
  /** `directories` (`data:/var/lib/postgresql/data`): a directory Kamal keeps for it on the host, mounted at `container`. */
  readonly directories: readonly { readonly host: string; readonly container: string }[];
}

/** The accessory settings the rehearsal plays; any other is refused rather than left out. */
const ACCESSORY_KEYS = new Set(['image', 'host', 'hosts', 'service', 'env', 'directories']);

export class KamalDeployment {
  /** `service` of the deploy file. */
  readonly service: string;
  /** The role deployed (by default the primary role, `primary_role`, default `web`). */
  readonly role: string;
  /** The role's proxy settings: the root `proxy` with the role's own `proxy` merged over it. */
  private readonly proxy: Mapping;

  constructor(
    /** The deploy file, as given. */
    readonly file: string,
    private readonly raw: Mapping,
    role: string,
    primaryRole: string,
  ) {
    const service = raw['service'];
    if (typeof service !== 'string') throw new RehearsalError(`${file}: service is not set`);
    this.service = service;
    this.role = role;
    // Role#initialize_specialized_proxy: the primary role runs kamal-proxy unless `proxy: false`,
    // another role only with a `proxy` of its own.
    const roleProxy = this.roleConfig()['proxy'];
    if (
      role === primaryRole ? roleProxy === false : roleProxy === undefined || roleProxy === null || roleProxy === false
    )
      throw new RehearsalError(`${file}: the role ${role} runs without kamal-proxy`);
    this.proxy = deepMerge(mapping(raw['proxy']), isMapping(roleProxy) ? roleProxy : {});
    if (raw['error_pages_path'] !== undefined)
      throw new RehearsalError(`${file}: error_pages_path is not rehearsed (Kamal copies the pages into kamal-proxy)`);
    if (isMapping(this.proxy['ssl']))
      throw new RehearsalError(
        `${file}: proxy.ssl with a certificate from secrets is not rehearsed; the rehearsal gives kamal-proxy a certificate of its own`,
      );
  }

  /** The kamal-proxy service: `Role#container_prefix` (`<service>-<role>`). */
  get proxyService(): string {
    return `${this.service}-${this.role}`;
  }

  /** The name Kamal gives the container of a version: `Role#container_name`. */
  containerName(version: string): string {
    return `${this.proxyService}-${version}`;
  }

  /** `proxy.app_port`: where kamal-proxy sends requests and health checks. */
  get appPort(): number {
    return (this.proxy['app_port'] as number | undefined) ?? KAMAL_DEFAULTS.appPort;
  }

  /** `Kamal::Configuration::Proxy#hosts`: `hosts`, else `host` split on commas (not trimmed, as Kamal). */
  get hosts(): readonly string[] {
    const hosts = this.proxy['hosts'];
    if (Array.isArray(hosts)) return hosts.map(String);
    const host = this.proxy['host'];
    return typeof host === 'string' ? host.split(',') : [];
  }

  /** `proxy.healthcheck.path` as Kamal passes it (undefined: kamal-proxy's default, `/up`). */
  get healthCheckPath(): string | undefined {
    return dig(this.proxy, 'healthcheck', 'path') as string | undefined;
  }

  /** `deploy_timeout` in seconds: how long kamal-proxy waits for a new target's first passing check. */
  get deployTimeoutSeconds(): number {
    return (this.raw['deploy_timeout'] as number | undefined) ?? KAMAL_DEFAULTS.deployTimeout;
  }

  /** `Role#stop_args`: `docker stop -t <stop_timeout>` when set; otherwise Docker's 10 s (proxied roles). */
  get stopTimeoutSeconds(): number {
    const role = this.roleConfig()['stop_timeout'] as number | undefined;
    return role ?? (this.raw['stop_timeout'] as number | undefined) ?? KAMAL_DEFAULTS.dockerStopTimeout;
  }

  /** The role's first server (`KAMAL_HOST` in the container). */
  get serverHost(): string {
    return this.tagsByHost()[0]?.[0] ?? '';
  }

  /**
   * The arguments after `kamal-proxy`: `deploy <service>-<role> --target=<target>:<app_port> ...`.
   *
   * `certificate` stands in for Let's Encrypt: with `proxy.ssl: true` Kamal passes no certificate and
   * kamal-proxy asks ACME for one, which cannot be reached here. Its paths go where Kamal puts a
   * certificate from secrets (`proxy.ssl.certificate_pem`), right after `--tls`.
   */
  deployCommandArgs(target: string, certificate?: TlsCertificate): string[] {
    const p = this.proxy;
    const seconds = (value: unknown): string | undefined =>
      value === undefined || value === null || value === false ? undefined : `${String(value)}s`;
    const buffering = mapping(p['buffering']);
    const ssl = p['ssl'] !== undefined && p['ssl'] !== null && p['ssl'] !== false;
    const prefixes = p['path_prefixes'] ?? (typeof p['path_prefix'] === 'string' ? p['path_prefix'].split(',') : []);
    // Kamal::Configuration::Proxy#deploy_options, key for key and in order; nil values are left out (compact).
    const options: [string, OptionValue][] = [
      ['target', `${target}:${this.appPort}`],
      ['host', this.hosts],
      ['tls', ssl ? true : undefined],
      ['tls-certificate-path', ssl ? certificate?.certificatePath : undefined],
      ['tls-private-key-path', ssl ? certificate?.privateKeyPath : undefined],
      ['deploy-timeout', seconds(this.deployTimeoutSeconds)],
      ['drain-timeout', seconds((this.raw['drain_timeout'] as number | undefined) ?? KAMAL_DEFAULTS.drainTimeout)],
      ['health-check-interval', seconds(dig(p, 'healthcheck', 'interval'))],
      ['health-check-timeout', seconds(dig(p, 'healthcheck', 'timeout'))],
      ['health-check-path', dig(p, 'healthcheck', 'path') as OptionValue],
      ['target-timeout', seconds(p['response_timeout'])],
      ['buffer-requests', (buffering['requests'] as OptionValue) ?? true],
      ['buffer-responses', (buffering['responses'] as OptionValue) ?? true],
      ['buffer-memory', buffering['memory'] as OptionValue],
      ['max-request-body', buffering['max_request_body'] as OptionValue],
      ['max-response-body', buffering['max_response_body'] as OptionValue],
      ['path-prefix', prefixes as OptionValue],
      ['strip-path-prefix', p['strip_path_prefix'] as OptionValue],
      ['forward-headers', p['forward_headers'] as OptionValue],
      ['tls-redirect', p['ssl_redirect'] as OptionValue],
      ['log-request-header', (dig(p, 'logging', 'request_headers') as OptionValue) ?? KAMAL_DEFAULTS.logRequestHeaders],
      ['log-response-header', dig(p, 'logging', 'response_headers') as OptionValue],
    ];
    return ['deploy', this.proxyService, ...optionize(options)];
  }

  /**
   * The environment `docker run` gives the container of `version` (`Kamal::Commands::App#run`):
   * `KAMAL_CONTAINER_NAME`, `KAMAL_VERSION`, `KAMAL_HOST`, then `Role#env(host)` — the root `env`,
   * the role's `env`, the host's tags, merged in that order — with `env.secret` looked up in `secrets`
   * (`NAME` or `NAME:SECRET` for an alias), as Kamal resolves them from `.kamal/secrets`.
   */
  containerEnvironment(version: string, secrets: Readonly<Record<string, string>>): ContainerEnvironment {
    const host = this.serverHost;
    const tags = this.tagsByHost().find(([name]) => name === host)?.[1] ?? [];
    const rootEnv = mapping(this.raw['env']);
    const tagEnvs = tags.map((tag) => mapping(dig(rootEnv, 'tags', tag)));
    const layers = [rootEnv, mapping(this.roleConfig()['env']), ...tagEnvs].map(envLayer);
    const clear: Record<string, string> = {
      KAMAL_CONTAINER_NAME: this.containerName(version),
      KAMAL_VERSION: version,
      KAMAL_HOST: host,
    };
    const secretKeys = new Set<string>();
    for (const layer of layers) {
      Object.assign(clear, layer.clear);
      for (const key of layer.secret) secretKeys.add(key);
    }
    return { clear, secret: this.secretValues('env.secret', secretKeys, secrets) };
  }

  /**
   * The accessory `name` (`Kamal::Configuration::Accessory`): its container name, image, the
   * environment `docker run` gives it (`KAMAL_HOST`, `env.clear`, `env.secret` from `secrets`) and
   * its directories.
   */
  accessory(name: string, secrets: Readonly<Record<string, string>>): KamalAccessory {
    const config = mapping(this.raw['accessories'])[name];
    if (!isMapping(config)) throw new RehearsalError(`${this.file}: there is no accessory ${name}`);
    const unknown = Object.keys(config).filter((key) => !ACCESSORY_KEYS.has(key));
    if (unknown.length > 0)
      throw new RehearsalError(`${this.file}: accessories.${name}: ${unknown.join(', ')} is not rehearsed`);
    const image = config['image'];
    if (typeof image !== 'string') throw new RehearsalError(`${this.file}: accessories.${name}.image is not set`);
    const env = envLayer(mapping(config['env']));
    const host: Record<string, string> = typeof config['host'] === 'string' ? { KAMAL_HOST: config['host'] } : {};
    const directories = (Array.isArray(config['directories']) ? config['directories'] : []).map((entry: unknown) => {
      const [local, container] = String(entry).split(/:(.*)/s) as [string, string | undefined];
      if (!container)
        throw new RehearsalError(`${this.file}: accessories.${name}.directories: ${String(entry)} is not local:remote`);
      return { host: local, container };
    });
    return {
      name,
      serviceName: typeof config['service'] === 'string' ? config['service'] : `${this.service}-${name}`,
      image,
      env: {
        clear: { ...host, ...env.clear },
        secret: this.secretValues(`accessories.${name}.env.secret`, env.secret, secrets),
      },
      directories,
    };
  }

  /** The values of `env.secret` keys (`NAME`, or `NAME:SECRET` for an alias), as Kamal resolves them from `.kamal/secrets`. */
  private secretValues(
    where: string,
    keys: Iterable<string>,
    secrets: Readonly<Record<string, string>>,
  ): Record<string, string> {
    const values: Record<string, string> = {};
    for (const key of keys) {
      const [name, aliasOf] = key.split(/:(.*)/s) as [string, string | undefined];
      const from = aliasOf || name;
      const value = secrets[from];
      if (value === undefined)
        throw new RehearsalError(
          `${this.file}: ${where} lists ${key}, and the secrets have no ${from}: add it to apps/demo/.kamal/secrets (its variables: REHEARSAL_SECRETS in rehearsal/kamal.ts)`,
        );
      values[name] = value;
    }
    return values;
  }

  private roleConfig(): Mapping {
    const servers = this.raw['servers'];
    return isMapping(servers) ? mapping(servers[this.role]) : {};
  }

  /** The role's hosts with their tags (`- 192.0.2.10` or `- 192.0.2.10: [tag]`), in order. */
  private tagsByHost(): [string, string[]][] {
    const servers = this.raw['servers'];
    const role = isMapping(servers) ? servers[this.role] : servers;
    const hosts = Array.isArray(role) ? role : isMapping(role) && Array.isArray(role['hosts']) ? role['hosts'] : [];
    return hosts.flatMap((entry: unknown): [string, string[]][] =>
      isMapping(entry)
        ? Object.entries(entry).map(([host, tags]): [string, string[]] => [
            host,
            (Array.isArray(tags) ? tags : [tags]).map(String),
          ])
        : [[String(entry), []]],
    );
  }
}

/**
 * Reads the deploy file as Kamal would for `kamal deploy` (no destination), for `role` (default: the
 * primary role, the one kamal-proxy fronts unless a role says `proxy: false`).
 */
export function readKamalDeployment(file: string, role?: string): KamalDeployment {
  const checked = readKamalDeployFile(file);
  const text = readFileSync(file, 'utf8');
  if (text.includes('<%'))
    throw new RehearsalError(`${file} is an ERB template: only Kamal can render it; rehearse a rendered copy`);
  // Kamal loads the file with Ruby's YAML (aliases and merge keys resolved).
  const raw: unknown = parse(text, { merge: true });
  if (!isMapping(raw)) throw new RehearsalError(`${file} is not a mapping of Kamal settings`);
  return new KamalDeployment(file, raw, role ?? checked.primaryRole, checked.primaryRole);
}

/** `Kamal::Utils.optionize(args, with: "=")`, without the shell quoting (arguments are passed as a list). */
export function optionize(options: readonly (readonly [string, OptionValue])[]): string[] {
  return options.flatMap(([key, value]) =>
    (Array.isArray(value) ? value : [value]).flatMap((entry: unknown) =>
      entry === undefined || entry === null ? [] : entry === true ? [`--${key}`] : [`--${key}=${String(entry)}`],
    ),
  );
}

/** `Kamal::Configuration::Env`: a plain mapping is all clear; otherwise `clear` and `secret`. */
function envLayer(env: Mapping): { clear: Record<string, string>; secret: string[] } {
  const structured = 'clear' in env || 'secret' in env || 'tags' in env;
  const clear = structured ? mapping(env['clear']) : env;
  const secret = structured && Array.isArray(env['secret']) ? env['secret'].map(String) : [];
  return { clear: Object.fromEntries(Object.entries(clear).map(([key, value]) => [key, String(value)])), secret };
}

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapping(value: unknown): Mapping {
  return isMapping(value) ? value : {};
}

function dig(value: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((node, key) => (isMapping(node) ? node[key] : undefined), value);
}

/** ActiveSupport's `Hash#deep_merge`: `over` wins; mappings merge key by key. */
function deepMerge(base: Mapping, over: Mapping): Mapping {
  const merged: Mapping = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] = isMapping(current) && isMapping(value) ? deepMerge(current, value) : value;
  }
  return merged;
}
