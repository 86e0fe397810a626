/**
 * A Kamal deploy file as a settings source: read once (by `readDeployFile` of
 * `@upgate/config/kamal`, or by HealthModule given a file name), then weighed by `resolveSettings`
 * with the other sources. Its problems are reported with theirs, not thrown on their own.
 */
import type { ConfigProblem } from '../upgate-config.error.js';
import type { KamalDeployConfig } from './kamal/kamal-deploy-config.js';

export interface DeployFileReading {
  /** The base file as messages show it: relative to the working directory where possible. */
  readonly file: string;
  /** The base file's absolute path. */
  readonly path: string;
  /** The Kamal destination whose `deploy.<destination>.yml` was merged over it, when one was given. */
  readonly destination?: string;
  /** The deploy file, when it was read and Kamal would accept what upgate reads of it. */
  readonly config?: KamalDeployConfig;
  /** Why it could not be read, each with file and line; empty when `config` is there. */
  readonly problems: readonly ConfigProblem[];
}

/** Whether a value is a `DeployFileReading` (and not, say, a file name given where a reading belongs). */
export function isDeployFileReading(value: unknown): value is DeployFileReading {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as DeployFileReading).file === 'string' &&
    Array.isArray((value as DeployFileReading).problems)
  );
}
