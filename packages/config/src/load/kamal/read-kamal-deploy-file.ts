/**
 * Reads Kamal's `config/deploy.yml` (and `deploy.<destination>.yml` merged over it, as
 * `Kamal::Configuration.create_from` does) for the settings upgate shares with kamal-proxy, and
 * rejects what Kamal itself would reject in the keys it reads.
 */
import { readFileSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve } from 'node:path';
import { UpgateConfigError, type ConfigProblem } from '../../upgate-config.error.js';
import {
  KAMAL_PROXY_DEFAULTS,
  type KamalDeployConfig,
  type KamalLocation,
  type KamalProxyConfig,
} from './kamal-deploy-config.js';
import {
  checkMapping,
  HEALTHCHECK_KEYS,
  isErb,
  isInteger,
  isStringish,
  PROXY_KEYS,
  settingAt,
  SSL_KEYS,
  stringOf,
} from './kamal-proxy-schema.js';
import {
  deepMerge,
  describeLocated,
  parseLocatedYaml,
  type LocatedEntry,
  type LocatedMap,
  type LocatedNode,
} from './located-yaml.js';

export interface ReadKamalDeployFileOptions {
  /**
   * Kamal's destination (`kamal deploy -d staging`): `deploy.staging.yml` next to the file is
   * deep-merged over it, and must exist.
   * @default undefined — the base file alone.
   */
  destination?: string;
  /**
   * Directory that a relative `file` is resolved against, and that file names in messages are
   * shown relative to.
   * @default process.cwd()
   */
  cwd?: string;
}

/** The file a destination adds: Ruby's `Pathname#sub_ext(".#{destination}.yml")`. */
export function destinationFile(baseFile: string, destination: string): string {
  const ext = extname(baseFile);
  return `${ext === '' ? baseFile : baseFile.slice(0, -ext.length)}.${destination}.yml`;
}

/** A path as messages show it: relative to `cwd` when inside it. */
export function shownPath(cwd: string, absolute: string): string {
  const rel = relative(cwd, absolute);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : absolute;
}

/**
 * Reads a Kamal deploy file and its destination overlay.
 *
 * Checked as Kamal checks them, for the keys upgate reads: `service` (a name of letters, digits,
 * `-`, `_`), `primary_role`, `servers.<primary role>.proxy` (true, false or a mapping), and
 * `proxy`: unknown keys, `host` together with `hosts`, `ssl` without a host, and the type of each
 * documented key (`app_port` an integer, `healthcheck.interval` whole seconds, ...). Also refused:
 * a key of these written twice (Kamal silently takes the last) and an ERB template (`<%= %>`) in
 * one of them, which only Kamal can render. Other keys (`image`, `registry`, `env`, `builder`, ...)
 * are not read and not checked.
 *
 * @param file the deploy file, e.g. `config/deploy.yml`, relative to `options.cwd`.
 * @throws UpgateConfigError listing every problem, each with file and line
 *   (`config/deploy.yml:14: proxy.app_port: "eighty" must be an integer port, e.g. 3000`).
 */
