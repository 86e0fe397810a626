/**
 * `@upgate/config/kamal`: Kamal's deploy file, read as Kamal reads it. The one entry point that
 * loads the YAML parser, so that an app pays for it only when it reads a deploy file.
 */
export type { DeployFileReading } from './load/deploy-file-reading.js';
export { readDeployFile } from './load/kamal/read-deploy-file.js';
export type { KamalDeployConfig, KamalLocation, KamalProxyConfig } from './load/kamal/kamal-deploy-config.js';
export { KAMAL_PROXY_DEFAULTS } from './load/kamal/kamal-deploy-config.js';
export type { ReadKamalDeployFileOptions } from './load/kamal/read-kamal-deploy-file.js';
export { readKamalDeployFile } from './load/kamal/read-kamal-deploy-file.js';
export { settingsFromDeployFile } from './load/kamal/settings-from-deploy-file.js';
