/**
 * Settings from Kamal's deploy file: what kamal-proxy routes and probes is what upgate must allow
 * and answer. Pure: it turns a deploy file already read (`KamalDeployConfig`) into a source, so that
 * the resolver needs no YAML parser; reading the file is `@upgate/config/kamal`'s.
 */
import { kamalHealthCheckRequestPath } from '../check/kamal-health-check-path.js';
import { checkProbePath } from '../host/probe-path.js';
import type { SettingOrigin } from '../resolve/setting-origin.js';
import { checkAllowedHosts, checkEach } from '../validate/check-entries.js';
import type { KamalDeployConfig } from './kamal/kamal-deploy-config.js';
import { sameValue, SourceReadingBuilder, type GivenSetting, type SourceReading } from './source-reading.js';

/** `config/deploy.yml:14: proxy.app_port`, or `config/deploy.yml: proxy.app_port (not set)` for a default. */
export function deployKeyName(config: KamalDeployConfig, key: string): string {
  const at = config.locate(key);
  return at ? `${at.file}:${at.line}: ${key}` : `${config.file}: ${key} (not set)`;
}

/** Where a deploy-file key comes from: its line, or Kamal's default when it is not written. */
export function deployKeyOrigin(config: KamalDeployConfig, key: string): SettingOrigin {
  const location = config.locate(key);
  return location
    ? { source: 'deploy-file', key, name: `${location.file}:${location.line}: ${key}`, location }
    : { source: 'deploy-file', key, name: `${config.file}: ${key} (not set: Kamal's default)` };
}

function deployKey(config: KamalDeployConfig, key: string, value: unknown): GivenSetting {
  return {
    name: deployKeyName(config, key),
    origin: deployKeyOrigin(config, key),
    shown: JSON.stringify(value),
    same: sameValue(value),
  };
}

/** The key `proxy.host(s)` is written under: `proxy.hosts` for a list, else `proxy.host`. */
export function proxyHostsKey(config: KamalDeployConfig): 'proxy.hosts' | 'proxy.host' {
  return config.locate('proxy.hosts') !== undefined ? 'proxy.hosts' : 'proxy.host';
}

/**
 * The settings a deploy file gives, when the primary role runs kamal-proxy:
 * - allowed hosts: `proxy.hosts`, or `proxy.host` (split on commas), when set;
 * - probe paths: `[proxy.healthcheck.path]`, `/up` when not set, since kamal-proxy probes it;
 * - port: `proxy.app_port`, 80 when not set, since kamal-proxy sends requests there.
 * With `proxy: false` on the primary role it gives nothing.
 */
export function readDeploySource(config: KamalDeployConfig): SourceReading {
  const out = new SourceReadingBuilder();
  const { proxy } = config;
  if (!proxy.enabled) return out.build();

  if (proxy.hosts.length > 0) {
    const key = proxyHostsKey(config);
    const checked = checkAllowedHosts(proxy.hosts, (i) =>
      deployKeyName(config, key === 'proxy.hosts' ? `proxy.hosts[${i}]` : 'proxy.host'),
    );
    out.give('allowedHosts', deployKey(config, key, proxy.hosts), checked.values, checked.problems);
  }

  const pathKey = 'proxy.healthcheck.path';
  const paths = checkEach([proxy.healthcheck.path], () => deployKeyName(config, pathKey), checkHealthCheckPath);
  out.give(
    'probePaths',
    deployKey(config, pathKey, [proxy.healthcheck.path]),
    paths.problems.length === 0 ? paths.values : undefined,
    paths.problems,
  );

  out.give('port', deployKey(config, 'proxy.app_port', proxy.appPort), proxy.appPort);
  return out.build();
}

/**
 * `proxy.healthcheck.path` as a probe path. A query or fragment in it never reaches the app as one:
 * kamal-proxy builds the URL with Go's `url.JoinPath`, which escapes `?` and `#` into the path
 * (`/up?full=1` is requested as `/up%3Ffull=1`), so the fix is the path alone.
 */
function checkHealthCheckPath(path: string): string | undefined {
  const problem = checkProbePath(path);
  const cut = path.search(/[?#]/);
  if (problem === undefined || cut < 0 || checkProbePath(path.slice(0, cut)) !== undefined) return problem;
  const what = path[cut] === '?' ? 'a query ("?")' : 'a fragment ("#")';
  const requested = kamalHealthCheckRequestPath(path) ?? '/';
  return `has ${what}, which kamal-proxy does not send as one: it escapes it into the path and requests ${JSON.stringify(requested)}; write the path alone: ${JSON.stringify(path.slice(0, cut))}`;
}
