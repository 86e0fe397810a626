/**
 * The environment the app's container will have, built the way `docker run` builds it: the image's
 * (given as `--env-file`) under what Kamal passes (the deploy file's `env`), under the flags that
 * stand for a variable; remembering where each variable came from, for messages and fixes.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { DeploymentFinding } from '../check/deployment-finding.js';
import { readKamalEnv } from '../check/kamal-env.js';
import { ENV_VARIABLES } from '../load/env-source.js';
import type { KamalDeployConfig, KamalLocation } from '../load/kamal/kamal-deploy-config.js';

/** The flags that stand for an upgate variable, and that variable. */
export const FLAG_VARIABLES = {
  'allowed-hosts': ENV_VARIABLES.allowedHosts,
  'probe-paths': ENV_VARIABLES.probePaths,
  port: ENV_VARIABLES.port,
  'trust-proxy': ENV_VARIABLES.trustProxy,
} as const;

export type VariableFlag = keyof typeof FLAG_VARIABLES;

const UPGATE_VARIABLES: readonly string[] = Object.values(ENV_VARIABLES);

/** Where one variable was set, other than the environment of `upgate check` itself. */
export interface VariablePlace {
  /** For "from ...": `PORT in .env.production:3`, `PORT in config/deploy.yml:21 (env.clear.PORT)`, `--port`. */
  readonly label: string;
  /** For a fix: where to change it; a flag stands for its variable. */
  readonly changeAt: string;
  /** The line it is set at, when in a file. */
  readonly location?: KamalLocation;
}

export interface ContainerEnv {
  /** Every variable given in a file, the deploy file or a flag, by name. */
  readonly given: Record<string, string>;
  /** The upgate variables of this process's environment (the others are not the container's). */
  readonly fromProcess: Record<string, string>;
  readonly places: ReadonlyMap<string, VariablePlace>;
  /** Variables from a Kamal secret: their values are unknown here. */
  readonly notes: readonly DeploymentFinding[];
}

export class EnvFileError extends Error {}

export function containerEnv(
  processEnv: Readonly<Record<string, string | undefined>>,
  cwd: string,
  envFiles: readonly string[],
  deploy: KamalDeployConfig | undefined,
  flags: Partial<Record<VariableFlag, string>>,
): ContainerEnv {
  const given: Record<string, string> = {};
  const fromProcess: Record<string, string> = {};
  const places = new Map<string, VariablePlace>();
  for (const name of UPGATE_VARIABLES) {
    const value = processEnv[name];
    if (value !== undefined) {
      fromProcess[name] = value;
      places.set(name, { label: `${name} (environment)`, changeAt: name });
    }
  }
  for (const file of envFiles) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), 'utf8');
    } catch (error) {
      throw new EnvFileError(
        `--env-file ${JSON.stringify(file)} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`,
      );
    }
    for (const [name, value] of Object.entries(parseEnv(text))) {
      if (value === undefined) continue;
      given[name] = value;
      const line = lineOf(text, name);
      const at = line === undefined ? file : `${file}:${line}`;
      places.set(name, {
        label: `${name} in ${at}`,
        changeAt: `${name} in ${at}`,
        ...(line === undefined ? {} : { location: { file, line } }),
      });
    }
  }
  // What Kamal passes the container (docker run -e) overrides the image's environment.
  const kamalEnv = deploy ? readKamalEnv(deploy, cwd) : undefined;
  for (const [name, { value, location, key }] of kamalEnv?.clear ?? []) {
    given[name] = value;
    const label = `${name} in ${location.file}:${location.line} (${key})`;
    places.set(name, { label, changeAt: label, location });
  }
  for (const [flag, name] of Object.entries(FLAG_VARIABLES)) {
    const value = flags[flag as VariableFlag];
    if (value !== undefined) {
      given[name] = value;
      places.set(name, { label: `--${flag}`, changeAt: name });
    }
  }
  // A secret's value is in .kamal/secrets, read only when Kamal deploys: say what was used instead.
  const notes: DeploymentFinding[] = [];
  for (const [name, { location, key }] of kamalEnv?.secret ?? []) {
    const flag = Object.entries(FLAG_VARIABLES).find(([, variable]) => variable === name)?.[0];
    if (flag === undefined || places.get(name)?.label === `--${flag}`) continue;
    const value = given[name] ?? fromProcess[name];
    notes.push({
      rule: 'invalid-settings',
      severity: 'info',
      key,
      location,
      message: `${name} comes from a Kamal secret, whose value is known only when Kamal deploys, so the check used ${
        value === undefined ? 'the value the app would have without it' : places.get(name)?.label
      }`,
      fix: `pass --${flag} with the secret's value to check it`,
    });
  }
  return { given, fromProcess, places, notes };
}

/** The line (1-based) of a dotenv text where the variable is last assigned, as it wins. */
function lineOf(text: string, name: string): number | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] ?? '').replace(/^\s*export\s+/, '').trimStart();
    if (line.startsWith(`${name}=`) || new RegExp(`^${name}\\s*=`).test(line)) return i + 1;
  }
  return undefined;
}
