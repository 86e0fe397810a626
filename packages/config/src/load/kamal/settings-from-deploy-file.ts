/**
 * `settingsFromDeployFile`: what one deploy file gives, on its own (no precedence, no defaults).
 */
import type { PartialUpgateSettings } from '../../settings.js';
import { readDeploySource } from '../deploy-file-source.js';
import { settingsOrThrow } from '../source-reading.js';
import { readKamalDeployFile, type ReadKamalDeployFileOptions } from './read-kamal-deploy-file.js';

/**
 * Reads the settings a Kamal deploy file gives: `proxy.host(s)` as allowlist entries,
 * `[proxy.healthcheck.path]` as probe paths, `proxy.app_port` as the port (see `readKamalDeployFile`
 * for what is checked).
 * @throws UpgateConfigError listing every problem with file and line.
 */
export function settingsFromDeployFile(file: string, options: ReadKamalDeployFileOptions = {}): PartialUpgateSettings {
  return settingsOrThrow(readDeploySource(readKamalDeployFile(file, options)));
}
