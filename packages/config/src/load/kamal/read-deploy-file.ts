/**
 * The deploy file as a settings source (`loadSettings({ deployFile: readDeployFile(...) })`): read
 * once, never thrown on, so that its problems are reported together with the other sources'.
 */
import { resolve } from 'node:path';
import { UpgateConfigError } from '../../upgate-config.error.js';
import type { DeployFileReading } from '../deploy-file-reading.js';
import { readKamalDeployFile, shownPath, type ReadKamalDeployFileOptions } from './read-kamal-deploy-file.js';

/**
 * Reads a Kamal deploy file (and its destination overlay) as `readKamalDeployFile` does, for
 * `loadSettings` / `resolveSettings`: what Kamal would refuse is returned in `problems`, not thrown.
 * @param file e.g. `config/deploy.yml`, relative to `options.cwd`.
 */
export function readDeployFile(file: string, options: ReadKamalDeployFileOptions = {}): DeployFileReading {
  const cwd = options.cwd ?? process.cwd();
  const path = resolve(cwd, file);
  const destination = options.destination === undefined ? {} : { destination: options.destination };
  try {
    const config = readKamalDeployFile(file, options);
    return { file: config.file, path, ...destination, config, problems: [] };
  } catch (error) {
    if (!(error instanceof UpgateConfigError)) throw error;
    return { file: shownPath(cwd, path), path, ...destination, problems: error.problems };
  }
}
