/**
 * Checks a Kamal deploy file the way Kamal 2's own validator does (lib/kamal/configuration/validator.rb):
 * every key must be one the section's example document knows, every value of the example's type, and
 * the section validators' extra rules hold (required keys, `host` xor `hosts`, ssl needs a host, builder arch).
 * The known keys come from a fixture written from Kamal's docs (test/fixtures/kamal-2-keys.json).
 * Messages have Kamal's form: `proxy/healthcheck/timeout: should be an integer`.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

type TypeName =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'string[]'
  | 'hash'
  | 'hash<string>'
  | 'string|string[]'
  | 'boolean|hash'
  | 'servers'
  | 'string|one-item-string[]';

/** A key's expected type: a type name, a reference to a top-level section (`@proxy`), or a nested section. */
type KeySpec = TypeName | `@${string}` | SectionSpec;

interface SectionSpec {
  keys: Record<string, KeySpec>;
  required?: string[];
  extensionsAllowed?: boolean;
}

export type KamalKeys = Record<string, SectionSpec>;

export function loadKamalKeys(fixturePath: string): KamalKeys {
  const raw = JSON.parse(readFileSync(fixturePath, 'utf8')) as Record<string, unknown>;
  const sections: KamalKeys = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!name.startsWith('$')) sections[name] = value as SectionSpec;
  }
  return sections;
}

/** Parses YAML as Ruby's Psych does (YAML 1.1: `yes` is true, `1_000` an integer), since Kamal reads it so. */
export function parseAsKamal(text: string): unknown {
  return parse(text, { version: '1.1', merge: true });
}

/** Every problem Kamal's validator would raise for this config (Kamal stops at the first; we list all). */
export function validateKamalConfig(config: unknown, keys: KamalKeys): string[] {
  const errors: string[] = [];
  const v = new Walker(keys, errors);
  v.section(config, keys['root'], '');
  return errors;
}

const isHash = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringish = (value: unknown): boolean =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

class Walker {
  constructor(
    private readonly keys: KamalKeys,
    private readonly errors: string[],
  ) {}

  section(value: unknown, spec: SectionSpec, context: string): void {
    if (!isHash(value)) {
      this.error(context, 'should be a hash');
      return;
    }
    const unknown = Object.keys(value).filter(
      (key) => !(key in spec.keys) && !(spec.extensionsAllowed && key.startsWith('x-')),
    );
    if (unknown.length > 0) {
      this.error(context, `unknown ${unknown.length === 1 ? 'key' : 'keys'}: ${unknown.join(', ')}`);
    }
    for (const key of spec.required ?? []) {
      if (value[key] === undefined || value[key] === null || value[key] === '') {
        this.error(join(context, key), 'is required');
      }
    }
    for (const [key, child] of Object.entries(value)) {
      const childSpec = spec.keys[key];
      if (childSpec === undefined) continue;
      this.value(child, childSpec, join(context, key));
    }
  }

  private value(value: unknown, spec: KeySpec, context: string): void {
    if (typeof spec === 'object') return this.section(value, spec, context);
    if (spec.startsWith('@')) return this.named(value, spec.slice(1), context);
    this.typed(value, spec as TypeName, context);
  }

  private named(value: unknown, name: string, context: string): void {
    switch (name) {
      case 'servers':
        return this.serversOrRoles(value, context);
      case 'env':
        return this.env(value, context);
      case 'proxy':
        this.section(value, this.keys['proxy'], context);
        if (isHash(value)) this.proxyRules(value, context);
        return;
      case 'builder':
        this.section(value, this.keys['builder'], context);
        if (isHash(value) && value['local'] === false && !value['remote']) {
          this.error(context, 'Cannot disable local builds, no remote is set');
        }
        return;
      default:
        return this.section(value, this.keys[name], context);
    }
  }

  /** validator/proxy.rb: the rules beyond types. */
  private proxyRules(proxy: Record<string, unknown>, context: string): void {
    const hasHost = Boolean(proxy['host']) || (Array.isArray(proxy['hosts']) && proxy['hosts'].length > 0);
    if (!hasHost && proxy['ssl']) this.error(context, 'Must set a host to enable automatic SSL');
    if ('host' in proxy && 'hosts' in proxy) this.error(context, "Specify one of 'host' or 'hosts', not both");
  }

  /** validator/servers.rb and validator/role.rb: a list of hosts, or roles that are lists or mappings. */
  private serversOrRoles(value: unknown, context: string): void {
    if (Array.isArray(value)) return this.typed(value, 'servers', context);
    if (!isHash(value)) return this.error(context, 'should be an array or a hash');
    for (const [role, config] of Object.entries(value)) {
      const roleContext = join(context, role);
      if (Array.isArray(config)) this.typed(config, 'servers', roleContext);
      else this.section(config, this.keys['role'], roleContext);
    }
  }

  /** validator/env.rb: a plain mapping of values, or clear/secret/tags only. */
  private env(value: unknown, context: string): void {
    if (!isHash(value)) return this.error(context, 'should be a hash');
    const special = Object.keys(this.keys['env'].keys);
    if (Object.keys(value).some((key) => special.includes(key))) {
      this.section(value, this.keys['env'], context);
    } else {
      this.typed(value, 'hash<string>', context);
    }
  }

  private typed(value: unknown, type: TypeName, context: string): void {
    switch (type) {
      case 'string':
        if (!isStringish(value)) this.error(context, 'should be a string');
        return;
      case 'integer':
        if (!Number.isInteger(value)) this.error(context, 'should be an integer');
        return;
      case 'boolean':
        if (typeof value !== 'boolean') this.error(context, 'should be a boolean');
        return;
      case 'hash':
        if (!isHash(value)) this.error(context, 'should be a hash');
        return;
      case 'string[]':
        if (!Array.isArray(value)) return this.error(context, 'should be an array');
        value.forEach((item, index) => {
          if (!isStringish(item)) this.error(join(context, String(index)), 'should be a string');
        });
        return;
      case 'hash<string>':
        if (!isHash(value)) return this.error(context, 'should be a hash');
        for (const [key, item] of Object.entries(value)) {
          if (!isStringish(item)) this.error(join(context, key), 'should be a string');
        }
        return;
      case 'string|string[]':
        if (Array.isArray(value) ? !value.every(isStringish) : !isStringish(value)) {
          this.error(context, 'should be an array or a string');
        }
        return;
      case 'boolean|hash':
        if (typeof value !== 'boolean' && !isHash(value)) this.error(context, 'should be a boolean or a hash');
        return;
      case 'string|one-item-string[]':
        if (!(
          typeof value === 'string' ||
          (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string')
        )) {
          this.error(context, 'should be a string or an array with one string (for secret lookup)');
        }
        return;
      case 'servers':
        if (!Array.isArray(value)) return this.error(context, 'should be an array');
        value.forEach((server, index) => {
          const at = join(context, String(index));
          if (isHash(server)) {
            const entries = Object.entries(server);
            if (entries.length !== 1) return this.error(at, 'multiple hosts found');
            const [host, tags] = entries[0];
            const tagsOk =
              typeof tags === 'string' || (Array.isArray(tags) && tags.every((t) => typeof t === 'string'));
            if (!tagsOk) this.error(join(at, host), 'should be a string or an array');
          } else if (!isStringish(server)) {
            this.error(at, 'should be a string or a hash');
          }
        });
        return;
    }
  }

  private error(context: string, message: string): void {
    this.errors.push(context ? `${context}: ${message}` : message);
  }
}

const join = (context: string, key: string): string => (context ? `${context}/${key}` : key);
