/**
 * Kamal 2's rules for the `proxy` section, for the keys it documents
 * (lib/kamal/configuration/docs/proxy.yml and Kamal::Configuration::Validator::Proxy): unknown keys
 * are rejected, each key has one type (Psych types: an integer is not `"3000"` nor `3000.0`), `host`
 * and `hosts` exclude each other, `ssl` needs a host. Keys upgate does not read (`buffering`,
 * `logging`, `run`) are only checked for being mappings.
 */
import type { ConfigProblem } from '../../upgate-config.error.js';
import { didYouMean } from '../../validate/did-you-mean.js';
import {
  describeLocated,
  type LocatedEntry,
  type LocatedMap,
  type LocatedNode,
  type LocatedScalar,
} from './located-yaml.js';

type Check = (node: LocatedNode) => string | undefined;

/** Ruby's "stringish": Kamal accepts numbers and booleans where it documents a string. */
export function isStringish(node: LocatedNode): node is LocatedScalar {
  return (
    node.kind === 'scalar' &&
    (typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean')
  );
}

/** The string Kamal would pass on for a stringish scalar (its text as written). */
export function stringOf(node: LocatedScalar): string {
  return typeof node.value === 'string' ? node.value : node.source;
}

/** A Ruby Integer: not a quoted number, not a float such as `3000.0`. */
export function isInteger(node: LocatedNode): node is LocatedScalar & { value: number } {
  return (
    node.kind === 'scalar' &&
    typeof node.value === 'number' &&
    Number.isInteger(node.value) &&
    !node.source.includes('.')
  );
}

const isBoolean = (node: LocatedNode): boolean => node.kind === 'scalar' && typeof node.value === 'boolean';

const string =
  (form: string): Check =>
  (node) =>
    isStringish(node) ? undefined : `must be ${form}`;
const boolean: Check = (node) => (isBoolean(node) ? undefined : 'must be true or false');
const seconds =
  (example: number): Check =>
  (node) =>
    isInteger(node) && node.value >= 1 ? undefined : `must be a whole number of seconds, at least 1, e.g. ${example}`;
const mapping =
  (form: string): Check =>
  (node) =>
    node.kind === 'map' ? undefined : `must be a mapping of ${form}`;

export const PORT_MESSAGE = 'must be an integer port, e.g. 3000';
export const PORT_RANGE_MESSAGE = 'must be an integer port from 1 to 65535, e.g. 3000';

const port: Check = (node) => {
  if (!isInteger(node)) return PORT_MESSAGE;
  return node.value >= 1 && node.value <= 65535 ? undefined : PORT_RANGE_MESSAGE;
};

const hostsList: Check = (node) =>
  node.kind === 'seq' ? undefined : 'must be a list of host names, e.g. [app.example.com, www.example.com]';

const ssl: Check = (node) =>
  isBoolean(node) || node.kind === 'map'
    ? undefined
    : 'must be true, false, or a mapping with certificate_pem and private_key_pem';

/** The keys Kamal 2 documents under `proxy`, and what each must be. */
export const PROXY_KEYS: Readonly<Record<string, Check>> = {
  host: string('a host name such as app.example.com (several: separate them by commas, or use hosts: with a list)'),
  hosts: hostsList,
  app_port: port,
  ssl,
  ssl_redirect: boolean,
  forward_headers: boolean,
  response_timeout: seconds(30),
  path_prefix: string('a path such as /api'),
  strip_path_prefix: boolean,
  healthcheck: mapping('healthcheck settings (path, interval, timeout)'),
  buffering: mapping('buffering settings (requests, responses, max_request_body, max_response_body, memory)'),
  logging: mapping('logging settings (request_headers, response_headers)'),
  run: mapping('kamal-proxy run settings'),
};

export const HEALTHCHECK_KEYS: Readonly<Record<string, Check>> = {
  path: string('a path such as /up'),
  interval: seconds(1),
  timeout: seconds(5),
};

export const SSL_KEYS: Readonly<Record<string, Check>> = {
  certificate_pem: string('the name of a secret holding the certificate, e.g. CERTIFICATE_PEM'),
  private_key_pem: string('the name of a secret holding the private key, e.g. PRIVATE_KEY_PEM'),
};

/** Formats the `setting` of a problem about one key: `config/deploy.yml:14: proxy.app_port`. */
export function settingAt(entry: { file: string; line: number }, key: string): string {
  return `${entry.file}:${entry.line}: ${key}`;
}

/** A value upgate would have to evaluate ERB to know. */
export function isErb(node: LocatedNode): boolean {
  return node.kind === 'scalar' && typeof node.value === 'string' && node.value.includes('<%');
}

/**
 * Checks one mapping against a table of keys: unknown keys (with a suggestion), keys written
 * twice, ERB templates, and each value's type. Returns the problems found.
 */
export function checkMapping(
  map: LocatedMap,
  path: string,
  keys: Readonly<Record<string, Check>>,
  section: string,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const known = Object.keys(keys);
  for (const entry of map.entries.values()) {
    const key = `${path}.${entry.key}`;
    const check = keys[entry.key];
    if (!check) {
      const suggestion = didYouMean(entry.key, known);
      const hint = suggestion ? `did you mean ${suggestion}?` : `Kamal knows ${known.join(', ')}`;
      problems.push({
        setting: settingAt(entry, key),
        value: '',
        message: `is not a Kamal ${section} setting (Kamal rejects unknown keys); ${hint}`,
      });
      continue;
    }
    problems.push(...checkEntry(entry, key, check));
  }
  return problems;
}

function checkEntry(entry: LocatedEntry, key: string, check: Check): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (entry.duplicateLines) {
    problems.push({
      setting: settingAt(entry, key),
      value: '',
      message: `is written ${entry.duplicateLines.length} times (lines ${entry.duplicateLines.join(', ')}); Kamal silently uses the last: keep one`,
    });
  }
  if (isErb(entry.node)) {
    problems.push({
      setting: settingAt(entry, key),
      value: describeLocated(entry.node),
      message:
        'is an ERB template, which Kamal renders when it deploys and upgate cannot; write the value itself (per destination: in config/deploy.<destination>.yml)',
    });
    return problems;
  }
  const message = check(entry.node);
  if (message) problems.push({ setting: settingAt(entry, key), value: describeLocated(entry.node), message });
  return problems;
}
