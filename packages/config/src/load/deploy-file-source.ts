/**
 * Settings from Kamal's deploy file: what kamal-proxy routes and probes is what upgate must allow
 * and answer.
 */
import type { PartialUpgateSettings } from '../settings.js';
import { checkAllowedHosts, checkProbePaths } from '../validate/check-entries.js';
import type { KamalDeployConfig } from './kamal/kamal-deploy-config.js';
import { readKamalDeployFile, type ReadKamalDeployFileOptions } from './kamal/read-kamal-deploy-file.js';
import { settingsOrThrow, SourceReadingBuilder, type SourceReading } from './source-reading.js';

/** `config/deploy.yml:14: proxy.app_port`, or `config/deploy.yml: proxy.app_port (not set)` for a default. */
export function deployKeyName(config: KamalDeployConfig, key: string): string {
  const at = config.locate(key);
  return at ? `${at.file}:${at.line}: ${key}` : `${config.file}: ${key} (not set)`;
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
    const fromList = config.locate('proxy.hosts') !== undefined;
    const checked = checkAllowedHosts(proxy.hosts, (i) =>
      deployKeyName(config, fromList ? `proxy.hosts[${i}]` : 'proxy.host'),
    );
    out.give(
      'allowedHosts',
      deployKeyName(config, fromList ? 'proxy.hosts' : 'proxy.host'),
      checked.values,
      checked.problems,
    );
  }

  const pathKey = 'proxy.healthcheck.path';
  const paths = checkProbePaths([proxy.healthcheck.path], () => deployKeyName(config, pathKey));
  out.give(
    'probePaths',
    deployKeyName(config, pathKey),
    paths.problems.length === 0 ? paths.values : undefined,
    paths.problems,
  );

  out.give('port', deployKeyName(config, 'proxy.app_port'), proxy.appPort);
  return out.build();
}

/**
 * Reads the settings from a Kamal deploy file (see `readKamalDeployFile` for what is checked, and
 * `readDeploySource` for what it gives).
 * @throws UpgateConfigError listing every problem with file and line.
 */
export function settingsFromDeployFile(file: string, options: ReadKamalDeployFileOptions = {}): PartialUpgateSettings {
  return settingsOrThrow(readDeploySource(readKamalDeployFile(file, options)));
}
