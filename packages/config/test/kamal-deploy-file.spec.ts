import { afterAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { UpgateConfigError } from '../src/index.js';
import { readKamalDeployFile } from '../src/kamal.js';
import { DEPLOY_STAGING_YML, DEPLOY_YML, DEPLOY_YML_HOSTS } from './support/kamal-files.js';
import { problemLines, removeTempProjects, tempProject } from './support/temp-project.js';

afterAll(removeTempProjects);

/** DEPLOY_YML with one piece of text replaced (line numbers kept unless the replacement adds lines). */
function variant(from: string, to: string): string {
  if (!DEPLOY_YML.includes(from)) throw new Error(`fixture has no ${JSON.stringify(from)}`);
  return DEPLOY_YML.replace(from, to);
}

function read(deployYml: string, options: { destination?: string; extra?: Record<string, string> } = {}) {
  const cwd = tempProject({ 'config/deploy.yml': deployYml, ...options.extra });
  return readKamalDeployFile('config/deploy.yml', {
    cwd,
    ...(options.destination ? { destination: options.destination } : {}),
  });
}

function problemsOf(
  deployYml: string,
  options: { destination?: string; extra?: Record<string, string> } = {},
): string[] {
  return problemLines(() => read(deployYml, options));
}

describe('readKamalDeployFile: what a valid Kamal 2 file gives', () => {
  it("reads the proxy settings of a single-server Let's Encrypt deploy, with the line of every key", () => {
    const config = read(DEPLOY_YML);
    expect(config.file).toBe('config/deploy.yml');
    expect(config.files).toEqual(['config/deploy.yml']);
    expect(config.service).toBe('demo');
    expect(config.primaryRole).toBe('web');
    expect(config.proxy).toEqual({
      enabled: true,
      hosts: ['app.example.com'],
      healthcheck: { path: '/up', interval: 3, timeout: 3 },
      appPort: 3000,
      ssl: true,
      forwardHeaders: false, // kamal-proxy's default with ssl
    });
    expect(config.locate('proxy.host')).toEqual({ file: 'config/deploy.yml', line: 14 });
    expect(config.locate('proxy.app_port')).toEqual({ file: 'config/deploy.yml', line: 15 });
    expect(config.locate('proxy.healthcheck.path')).toEqual({ file: 'config/deploy.yml', line: 17 });
    expect(config.locate('proxy.healthcheck.interval')).toEqual({ file: 'config/deploy.yml', line: 18 });
    expect(config.locate('proxy.healthcheck.timeout')).toEqual({ file: 'config/deploy.yml', line: 19 });
    expect(config.locate('servers.web[0]')).toEqual({ file: 'config/deploy.yml', line: 10 });
    expect(config.locate('service')).toEqual({ file: 'config/deploy.yml', line: 2 });
    expect(config.locate('proxy.forward_headers')).toBeUndefined();
  });

  it("reads a hosts list, explicit forward_headers, and applies Kamal's defaults for the rest", () => {
    const config = read(DEPLOY_YML_HOSTS);
    expect(config.proxy).toEqual({
      enabled: true,
      hosts: ['shop.example.com', 'www.shop.example.com'],
      healthcheck: { path: '/up' },
      appPort: 80,
      ssl: false,
      forwardHeaders: true,
    });
    expect(config.locate('proxy.hosts[1]')).toEqual({ file: 'config/deploy.yml', line: 17 });
    expect(config.locate('proxy.healthcheck.path')).toBeUndefined();
    expect(config.locate('proxy.app_port')).toBeUndefined();
  });

  it('applies every default when there is no proxy section', () => {
    const config = read(
      'service: demo\nimage: acme/demo\nservers:\n  - 192.168.0.1\nregistry:\n  username: acme\n  password: [KAMAL_REGISTRY_PASSWORD]\n',
    );
    expect(config.proxy).toEqual({
      enabled: true,
      hosts: [],
      healthcheck: { path: '/up' },
      appPort: 80,
      ssl: false,
      forwardHeaders: true,
    });
  });

  it('splits proxy.host on commas, as Kamal does', () => {
    const config = read(variant('host: app.example.com', 'host: app.example.com,www.example.com'));
    expect(config.proxy.hosts).toEqual(['app.example.com', 'www.example.com']);
  });

  it('reads ssl given as a custom certificate mapping as ssl on', () => {
    const config = read(
      variant('  ssl: true\n', '  ssl: {certificate_pem: CERTIFICATE_PEM, private_key_pem: PRIVATE_KEY_PEM}\n'),
    );
    expect(config.proxy.ssl).toBe(true);
    expect(config.proxy.forwardHeaders).toBe(false);
  });

  it('reads YAML 1.1 as Psych does: yes is true, 40_000_000 an integer, anchors and << merge keys resolved', () => {
    const config = read(`service: demo
image: acme/demo
servers: [192.168.0.1]
x-healthcheck: &healthcheck
  path: /healthz
  interval: 2
proxy:
  ssl: yes
  forward_headers: on
  host: app.example.com
  healthcheck:
    <<: *healthcheck
    interval: 4
`);
    expect(config.proxy.ssl).toBe(true);
    expect(config.proxy.forwardHeaders).toBe(true);
    expect(config.proxy.healthcheck).toEqual({ path: '/healthz', interval: 4 });
    expect(config.locate('proxy.healthcheck.path')).toEqual({ file: 'config/deploy.yml', line: 5 });
    expect(config.locate('proxy.healthcheck.interval')).toEqual({ file: 'config/deploy.yml', line: 13 });
  });

  it("takes the primary role's own proxy settings over the root ones, as Kamal merges them", () => {
    const config = read(`service: demo
image: acme/demo
primary_role: app
servers:
  app:
    hosts: [192.168.0.1]
    proxy:
      app_port: 8080
      healthcheck:
        path: /health
  job:
    hosts: [192.168.0.2]
proxy:
  host: app.example.com
  app_port: 3000
  healthcheck:
    interval: 2
`);
    expect(config.primaryRole).toBe('app');
    expect(config.proxy).toMatchObject({
      hosts: ['app.example.com'],
      appPort: 8080,
      healthcheck: { path: '/health', interval: 2 },
    });
    expect(config.locate('proxy.app_port')).toEqual({ file: 'config/deploy.yml', line: 8 });
    expect(config.locate('proxy.healthcheck.path')).toEqual({ file: 'config/deploy.yml', line: 10 });
    expect(config.locate('proxy.healthcheck.interval')).toEqual({ file: 'config/deploy.yml', line: 17 });
  });

  it('reports the proxy as disabled when the primary role sets proxy: false', () => {
    const config = read(
      'service: demo\nimage: acme/demo\nservers:\n  web:\n    hosts: [192.168.0.1]\n    proxy: false\n',
    );
    expect(config.proxy.enabled).toBe(false);
  });

  it('tolerates ERB in keys it does not read, and ERB control lines around them', () => {
    const config = read(
      variant(
        '  clear:\n    NODE_ENV: production\n',
        '  clear:\n<% if ENV["DEBUG"] %>\n    DEBUG: <%= ENV["DEBUG"] %>\n<% end %>\n    NODE_ENV: production\n',
      ),
    );
    expect(config.proxy.hosts).toEqual(['app.example.com']);
  });

  it('resolves the file against cwd and shows an outside file by its absolute path', () => {
    const dir = tempProject({ 'deploy.yml': DEPLOY_YML });
    const elsewhere = tempProject({});
    const config = readKamalDeployFile(join(dir, 'deploy.yml'), { cwd: elsewhere });
    expect(config.file).toBe(join(dir, 'deploy.yml'));
  });
});

describe('readKamalDeployFile: destinations', () => {
  it('deep-merges deploy.<destination>.yml over the base file as Kamal does, and locates keys in the file that set them', () => {
    const config = read(DEPLOY_YML, {
      destination: 'staging',
      extra: { 'config/deploy.staging.yml': DEPLOY_STAGING_YML },
    });
    expect(config.files).toEqual(['config/deploy.yml', 'config/deploy.staging.yml']);
    expect(config.destination).toBe('staging');
    expect(config.proxy).toEqual({
      enabled: true,
      hosts: ['staging.example.com'],
      healthcheck: { path: '/up', interval: 10, timeout: 3 },
      appPort: 3000,
      ssl: true,
      forwardHeaders: false,
    });
    expect(config.locate('proxy.host')).toEqual({ file: 'config/deploy.staging.yml', line: 6 });
    expect(config.locate('proxy.healthcheck.interval')).toEqual({ file: 'config/deploy.staging.yml', line: 8 });
    expect(config.locate('proxy.healthcheck.timeout')).toEqual({ file: 'config/deploy.yml', line: 19 });
    // Lists are replaced, not concatenated.
    expect(config.locate('servers.web[0]')).toEqual({ file: 'config/deploy.staging.yml', line: 3 });
    expect(config.locate('servers.web[1]')).toBeUndefined();
  });

  it('rejects host in the base file with hosts in the overlay, as Kamal does after merging', () => {
    const overlay = 'proxy:\n  hosts:\n    - staging.example.com\n';
    expect(problemsOf(DEPLOY_YML, { destination: 'staging', extra: { 'config/deploy.staging.yml': overlay } })).toEqual(
      [
        'config/deploy.staging.yml:2: proxy.hosts: is given together with host (config/deploy.yml:14); Kamal accepts one of them: hosts (a list) or host (one name, or several separated by commas)',
      ],
    );
  });

  it('fails when the destination file is missing, naming it', () => {
    expect(problemsOf(DEPLOY_YML, { destination: 'production' })).toEqual([
      'config/deploy.production.yml: is not there, and destination "production" needs it (Kamal merges it over config/deploy.yml); create it or give the right destination',
    ]);
  });

  it('refuses a destination that is not a plain name', () => {
    expect(problemsOf(DEPLOY_YML, { destination: '../prod' })).toEqual([
      'destination: "../prod" must be a Kamal destination name such as "staging" (letters, digits, ".", "-", "_")',
    ]);
  });
});

describe('readKamalDeployFile: files Kamal would reject', () => {
  it('fails on a missing file, saying where it looked', () => {
    const cwd = tempProject({});
    expect(problemLines(() => readKamalDeployFile('config/deploy.yml', { cwd }))).toEqual([
      `config/deploy.yml: is not there (looked in ${cwd}); give the path of Kamal's deploy file, e.g. "config/deploy.yml"`,
    ]);
  });

  it('reports a YAML syntax error with its line', () => {
    expect(problemsOf(variant('  host: app.example.com\n', '  host: [app.example.com\n'))).toEqual([
      'config/deploy.yml:15: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it("reports a YAML syntax error in the destination file with that file's line", () => {
    const overlay = 'proxy:\n  host: staging.example.com\n  healthcheck: path: /up\n';
    expect(problemsOf(DEPLOY_YML, { destination: 'staging', extra: { 'config/deploy.staging.yml': overlay } })).toEqual(
      ['config/deploy.staging.yml:3: YAML syntax error: Nested mappings are not allowed in compact mappings'],
    );
  });

  it('refuses an empty file and a file that is not a mapping', () => {
    expect(problemsOf('# nothing yet\n')).toEqual([
      'config/deploy.yml: is empty; Kamal needs a mapping of settings (service, image, servers, proxy, ...)',
    ]);
    expect(problemsOf('- service: demo\n')).toEqual([
      'config/deploy.yml:1: a list is not a mapping; Kamal needs a mapping of settings (service, image, servers, proxy, ...)',
    ]);
  });

  it('names file, line, key and the form expected for a wrong type', () => {
    expect(problemsOf(variant('app_port: 3000', 'app_port: "eighty"'))).toEqual([
      'config/deploy.yml:15: proxy.app_port: "eighty" must be an integer port, e.g. 3000',
    ]);
    expect(problemsOf(variant('app_port: 3000', 'app_port: "3000"'))).toEqual([
      'config/deploy.yml:15: proxy.app_port: "3000" must be an integer port, e.g. 3000',
    ]);
    expect(problemsOf(variant('app_port: 3000', 'app_port: 3000.0'))).toEqual([
      'config/deploy.yml:15: proxy.app_port: 3000 must be an integer port, e.g. 3000',
    ]);
    expect(problemsOf(variant('app_port: 3000', 'app_port: 70000'))).toEqual([
      'config/deploy.yml:15: proxy.app_port: 70000 must be an integer port from 1 to 65535, e.g. 3000',
    ]);
  });

  it('lists every problem of the file at once', () => {
    const file = variant('  ssl: true\n', '  ssl: "yes please"\n')
      .replace('host: app.example.com', 'host:\n    - app.example.com')
      .replace('interval: 3', 'interval: 3s')
      .replace('timeout: 3', 'timeout: 0')
      .replace('    path: /up\n', '    path: [/up]\n');
    expect(problemsOf(file)).toEqual([
      'config/deploy.yml:13: proxy.ssl: "yes please" must be true, false, or a mapping with certificate_pem and private_key_pem',
      'config/deploy.yml:14: proxy.host: a list must be a host name such as app.example.com (several: separate them by commas, or use hosts: with a list)',
      'config/deploy.yml:18: proxy.healthcheck.path: a list must be a path such as /up',
      'config/deploy.yml:19: proxy.healthcheck.interval: "3s" must be a whole number of seconds, at least 1, e.g. 1',
      'config/deploy.yml:20: proxy.healthcheck.timeout: 0 must be a whole number of seconds, at least 1, e.g. 5',
    ]);
  });

  it('rejects unknown keys under proxy and healthcheck, suggesting the key meant', () => {
    const file = variant('  healthcheck:\n    path: /up\n', '  helthcheck:\n    path: /up\n');
    expect(problemsOf(file)).toEqual([
      'config/deploy.yml:16: proxy.helthcheck: is not a Kamal proxy setting (Kamal rejects unknown keys); did you mean healthcheck?',
    ]);
    expect(problemsOf(variant('    path: /up\n', '    paht: /up\n'))).toEqual([
      'config/deploy.yml:17: proxy.healthcheck.paht: is not a Kamal healthcheck setting (Kamal rejects unknown keys); did you mean path?',
    ]);
    expect(problemsOf(variant('  app_port: 3000\n', '  target: web:3000\n'))).toEqual([
      'config/deploy.yml:15: proxy.target: is not a Kamal proxy setting (Kamal rejects unknown keys); Kamal knows host, hosts, app_port, ssl, ssl_redirect, forward_headers, response_timeout, path_prefix, strip_path_prefix, healthcheck, buffering, logging, run',
    ]);
  });

  it('rejects host together with hosts, and ssl without any host', () => {
    expect(
      problemsOf(variant('  host: app.example.com\n', '  host: app.example.com\n  hosts: [www.example.com]\n')),
    ).toEqual([
      'config/deploy.yml:15: proxy.hosts: is given together with host (line 14); Kamal accepts one of them: hosts (a list) or host (one name, or several separated by commas)',
    ]);
    expect(problemsOf(variant('  host: app.example.com\n', ''))).toEqual([
      'config/deploy.yml:13: proxy.ssl: true needs a host: Kamal refuses automatic SSL without proxy.host or proxy.hosts',
    ]);
  });

  it('rejects a custom certificate without its key', () => {
    expect(problemsOf(variant('  ssl: true\n', '  ssl:\n    certificate_pem: CERTIFICATE_PEM\n'))).toEqual([
      'config/deploy.yml:13: proxy.ssl: has certificate_pem without private_key_pem; Kamal needs both',
    ]);
  });

  it('rejects a proxy section that is not a mapping, and a role proxy that is not true, false or a mapping', () => {
    expect(problemsOf('service: demo\nproxy: app.example.com\n')).toEqual([
      'config/deploy.yml:2: proxy: "app.example.com" must be a mapping of proxy settings (host, app_port, healthcheck, ...); to turn the proxy off, set proxy: false on the role',
    ]);
    expect(problemsOf('service: demo\nservers:\n  web:\n    hosts: [192.168.0.1]\n    proxy: off-ish\n')).toEqual([
      'config/deploy.yml:5: servers.web.proxy: "off-ish" must be true, false, or a mapping of proxy settings',
    ]);
  });

  it("checks the role's proxy settings like the root ones, under their own name", () => {
    expect(
      problemsOf('service: demo\nservers:\n  web:\n    hosts: [192.168.0.1]\n    proxy:\n      app_port: web\n'),
    ).toEqual(['config/deploy.yml:6: servers.web.proxy.app_port: "web" must be an integer port, e.g. 3000']);
  });

  it('rejects a key written twice, which Kamal would silently resolve to the last', () => {
    expect(problemsOf(variant('  app_port: 3000\n', '  app_port: 3000\n  app_port: 8080\n'))).toEqual([
      'config/deploy.yml:16: proxy.app_port: is written 2 times (lines 15, 16); Kamal silently uses the last: keep one',
    ]);
  });

  it('rejects ERB in a key it reads, which only Kamal can render', () => {
    expect(problemsOf(variant('host: app.example.com', 'host: <%= ENV["APP_HOST"] %>'))).toEqual([
      'config/deploy.yml:14: proxy.host: "<%= ENV[\\"APP_HOST\\"] %>" is an ERB template, which Kamal renders when it deploys and upgate cannot; write the value itself (per destination: in config/deploy.<destination>.yml)',
    ]);
  });

  it('rejects a service name Kamal refuses', () => {
    expect(problemsOf(variant('service: demo', 'service: my demo'))).toEqual([
      'config/deploy.yml:2: service: "my demo" may contain only letters, digits, "-" and "_" (Kamal names containers after it)',
    ]);
  });

  it('throws an UpgateConfigError carrying the problems as data', () => {
    const cwd = tempProject({ 'config/deploy.yml': variant('app_port: 3000', 'app_port: "eighty"') });
    let caught: unknown;
    try {
      readKamalDeployFile('config/deploy.yml', { cwd });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UpgateConfigError);
    expect((caught as UpgateConfigError).problems).toEqual([
      {
        setting: 'config/deploy.yml:15: proxy.app_port',
        value: '"eighty"',
        message: 'must be an integer port, e.g. 3000',
      },
    ]);
    expect((caught as UpgateConfigError).message).toBe(
      'upgate: invalid settings (1 problem):\n  - config/deploy.yml:15: proxy.app_port: "eighty" must be an integer port, e.g. 3000',
    );
  });
});
