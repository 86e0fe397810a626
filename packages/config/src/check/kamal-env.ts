/**
 * The environment Kamal gives the app's container: `env` (a plain mapping, or `clear` and `secret`)
 * at the root and in the primary role (`servers.<role>.env`, merged over the root's), after the
 * destination overlay. `upgate check` layers it over the image's environment, as `docker run -e` does.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KamalDeployConfig, KamalLocation } from '../load/kamal/kamal-deploy-config.js';
import { isErb, isStringish, stringOf } from '../load/kamal/kamal-proxy-schema.js';
import { deepMerge, parseLocatedYaml, type LocatedMap, type LocatedNode } from '../load/kamal/located-yaml.js';

export interface KamalEnvValue {
  readonly value: string;
  readonly location: KamalLocation;
  /** `env.clear.PORT`, `servers.web.env.PORT`: the key as written. */
  readonly key: string;
}

export interface KamalEnv {
  /** Clear variables, by name: their values are in the file. */
  readonly clear: ReadonlyMap<string, KamalEnvValue>;
  /** Secret variables, by name (`env.secret`): their values come from `.kamal/secrets` at deploy time. */
  readonly secret: ReadonlyMap<string, { readonly location: KamalLocation; readonly key: string }>;
}

/**
 * Reads the env sections of the files `readKamalDeployFile` read (it has checked them already, so
 * a file that no longer parses gives nothing here). `cwd` is the one given to it.
 */
export function readKamalEnv(deploy: KamalDeployConfig, cwd: string): KamalEnv {
  let root: LocatedNode | undefined;
  for (const file of deploy.files) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), 'utf8');
    } catch {
      continue;
    }
    const parsed = parseLocatedYaml(text, file);
    if (parsed.root?.kind === 'map') root = deepMerge(root, parsed.root);
  }
  const clear = new Map<string, KamalEnvValue>();
  const secret = new Map<string, { location: KamalLocation; key: string }>();
  if (root?.kind !== 'map') return { clear, secret };

  const add = (env: LocatedNode | undefined, prefix: string): void => {
    if (env?.kind !== 'map') return;
    const sections = ['clear', 'secret', 'tags'];
    const complex = [...env.entries.keys()].some((key) => sections.includes(key));
    const clearMap: LocatedMap | undefined = complex ? asMap(env.entries.get('clear')?.node) : env;
    const clearPrefix = complex ? `${prefix}.clear` : prefix;
    for (const entry of clearMap?.entries.values() ?? []) {
      if (!isStringish(entry.node) || isErb(entry.node)) continue;
      clear.set(entry.key, {
        value: stringOf(entry.node),
        location: { file: entry.file, line: entry.line },
        key: `${clearPrefix}.${entry.key}`,
      });
      secret.delete(entry.key);
    }
    const secrets = complex ? env.entries.get('secret')?.node : undefined;
    if (secrets?.kind === 'seq') {
      for (const item of secrets.items) {
        if (!isStringish(item)) continue;
        // `DB_PASSWORD:MAIN_DB_PASSWORD` passes the secret MAIN_DB_PASSWORD as DB_PASSWORD.
        const name = stringOf(item).split(':')[0] ?? '';
        secret.set(name, { location: { file: item.file, line: item.line }, key: `${prefix}.secret` });
        clear.delete(name);
      }
    }
  };
  add(root.entries.get('env')?.node, 'env');
  const role = asMap(asMap(root.entries.get('servers')?.node)?.entries.get(deploy.primaryRole)?.node);
  add(role?.entries.get('env')?.node, `servers.${deploy.primaryRole}.env`);
  return { clear, secret };
}

function asMap(node: LocatedNode | undefined): LocatedMap | undefined {
  return node?.kind === 'map' ? node : undefined;
}
