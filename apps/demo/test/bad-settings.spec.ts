/**
 * The bad-settings corpus: each case starts the built demo in production (NODE_ENV=production) with
 * one mistake, in the environment or in a broken copy of config/deploy.yml, and the demo must refuse
 * to start: exit status 1, and exactly the message that names the setting, the value and the form
 * it should take. The demos are spawned a few at a time, then each case is checked.
 */
import { beforeAll, afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { cleanUp, DEPLOY_YML, deployCopy, REPO_ROOT, replace, spawnDemo } from './support/demo-process.js';

/** Spawns at once: the machine has two cores and each start-up loads NestJS. */
const PARALLEL = 3;
/** A demo that has not exited by then has started instead of refusing (or hangs). */
const CASE_TIMEOUT_MS = 20_000;

/** The broken deploy file of a case: its path, and the line of the first line matching a pattern. */
interface BrokenFile {
  readonly path: string;
  line(pattern: RegExp): number;
}

interface BadSettings {
  readonly name: string;
  /** Environment variables, over NODE_ENV=production and DEPLOY_FILE=none (or the broken copy). */
  readonly env?: Readonly<Record<string, string>>;
  /** Breaks a copy of the demo's deploy file, which the demo then reads (DEPLOY_FILE). */
  readonly deploy?: (text: string) => string;
  /** The problem lines the demo must print, in order. */
  readonly problems: (file: BrokenFile) => readonly string[];
}

const ALLOWED = 'ALLOWED_HOSTS';
/** An allowlist entry in ALLOWED_HOSTS, with no deploy file: the one problem it must cause. */
const entry = (value: string, message: string): BadSettings => ({
  name: `${ALLOWED}=${JSON.stringify(value)}`,
  env: { [ALLOWED]: value },
  problems: () => [`${ALLOWED}: ${JSON.stringify(value)} ${message}`],
});
/** Another variable, next to a good allowlist. */
const variable = (name: string, value: string, message: string): BadSettings => ({
  name: `${name}=${JSON.stringify(value)}`,
  env: { [ALLOWED]: 'app.example.com', [name]: value },
  problems: () => [`${name}: ${JSON.stringify(value)} ${message}`],
});
/** A deploy file with one edit: the problem is named by file, line and key. */
const deployEdit = (name: string, edit: (text: string) => string, at: RegExp, problem: string): BadSettings => ({
  name,
  deploy: edit,
  problems: (file) => [`${file.path}:${file.line(at)}: ${problem}`],
});

const HOSTS_BLOCK = / {2}hosts:\n( {4}- .*\n)+/;
const EMPTY_ALLOWLIST =
  'allowed hosts: are empty, which only development allows (NODE_ENV is "production"); give ALLOWED_HOSTS (e.g. ALLOWED_HOSTS=app.example.com), the allowedHosts option, or proxy.host in a Kamal deploy file (the deployFile option)';

const CASES: readonly BadSettings[] = [
  // Allowlist entries: URLs, paths, regular expressions, ports, networks, wildcards, grammar.
  entry('https://app.example.com/', 'is a URL; write the host alone: "app.example.com"'),
  entry('/admin', 'is a path, not a host'),
  entry(
    '^app\\.example\\.com$',
    'looks like a regular expression; regular expressions are not supported: write ".app.example.com" for a domain and all its subdomains',
  ),
  entry('app.example.com:0', 'has port 0; a port is 1-65535'),
  entry('app.example.com:http', 'has port "http"; a port is 1-65535'),
  entry('10.0.0.1/8', 'has host bits set; write the network address: "10.0.0.0/8"'),
  entry('10.0.0.0/33', 'has prefix "/33"; an IPv4 prefix is 0-32: "10.0.0.0/8"'),
  entry('[fd00::]/129', 'has prefix "/129"; an IPv6 prefix is 0-128: "[fd00::]/8"'),
  entry('2001:db8::1', 'is an IPv6 address without brackets; write "[2001:db8::1]"'),
  entry(
    '010.0.0.1',
    'is not an IPv4 address as a Host carries it; write four octets 0-255 without leading zeros: "10.0.0.1"',
  ),
  entry(
    'app.*.example.com',
    'has "*" where it is not allowed; "*" stands alone or starts an entry as "*.": write "*.example.com"',
  ),
  entry('user@app.example.com', 'has user info ("user@"); write the host alone: "app.example.com"'),
  entry('app..example.com', 'has an empty label (".."); write "app.example.com"'),
  entry(`${'a'.repeat(64)}.example.com`, 'has a label longer than 63 characters, the most a label can have'),
  entry(
    'app.example.com,,www.example.com',
    'has an empty entry; remove the extra comma: "app.example.com,www.example.com"',
  ),
  // Empty lists in production.
  entry('', 'is empty; give a comma-separated list, e.g. ALLOWED_HOSTS=app.example.com,.example.org, or unset it'),
  { name: 'no allowlist at all (no ALLOWED_HOSTS, no deploy file)', problems: () => [EMPTY_ALLOWLIST] },
  {
    name: 'a misspelt ALLOWED_HOST, and so no allowlist',
    env: { ALLOWED_HOST: 'app.example.com' },
    problems: () => [
      'ALLOWED_HOST: "app.example.com" is not read by upgate; did you mean ALLOWED_HOSTS?',
      EMPTY_ALLOWLIST,
    ],
  },
  {
    name: 'a deploy file without proxy hosts (and without ssl, which needs one)',
    deploy: (text) => replace(replace(text, HOSTS_BLOCK, ''), '  ssl: true\n', ''),
    problems: (file) => [EMPTY_ALLOWLIST.replace('a Kamal deploy file (the deployFile option)', file.path)],
  },
  // Probe paths.
  variable('HEALTH_PROBE_PATHS', 'up', 'is not an absolute path; write "/up"'),
  variable('HEALTH_PROBE_PATHS', '/up?x=1', 'has a query ("?"); write the path alone: "/up"'),
  variable('HEALTH_PROBE_PATHS', 'http://localhost/up', 'is a URL; write the path alone: "/up"'),
  variable(
    'HEALTH_PROBE_PATHS',
    '/up/../admin',
    'has a "." or ".." segment, which clients resolve before sending; write the resolved path',
  ),
  variable('HEALTH_PROBE_PATHS', '//up', 'starts with "//", which a client reads as a host; write "/up"'),
  variable(
    'HEALTH_PROBE_PATHS',
    '/héalth',
    `has the character 'é', which a client sends percent-encoded; write "/h%C3%A9alth"`,
  ),
  // Trusted proxies.
  variable(
    'TRUST_PROXY',
    'yes',
    'is not true or false; write true, false, or a comma-separated list of addresses, networks, "loopback" and "private", e.g. TRUST_PROXY=loopback,10.0.0.0/8',
  ),
  variable('TRUST_PROXY', '10.0.0.1/8', 'has host bits set; write the network address: "10.0.0.0/8"'),
  variable('TRUST_PROXY', 'Loopback', 'names a range in the wrong case; write "loopback"'),
  variable(
    'TRUST_PROXY',
    'proxy.internal',
    'is not an address, a network or a range name; write "10.0.0.1", "10.0.0.0/8", "fd00::/8", "loopback" or "private"',
  ),
  variable('TRUSTED_PROXIES', 'loopback', 'is not read by upgate; did you mean TRUST_PROXY?'),
  // Ports, reject status, environment.
  variable('PORT', '0', 'must be an integer port from 1 to 65535, e.g. 3000'),
  variable('PORT', 'http', 'must be an integer port from 1 to 65535, e.g. 3000'),
  variable(
    'HOST_REJECT_STATUS',
    '404',
    'is not a status upgate sends for a disallowed host; write 400 (as Django), 403 (as Rails) or 421 (Misdirected Request)',
  ),
  variable('NODE_ENV', '', 'is empty; set it to the environment, e.g. NODE_ENV=production, or unset it'),
  // The deploy file: Kamal's own rules for the keys upgate reads, and the entries in it.
  deployEdit(
    'proxy.app_port: eighty',
    (t) => replace(t, /app_port: &app_port \d+/, 'app_port: &app_port eighty'),
    /app_port:/,
    'proxy.app_port: "eighty" must be an integer port, e.g. 3000',
  ),
  deployEdit(
    'proxy.app_port: 0',
    (t) => replace(t, /app_port: &app_port \d+/, 'app_port: &app_port 0'),
    /app_port:/,
    'proxy.app_port: 0 must be an integer port from 1 to 65535, e.g. 3000',
  ),
  {
    name: 'proxy.app_port written twice',
    deploy: (t) => replace(t, '  ssl: true\n', '  ssl: true\n  app_port: 3001\n'),
    problems: (file) => [
      `${file.path}:${file.line(/app_port: 3001/)}: proxy.app_port: is written 2 times (lines ${file.line(/app_port: &app_port/)}, ${file.line(/app_port: 3001/)}); Kamal silently uses the last: keep one`,
    ],
  },
  deployEdit(
    'a URL in proxy.hosts',
    (t) => replace(t, '    - demo.example.com\n', '    - https://demo.example.com/\n'),
    /- https:/,
    'proxy.hosts[0]: "https://demo.example.com/" is a URL; write the host alone: "demo.example.com"',
  ),
  deployEdit(
    'a regular expression in proxy.hosts',
    (t) => replace(t, '    - admin.demo.example.com\n', '    - "^admin\\\\.demo\\\\.example\\\\.com$"\n'),
    /- "\^admin/,
    'proxy.hosts[1]: "^admin\\\\.demo\\\\.example\\\\.com$" looks like a regular expression; regular expressions are not supported: write ".admin.demo.example.com" for a domain and all its subdomains',
  ),
  deployEdit(
    'a CIDR with host bits in proxy.hosts',
    (t) => replace(t, '    - demo.example.com\n', '    - 10.0.0.1/8\n'),
    /- 10\.0/,
    'proxy.hosts[0]: "10.0.0.1/8" has host bits set; write the network address: "10.0.0.0/8"',
  ),
  deployEdit(
    'an ERB template in proxy.hosts',
    (t) => replace(t, '    - admin.demo.example.com\n', '    - <%= ENV["ADMIN_HOST"] %>\n'),
    /- <%=/,
    'proxy.hosts[1]: "<%= ENV[\\"ADMIN_HOST\\"] %>" is an ERB template, which Kamal renders when it deploys and upgate cannot; write the value itself (per destination: in config/deploy.<destination>.yml)',
  ),
  deployEdit(
    'proxy.host and proxy.hosts together',
    (t) => replace(t, '  hosts:\n', '  host: demo.example.com\n  hosts:\n'),
    /^ {2}hosts:/m,
    'proxy.hosts: is given together with host (line 17); Kamal accepts one of them: hosts (a list) or host (one name, or several separated by commas)',
  ),
  deployEdit(
    'proxy.ssl without a host',
    (t) => replace(t, HOSTS_BLOCK, ''),
    /^ {2}ssl:/m,
    'proxy.ssl: true needs a host: Kamal refuses automatic SSL without proxy.host or proxy.hosts',
  ),
  deployEdit(
    'a relative probe path',
    (t) => replace(t, '    path: /up\n', '    path: up\n'),
    /^ {4}path:/m,
    'proxy.healthcheck.path: "up" is not an absolute path; write "/up"',
  ),
  deployEdit(
    'proxy.healthcheck.interval: 1s',
    (t) => replace(t, '    interval: 1\n', '    interval: 1s\n'),
    /^ {4}interval:/m,
    'proxy.healthcheck.interval: "1s" must be a whole number of seconds, at least 1, e.g. 1',
  ),
  deployEdit(
    'a misspelt healthcheck key',
    (t) => replace(t, '    timeout: 5\n', '    timout: 5\n'),
    /^ {4}timout:/m,
    'proxy.healthcheck.timout: is not a Kamal healthcheck setting (Kamal rejects unknown keys); did you mean timeout?',
  ),
  deployEdit(
    'a YAML syntax error',
    (t) => replace(t, '    path: /up\n', '    path: "/up\n'),
    /^ {4}path:/m,
    'YAML syntax error: Missing closing "quote',
  ),
  {
    name: 'an empty deploy file',
    deploy: () => '',
    problems: (file) => [
      `${file.path}: is empty; Kamal needs a mapping of settings (service, image, servers, proxy, ...)`,
    ],
  },
  {
    name: 'DEPLOY_FILE naming no file',
    env: { DEPLOY_FILE: '/nonexistent/config/deploy.yml' },
    problems: () => [
      `/nonexistent/config/deploy.yml: is not there (looked in ${REPO_ROOT}); give the path of Kamal's deploy file, e.g. "config/deploy.yml"`,
    ],
  },
  {
    name: 'KAMAL_DESTINATION without its overlay file',
    deploy: (text) => text,
    env: { KAMAL_DESTINATION: 'staging' },
    problems: (file) => [
      `${file.path.replace(/\.yml$/, '.staging.yml')}: is not there, and destination "staging" needs it (Kamal merges it over ${file.path}); create it or give the right destination`,
    ],
  },
  // The environment contradicting the deploy file: each would break the deploy.
  {
    name: 'PORT other than proxy.app_port',
    deploy: (text) => text,
    env: { PORT: '3001' },
    problems: (file) => [
      `PORT: "3001" differs from proxy.app_port 3000 (${file.path}:${file.line(/app_port:/)}), the port kamal-proxy sends requests and probes to; make them equal`,
    ],
  },
  {
    name: 'HEALTH_PROBE_PATHS without the path kamal-proxy checks',
    deploy: (text) => text,
    env: { HEALTH_PROBE_PATHS: '/healthz' },
    problems: (file) => [
      `HEALTH_PROBE_PATHS: "/healthz" leaves out "/up", the path kamal-proxy checks (${file.path}:${file.line(/^ {4}path:/m)}: proxy.healthcheck.path); its probes (Host: the container id) would be rejected and the deploy would never turn healthy; add it: "/healthz,/up"`,
    ],
  },
  {
    name: 'ALLOWED_HOSTS without the proxy hosts',
    deploy: (text) => text,
    env: { ALLOWED_HOSTS: 'other.example.com' },
    problems: (file) => [
      `ALLOWED_HOSTS: "other.example.com" does not allow "demo.example.com", "admin.demo.example.com", which kamal-proxy routes to this app (${file.path}:${file.line(/^ {2}hosts:/m)}: proxy.hosts), so every request for it would be rejected; add them`,
    ],
  },
  {
    name: 'three contradictions at once, each named',
    deploy: (text) => text,
    env: { ALLOWED_HOSTS: 'demo.example.com', PORT: '80', HEALTH_PROBE_PATHS: '/health' },
    problems: (file) => [
      `HEALTH_PROBE_PATHS: "/health" leaves out "/up", the path kamal-proxy checks (${file.path}:${file.line(/^ {4}path:/m)}: proxy.healthcheck.path); its probes (Host: the container id) would be rejected and the deploy would never turn healthy; add it: "/health,/up"`,
      `PORT: "80" differs from proxy.app_port 3000 (${file.path}:${file.line(/app_port:/)}), the port kamal-proxy sends requests and probes to; make them equal`,
      `ALLOWED_HOSTS: "demo.example.com" does not allow "admin.demo.example.com", which kamal-proxy routes to this app (${file.path}:${file.line(/^ {2}hosts:/m)}: proxy.hosts), so every request for it would be rejected; add it`,
    ],
  },
];

interface Result {
  readonly expected: string;
  readonly output: string;
  readonly code: number | null;
  readonly ms: number;
}

const results = new Map<string, Result>();
afterAll(cleanUp);

beforeAll(async () => {
  const started = performance.now();
  // The corpus is written against the demo's deploy file as it is: its hosts and port.
  expect(readFileSync(DEPLOY_YML, 'utf8')).toContain('app_port: &app_port 3000\n');
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < CASES.length) {
      const badCase = CASES[next++] as BadSettings;
      results.set(badCase.name, await runCase(badCase));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const slowest = Math.max(...[...results.values()].map((r) => r.ms));
  process.stderr.write(
    `bad settings: ${CASES.length} cases, ${PARALLEL} at a time, in ${Math.round(performance.now() - started)} ms (slowest ${Math.round(slowest)} ms)\n`,
  );
}, 180_000);

async function runCase(badCase: BadSettings): Promise<Result> {
  let file: BrokenFile = { path: '(no deploy file)', line: () => 0 };
  const env: Record<string, string> = { NODE_ENV: 'production', DEPLOY_FILE: 'none' };
  if (badCase.deploy) {
    const path = deployCopy(badCase.deploy);
    const lines = readFileSync(path, 'utf8').split('\n');
    file = {
      path,
      line(pattern) {
        const index = lines.findIndex((line) => pattern.test(line));
        if (index < 0)
          throw new Error(`case "${badCase.name}": no line of the broken deploy file matches ${String(pattern)}`);
        return index + 1;
      },
    };
    env['DEPLOY_FILE'] = path;
  }
  Object.assign(env, badCase.env);
  const problems = badCase.problems(file);
  const expected = `upgate-demo: not starting.\nupgate: invalid settings (${problems.length === 1 ? '1 problem' : `${problems.length} problems`}):\n${problems.map((p) => `  - ${p}\n`).join('')}`;

  const began = performance.now();
  const demo = spawnDemo(env);
  const timer = setTimeout(() => demo.child.kill('SIGKILL'), CASE_TIMEOUT_MS);
  const exit = await demo.exited;
  clearTimeout(timer);
  return { expected, output: demo.output(), code: exit.code, ms: performance.now() - began };
}

describe(`bad settings: ${CASES.length} mistakes that stop the demo at start-up, each with a message naming the setting and the form to write`, () => {
  it('has at least 30 cases, each with its own name', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name]))('%s', (name) => {
    const result = results.get(name);
    expect(result).toBeDefined();
    expect((result as Result).output).toBe((result as Result).expected);
    expect((result as Result).code).toBe(1);
  });
});