export function readKamalDeployFile(file: string, options: ReadKamalDeployFileOptions = {}): KamalDeployConfig {
  const cwd = options.cwd ?? process.cwd();
  const { destination } = options;
  const problems: ConfigProblem[] = [];
  if (destination !== undefined && !/^[A-Za-z0-9_.-]+$/.test(destination)) {
    throw new UpgateConfigError([
      {
        setting: 'destination',
        value: JSON.stringify(destination),
        message: 'must be a Kamal destination name such as "staging" (letters, digits, ".", "-", "_")',
      },
    ]);
  }

  const baseAbsolute = resolve(cwd, file);
  const paths = [baseAbsolute, ...(destination === undefined ? [] : [destinationFile(baseAbsolute, destination)])];
  const files = paths.map((p) => shownPath(cwd, p));
  let root: LocatedNode | undefined;
  paths.forEach((absolute, index) => {
    const name = files[index] as string;
    let text: string;
    try {
      text = readFileSync(absolute, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push({
        setting: name,
        value: '',
        message: unreadable(code, index === 0, files[0] as string, destination, cwd),
      });
      return;
    }
    const parsed = parseLocatedYaml(text, name);
    problems.push(...parsed.problems);
    if (parsed.problems.length > 0) return;
    if (parsed.root === undefined || (parsed.root.kind === 'scalar' && parsed.root.value === null)) {
      problems.push({
        setting: name,
        value: '',
        message: 'is empty; Kamal needs a mapping of settings (service, image, servers, proxy, ...)',
      });
      return;
    }
    if (parsed.root.kind !== 'map') {
      problems.push({
        setting: `${name}:${parsed.root.line}`,
        value: describeLocated(parsed.root),
        message: 'is not a mapping; Kamal needs a mapping of settings (service, image, servers, proxy, ...)',
      });
      return;
    }
    root = deepMerge(root, parsed.root);
  });
  if (problems.length > 0) throw new UpgateConfigError(problems);

  const config = interpret(root as LocatedMap, files, destination, problems);
  if (problems.length > 0) throw new UpgateConfigError(problems);
  return config;
}

function unreadable(
  code: string | undefined,
  isBase: boolean,
  baseFile: string,
  destination: string | undefined,
  cwd: string,
): string {
  if (code === 'ENOENT') {
    return isBase
      ? `is not there (looked in ${cwd}); give the path of Kamal's deploy file, e.g. "config/deploy.yml"`
      : `is not there, and destination "${destination}" needs it (Kamal merges it over ${baseFile}); create it or give the right destination`;
  }
  if (code === 'EISDIR') return 'is a directory; give the deploy file itself, e.g. "config/deploy.yml"';
  return `cannot be read (${code ?? 'unknown error'})`;
}

function interpret(
  root: LocatedMap,
  files: readonly string[],
  destination: string | undefined,
  problems: ConfigProblem[],
): KamalDeployConfig {
  const locations = new Map<string, KamalLocation>();
  record(locations, root, '');

  const service = root.entries.get('service');
  let serviceName: string | undefined;
  if (service) {
    if (!isStringish(service.node) || isErb(service.node)) {
      problems.push({
        setting: settingAt(service, 'service'),
        value: describeLocated(service.node),
        message: 'must be a service name such as "myapp"',
      });
    } else if (!/^[a-z0-9_-]+$/i.test(stringOf(service.node))) {
      problems.push({
        setting: settingAt(service, 'service'),
        value: describeLocated(service.node),
        message: 'may contain only letters, digits, "-" and "_" (Kamal names containers after it)',
      });
    } else {
      serviceName = stringOf(service.node);
    }
  }

  const primary = root.entries.get('primary_role');
  let primaryRole = 'web';
  if (primary) {
    if (isStringish(primary.node) && !isErb(primary.node)) primaryRole = stringOf(primary.node);
    else
      problems.push({
        setting: settingAt(primary, 'primary_role'),
        value: describeLocated(primary.node),
        message: 'must be a role name such as "web"',
      });
  }

  const rootProxy = root.entries.get('proxy');
  let rootMap: LocatedMap | undefined;
  if (rootProxy) {
    if (rootProxy.node.kind === 'map') {
      rootMap = rootProxy.node;
      problems.push(...checkProxy(rootMap, 'proxy'));
    } else {
      problems.push({
        setting: settingAt(rootProxy, 'proxy'),
        value: describeLocated(rootProxy.node),
        message:
          'must be a mapping of proxy settings (host, app_port, healthcheck, ...); to turn the proxy off, set proxy: false on the role',
      });
    }
  }

  const role = roleProxy(root, primaryRole, problems);
  let effective = rootMap;
  if (role.map) {
    effective = deepMerge(rootMap, role.map) as LocatedMap;
    const [host, hosts] = [effective.entries.get('host'), effective.entries.get('hosts')];
    if (
      host &&
      hosts &&
      !(rootMap?.entries.has('host') && rootMap.entries.has('hosts')) &&
      !(role.map.entries.has('host') && role.map.entries.has('hosts'))
    ) {
      problems.push(bothHostAndHosts(host, hosts, 'proxy'));
    }
  }
  if (effective) record(locations, effective, 'proxy');

  const proxy = readProxy(effective, role.enabled);
  return {
    file: files[0] as string,
    files,
    ...(destination === undefined ? {} : { destination }),
    ...(serviceName === undefined ? {} : { service: serviceName }),
    primaryRole,
    proxy,
    locate: (key) => locations.get(key),
  };
}

/** The primary role's own `proxy` (Kamal::Configuration::Role#initialize_specialized_proxy). */
function roleProxy(
  root: LocatedMap,
  primaryRole: string,
  problems: ConfigProblem[],
): { enabled: boolean; map?: LocatedMap } {
  const servers = root.entries.get('servers');
  if (!servers || servers.node.kind !== 'map') return { enabled: true };
  const role = servers.node.entries.get(primaryRole);
  if (!role || role.node.kind !== 'map') return { enabled: true };
  const entry = role.node.entries.get('proxy');
  if (!entry) return { enabled: true };
  const key = `servers.${primaryRole}.proxy`;
  const { node } = entry;
  if (node.kind === 'scalar' && typeof node.value === 'boolean') return { enabled: node.value };
  if (node.kind === 'map') {
    problems.push(...checkProxy(node, key));
    return { enabled: true, map: node };
  }
  problems.push({
    setting: settingAt(entry, key),
    value: describeLocated(node),
    message: 'must be true, false, or a mapping of proxy settings',
  });
  return { enabled: true };
}

/** Kamal::Configuration::Validator::Proxy, for one proxy mapping (the root's or a role's). */
function checkProxy(map: LocatedMap, path: string): ConfigProblem[] {
  const problems = checkMapping(map, path, PROXY_KEYS, 'proxy');
  const host = map.entries.get('host');
  const hosts = map.entries.get('hosts');
  if (host && hosts) problems.push(bothHostAndHosts(host, hosts, path));
  if (hosts?.node.kind === 'seq') {
    hosts.node.items.forEach((item, index) => {
      if (isErb(item)) {
        problems.push({
          setting: settingAt(item, `${path}.hosts[${index}]`),
          value: describeLocated(item),
          message:
            'is an ERB template, which Kamal renders when it deploys and upgate cannot; write the value itself (per destination: in config/deploy.<destination>.yml)',
        });
      } else if (!isStringish(item)) {
        problems.push({
          setting: settingAt(item, `${path}.hosts[${index}]`),
          value: describeLocated(item),
          message: 'must be a host name such as app.example.com',
        });
      }
    });
  }
  const ssl = map.entries.get('ssl');
  const sslOn =
    ssl !== undefined && (ssl.node.kind === 'map' || (ssl.node.kind === 'scalar' && ssl.node.value === true));
  if (sslOn && !hasValue(host) && !hasValue(hosts)) {
    problems.push({
      setting: settingAt(ssl, `${path}.ssl`),
      value: describeLocated(ssl.node),
      message: `needs a host: Kamal refuses automatic SSL without ${path}.host or ${path}.hosts`,
    });
  }
  if (ssl?.node.kind === 'map') {
    problems.push(...checkMapping(ssl.node, `${path}.ssl`, SSL_KEYS, 'ssl'));
    const cert = ssl.node.entries.get('certificate_pem');
    const key = ssl.node.entries.get('private_key_pem');
    if (hasValue(cert) !== hasValue(key)) {
      const [given, missing] = hasValue(cert)
        ? ['certificate_pem', 'private_key_pem']
        : ['private_key_pem', 'certificate_pem'];
      problems.push({
        setting: settingAt(ssl, `${path}.ssl`),
        value: '',
        message: `has ${given} without ${missing}; Kamal needs both`,
      });
    }
  }
  const healthcheck = map.entries.get('healthcheck');
  if (healthcheck?.node.kind === 'map')
    problems.push(...checkMapping(healthcheck.node, `${path}.healthcheck`, HEALTHCHECK_KEYS, 'healthcheck'));
  return problems;
}

function hasValue(entry: LocatedEntry | undefined): boolean {
  if (!entry) return false;
  const { node } = entry;
  if (node.kind === 'seq') return node.items.length > 0;
  if (node.kind === 'map') return node.entries.size > 0;
  return node.value !== null && node.value !== '' && node.value !== false;
}

function bothHostAndHosts(host: LocatedEntry, hosts: LocatedEntry, path: string): ConfigProblem {
  const hostAt = host.file === hosts.file ? `line ${host.line}` : `${host.file}:${host.line}`;
  return {
    setting: settingAt(hosts, `${path}.hosts`),
    value: '',
    message: `is given together with host (${hostAt}); Kamal accepts one of them: hosts (a list) or host (one name, or several separated by commas)`,
  };
}

/** The effective values, with Kamal's and kamal-proxy's defaults (called only once the checks passed). */
function readProxy(map: LocatedMap | undefined, enabled: boolean): KamalProxyConfig {
  const get = (key: string): LocatedNode | undefined => map?.entries.get(key)?.node;
  const hostsNode = get('hosts');
  const hostNode = get('host');
  let hosts: string[] = [];
  if (hostsNode?.kind === 'seq') hosts = hostsNode.items.filter(isStringish).map((item) => stringOf(item).trim());
  else if (hostNode && isStringish(hostNode))
    hosts = stringOf(hostNode)
      .split(',')
      .map((h) => h.trim());

  const appPortNode = get('app_port');
  const sslNode = get('ssl');
  const ssl =
    sslNode !== undefined && (sslNode.kind === 'map' || (sslNode.kind === 'scalar' && sslNode.value === true));
  const forwardNode = get('forward_headers');
  const forwardHeaders =
    forwardNode?.kind === 'scalar' && typeof forwardNode.value === 'boolean' ? forwardNode.value : !ssl;

  const healthcheck = get('healthcheck');
  const hc = (key: string): LocatedNode | undefined =>
    healthcheck?.kind === 'map' ? healthcheck.entries.get(key)?.node : undefined;
  const pathNode = hc('path');
  const intervalNode = hc('interval');
  const timeoutNode = hc('timeout');
  return {
    enabled,
    hosts,
    healthcheck: {
      path: pathNode && isStringish(pathNode) ? stringOf(pathNode) : KAMAL_PROXY_DEFAULTS.healthcheckPath,
      ...(intervalNode && isInteger(intervalNode) ? { interval: intervalNode.value } : {}),
      ...(timeoutNode && isInteger(timeoutNode) ? { timeout: timeoutNode.value } : {}),
    },
    appPort: appPortNode && isInteger(appPortNode) ? appPortNode.value : KAMAL_PROXY_DEFAULTS.appPort,
    ssl,
    forwardHeaders,
  };
}

/** Remembers where every key and list item under `prefix` was written. */
function record(locations: Map<string, KamalLocation>, node: LocatedNode, prefix: string): void {
  if (node.kind === 'map') {
    for (const entry of node.entries.values()) {
      const key = prefix === '' ? entry.key : `${prefix}.${entry.key}`;
      locations.set(key, { file: entry.file, line: entry.line });
      record(locations, entry.node, key);
    }
  } else if (node.kind === 'seq') {
    node.items.forEach((item, index) => {
      const key = `${prefix}[${index}]`;
      locations.set(key, { file: item.file, line: item.line });
      record(locations, item, key);
    });
  }
}
